"""Idempotency-Key on transfers and deposits: replays, reuse, races, cleanup."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.core.idempotency import idempotency_keys_purge
from apps.core.models import IdempotencyKey
from apps.core.tasks import purge_idempotency_keys
from apps.transactions.models import Transaction
from tests.support.factories import access_token_for, balance_of
from tests.support.http import post_json

TRANSFER = "/api/wallet/transfer/"
DEPOSIT = "/api/wallet/deposit/"


def post(client, url, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, body, format="json", **headers)


@pytest.mark.django_db
class TestReplay:
    def test_same_key_same_body_replays_without_second_transfer(self, alice, bob, client_for):
        client = client_for(alice)
        first = post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "10.00"}, "order-1")
        second = post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "10.00"}, "order-1")

        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.json()["transaction"]["id"] == first.json()["transaction"]["id"]
        assert second["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first
        assert balance_of(alice) == Decimal("90.00")
        assert balance_of(bob) == Decimal("10.00")
        assert Transaction.objects.filter(kind="transfer").count() == 1

    def test_equivalent_amount_spelling_is_the_same_body(self, alice, bob, client_for):
        client = client_for(alice)
        first = post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "10"}, "k")
        second = post(client, TRANSFER, {"amount": "10.00", "receiver_id": bob.pk}, "k")
        assert second.status_code == 201
        assert second.json()["transaction"]["id"] == first.json()["transaction"]["id"]
        assert balance_of(alice) == Decimal("90.00")

    def test_same_key_different_body_is_422(self, alice, bob, client_for):
        client = client_for(alice)
        assert post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "10.00"}, "k").status_code == 201
        response = post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "11.00"}, "k")
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert balance_of(alice) == Decimal("90.00")

    def test_same_key_on_another_endpoint_is_422(self, make_user, client_for, bob):
        staff = make_user(username="staff", is_staff=True)
        client = client_for(staff)
        assert post(client, DEPOSIT, {"user_id": bob.pk, "amount": "5.00"}, "k").status_code == 201
        response = post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "5.00"}, "k")
        assert response.status_code == 422

    def test_keys_are_scoped_to_the_user(self, alice, bob, make_user, client_for):
        carol = make_user(username="carol", balance="50.00")
        body = {"receiver_id": bob.pk, "amount": "10.00"}
        first = post(client_for(alice), TRANSFER, body, "shared")
        second = post(client_for(carol), TRANSFER, body, "shared")
        assert first.status_code == second.status_code == 201
        assert first.json()["transaction"]["id"] != second.json()["transaction"]["id"]
        assert balance_of(bob) == Decimal("20.00")

    def test_deposit_replay(self, make_user, bob, client_for):
        client = client_for(make_user(username="staff", is_staff=True))
        body = {"user_id": bob.pk, "amount": "25.00"}
        first = post(client, DEPOSIT, body, "dep-1")
        second = post(client, DEPOSIT, body, "dep-1")
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second["Idempotent-Replayed"] == "true"
        assert balance_of(bob) == Decimal("25.00")

    def test_without_key_every_request_moves_money(self, alice, bob, client_for):
        client = client_for(alice)
        for _ in range(2):
            assert post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "10.00"}).status_code == 201
        assert balance_of(bob) == Decimal("20.00")
        assert not IdempotencyKey.objects.exists()

    def test_key_row_stores_the_response(self, alice, bob, client_for):
        response = post(client_for(alice), TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, "k1")
        row = IdempotencyKey.objects.get(user=alice, key="k1")
        assert row.response_status == 201
        assert row.response_body == response.json()
        assert len(row.request_fingerprint) == 64


@pytest.mark.django_db
class TestRefusalsDoNotBurnTheKey:
    def test_business_refusal_then_corrected_retry_with_same_key(self, alice, bob, client_for):
        client = client_for(alice)
        refused = post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "500.00"}, "k")
        assert refused.status_code == 400
        assert refused.json()["code"] == "insufficient_funds"
        assert not IdempotencyKey.objects.exists()

        retry = post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "50.00"}, "k")
        assert retry.status_code == 201
        assert "Idempotent-Replayed" not in retry
        assert balance_of(bob) == Decimal("50.00")

    def test_same_body_retried_after_funds_arrive_succeeds(self, alice, bob, client_for):
        client = client_for(bob)
        body = {"receiver_id": alice.pk, "amount": "5.00"}
        assert post(client, TRANSFER, body, "k").json()["code"] == "insufficient_funds"
        post(client_for(alice), TRANSFER, {"receiver_id": bob.pk, "amount": "5.00"})
        assert post(client, TRANSFER, body, "k").status_code == 201
        assert balance_of(bob) == Decimal("0.00")

    def test_validation_error_stores_nothing(self, alice, bob, client_for):
        client = client_for(alice)
        bad = post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "-1"}, "k")
        assert bad.status_code == 400
        assert bad.json()["code"] == "invalid_amount"
        assert not IdempotencyKey.objects.exists()
        assert post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, "k").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "new\u00e9line", "caf\u00e9"])
def test_invalid_header_is_400_and_moves_nothing(alice, bob, client_for, key):
    response = post(client_for(alice), TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, key)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert balance_of(alice) == Decimal("100.00")
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["a", "x" * 255, "order 42/retry:#1", "~!@$%^&*()"])
def test_valid_header_shapes(alice, bob, client_for, key):
    response = post(client_for(alice), TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, key)
    assert response.status_code == 201
    assert IdempotencyKey.objects.filter(key=key).count() == 1


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_racing_requests_with_one_key_make_one_transfer(live_server, make_user, round_):
    sender = make_user(balance="100.00")
    receiver = make_user()
    token = access_token_for(sender)
    body = {"receiver_id": receiver.pk, "amount": "10.00"}
    threads = 8
    barrier = threading.Barrier(threads)

    def fire(_):
        barrier.wait(timeout=30)
        return post_json(live_server.url + TRANSFER, body, token,
                         extra_headers={"Idempotency-Key": f"race-{round_}"})

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(fire, range(threads)))

    assert [status for status, _ in results] == [201] * threads, results
    assert len({body["transaction"]["id"] for _, body in results}) == 1
    assert Transaction.objects.filter(kind="transfer").count() == 1
    assert balance_of(sender) == Decimal("90.00")
    assert balance_of(receiver) == Decimal("10.00")
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_racing_same_key_different_bodies_one_wins_others_422(live_server, make_user):
    sender = make_user(balance="100.00")
    receiver = make_user()
    token = access_token_for(sender)
    amounts = ["1.00", "2.00", "3.00", "4.00"]
    barrier = threading.Barrier(len(amounts))

    def fire(amount):
        barrier.wait(timeout=30)
        return post_json(live_server.url + TRANSFER, {"receiver_id": receiver.pk, "amount": amount},
                         token, extra_headers={"Idempotency-Key": "one"})

    with ThreadPoolExecutor(max_workers=len(amounts)) as pool:
        results = list(pool.map(fire, amounts))

    assert sorted(status for status, _ in results) == [201, 422, 422, 422], results
    moved = next(body for status, body in results if status == 201)["transaction"]["amount"]
    assert balance_of(receiver) == Decimal(moved)
    assert Transaction.objects.filter(kind="transfer").count() == 1


@pytest.mark.django_db
class TestCleanup:
    def _key(self, user, key, age):
        row = IdempotencyKey.objects.create(user=user, key=key, request_fingerprint="0" * 64,
                                            response_status=201, response_body={})
        IdempotencyKey.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)

    def test_purge_keeps_keys_younger_than_a_day(self, alice):
        self._key(alice, "old", timedelta(hours=25))
        self._key(alice, "fresh", timedelta(hours=23))
        assert idempotency_keys_purge() == 1
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]

    def test_command_and_task(self, alice, capsys):
        self._key(alice, "old", timedelta(days=2))
        self._key(alice, "older", timedelta(days=4))
        self._key(alice, "fresh", timedelta(hours=1))
        call_command("purge_idempotency_keys", "--hours", "72")
        assert "Deleted 1 idempotency key" in capsys.readouterr().out
        assert purge_idempotency_keys() == 1  # the periodic task, called directly
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]

    def test_purged_key_can_be_used_again(self, alice, bob, client_for):
        client = client_for(alice)
        post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, "k")
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=2))
        idempotency_keys_purge()
        assert post(client, TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, "k").status_code == 201
        assert balance_of(bob) == Decimal("2.00")
