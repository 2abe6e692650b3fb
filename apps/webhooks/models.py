"""Webhook endpoints, the events of a user's wallet, and their deliveries (an outbox).

An ``Event`` and its ``Delivery`` rows are inserted in the movement's own
statement (``services.movement_events_part``): a committed
movement always owes its deliveries and a rolled-back one owes nothing. The
webhook relay (``services.deliveries_claim``, the shared ``apps.core.outbox``
machinery) sends them after the commit, at least once.
"""
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.webhooks.events import EventType

URL_MAX_LENGTH = 2048
DESCRIPTION_MAX_LENGTH = 200
RESPONSE_EXCERPT_BYTES = 1024


class WebhookEndpoint(models.Model):
    """A URL a user registered to be told of their wallet's events.

    The signing secret is never stored: it is derived from ``secret_salt``
    with ``WEBHOOK_SECRET_KEY`` (``signing.secret_derive``), so a database dump
    alone does not reveal it. During a rotation the previous salt stays valid
    until ``previous_expires_at``.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=URL_MAX_LENGTH)
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    events = ArrayField(models.CharField(max_length=32, choices=EventType.choices))
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=255, blank=True, default="")
    secret_salt = models.CharField(max_length=64)
    previous_secret_salt = models.CharField(max_length=64, blank=True, default="")
    previous_expires_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="The first failed attempt since the last success.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "enabled"], name="webhook_user_enabled_idx")]

    def __str__(self) -> str:
        return f"Webhook #{self.pk} of user {self.user_id}"


class Event(models.Model):
    """Something that happened to one user's wallet; its ``payload`` is rendered once, on first delivery.

    The subject is a transaction (``transaction``, shown as the user's history shows it) or a
    hold (``hold``, with ``subject`` holding it as the API showed it at the event).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             db_index=False)
    type = models.CharField(max_length=32, choices=EventType.choices)
    transaction = models.ForeignKey("transactions.Transaction", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+", db_index=False)
    hold = models.ForeignKey("wallets.Hold", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", db_index=False)
    subject = models.TextField(
        blank=True, default="",
        help_text="The subject as the API showed it when the event happened (a hold's JSON), for "
                  "events whose subject is not a transaction.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    payload = models.TextField(
        blank=True, default="",
        help_text="The event's JSON body exactly as delivered ({id, type, created, data}); written "
                  "once, when its first delivery is attempted, so every attempt sends the same bytes.")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"], name="event_user_id_idx"),
            models.Index(fields=["user", "type", "-id"], name="event_user_type_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["transaction", "user", "type"], name="event_txn_user_type_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk} for user {self.user_id}"


class Delivery(models.Model):
    """One event owed to one endpoint: an outbox row, then the record of its attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    # Found by event through ``delivery_event_endpoint_uniq`` (its leading column): no index of its own,
    # one index entry fewer for every delivery a movement writes.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 db_index=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(default=timezone.now)
    retry_until = models.DateTimeField(help_text="No attempt starts after this; then the delivery fails.")
    last_error = models.TextField(blank=True, default="")
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_response_body = models.TextField(blank=True, default="")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="delivery_pending_due_idx"),
            # The failed ones are few and counted at every scrape (``selectors.delivery_backlog``).
            models.Index(fields=["id"], condition=Q(status="failed"), name="delivery_failed_idx"),
            models.Index(fields=["endpoint", "-id"], name="delivery_endpoint_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_event_endpoint_uniq"),
        ]

    def __str__(self) -> str:
        return f"Delivery #{self.pk}: {self.status}"
