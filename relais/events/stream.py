"""The event streams: `GET /events` (the pages' session) and `GET /api/v1/events` (Bearer).

Served by an ASGI server (uvicorn, see docs/DECISIONS.md): the view is async and holds no
database connection while it waits. Each stream:
1. reads its user once (session or bearer token), then gives its connection back;
2. subscribes to the process's hub (relais.events.hub), then, with `Last-Event-ID`, replays
   the stored events after that id (the last hour), then sends live events, skipping any it
   already sent;
3. sends only what its reader may see (relais.events.audience), and after message or call
   events that change them, the reader's left-menu counts (`counts`, at most once per
   RELAIS_EVENTS_COUNTS_EVERY seconds);
4. writes a comment line every RELAIS_EVENTS_HEARTBEAT seconds (15) so proxies keep it open.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from relais.events.audience import (
    EventRow,
    Reader,
    client_visible,
    first_pass,
    personal,
    shape,
)
from relais.events.hub import hub
from relais.tenancy.models import User

T = TypeVar("T")

# Events whose arrival changes the reader's left-menu counts.
COUNTING = {
    "message.created",
    "message.replied",
    "message.task",
    "message.read",
    "call.ended",
}
COUNTS_DEBOUNCE = 0.15


async def db(fn: Callable[..., T], *args: Any) -> T:
    """Runs fn in a worker thread and gives the connection back (to the pool, or closes it)
    at once: an idle stream holds no database connection."""

    def call() -> T:
        try:
            return fn(*args)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return await sync_to_async(call, thread_sensitive=False)()


def sse(event_id: int | str, kind: str, data: dict[str, Any]) -> str:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"id: {event_id}\nevent: {kind}\ndata: {body}\n\n"


def frame(reader: Reader, row: EventRow) -> str:
    """The SSE frame of row for reader: serialized once per process for all the readers who
    get the same data (everyone but the answering operator of a call)."""
    if personal(reader, row):
        return sse(row.id, row.kind, shape(reader, row))
    shared = row.shared.get("frame")
    if shared is None:
        shared = row.shared["frame"] = sse(row.id, row.kind, shape(reader, row))
    return shared


def parse_last_id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    head = raw.split("-", 1)[0]
    if head.isdigit() and len(head) < 19:
        return int(head)
    return None


def _replay(permanence_id: uuid.UUID, after: int) -> list[EventRow]:
    from relais.events.models import Event

    since = timezone.now() - dt.timedelta(seconds=settings.RELAIS_EVENTS_KEEP)
    rows = Event.objects.filter(permanence_id=permanence_id, id__gt=after, at__gte=since)
    return [EventRow.of(e) for e in rows.order_by("id")[:2000]]


def _counts(user: User) -> dict[str, int]:
    from relais.calls.selectors import missed_today_count
    from relais.messaging.selectors import menu_counts

    counts = menu_counts(user)
    counts["missed_calls"] = missed_today_count(user=user)
    return counts


# The last counts computed in this process, per user: the streams of one user (several tabs)
# share them for a little while, so a burst costs one count per user, not one per stream.
_recent_counts: dict[uuid.UUID, tuple[float, int, dict[str, int]]] = {}


async def counts_for(user: User, after_id: int, fresh_for: float) -> dict[str, int]:
    """The user's counts, computed after event `after_id` (reused if another stream of the
    same user computed them after that event, less than `fresh_for` seconds ago)."""
    found = _recent_counts.get(user.id)
    now = time.monotonic()
    if found is not None and found[1] >= after_id and now - found[0] < fresh_for:
        return found[2]
    counts = await db(_counts, user)
    if len(_recent_counts) > 10_000:
        _recent_counts.clear()
    _recent_counts[user.id] = (now, after_id, counts)
    return counts


def _counting(row: EventRow) -> bool:
    """Events that change the reader's left-menu counts (a call only when it was missed)."""
    if row.kind == "call.ended":
        return row.data.get("state") == "missed"
    return row.kind in COUNTING and row.data.get("counts", True) is not False


class Stream:
    def __init__(self, user: User, last_id: int | None) -> None:
        self.user = user
        self.reader = Reader.of(user)
        self.last_id = last_id
        self.sent_id = last_id or 0
        self.heartbeat = float(settings.RELAIS_EVENTS_HEARTBEAT)
        self.counts_every = float(settings.RELAIS_EVENTS_COUNTS_EVERY)

    async def visible(self, rows: Sequence[EventRow]) -> list[EventRow]:
        decided: list[tuple[EventRow, bool | None]] = [
            (row, first_pass(self.reader, row)) for row in rows if row.id > self.sent_id
        ]
        ask = [row.message_id for row, ok in decided if ok is None and row.message_id]
        allowed = await db(client_visible, self.user, ask) if ask else set()
        return [row for row, ok in decided if ok or (ok is None and row.message_id in allowed)]

    async def events(self) -> AsyncIterator[str]:
        sub = await hub.subscribe(self.reader.permanence_id)
        counts_due: float | None = None
        counts_last = 0.0
        last_counted_id = 0
        try:
            yield f"retry: 3000\n: {'relais ' * 8}\n\n"
            if self.last_id is not None:
                replayed = await db(_replay, self.reader.permanence_id, self.last_id)
                for row in await self.visible(replayed):
                    yield frame(self.reader, row)
                    self.sent_id = row.id
            while True:
                now = time.monotonic()
                timeout = self.heartbeat
                if counts_due is not None:
                    timeout = max(0.0, min(timeout, counts_due - now))
                try:
                    batch = await asyncio.wait_for(sub.queue.get(), timeout)
                except TimeoutError:
                    batch = None
                if batch is None and counts_due is None:
                    yield ": ping\n\n"
                    continue
                if batch:
                    for row in await self.visible(batch):
                        yield frame(self.reader, row)
                        self.sent_id = row.id
                        if _counting(row) and self.reader.sees_counts:
                            last_counted_id = row.id
                            if counts_due is None:
                                # A burst of events costs one count.
                                counts_due = max(
                                    time.monotonic() + COUNTS_DEBOUNCE,
                                    counts_last + self.counts_every,
                                )
                if counts_due is not None and time.monotonic() >= counts_due:
                    counts = await counts_for(self.user, last_counted_id, self.counts_every)
                    counts_last, counts_due = time.monotonic(), None
                    yield sse(last_counted_id, "counts", {"client": None, "counts": counts})
        finally:
            hub.unsubscribe(sub)


def _stream_response(user: User, request: HttpRequest) -> HttpResponseBase:
    if not hasattr(request, "scope"):
        # Under a WSGI server (the test live server, a bare runserver) a stream would hold a
        # thread forever: refuse it, and the pages keep polling.
        return _refuse(
            503, "Flux d'événements indisponible sur ce serveur : rechargement périodique."
        )
    last = parse_last_id(
        request.headers.get("Last-Event-ID") or request.GET.get("lastEventId") or ""
    )
    response = StreamingHttpResponse(
        Stream(user, last).events(), content_type="text/event-stream; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    # nginx: do not buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response


def _refuse(status: int, detail: str) -> HttpResponse:
    return JsonResponse({"detail": detail, "errors": {}}, status=status)


def _session_user(request: HttpRequest) -> User | None:
    from django.contrib.auth import get_user

    user = get_user(request)
    return user if user.is_authenticated and user.is_active else None  # type: ignore[return-value]


async def page_events(request: HttpRequest) -> HttpResponseBase:
    """GET /events: the pages' stream, for the session's user."""
    if request.method != "GET":
        return _refuse(405, "Méthode non autorisée.")
    user = await db(_session_user, request)
    if user is None:
        return _refuse(401, "Authentification requise.")
    return _stream_response(user, request)


def _bearer_user(header: str) -> User | None:
    from relais.api.auth import BearerAuth

    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return BearerAuth().authenticate(HttpRequest(), token)


async def api_events(request: HttpRequest) -> HttpResponseBase:
    """GET /api/v1/events: the same stream for API clients (Authorization: Bearer)."""
    if request.method != "GET":
        return _refuse(405, "Méthode non autorisée.")
    user = await db(_bearer_user, request.headers.get("Authorization", ""))
    if user is None:
        return _refuse(401, "Authentification requise.")
    return _stream_response(user, request)
