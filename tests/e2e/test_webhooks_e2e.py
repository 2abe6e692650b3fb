"""End to end: real Celery worker and beat processes deliver webhooks to a real local receiver.

The processes come from ``tests/support/background.py``; the receiver
(``tests/support/webhook_receiver.py``) listens on loopback, which the workers
are allowed to reach (``WEBHOOK_ALLOW_PRIVATE``, ``WEBHOOK_ALLOW_HTTP``), and
checks each delivery with the recipe of docs/webhooks.md.
"""
import time
from collections import Counter
from decimal import Decimal

import pytest

from apps.wallets.services import transfer_create
from apps.webhooks.models import Delivery, Event
from apps.webhooks.services import endpoint_create
from tests.support.background import REDIS_URL, Background
from tests.support.webhook_receiver import Receiver, documented_recipe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEADLINE = 60
WORKER_ENV = {"WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_ALLOW_HTTP": "true", "WEBHOOK_RELAY_INTERVAL": "0.5",
              "WEBHOOK_RETRY_BASE_SECONDS": "0.6"}
verify = documented_recipe()


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = settings.WEBHOOK_ALLOW_HTTP = True


def _wait(condition, background: Background, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {DEADLINE}s:\n{background.log_tail()}")
        time.sleep(0.1)


def test_a_failing_receiver_gets_three_freshly_signed_attempts_then_none(make_user, background, receiver):
    alice, bob = make_user(balance="10.00"), make_user()
    secret = endpoint_create(user_id=bob.pk, url=receiver.url, events=["transfer.received"]).secret
    receiver.answers = [500, 500, 200]
    background.start("worker", REDIS_URL, **WORKER_ENV)
    background.start("beat", REDIS_URL, **WORKER_ENV)
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("2.50"))
    _wait(lambda: Delivery.objects.filter(status="succeeded").exists(), background, "the delivery")
    time.sleep(3)  # several more relay ticks: nothing is sent again
    assert len(receiver.requests) == 3
    assert len({r.headers["Wallet-Event-Id"] for r in receiver.requests}) == 1
    assert all(verify(r.body, r.headers["Wallet-Signature"], secret) for r in receiver.requests)
    signatures = [r.headers["Wallet-Signature"] for r in receiver.requests]
    assert signatures[0] != signatures[-1]  # signed afresh: a later timestamp
    assert Delivery.objects.get().attempts == 3


def test_a_worker_killed_mid_batch_leaves_every_event_delivered(make_user, background, receiver):
    sender = make_user(balance="1000.00")
    receivers = [make_user() for _ in range(4)]
    secrets = {user.pk: endpoint_create(user_id=user.pk, url=receiver.url,
                                        events=["transfer.received"]).secret for user in receivers}
    for i in range(160):
        transfer_create(sender_id=sender.pk, receiver_id=receivers[i % 4].pk, amount=Decimal("1.00"))
    receiver.delay = 0.02  # a batch of 100, 2 at a time, takes the worker about a second
    env = {**WORKER_ENV, "WEBHOOK_LEASE_SECONDS": "3", "WEBHOOK_BATCH_SIZE": "100",
           "WEBHOOK_CONCURRENCY": "2"}
    victim = background.start("worker", REDIS_URL, **env)
    background.start("beat", REDIS_URL, **env)
    _wait(lambda: len(receiver.requests) >= 20, background, "the first deliveries")
    background.kill(victim)
    claimed = Delivery.objects.filter(status="pending", attempts=1).count()
    assert claimed, "the killed worker held a claimed batch"

    background.start("worker", REDIS_URL, **env)
    _wait(lambda: Delivery.objects.filter(status="succeeded").count() == 160, background, "every delivery")
    events = {f"evt_{pk}": user for pk, user in Event.objects.values_list("pk", "user_id")}
    seen = Counter(r.headers["Wallet-Event-Id"] for r in receiver.requests)
    assert set(seen) == set(events)  # every event delivered, none lost; repeats carry the same id
    for request in receiver.requests:
        owner = events[request.headers["Wallet-Event-Id"]]
        assert verify(request.body, request.headers["Wallet-Signature"], secrets[owner])
