"""The write side of live events: every write that a screen must see calls one of these.

An event is a row of `events.Event`, written in the caller's transaction (so it exists exactly
when the write does) and announced to every web process:

- backend "postgres": `pg_notify('relais_events', <the row as JSON>)` in the same statement
  as the INSERT. PostgreSQL delivers a NOTIFY only when its transaction commits, to every
  process that LISTENs (relais.events.hub), on every machine: one round trip, and the
  listeners need not read the row back (a row too large for a NOTIFY is announced by id).
- backend "local" (SQLite, the single process of `make run`): the row is handed to this
  process's hub when the transaction commits.

Readers never receive the row as such: each stream decides per reader what it may see
(relais.events.audience) and shapes the `data` it sends.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from relais.events.audience import COLUMNS, COLUMNS_SQL
from relais.events.hub import hub
from relais.events.models import Event

CHANNEL = "relais_events"


def backend() -> str:
    """ "postgres" (LISTEN/NOTIFY, several processes and machines) or "local" (in-process)."""
    chosen = getattr(settings, "RELAIS_EVENTS_BACKEND", "")
    if chosen:
        return str(chosen)
    return "postgres" if connection.vendor == "postgresql" else "local"


# The announcement carries the row itself (a JSON array of relais.events.audience.COLUMNS),
# so that no listening process reads it back; one that would not fit in a NOTIFY (8,000
# bytes) is announced as "<id> <permanence>" and read from the table.
NOTIFY_MAX = 7900
_INSERT_NOTIFY = (
    "WITH e AS (INSERT INTO events_event "
    "(permanence_id, kind, client_id, message_id, user_id, staff_only, remark, data, at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
    f"RETURNING {COLUMNS_SQL}) "
    f"SELECT pg_notify(%s, CASE WHEN octet_length(p.row) <= {NOTIFY_MAX} THEN p.row ELSE p.ref "
    f"END) FROM (SELECT json_build_array({', '.join(f'e.{c}' for c in COLUMNS)})::text AS row, "
    "e.id::text || ' ' || e.permanence_id::text AS ref FROM e) p"
)


def _insert_notify(
    permanence_id: uuid.UUID,
    kind: str,
    data: dict[str, Any],
    client_id: uuid.UUID | None,
    message_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    staff_only: bool,
    remark: bool,
) -> tuple[str, tuple[Any, ...]]:
    """The event's INSERT and NOTIFY (backend "postgres"), as one statement and its values."""
    values = (permanence_id, kind, client_id, message_id, user_id, staff_only, remark)
    return _INSERT_NOTIFY, (*values, json.dumps(data), timezone.now(), CHANNEL)


def event_publish(
    *,
    permanence_id: uuid.UUID,
    kind: str,
    data: dict[str, Any],
    client_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    staff_only: bool = False,
    remark: bool = False,
) -> None:
    """Records the event in the current transaction and announces it on commit."""
    if backend() == "postgres":
        with connection.cursor() as cursor:
            cursor.execute(
                *_insert_notify(
                    permanence_id, kind, data, client_id, message_id, user_id, staff_only, remark
                )
            )
        return
    event = Event.objects.create(
        permanence_id=permanence_id,
        kind=kind,
        client_id=client_id,
        message_id=message_id,
        user_id=user_id,
        staff_only=staff_only,
        remark=remark,
        data=data,
        at=timezone.now(),
    )

    transaction.on_commit(lambda: hub.deliver_threadsafe([event]))


def message_event(kind: str, message: Any, *, actor: Any = None, **extra: Any) -> None:
    """message.created, message.replied or message.task about a message (a Message): every
    reader who may see the message receives it."""
    event_publish(**_message_event_fields(kind, message, actor, extra))


def message_created_statement(message: Any, *, actor: Any) -> tuple[str, tuple[Any, ...]] | None:
    """message.created as one more statement of a write that sends its statements together
    (the send: relais.core.bulk.insert_together), so that it costs no round trip and no commit
    of its own; on backend "postgres" only. None: publish it with message_event after the
    write."""
    if backend() != "postgres":
        return None
    return _insert_notify(**_message_event_fields("message.created", message, actor, {}))


def _message_event_fields(
    kind: str, message: Any, actor: Any, extra: dict[str, Any]
) -> dict[str, Any]:
    data = {
        "client": str(message.client_id),
        "message": str(message.id),
        "actor": str(actor.id) if actor is not None else None,
        **extra,
    }
    if kind == "message.created":
        _note_moves(data, _moves(message))
    return {
        "permanence_id": message.permanence_id,
        "kind": kind,
        "data": data,
        "client_id": message.client_id,
        "message_id": message.id,
        "user_id": None,
        "staff_only": False,
        "remark": bool(message.is_client_remark),
    }


def _moves(message: Any, *, read: bool = False) -> list[str]:
    """The left-menu counts (relais.messaging.selectors.menu_counts) that a new message can
    move, or a change of its read state (`read`): the streams recount only those. Never sent
    to readers (relais.events.audience.shape drops it)."""
    moves = []
    if message.status == "todo" and not read:
        moves += ["todo", "follow"]
    if message.is_urgent:
        moves.append("urgent")
    if message.is_client_remark:
        moves.append("remarks")
    return moves


def _note_moves(data: dict[str, Any], moves: list[str]) -> None:
    """What the streams recount (relais.events.stream): those counts, or none at all when
    neither « Urgent », « Remarques clients », « Tâche à faire » nor « Suivi des tâches » can
    move."""
    if moves:
        data["moves"] = moves
    else:
        data["counts"] = False


def message_read_event(message: Any, *, user: Any, read: bool) -> None:
    """message.read, for the reader only: its read state of the thread changed."""
    data: dict[str, Any] = {
        "client": str(message.client_id),
        "message": str(message.id),
        "read": read,
    }
    _note_moves(data, _moves(message, read=True))
    event_publish(
        permanence_id=message.permanence_id,
        kind="message.read",
        data=data,
        client_id=message.client_id,
        message_id=message.id,
        user_id=user.id,
        remark=bool(message.is_client_remark),
    )


def events_prune(*, keep: dt.timedelta | None = None) -> int:
    """Deletes the events older than the replay window (RELAIS_EVENTS_KEEP, one hour)."""
    keep = keep or dt.timedelta(seconds=settings.RELAIS_EVENTS_KEEP)
    deleted, _ = Event.objects.filter(at__lt=timezone.now() - keep).delete()
    return deleted
