"""The purge: what each permanence keeps, and removing the rest in small batches.

Each kind of data registers a `Purgeable`: which policy field gives its lifetime, and which
rows of a permanence are past a cutoff. The built-in ones (messages, outbox copies, history,
read traces, audit events) register in `register_builtin()`; another app adds its own table
from its AppConfig.ready(), e.g. the call journal:

    from relais.audit.retention import Purgeable, register

    register(Purgeable(
        name="calls", label="Appels", policy_field="calls_days",
        past=lambda permanence_id, cutoff: Call.objects.filter(
            permanence_id=permanence_id, started_at__lt=cutoff),
    ))

The engine takes up to BATCH primary keys of rows past their time, deletes them in their own
short transaction (Django's delete: related rows go with them), and goes on until none is left.
No long lock is held, a worker killed halfway loses at most the batch in flight (rolled back),
and running it again ends in the same state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from relais.audit.models import AuditEvent, MessageRead, PurgeRun
from relais.audit.policy import policy_for
from relais.audit.services import audit_record
from relais.delivery.models import OutboxCopy
from relais.messaging.models import HistoryEvent, Message
from relais.tenancy.models import Permanence

BATCH = 500
# A purge claimed this long ago and not finished belongs to a worker that died.
PURGE_LEASE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Purgeable:
    name: str
    label: str
    policy_field: str
    # The rows of a permanence that are past the cutoff.
    past: Callable[[Any, dt.datetime], QuerySet[Any]]
    batch: int = BATCH


REGISTRY: dict[str, Purgeable] = {}


def register(purgeable: Purgeable) -> None:
    REGISTRY[purgeable.name] = purgeable


def _messages(permanence_id: Any, cutoff: dt.datetime) -> QuerySet[Any]:
    return Message.objects.filter(permanence_id=permanence_id, last_activity_at__lt=cutoff)


def _outbox(permanence_id: Any, cutoff: dt.datetime) -> QuerySet[Any]:
    return OutboxCopy.objects.filter(permanence_id=permanence_id, created_at__lt=cutoff)


def _history(permanence_id: Any, cutoff: dt.datetime) -> QuerySet[Any]:
    return HistoryEvent.objects.filter(message__permanence_id=permanence_id, at__lt=cutoff)


def _reads(permanence_id: Any, cutoff: dt.datetime) -> QuerySet[Any]:
    return MessageRead.objects.filter(permanence_id=permanence_id, at__lt=cutoff)


def _audit(permanence_id: Any, cutoff: dt.datetime) -> QuerySet[Any]:
    return AuditEvent.objects.filter(permanence_id=permanence_id, at__lt=cutoff)


def register_builtin() -> None:
    # Messages first: their history, copies and recipients go with them.
    register(Purgeable("messages", "Messages", "messages_days", _messages, batch=200))
    register(Purgeable("outbox", "Copies de la boîte d'envoi", "outbox_days", _outbox, batch=200))
    register(Purgeable("history", "Lignes d'historique", "history_days", _history))
    register(Purgeable("reads", "Consultations", "traces_days", _reads))
    register(Purgeable("audit", "Journal de sécurité", "traces_days", _audit))


class Interrupted(BaseException):
    """Raised by a test's hook to stop a purge in the middle of a batch, as a kill would."""


def purge_permanence(
    *,
    permanence_id: Any,
    now: dt.datetime | None = None,
    on_batch: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Removes what is past its time for one permanence; {name: rows removed}. The purge's own
    trace line is written after, so it is never removed by the run that wrote it."""
    now = now or timezone.now()
    policy = policy_for(permanence_id)
    removed: dict[str, int] = {}
    for purgeable in list(REGISTRY.values()):
        days = getattr(policy, purgeable.policy_field, None)
        if not days:
            continue
        cutoff = now - dt.timedelta(days=int(days))
        size = min(purgeable.batch, int(getattr(settings, "RELAIS_PURGE_BATCH", BATCH)))
        total = 0
        while True:
            pks = list(
                purgeable.past(permanence_id, cutoff).order_by().values_list("pk", flat=True)[:size]
            )
            if not pks:
                break
            model = purgeable.past(permanence_id, cutoff).model
            with transaction.atomic():
                # The rows are read again under the condition: one another worker already
                # removed are simply not counted.
                deleted = purgeable.past(permanence_id, cutoff).filter(pk__in=pks).delete()
                total += deleted[1].get(model._meta.label, 0)
                if on_batch is not None:
                    on_batch(purgeable.name, total)
            if len(pks) < size:
                break
        if total:
            removed[purgeable.name] = total
    if removed:
        audit_record(
            permanence_id=permanence_id,
            kind=AuditEvent.PURGED,
            target="permanence:purge",
            detail={"removed": removed, "at": now.isoformat()},
        )
    return removed


def purge_all(*, now: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    now = now or timezone.now()
    results: dict[str, dict[str, int]] = {}
    for permanence_id in Permanence.objects.order_by("pk").values_list("pk", flat=True):
        removed = purge_permanence(permanence_id=permanence_id, now=now)
        if removed:
            results[str(permanence_id)] = removed
    return results


def purge_if_due(*, now: dt.datetime | None = None) -> bool:
    """Once a day, from the delivery worker's loop: claims today's run (one conditional write;
    a second worker, or the same one a minute later, finds it claimed and does nothing), purges,
    marks it done. A run left unfinished by a dead worker is claimed again after PURGE_LEASE."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    if PurgeRun.objects.filter(day=day, finished_at__isnull=False).exists():
        return False
    with transaction.atomic():
        run, created = PurgeRun.objects.select_for_update().get_or_create(
            day=day, defaults={"started_at": now}
        )
        if not created:
            if run.finished_at is not None or run.started_at > now - PURGE_LEASE:
                return False
            run.started_at = now
            run.save(update_fields=["started_at"])
    results = purge_all(now=now)
    PurgeRun.objects.filter(day=day).update(finished_at=timezone.now(), removed=results)
    return True
