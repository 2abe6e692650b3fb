"""Webhooks: endpoints, events written with the movement, signed deliveries to a real local receiver.

The relay runs in this process (the task function, called directly); the
receiver is a real HTTP server on loopback (tests/support/webhook_receiver.py),
which checks each delivery with the recipe of docs/webhooks.md.
"""
import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.transactions.models import Transaction
from apps.wallets import services as wallet_services
from apps.wallets.services import deposit_create, transfer_create
from apps.webhooks.models import Delivery, Event, WebhookEndpoint
from apps.webhooks.tasks import webhooks_relay
from tests.support.metrics import METRICS_TOKEN, scrape, value
from tests.support.webhook_receiver import Receiver, documented_recipe

pytestmark = pytest.mark.django_db
verify = documented_recipe()


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.6


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def _register(client, url, events=("transfer.received", "transfer.sent", "deposit.received")):
    response = client.post("/api/webhooks/", {"url": url, "events": list(events)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _relay_until(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the relay did not get there in time"
        webhooks_relay()
        time.sleep(0.05)


def test_register_list_update_delete_and_others_see_nothing(make_user, client_for):
    alice, bob = make_user(), make_user()
    as_alice, as_bob = client_for(alice), client_for(bob)
    created = _register(as_alice, "https://93.184.215.14/hooks")  # a public address: no DNS needed
    assert created["secret"].startswith("whsec_") and created["enabled"] is True
    assert created["events"] == ["deposit.received", "transfer.received", "transfer.sent"]
    endpoint = f"/api/webhooks/{created['id']}/"
    listed = as_alice.get("/api/webhooks/").json()
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]
    assert as_bob.get("/api/webhooks/").json() == []
    for call in (as_bob.get, as_bob.delete):
        assert call(endpoint).status_code == 404
    assert as_bob.patch(endpoint, {"enabled": False}, format="json").status_code == 404
    assert as_bob.post(f"{endpoint}rotate-secret/").status_code == 404

    changed = as_alice.patch(endpoint, {"enabled": False, "events": ["deposit.received"]}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["enabled"], changed.json()["events"]) == (False, ["deposit.received"])
    assert as_alice.delete(endpoint).status_code == 204
    assert as_alice.get(endpoint).status_code == 404


def test_at_most_ten_endpoints_per_user(make_user, client_for):
    client = client_for(make_user())
    for _ in range(10):
        _register(client, "https://93.184.215.14/hooks")
    refused = client.post("/api/webhooks/", {"url": "https://93.184.215.14/x", "events": ["transfer.sent"]},
                          format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "webhook_limit_reached"


@pytest.mark.parametrize("url", ["http://127.0.0.1/hooks", "https://10.0.0.1/hooks", "https://localhost/hooks",
                                 "https://169.254.169.254/latest", "https://[::1]/hooks",
                                 "https://224.0.0.1/hooks", "ftp://93.184.215.14/hooks"])
def test_registration_refuses_local_private_and_non_https_urls(url, make_user, client_for, settings):
    settings.WEBHOOK_ALLOW_HTTP = settings.WEBHOOK_ALLOW_PRIVATE = False
    response = client_for(make_user()).post("/api/webhooks/", {"url": url, "events": ["transfer.sent"]},
                                            format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"webhook_url_refused", "invalid_input"}
    assert response.json()["details"]["url"]
    assert not WebhookEndpoint.objects.exists()


def test_a_transfer_is_delivered_signed_and_retried_until_2xx(make_user, client_for, receiver):
    alice, bob = make_user(balance="50.00"), make_user()
    secret = _register(client_for(bob), receiver.url)["secret"]
    receiver.answers = [500, 500, 200]
    txn = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("7.25")).transaction

    _relay_until(lambda: Delivery.objects.filter(status="succeeded").exists())
    webhooks_relay()
    time.sleep(1.5)
    webhooks_relay()  # nothing more is due: a delivered event is not sent again
    assert len(receiver.requests) == 3
    ids = {r.headers["Wallet-Event-Id"] for r in receiver.requests}
    types = {r.headers["Wallet-Event-Type"] for r in receiver.requests}
    assert len(ids) == 1 and types == {"transfer.received"}
    assert len({r.body for r in receiver.requests}) == 1  # the same bytes every time
    for request in receiver.requests:
        assert verify(request.body, request.headers["Wallet-Signature"], secret)
        assert not verify(request.body, request.headers["Wallet-Signature"], "whsec_wrong")
        assert not verify(request.body + b" ", request.headers["Wallet-Signature"], secret)
    stamps = [int(r.headers["Wallet-Signature"].split(",")[0][2:]) for r in receiver.requests]
    assert stamps[-1] > stamps[0]  # each attempt signed afresh
    body = receiver.requests[0].body.decode()
    event = Event.objects.get()
    assert f'"id":"evt_{event.pk}"' in body and '"type":"transfer.received"' in body
    history = client_for(bob).get(f"/api/transactions/{txn.pk}/").json()
    assert json.loads(body)["data"] == history  # the transaction exactly as the API shows it to bob
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    log = client_for(bob).get(f"/api/webhooks/{delivery.endpoint_id}/deliveries/").json()["results"]
    assert log[0]["status"] == "succeeded" and log[0]["attempts"] == 3 and log[0]["next_attempt_at"] is None
    assert log[0]["event_id"] == f"evt_{event.pk}" and log[0]["last_response_body"] == '{"ok": true}'
    assert not verify(receiver.requests[0].body, receiver.requests[0].headers["Wallet-Signature"], secret,
                      tolerance=-1)  # the recipe refuses a timestamp outside its window


def test_events_only_for_parties_with_an_enabled_endpoint_wanting_the_type(make_user, client_for, receiver):
    alice, bob, carol = make_user(balance="50.00"), make_user(), make_user()
    _register(client_for(alice), receiver.url, events=["transfer.sent"])
    _register(client_for(bob), receiver.url, events=["deposit.received"])  # not transfer.received
    paused = _register(client_for(carol), receiver.url, events=["transfer.received"])
    client_for(carol).patch(f"/api/webhooks/{paused['id']}/", {"enabled": False}, format="json")
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    transfer_create(sender_id=alice.pk, receiver_id=carol.pk, amount=Decimal("1.00"))
    deposit_create(user_id=bob.pk, amount=Decimal("2.00"))
    assert sorted(Event.objects.values_list("user_id", "type")) == sorted(
        [(alice.pk, "transfer.sent"), (alice.pk, "transfer.sent"), (bob.pk, "deposit.received")])
    assert Delivery.objects.count() == 3
    events = client_for(alice).get("/api/events/", {"type": "transfer.sent"}).json()["results"]
    assert len(events) == 2 and events[0]["data"]["direction"] == "sent"
    assert client_for(bob).get("/api/events/", {"type": "transfer.sent"}).json()["results"] == []


def test_a_rolled_back_transfer_emits_nothing(make_user, client_for, receiver, monkeypatch):
    alice, bob = make_user(balance="50.00"), make_user()
    _register(client_for(bob), receiver.url)

    def fail(**kwargs):
        raise RuntimeError("the movement fails after its rows are written")

    monkeypatch.setattr(wallet_services, "MovementResult", fail)
    with pytest.raises(RuntimeError):
        transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("3.00"))
    assert not Transaction.objects.filter(kind="transfer").exists()
    assert not Event.objects.exists() and not Delivery.objects.exists()
    webhooks_relay()
    assert receiver.requests == []
    monkeypatch.undo()
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("3.00"))
    assert Event.objects.count() == 1  # the same transfer, committed, does emit


def test_a_receiver_down_for_a_while_gets_every_event_when_it_returns(make_user, client_for, receiver):
    alice, bob = make_user(balance="50.00"), make_user()
    _register(client_for(bob), receiver.url)
    port = receiver.port
    receiver.stop()  # connections are refused
    for _ in range(5):
        transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    webhooks_relay()
    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 1)}
    errors = Delivery.objects.values_list("last_error", flat=True)
    assert all("refused" in error for error in errors), list(errors)
    receiver.port = port
    receiver.start()
    _relay_until(lambda: Delivery.objects.filter(status="succeeded").count() == 5)
    assert sorted({r.headers["Wallet-Event-Id"] for r in receiver.requests}) == sorted(
        f"evt_{pk}" for pk in Event.objects.values_list("pk", flat=True))


def test_rotation_signs_with_both_secrets_during_the_overlap(make_user, client_for, receiver, settings):
    alice, bob = make_user(balance="50.00"), make_user()
    old = _register(client_for(bob), receiver.url)
    rotated = client_for(bob).post(f"/api/webhooks/{old['id']}/rotate-secret/", {}, format="json")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != old["secret"] and rotated.json()["previous_secret_expires_at"]
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    _relay_until(lambda: len(receiver.requests) == 1)
    request = receiver.requests[0]
    assert request.headers["Wallet-Signature"].count("v1=") == 2
    assert verify(request.body, request.headers["Wallet-Signature"], new)
    assert verify(request.body, request.headers["Wallet-Signature"], old["secret"])

    WebhookEndpoint.objects.update(previous_expires_at=timezone.now())  # the overlap is over
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    _relay_until(lambda: len(receiver.requests) == 2)
    request = receiver.requests[1]
    assert verify(request.body, request.headers["Wallet-Signature"], new)
    assert not verify(request.body, request.headers["Wallet-Signature"], old["secret"])


def test_an_address_turned_private_after_registration_is_refused_at_connect(make_user, client_for, receiver,
                                                                             settings):
    alice, bob = make_user(balance="50.00"), make_user()
    _register(client_for(bob), receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE = False  # as if the name now resolved to loopback (DNS rebinding)
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    webhooks_relay()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and "loopback" in delivery.last_error
    assert receiver.requests == []


def test_deliveries_end_failed_after_the_retry_window_and_can_be_redelivered(make_user, client_for,
                                                                             receiver, settings):
    alice, bob = make_user(balance="50.00"), make_user()
    endpoint = _register(client_for(bob), receiver.url)
    settings.WEBHOOK_RETRY_HOURS = 1 / 3600  # one second
    receiver.answers = [503] * 10
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    _relay_until(lambda: Delivery.objects.filter(status="failed").exists())
    delivery = Delivery.objects.get()
    assert delivery.last_status_code == 503 and delivery.last_response_body == "upstream unavailable"
    assert WebhookEndpoint.objects.get().enabled  # failing, but not for a whole window yet
    # Every attempt of the endpoint has failed for longer than the window: disabled, saying why.
    WebhookEndpoint.objects.update(failing_since=timezone.now() - timedelta(seconds=2))
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    _relay_until(lambda: Delivery.objects.filter(status="failed").count() == 2)
    listed = client_for(bob).get(f"/api/webhooks/{endpoint['id']}/").json()
    assert listed["enabled"] is False and "failed" in listed["disabled_reason"]
    url = f"/api/webhooks/{endpoint['id']}/deliveries/{delivery.pk}/redeliver/"
    assert client_for(bob).post(url, {}, format="json").json()["code"] == "webhook_disabled"

    settings.WEBHOOK_RETRY_HOURS = 72
    client_for(bob).patch(f"/api/webhooks/{endpoint['id']}/", {"enabled": True}, format="json")
    receiver.answers, before = [], len(receiver.requests)
    again = client_for(bob).post(url, {}, format="json")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    _relay_until(lambda: Delivery.objects.filter(status="succeeded").exists())
    assert [r.headers["Wallet-Event-Id"] for r in receiver.requests[before:]] == [f"evt_{delivery.event_id}"]
    assert client_for(alice).post(url, {}, format="json").status_code == 404


def test_each_delivery_attempt_logs_the_request_id_of_its_movement(make_user, client_for, receiver):
    from tests.support.log_capture import captured_logs

    alice, bob = make_user(balance="50.00"), make_user()
    _register(client_for(bob), receiver.url)
    sent = client_for(alice).post("/api/wallet/transfer/", {"receiver_id": bob.pk, "amount": "2.00"},
                                  format="json", HTTP_X_REQUEST_ID="req-deliveries-42")
    assert sent.status_code == 201
    with captured_logs() as logs:
        _relay_until(lambda: Delivery.objects.filter(status="succeeded").exists())
    [line] = [line for line in logs.lines() if line.get("delivery_id")]
    assert (line["request_id"], line["transaction_id"], line["status"], line["type"]) == (
        "req-deliveries-42", sent.json()["transaction"]["id"], 200, "transfer.received")


def test_a_movement_without_an_enabled_endpoint_among_its_parties_writes_no_events_at_all(
        make_user, client_for, receiver):
    """The lock query tells whether a party has an enabled endpoint: without one, the movement's
    statement carries no events at all; once one is registered, the very next movement does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alice, bob = make_user(balance="50.00"), make_user()
    endpoint = _register(client_for(bob), receiver.url)
    client_for(bob).patch(f"/api/webhooks/{endpoint['id']}/", {"enabled": False}, format="json")
    with CaptureQueriesContext(connection) as ctx:
        transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    assert not any("webhooks_event" in q["sql"] for q in ctx.captured_queries)
    assert not Event.objects.exists()

    client_for(bob).patch(f"/api/webhooks/{endpoint['id']}/", {"enabled": True}, format="json")
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("2.00"))
    deposit_create(user_id=bob.pk, amount=Decimal("3.00"))
    assert sorted(Event.objects.values_list("user_id", "type")) == [
        (bob.pk, "deposit.received"), (bob.pk, "transfer.received")]


def test_refunds_and_reversals_tell_the_parties_that_want_them(make_user, client_for, receiver):
    from apps.wallets.services import refund_create, reversal_create

    alice, bob = make_user(balance="50.00"), make_user()
    _register(client_for(alice), receiver.url, events=["refund.received", "reversal.sent"])
    _register(client_for(bob), receiver.url, events=["refund.sent", "reversal.received"])
    paid = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("10.00")).transaction
    refund = refund_create(transaction_id=paid.pk, user_id=bob.pk, amount=Decimal("4.00")).transaction
    back = transfer_create(sender_id=bob.pk, receiver_id=alice.pk, amount=Decimal("1.00")).transaction
    reversal = reversal_create(transaction_id=back.pk, reason="sent in error").transaction
    assert sorted(Event.objects.values_list("user_id", "type", "transaction_id")) == sorted([
        (alice.pk, "refund.received", refund.pk), (bob.pk, "refund.sent", refund.pk),
        (alice.pk, "reversal.sent", reversal.pk), (bob.pk, "reversal.received", reversal.pk)])


def test_metrics_show_the_delivery_backlog_and_count_every_attempt(make_user, client_for, receiver, api,
                                                                   settings):
    """Owed, the oldest owed age and failed from the database; claims and attempts by outcome."""
    settings.METRICS_TOKEN = METRICS_TOKEN
    alice, bob = make_user(balance="50.00"), make_user()
    _register(client_for(bob), receiver.url)
    before = scrape(api)
    receiver.answers = [503]
    for _ in range(2):
        transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    owed = scrape(api)
    assert value(owed, "wallet_webhook_deliveries_owed") == 2
    assert value(owed, "wallet_webhook_backlog_up") == 1
    oldest = Event.objects.order_by("created_at").first().created_at
    assert 0 < value(owed, "wallet_webhook_deliveries_oldest_owed_age_seconds") <= (
        timezone.now() - oldest).total_seconds()

    webhooks_relay()  # one 503 (retried later), one 2xx
    Delivery.objects.filter(status="pending").update(status="failed")  # as when its window is spent
    after = scrape(api)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("wallet_webhook_relay_claims_total") == 2
    assert moved("wallet_webhook_delivery_attempts_total", outcome="delivered") == 1
    assert moved("wallet_webhook_delivery_attempts_total", outcome="retry") == 1
    assert (value(after, "wallet_webhook_deliveries_owed"), value(after, "wallet_webhook_deliveries_failed"),
            value(after, "wallet_webhook_deliveries_oldest_owed_age_seconds")) == (0, 1, 0)
