"""The event types: what a user's wallet tells the systems that registered an endpoint.

A movement writes one event per party that has an enabled endpoint wanting
its type (``services.movement_events_part``). Types of corrections and
holds are listed already, so endpoints can subscribe to them; they are written
once those movements exist.
"""
from django.db import models


class EventType(models.TextChoices):
    TRANSFER_SENT = "transfer.sent", "A transfer left the wallet"
    TRANSFER_RECEIVED = "transfer.received", "A transfer arrived in the wallet"
    DEPOSIT_RECEIVED = "deposit.received", "A deposit arrived in the wallet"
    REFUND_SENT = "refund.sent", "A refund left the wallet"
    REFUND_RECEIVED = "refund.received", "A refund arrived in the wallet"
    REVERSAL_SENT = "reversal.sent", "A reversal took money back from the wallet"
    REVERSAL_RECEIVED = "reversal.received", "A reversal gave money back to the wallet"
    HOLD_CREATED = "hold.created", "Money was held"
    HOLD_CAPTURED = "hold.captured", "A hold was captured"
    HOLD_VOIDED = "hold.voided", "A hold was voided"
    HOLD_EXPIRED = "hold.expired", "A hold expired"


# Which event each party of a movement gets, by the transaction's kind: (sender's, receiver's).
MOVEMENT_EVENTS = {
    "transfer": (EventType.TRANSFER_SENT, EventType.TRANSFER_RECEIVED),
    "deposit": (None, EventType.DEPOSIT_RECEIVED),
    "refund": (EventType.REFUND_SENT, EventType.REFUND_RECEIVED),
    "reversal": (EventType.REVERSAL_SENT, EventType.REVERSAL_RECEIVED),
}

EVENT_ID_PREFIX = "evt_"


def event_public_id(pk: int) -> str:
    """The event's stable id, as receivers see it and deduplicate on."""
    return f"{EVENT_ID_PREFIX}{pk}"
