"""Reads on calls: the journal (« Journal des appels »), one call, the ringing calls and the
missed calls of the day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from relais.calls.models import Call
from relais.clients.models import Client
from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.core.queries import first_or_none
from relais.messaging.selectors import visible_messages
from relais.tenancy import permissions as perms
from relais.tenancy.access import parse_id
from relais.tenancy.models import User

# A call nobody ended is no longer shown ringing after this long (a lost hangup).
RINGING_FOR = dt.timedelta(minutes=10)


def _require_reader(user: User, *, client: Client | None) -> None:
    """Calls are staff matters: a client's calls for staff who read its messages, the whole
    journal with the right « APPELS / Journal »."""
    if not user.is_staff_user:
        raise PermissionDenied()
    if client is None and not user.has_right(perms.CALLS_JOURNAL):
        raise PermissionDenied()
    if client is not None and not (
        user.has_right(perms.MESSAGES_READ) or user.has_right(perms.CALLS_JOURNAL)
    ):
        raise PermissionDenied()


def _with_related(qs: QuerySet[Call], user: User) -> QuerySet[Call]:
    """With client, contact, who answered, and the messages written during each call that
    the reader may see (`messages_seen`)."""

    visible = visible_messages(user).only("id", "call_id", "subject", "created_at")
    return qs.select_related("client", "contact", "answered_by").prefetch_related(
        Prefetch("messages", queryset=visible.order_by("created_at"), to_attr="messages_seen")
    )


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def call_list(
    *,
    user: User,
    client: Client | None = None,
    day: dt.date | None = None,
    missed: bool | None = None,
    operator: User | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Call]:
    """The journal, newest first: the permanence's calls, or one client's."""
    _require_reader(user, client=client)
    qs = Call.objects.filter(permanence_id=user.permanence_id)
    if client is not None:
        qs = qs.filter(client=client)
    if day is not None:
        start, end = day_bounds(day)
        qs = qs.filter(started_at__gte=start, started_at__lt=end)
    if missed is True:
        qs = qs.filter(ended_at__isnull=False, answered_at__isnull=True)
    elif missed is False:
        qs = qs.exclude(ended_at__isnull=False, answered_at__isnull=True)
    if operator is not None:
        qs = qs.filter(answered_by=operator)
    rows = _with_related(qs.order_by("-started_at", "-id"), user)
    return list(rows[offset : offset + limit])


def access_call_by_id(user: User, call_id: Any) -> Call:
    """One call of the reader's permanence (staff); another permanence's id is not found."""
    if not user.is_staff_user:
        raise NotFound("Appel introuvable.")
    call = first_or_none(
        _with_related(Call.objects.filter(permanence_id=user.permanence_id), user).filter(
            id=parse_id(call_id)
        )
    )
    if call is None:
        raise NotFound("Appel introuvable.")
    return call


def ringing_calls(*, user: User) -> list[Call]:
    """Calls of the permanence that ring now (nobody answered, not hung up), oldest first."""
    if not user.is_staff_user:
        return []
    since = timezone.now() - RINGING_FOR
    return list(
        Call.objects.filter(
            permanence_id=user.permanence_id,
            answered_at__isnull=True,
            ended_at__isnull=True,
            started_at__gte=since,
            direction=Call.IN,
        )
        .select_related("client", "contact", "answered_by")
        .order_by("started_at", "id")[:20]
    )


def missed_today_count(*, user: User, today: dt.date | None = None) -> int:
    """Missed calls of the day (left menu), for staff with the journal's right."""
    if not user.is_staff_user or not user.has_right(perms.CALLS_JOURNAL):
        return 0
    start, end = day_bounds(today or timezone.localdate())
    return Call.objects.filter(
        permanence_id=user.permanence_id,
        started_at__gte=start,
        started_at__lt=end,
        ended_at__isnull=False,
        answered_at__isnull=True,
    ).count()


def call_for_send(user: User, call_id: Any, client: Client) -> Call:
    """The call a message is written during: the author's permanence and the same client."""
    message = "Appel introuvable pour ce client."
    try:
        wanted = parse_id(call_id)
    except NotFound:
        raise ValidationFailed.on("call", message) from None
    call = first_or_none(Call.objects.filter(permanence_id=user.permanence_id, id=wanted))
    if call is None or (call.client_id is not None and call.client_id != client.id):
        raise ValidationFailed.on("call", message)
    return call
