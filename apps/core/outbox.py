"""The outbox relay's machinery, one design for every outbox table: claim, lease, backoff, failed.

An outbox row is written in the business change's own database transaction
(a receipt owed by a movement, a webhook delivery owed by an event). A relay
task then claims due rows here, does the work, and reports what failed. The
rules are the same for every table:

- ``claim`` locks due ``pending`` rows with ``SELECT … FOR UPDATE SKIP LOCKED
  LIMIT n`` (workers claiming at once take disjoint batches without waiting
  for each other), counts an attempt and pushes ``due_at`` one lease ahead:
  until then no other worker takes the row; if this worker dies, the row is
  due again when the lease ends. A row the outbox says is spent (its worker
  kept dying, or its time ran out) is marked ``failed`` instead.
- ``attempts_failed`` makes each failed row due again after the outbox's
  backoff, or ``failed`` once the outbox gives up on it.

A table takes part by subclassing ``Outbox``: its model (with ``status``,
``attempts``, ``due_at``, ``last_error`` and ``updated_at`` fields), its
lease, when a row is spent and when it is retried. Nothing here enqueues a
task or knows what the work is.
"""
import datetime as dt
import logging
from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 2000


class Outbox:
    """One outbox table's relay rules; subclasses fill in the blanks."""

    model: type[models.Model]
    pending = "pending"
    failed = "failed"
    label = "outbox row"  # for the logs: "receipt", "webhook delivery"
    retry_fields: tuple[str, ...] = ()  # read for ``retry_at`` besides ``attempts``

    def lease(self) -> dt.timedelta:
        raise NotImplementedError

    def spent(self, now: dt.datetime) -> Q:
        """Due rows that must not be claimed again; they are marked failed with ``spent_error``."""
        raise NotImplementedError

    def spent_error(self) -> str:
        raise NotImplementedError

    def retry_at(self, row: models.Model, now: dt.datetime) -> dt.datetime | None:
        """When a row whose attempt failed is due again; None: give up, the row is failed."""
        raise NotImplementedError

    # --- The relay's steps ---------------------------------------------------------

    def due(self, now: dt.datetime) -> models.QuerySet:
        return self.model.objects.filter(status=self.pending, due_at__lte=now)

    def claim(self, *, limit: int) -> list:
        """Claim up to ``limit`` due rows for one batch; their primary keys, oldest due first."""
        now = timezone.now()
        pk = self.model._meta.pk.attname
        with transaction.atomic():
            rows = list(self.due(now).order_by("due_at").select_for_update(skip_locked=True)
                        .annotate(is_spent=models.ExpressionWrapper(self.spent(now),
                                                                    output_field=models.BooleanField()))
                        .values_list(pk, "is_spent", "attempts", "due_at", "updated_at")[:limit])
            spent = [key for key, is_spent, *_ in rows if is_spent]
            claimed = [key for key, is_spent, *_ in rows if not is_spent]
            if spent:
                self.model.objects.filter(pk__in=spent).update(
                    status=self.failed, updated_at=now, last_error=self.spent_error())
                logger.error("%s %s failed for good: %s", self.label.capitalize(), spent, self.spent_error())
            if claimed:
                self.model.objects.filter(pk__in=claimed).update(
                    due_at=now + self.lease(), attempts=F("attempts") + 1, updated_at=now)
        # A row claimed before whose due time is exactly one lease after its last change: its
        # worker's lease ran out (a retry after a failure is due a backoff after it instead).
        expired = sum(1 for _, is_spent, attempts, due_at, updated_at in rows
                      if not is_spent and attempts > 0 and due_at - updated_at == self.lease())
        self.observe_claim(claimed=len(claimed), spent=len(spent), lease_expiries=expired)
        return claimed

    def observe_claim(self, *, claimed: int, spent: int, lease_expiries: int) -> None:
        """Called after each claim (metrics); nothing by default."""

    def observe_failures(self, *, retried: int, gave_up: int) -> None:
        """Called after failed attempts are recorded (metrics); nothing by default."""

    def attempts_failed(self, *, errors: dict, extra: dict | None = None) -> list:
        """Record failed attempts: each row due again after a backoff, or failed; the failed keys.

        ``errors`` maps a claimed row's key to what went wrong; ``extra`` may
        map it to more fields to store with it (the last answer, say). Only
        rows still pending change: one put back in the meantime stays owed.
        """
        now = timezone.now()
        extra = extra or {}
        rows = list(self.model.objects.filter(pk__in=list(errors), status=self.pending)
                    .only("pk", "status", "due_at", "attempts", *self.retry_fields))
        changed, gave_up = set(), []
        for row in rows:
            error = str(errors[row.pk])[:ERROR_MAX_LENGTH]
            retry = self.retry_at(row, now)
            row.last_error, row.updated_at = error, now
            if retry is None:
                row.status = self.failed
                gave_up.append(row.pk)
                logger.error("%s %s failed for good: %s", self.label.capitalize(), row.pk, error)
            else:
                row.due_at = retry
                logger.warning("%s %s failed (attempt %s), retried later: %s", self.label.capitalize(),
                               row.pk, row.attempts, error)
            for name, value in extra.get(row.pk, {}).items():
                setattr(row, name, value)
                changed.add(name)
            changed.update(("last_error", "updated_at", "status" if retry is None else "due_at"))
        if rows:
            self.model.objects.filter(status=self.pending).bulk_update(rows, sorted(_fields(changed)))
        self.observe_failures(retried=len(rows) - len(gave_up), gave_up=len(gave_up))
        return gave_up


def _fields(names: Iterable[str]) -> set[str]:
    return {"status", "due_at", *names}
