"""Race conditions through the real HTTP stack: real threads, real connections.

Each request is served by ``live_server`` in its own thread with its own
database connection, so these run the real locking path on PostgreSQL.
"""
import io
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.transactions.ledger import ledger_verify
from apps.transactions.models import LedgerEntry, Transaction
from apps.wallets.models import Wallet
from apps.wallets.selectors import wallet_balances
from tests.support.factories import DEFAULT_PASSWORD, access_token_for
from tests.support.http import post_json

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]
TRANSFER = "/api/wallet/transfer/"
REFRESH, REGISTER = "/api/auth/token/refresh/", "/api/auth/register/"
User = get_user_model()


def _race(url: str, requests: list[tuple[str | None, dict]]) -> list[tuple[int, dict]]:
    """Fire all requests at once: every thread waits at a barrier, then posts."""
    barrier = threading.Barrier(len(requests))

    def fire(item):
        token, body = item
        barrier.wait(timeout=30)
        return post_json(url, body, token)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(fire, requests))


@pytest.mark.parametrize("round_", range(3))
def test_double_spend_of_whole_balance_lets_exactly_one_through(live_server, make_user, round_):
    sender = make_user(balance="10.00")
    first, second = make_user(), make_user()
    token = access_token_for(sender)

    results = _race(live_server.url + TRANSFER, [
        (token, {"receiver_id": first.pk, "amount": "10.00"}),
        (token, {"receiver_id": second.pk, "amount": "10.00"}),
    ])

    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 400], results
    refused = next(body for status, body in results if status == 400)
    assert refused["code"] == "insufficient_funds"
    assert Wallet.objects.get(user=sender).balance == Decimal("0.00")
    assert Transaction.objects.filter(kind="transfer").count() == 1
    received = Wallet.objects.filter(user__in=[first, second]).aggregate(s=Sum("balance"))["s"]
    assert received == Decimal("10.00")


def test_many_threads_both_directions_conserve_money(live_server, make_user):
    users = [make_user(balance="100.00") for _ in range(5)]  # 24 threads per round
    tokens = {u.pk: access_token_for(u) for u in users}
    rng = random.Random(20261125)
    requests = []
    for i in range(48):
        if i % 2:  # half the traffic ping-pongs between the same two wallets
            sender, receiver = (users[0], users[1]) if i % 4 == 1 else (users[1], users[0])
        else:
            sender, receiver = rng.sample(users, 2)
        amount = f"{rng.randint(1, 6000) / 100:.2f}"
        requests.append((sender.pk, receiver.pk, amount))

    def fire_all(batch):
        return _race(live_server.url + TRANSFER, [
            (tokens[s], {"receiver_id": r, "amount": a}) for s, r, a in batch
        ])

    results = fire_all(requests[:24]) + fire_all(requests[24:])

    outcomes = Counter(status for status, _ in results)
    assert set(outcomes) <= {201, 400}, results
    assert all(body["code"] == "insufficient_funds" for status, body in results if status == 400)
    assert outcomes[201] > 0

    # What the clients were told adds up to what the database holds.
    expected = {u.pk: Decimal("100.00") for u in users}
    for (sender_id, receiver_id, amount), (status, _) in zip(requests, results, strict=True):
        if status == 201:
            expected[sender_id] -= Decimal(amount)
            expected[receiver_id] += Decimal(amount)
    balances = dict(Wallet.objects.values_list("user_id", "balance"))
    assert balances == expected
    assert sum(balances.values()) == Decimal("500.00")
    assert min(balances.values()) >= 0
    assert Transaction.objects.filter(kind="transfer").count() == outcomes[201]

    # And every balance is exactly its deposits plus received minus sent.
    for user_id, balance in balances.items():
        received = Transaction.objects.filter(receiver_id=user_id).aggregate(s=Sum("amount"))["s"]
        sent = Transaction.objects.filter(sender_id=user_id).aggregate(s=Sum("amount"))["s"]
        assert balance == (received or 0) - (sent or 0)

    # Each user's running balance is an unbroken chain ending at the wallet's balance: every
    # entry's balance_after was written under the same lock as the balance it records.
    report = ledger_verify(balances=wallet_balances())
    assert report.ok, report.discrepancies
    # Two legs per movement (a deposit's second is world's), and every balance sums to zero.
    assert LedgerEntry.objects.count() == 2 * 5 + 2 * outcomes[201]
    assert report.grand_total == 0 and report.system_balance == Decimal("-500.00")


@pytest.mark.parametrize("round_", range(3))
def test_racing_refreshes_with_one_token_let_exactly_one_through(live_server, make_user, round_):
    """A refresh token is single-use even when the same one is sent many times at once."""
    user = make_user()
    refresh = str(RefreshToken.for_user(user))
    threads = 8

    results = _race(live_server.url + REFRESH, [(None, {"refresh": refresh})] * threads)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [401] * (threads - 1), results
    winner = next(body for status, body in results if status == 200)
    assert set(winner) == {"access", "refresh"}
    refused = [body for status, body in results if status == 401]
    # Each loser gets exactly what a late, sequential reuse of the token gets.
    late = post_json(live_server.url + REFRESH, {"refresh": refresh})
    assert late[0] == 401 and late[1]["code"] == "token_not_valid"
    assert all(body == late[1] for body in refused), refused
    # One token was used up and exactly one new one was issued.
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1
    assert OutstandingToken.objects.filter(user=user).count() == 2
    assert post_json(live_server.url + REFRESH, {"refresh": winner["refresh"]})[0] == 200


@pytest.mark.parametrize("round_", range(3))
def test_racing_registrations_differing_only_in_case_create_one_user(live_server, round_):
    names = ["Carol", "carol", "CAROL", "cArOl"]

    results = _race(live_server.url + REGISTER,
                    [(None, {"username": name, "password": DEFAULT_PASSWORD}) for name in names])

    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 400, 400, 400], results
    assert all(body["code"] == "username_taken" for status, body in results if status == 400)
    assert User.objects.filter(username__iexact="carol").count() == 1
    assert Wallet.objects.filter(user__username__iexact="carol").count() == 1


def test_verify_ledger_reads_one_snapshot_while_transfers_commit(make_user):
    """Run on a live system, the verification never reports a transfer caught between two reads."""
    from django.core.management import call_command
    from django.db import connection

    from apps.wallets.services import transfer_create

    users = [make_user(balance="1000.00") for _ in range(6)]
    stop = threading.Event()

    def transfers(seed: int) -> int:
        rng, done = random.Random(seed), 0
        try:
            while not stop.is_set():
                sender, receiver = rng.sample(users, 2)
                transfer_create(sender_id=sender.pk, receiver_id=receiver.pk, amount=Decimal("0.01"))
                done += 1
        finally:
            connection.close()
        return done

    failures = []
    with ThreadPoolExecutor(max_workers=3) as pool:
        running = [pool.submit(transfers, seed) for seed in range(3)]
        try:
            for _ in range(15):
                try:
                    call_command("verify_ledger", stdout=io.StringIO(), stderr=io.StringIO())
                except Exception as exc:  # a false discrepancy
                    failures.append(str(exc))
        finally:
            stop.set()
        moved = sum(future.result() for future in running)
    assert moved > 0
    assert failures == []


def test_opposite_transfers_between_two_wallets_never_deadlock(make_user):
    """Sixteen threads, half sending A → B and half B → A, each many times: every transfer commits.

    Both wallets are locked in one statement in wallet-id order, so two opposite transfers take
    the locks in the same order. Locked in sender-then-receiver order instead, PostgreSQL's
    deadlock detector aborts one of a crossing pair (``deadlock detected``) and this fails.
    """
    from django.db import connection

    from apps.wallets.services import transfer_create

    a, b = make_user(balance="100.00"), make_user(balance="100.00")
    barrier, errors, done = threading.Barrier(16), [], Counter()

    def send(sender, receiver):
        try:
            barrier.wait(timeout=10)
            for _ in range(15):
                transfer_create(sender_id=sender.pk, receiver_id=receiver.pk, amount=Decimal("0.01"))
                done[sender.pk] += 1
        except Exception as exc:  # surfaced below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(a, b) if i % 2 else (b, a)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert done == {a.pk: 120, b.pk: 120}
    balances = dict(Wallet.objects.filter(user__in=[a, b]).values_list("user_id", "balance"))
    assert balances == {a.pk: Decimal("100.00"), b.pk: Decimal("100.00")}
    assert ledger_verify(balances=wallet_balances()).ok


def test_racing_deposits_and_transfers_keep_the_books_balanced(make_user):
    """Deposits take turns on world's row while transfers run beside them: every commit balances,
    world's entries chain in order, and the grand total stays zero."""
    from django.db import connection

    from apps.transactions.models import SystemAccount
    from apps.wallets.services import deposit_create, transfer_create

    users = [make_user(balance="10.00") for _ in range(4)]

    def work(seed: int) -> Decimal:
        rng, deposited = random.Random(seed), Decimal("0.00")
        try:
            for _ in range(25):
                first, second = rng.sample(users, 2)
                if rng.random() < 0.5:
                    deposit_create(user_id=first.pk, amount=Decimal("0.10"))
                    deposited += Decimal("0.10")
                else:
                    try:
                        transfer_create(sender_id=first.pk, receiver_id=second.pk, amount=Decimal("0.05"))
                    except Exception as exc:  # only a refusal for funds is expected
                        assert getattr(exc, "code", None) == "insufficient_funds", exc
        finally:
            connection.close()
        return deposited

    with ThreadPoolExecutor(max_workers=6) as pool:
        deposited = sum(pool.map(work, range(6)))
    report = ledger_verify(balances=wallet_balances())
    assert report.ok, report.discrepancies
    assert report.grand_total == 0
    assert SystemAccount.objects.get(code="world").balance == -(Decimal("40.00") + deposited)
    assert sum(Wallet.objects.values_list("balance", flat=True)) == Decimal("40.00") + deposited
