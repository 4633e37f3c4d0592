"""The left menu's « Urgent » count of a staff user, in bounded time.

« Urgent » counts the urgent open messages (not done) the user may see and has not read.
Counted from scratch, it probes the user's read state of every such message, newest first,
until it has found the menu's cap: cheap for a user who reads few of them, but a user who
reads them all — what the « Urgent » list asks for — makes it probe every urgent message of
the permanence's history before it can say 0 (40,000 after a year: 80 ms on every page and
every 5-s poll).

So each staff user has a cursor (UrgentCursor): a time `through` and a few exceptions
(UrgentException) such that

    every urgent open message the user may see whose last activity is at or before `through`
    is read by the user, or is one of the user's exceptions.

The count is then: the exceptions still unread, plus the unread messages after `through` —
each part stopping at the cap. `advance` moves `through` forward (to ten minutes ago, or to
just before the cap's worth of unread messages), collecting the unread messages it passes as
exceptions; the counts' query says when there is something to pass (`stale`). What could
break the statement lowers `through` first (`lower_through`):

- a message marked unread again (message_mark_unread);
- a done urgent task reopened (task_mark_todo or task_cancel);
- a change of the user's rights over client remarks (the cursor is rebuilt from the start).

A reply resets the others' read states but moves the message's last activity to now, after
every cursor. New messages start after every cursor too: `through` never passes
`timezone.now() - MARGIN`, so a message whose transaction took its time before committing is
still ahead of it.

Concurrency: `advance` holds the cursor's row lock while it reads and writes; `lower_through`
takes the same lock after its own change (same transaction), so it either waits for an advance
and then lowers, or goes first and the advance reads its change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import (
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from relais.core.queries import capped_count_sql
from relais.messaging.models import Message, ReadState, UrgentCursor, UrgentException
from relais.messaging.visibility import URGENT_OPEN, staff_visibility
from relais.tenancy import permissions as perms
from relais.tenancy.models import User

# How far behind now a cursor stays: longer than any send or reply takes to commit.
MARGIN = dt.timedelta(minutes=10)
# Before every message: a cursor that has passed nothing.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TICK = dt.timedelta(microseconds=1)


def candidates(permanence_id: Any, sees_remarks: bool) -> QuerySet[Message]:
    """The urgent open messages of the permanence a staff user with the reading right sees."""
    return Message.objects.filter(staff_visibility(permanence_id, sees_remarks), URGENT_OPEN)


def _unread(user_id: Any) -> Any:
    return ~Exists(ReadState.objects.filter(message_id=OuterRef("pk"), user_id=user_id))


def _through(user_id: Any, sees_remarks: bool) -> Coalesce:
    return Coalesce(
        Subquery(
            UrgentCursor.objects.filter(user_id=user_id, sees_remarks=sees_remarks).values(
                "through"
            )[:1]
        ),
        Value(EPOCH),
        output_field=DateTimeField(),
    )


def _exceptions(user_id: Any) -> QuerySet[Any]:
    return UrgentException.objects.filter(user_id=user_id).values("message_id")


def _kept(unread: QuerySet[Message], user_id: Any, through: Any) -> QuerySet[Any]:
    """The user's exceptions still unread, urgent and open, at or before the cursor: read from
    the exceptions (a few rows), each message looked up by its key."""
    still = unread.filter(pk=OuterRef("message_id"), last_activity_at__lte=through)
    return UrgentException.objects.filter(user_id=user_id).filter(Exists(still))


def list_filter(user: User) -> Q:
    """For the « Urgent » list of a staff user: the messages after the cursor, or among its
    exceptions — by the cursor's statement, every unread one is there. The list reads no
    read state of the messages the user has long read."""
    through = _through(user.id, user.has_right(perms.MESSAGES_REMARKS))
    return Q(last_activity_at__gt=through) | Q(id__in=_exceptions(user.id))


def count_expressions(
    permanence_id: Any, user_id: Any, sees_remarks: bool, cap: int, stale_at: dt.datetime
) -> dict[str, Any]:
    """Columns of the menu counts' query (messaging.selectors.menu_counts) from which
    count_from makes the « urgent » count and tells whether the cursor should move."""
    if not 0 < cap < 1000:
        raise ValueError("The « Urgent » count packs two counts under 1,000 in one column.")
    through = _through(user_id, sees_remarks)
    urgent = candidates(permanence_id, sees_remarks)
    unread = urgent.filter(_unread(user_id))
    kept_sql, kept_params = capped_count_sql(_kept(unread, user_id, through), cap)
    after_sql, after_params = capped_count_sql(unread.filter(last_activity_at__gt=through), cap)
    # Both parts in one column, kept * 1000 + after (each is at most the cap, under 1000), so
    # the exceptions are read once; the part after the cursor is not read at all when the
    # exceptions already reach the cap.
    both = RawSQL(
        f"SELECT k.n * 1000 + CASE WHEN k.n >= {int(cap)} THEN 0 ELSE ({after_sql}) END "
        f"FROM ({kept_sql.replace('SELECT COUNT(*)', 'SELECT COUNT(*) AS n', 1)}) k",
        after_params + kept_params,
        output_field=IntegerField(),
    )
    return {
        "urgent_parts": both,
        "urgent_stale": Exists(
            urgent.filter(last_activity_at__gt=through, last_activity_at__lte=stale_at)
        ),
    }


def count_from(row: dict[str, Any], cap: int) -> tuple[int, bool]:
    """The « urgent » count from the columns of count_expressions, and whether the cursor
    should move: there are messages to pass, and room among the exceptions for what it finds."""
    kept, after = divmod(int(row.pop("urgent_parts") or 0), 1000)
    return min(cap, kept + after), bool(row.pop("urgent_stale")) and kept < cap


def advance(user: User, cap: int) -> None:
    """Moves the user's cursor as far as it can go (see the module's docstring)."""
    sees_remarks = user.has_right(perms.MESSAGES_REMARKS)
    limit_at = timezone.now() - MARGIN
    with transaction.atomic():
        UrgentCursor.objects.bulk_create(
            [UrgentCursor(user_id=user.id, sees_remarks=sees_remarks, through=EPOCH)],
            ignore_conflicts=True,
        )
        cursor = UrgentCursor.objects.select_for_update().get(user_id=user.id)
        exceptions = UrgentException.objects.filter(user_id=user.id)
        if cursor.sees_remarks != sees_remarks:
            cursor.sees_remarks, cursor.through = sees_remarks, EPOCH
            exceptions.delete()
        unread = candidates(user.permanence_id, sees_remarks).filter(_unread(user.id))
        # Exceptions since read, done, or moved after the cursor by a reply: dropped.
        kept = set(_kept(unread, user.id, cursor.through).values_list("message_id", flat=True))
        exceptions.exclude(message_id__in=kept).delete()
        room = cap - len(kept)
        if room > 0:
            ahead = list(
                unread.filter(last_activity_at__gt=cursor.through, last_activity_at__lte=limit_at)
                .order_by("last_activity_at", "id")
                .values_list("id", "last_activity_at")[: room + 1]
            )
            if len(ahead) <= room:
                through = limit_at
            else:  # the cap's worth found: stop just before the next unread one
                through = ahead[room][1] - _TICK
                ahead = ahead[:room]
            UrgentException.objects.bulk_create(
                [UrgentException(user_id=user.id, message_id=pk) for pk, _ in ahead],
                ignore_conflicts=True,
            )
            cursor.through = max(cursor.through, through)
        cursor.save()


def lower_through(user_ids: Iterable[Any], before: dt.datetime) -> None:
    """Brings these users' cursors back to before `before`: a message at or after it may have
    become unread or open again. Call it inside the transaction that made the change, after
    the change."""
    ids = sorted(user_ids)
    if not ids:
        return
    with transaction.atomic():
        # A cursor being created by an advance is waited for (the insert conflicts with it).
        # Rows are taken in one order, so two of these never wait for each other in a circle.
        UrgentCursor.objects.bulk_create(
            [UrgentCursor(user_id=pk, through=EPOCH) for pk in ids], ignore_conflicts=True
        )
        cursors = UrgentCursor.objects.filter(user_id__in=ids)
        list(cursors.order_by("user_id").select_for_update().values_list("user_id"))
        cursors.update(
            through=Least("through", Value(before - _TICK, output_field=DateTimeField()))
        )


def note_unread(user: User, message: Message) -> None:
    """message_mark_unread: the message is unread again for this user."""
    if user.is_staff_user and message.is_urgent:
        lower_through([user.id], message.last_activity_at)


def note_reopened(message: Message) -> None:
    """task_mark_todo, task_cancel: a task made « à faire » or a normal message again (it may
    have been done)."""
    if message.is_urgent:
        staff = User.objects.filter(permanence_id=message.permanence_id, kind=User.STAFF)
        lower_through(staff.values_list("id", flat=True), message.last_activity_at)
