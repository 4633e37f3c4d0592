"""Reads of the trace, for the gérant (right « SÉCURITÉ / Traces et consultations »)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from relais.audit.models import AuditEvent, MessageRead
from relais.core.errors import ValidationFailed
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right, require_staff
from relais.tenancy.models import User

MAX_ROWS = 200
CSV_MAX_ROWS = 100_000


def require_audit_reader(user: User) -> None:
    require_staff(user)
    require_right(user, perms.AUDIT_READ)


def reads_for_message(*, user: User, message_id: Any, limit: int = MAX_ROWS) -> list[MessageRead]:
    """« Consultations » of one message (already fetched through its access helper), newest
    first, with the reader's name."""
    require_audit_reader(user)
    return list(
        MessageRead.objects.filter(message_id=message_id, permanence_id=user.permanence_id)
        .select_related("user")
        .order_by("-at", "-id")[:limit]
    )


def period_bounds(
    start: dt.date | None, end: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    if start and end and end < start:
        raise ValidationFailed.on("to", "La période se termine avant de commencer.")
    tz = timezone.get_current_timezone()
    low = dt.datetime.combine(start, dt.time.min, tzinfo=tz) if start else None
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz) if end else None
    return low, high


def reads_for_permanence(
    *,
    user: User,
    reader: User | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[MessageRead]:
    """Every read of the permanence (or of one user), newest first."""
    require_audit_reader(user)
    qs = MessageRead.objects.filter(permanence_id=user.permanence_id)
    if reader is not None:
        qs = qs.filter(user_id=reader.pk)
    low, high = period_bounds(start, end)
    if low:
        qs = qs.filter(at__gte=low)
    if high:
        qs = qs.filter(at__lt=high)
    return qs.select_related("user").order_by("-at", "-id")


def audit_events(
    *,
    user: User,
    actor: User | None = None,
    kind: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    require_audit_reader(user)
    if kind and kind not in AuditEvent.KIND_LABELS:
        raise ValidationFailed.on("kind", "Type de trace inconnu.")
    qs = AuditEvent.objects.filter(permanence_id=user.permanence_id)
    if actor is not None:
        qs = qs.filter(actor_id=actor.pk)
    if kind:
        qs = qs.filter(kind=kind)
    low, high = period_bounds(start, end)
    if low:
        qs = qs.filter(at__gte=low)
    if high:
        qs = qs.filter(at__lt=high)
    return qs.select_related("actor").order_by("-at", "-id")


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet would run as a formula starts with a quote instead."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def reads_csv(reads: Iterable[MessageRead]) -> Iterator[str]:
    """The rows as CSV lines (semicolons, as French spreadsheets expect), header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(["date", "utilisateur", "e-mail", "message", "via", "adresse"])
    yield "\ufeff" + flush()
    for n, read in enumerate(reads):
        if n >= CSV_MAX_ROWS:
            break
        writer.writerow(
            [
                timezone.localtime(read.at).isoformat(timespec="seconds"),
                _csv_safe(read.user.name),
                _csv_safe(read.user.email),
                str(read.message_id),
                read.via,
                read.ip or "",
            ]
        )
        yield flush()
