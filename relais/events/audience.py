"""Who may receive an event: the same rules as the pages (PRODUCT.md §7).

A stream holds its reader (`Reader`, read once when it opens). For staff every decision is made
from the event's columns, without a query, and is exactly `visibility_filter`'s staff branch
(tested against it in tests/events/test_audience.py): a staff user with the reading right sees
every message of its permanence, client remarks only with the remarks right. A client user's
message events are checked in one query per batch through `visibility_filter` itself (sharing
rules and copies live in the database). Calls are for staff only.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from relais.messaging.selectors import visible_messages
from relais.tenancy import permissions as perms
from relais.tenancy.models import User


@dataclass(frozen=True)
class Reader:
    id: uuid.UUID
    permanence_id: uuid.UUID
    is_staff: bool
    reads_messages: bool
    sees_remarks: bool
    sees_counts: bool

    @functools.cached_property
    def kind(self) -> tuple[Any, ...]:
        """What first_pass reads of a reader, but its id: readers of one kind decide alike on
        every event addressed to nobody in particular (Batch.views)."""
        return (
            self.permanence_id,
            self.is_staff,
            self.reads_messages,
            self.sees_remarks,
            self.sees_counts,
        )

    @classmethod
    def of(cls, user: User) -> Reader:
        return cls(
            id=user.id,
            permanence_id=user.permanence_id,
            is_staff=user.is_staff_user,
            reads_messages=user.is_client_user or user.has_right(perms.MESSAGES_READ),
            sees_remarks=user.has_right(perms.MESSAGES_REMARKS),
            sees_counts=user.is_staff_user,
        )


# The columns of events_event a stream reads, in EventRow.from_values's order (the listener's
# queries, and the JSON array a NOTIFY carries: relais.events.publish).
COLUMNS = (
    "id",
    "permanence_id",
    "kind",
    "client_id",
    "message_id",
    "user_id",
    "staff_only",
    "remark",
    "data",
)
COLUMNS_SQL = ", ".join(COLUMNS)


@dataclass(frozen=True)
class EventRow:
    """An events.Event as the streams hold it (from the ORM, or from the listener's query)."""

    id: int
    permanence_id: uuid.UUID
    kind: str
    client_id: uuid.UUID | None
    message_id: uuid.UUID | None
    user_id: uuid.UUID | None
    staff_only: bool
    remark: bool
    data: dict[str, Any]
    # The frame most readers receive, serialized once for every stream of the process.
    shared: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, event: Any) -> EventRow:
        """From an events.Event (or anything with its columns as attributes)."""
        return cls.from_values([getattr(event, column) for column in COLUMNS])

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> EventRow:
        """From the values of COLUMNS, in that order (a query's row, a NOTIFY's JSON array)."""
        event_id, permanence, kind, client, message, user, staff_only, remark, data = values
        return cls(
            id=int(event_id),
            permanence_id=uuid.UUID(str(permanence)),
            kind=kind,
            client_id=_uuid(client),
            message_id=_uuid(message),
            user_id=_uuid(user),
            staff_only=bool(staff_only),
            remark=bool(remark),
            data=dict(data or {}),
        )


class Batch:
    """Events the hub hands together to every stream of a permanence: one object for all of
    them, so that what depends only on the reader's kind is worked out once (`views`, kept by
    relais.events.stream)."""

    __slots__ = ("at_once", "rows", "views")

    def __init__(self, rows: Sequence[EventRow], at_once: frozenset[str] = frozenset()) -> None:
        self.rows = list(rows)
        self.at_once = any(row.kind in at_once for row in self.rows)
        self.views: dict[tuple[Any, ...], Any] = {}


def _uuid(value: Any) -> Any:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def first_pass(reader: Reader, event: EventRow) -> bool | None:
    """True: the reader receives it; False: never; None: a client user's message event, to
    check against the database (`client_visible`)."""
    if event.permanence_id != reader.permanence_id:
        return False
    if event.user_id is not None and event.user_id != reader.id:
        return False
    if event.message_id is None:
        # Calls and other permanence-wide events.
        return reader.is_staff or not event.staff_only
    if event.staff_only and not reader.is_staff:
        return False
    if not reader.reads_messages:
        return False
    if reader.is_staff:
        return not event.remark or reader.sees_remarks
    return None


def client_visible(user: User, message_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """The messages of message_ids that a client user may see (one query)."""

    if not message_ids:
        return set()
    return set(visible_messages(user).filter(id__in=list(message_ids)).values_list("id", flat=True))


def personal(reader: Reader, event: EventRow) -> bool:
    """Whether this reader's `data` differs from everyone's: the answering operator's screen
    pop."""
    if "screen_pop" not in event.data:
        return False
    answered_by = event.data.get("answered_by") or {}
    return str(answered_by.get("id")) == str(reader.id)


def shape(reader: Reader, event: EventRow) -> dict[str, Any]:
    """The `data` this reader receives: the answering operator alone gets the screen pop."""
    data = dict(event.data)
    data.pop("moves", None)  # for the streams' recount only
    if "screen_pop" in data and not personal(reader, event):
        data.pop("screen_pop")
    data.setdefault("client", str(event.client_id) if event.client_id else None)
    return data
