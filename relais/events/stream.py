"""The event streams: `GET /events` (the pages' session) and `GET /api/v1/events` (Bearer).

Served by an ASGI server (uvicorn, see docs/DECISIONS.md): the view is async and holds no
database connection while it waits. Each stream:
1. reads its user once (session or bearer token), then gives its connection back;
2. subscribes to the process's hub (relais.events.hub), then, with `Last-Event-ID`, replays
   the stored events after that id (the last hour), then sends live events, skipping any it
   already sent;
3. sends only what its reader may see (relais.events.audience), and after message or call
   events that change them, the reader's left-menu counts (`counts`, at most once per
   RELAIS_EVENTS_COUNTS_EVERY seconds; only the counts the events moved are recounted, all of
   them every FULL_COUNTS_EVERY seconds at least, none when only new messages moved counts
   already at their cap); under load, what arrives within WRITE_EVERY (0.5 s)
   goes out in one write;
4. writes a comment line every RELAIS_EVENTS_HEARTBEAT seconds (15) so proxies keep it open.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.core.handlers.wsgi import WSGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from relais.api.auth import BearerAuth
from relais.calls.selectors import missed_today_count
from relais.events.audience import (
    Batch,
    EventRow,
    Reader,
    client_visible,
    first_pass,
    personal,
    shape,
)
from relais.events.hub import hub
from relais.events.models import Event
from relais.messaging.selectors import MENU_COUNT_CAP, menu_counts
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
# A busy stream writes at most once per WRITE_EVERY seconds, everything that arrived meanwhile
# together: with hundreds of open pages, a burst of sends costs one write per page, not one
# per send per page. A quiet stream writes at once, up to WRITE_BURST writes in a row (Pace).
WRITE_EVERY = 0.5
WRITE_BURST = 4
# The ids a stream remembers having sent, at least (more than a replay of the last hour can
# overlap).
SENT_MEMORY = 20_000
# How long the counts asked by the streams are gathered before they are computed together.
COUNTS_GATHER = 0.01


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

    since = timezone.now() - dt.timedelta(seconds=settings.RELAIS_EVENTS_KEEP)
    rows = Event.objects.filter(permanence_id=permanence_id, id__gt=after, at__gte=since)
    return [EventRow.of(e) for e in rows.order_by("id")[:2000]]


def _counts(user: User, only: frozenset[str] | None) -> dict[str, int]:

    counts = menu_counts(user, only=only)
    if only is None or "missed_calls" in only:
        counts["missed_calls"] = missed_today_count(user=user)
    return counts


@dataclass(frozen=True)
class _Counted:
    at: float  # when its query started (time.monotonic())
    counts: dict[str, int]
    full_at: float


# The last counts computed in this process, per user: the streams of one user (several tabs)
# share them for a little while, so a burst costs one count per user, not one per stream.
_recent_counts: dict[uuid.UUID, _Counted] = {}

# A recount asks only for what the events moved (`moves`), and for every count at least this
# often (what moves without an event: a task falling due, a copy failing).
FULL_COUNTS_EVERY = 30.0


async def counts_for(
    user: User, seen_at: float, fresh_for: float, only: frozenset[str] | None = None
) -> dict[str, int]:
    """The user's counts, computed after the stream received, at `seen_at` (time.monotonic()),
    the events that moved them: reused if another stream of the same user started computing
    them after that, less than `fresh_for` seconds ago (by time, not by event id: ids are not
    in commit order). `only`: the counts the events moved (None: all of them)."""
    found = _recent_counts.get(user.id)
    now = time.monotonic()
    if found is not None and found.at >= seen_at and now - found.at < fresh_for:
        return found.counts
    if found is None or only is None or now - found.full_at >= FULL_COUNTS_EVERY:
        counts, full_at = await _batch().ask(user, None), now
    else:
        counts, full_at = {**found.counts, **await _batch().ask(user, only)}, found.full_at
    if len(_recent_counts) > 10_000:
        _recent_counts.clear()
    _recent_counts[user.id] = _Counted(now, counts, full_at)
    return counts


class Pace:
    """A token bucket for a stream's writes: `burst` writes at once, then one per `every`
    seconds while events keep coming."""

    def __init__(self, every: float, burst: int) -> None:
        self.every = every
        self.burst = float(burst)
        self.tokens = float(burst)
        self.at = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) / self.every)
        self.at = now

    def wait(self) -> float:
        """Seconds to wait before the next write (0: now)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) * self.every

    def wrote(self) -> None:
        self._refill()
        self.tokens = max(0.0, self.tokens - 1)


class _CountsBatch:
    """The counts the streams of one event loop ask for within COUNTS_GATHER seconds are
    computed together, one after the other in one worker thread on one connection: after a
    burst of events, a hundred open pages cost one thread hop and one connection from the
    pool, not a hundred."""

    def __init__(self) -> None:
        self.pending: dict[tuple[uuid.UUID, frozenset[str] | None], _Asked] = {}
        self.task: asyncio.Task[None] | None = None

    async def ask(self, user: User, only: frozenset[str] | None) -> dict[str, int]:
        future: asyncio.Future[dict[str, int]] = asyncio.get_running_loop().create_future()
        self.pending.setdefault((user.id, only), _Asked(user, only)).futures.append(future)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())
        return await future

    async def run(self) -> None:
        # Until nothing is left: what is asked while a batch is computed goes in the next one
        # (ask starts no task while this one runs).
        while self.pending:
            await self.run_once()

    async def run_once(self) -> None:
        await asyncio.sleep(COUNTS_GATHER)
        asked, self.pending = list(self.pending.values()), {}

        def compute() -> list[dict[str, int] | BaseException]:
            found: list[dict[str, int] | BaseException] = []
            for one in asked:
                try:
                    found.append(_counts(one.user, one.only))
                except Exception as exc:  # handed to the streams that asked
                    found.append(exc)
            return found

        try:
            results = await db(compute)
        except Exception as exc:  # the database is gone: every asker fails
            results = [exc] * len(asked)
        for one, result in zip(asked, results, strict=True):
            for future in one.futures:
                if future.done():  # its stream closed meanwhile
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)


@dataclass
class _Asked:
    user: User
    only: frozenset[str] | None
    futures: list[asyncio.Future[dict[str, int]]] = field(default_factory=list)


_batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _CountsBatch] = (
    weakref.WeakKeyDictionary()
)


def _batch() -> _CountsBatch:
    loop = asyncio.get_running_loop()
    found = _batches.get(loop)
    if found is None:
        found = _batches[loop] = _CountsBatch()
    return found


def _moves(row: EventRow) -> frozenset[str] | None:
    """The counts an event can move (relais.events.publish `moves`); None: any of them."""
    if row.kind == "call.ended":
        return frozenset({"missed_calls"})
    moves = row.data.get("moves")
    return frozenset(moves) if isinstance(moves, list) else None


def _grows(row: EventRow) -> bool:
    """A new message only raises the counts it moves (a read, a done task, a missed call's
    count reset by the day lower them)."""
    return row.kind == "message.created"


def _counting(row: EventRow) -> bool:
    """Events that change the reader's left-menu counts (a call only when it was missed)."""
    if row.kind == "call.ended":
        return row.data.get("state") == "missed"
    return row.kind in COUNTING and row.data.get("counts", True) is not False


class _View:
    """What the readers of one kind receive of a batch: the frames (one text), their ids, and
    the counts they move. Worked out once per batch and reader kind, for all their streams."""

    __slots__ = ("counted_id", "counting", "grows", "ids", "moves", "text")

    def __init__(self, reader: Reader, rows: Sequence[EventRow]) -> None:
        self.text = "".join(frame(reader, row) for row in rows)
        self.ids = [row.id for row in rows]
        counted = [row for row in rows if _counting(row)] if reader.sees_counts else []
        self.counting = bool(counted)
        self.counted_id = counted[-1].id if counted else 0
        self.grows = all(_grows(row) for row in counted)
        found = [_moves(row) for row in counted]
        known = [moves for moves in found if moves is not None]
        self.moves = frozenset().union(*known) if len(known) == len(found) else None


def _view(reader: Reader, batch: Batch) -> _View | None:
    """The batch as readers of this reader's kind receive it; None when some event of it is
    decided per reader (addressed to one user, a screen pop, a client user's message event):
    then each stream takes the batch event by event."""
    try:
        return batch.views[reader.kind]  # type: ignore[no-any-return]
    except KeyError:
        pass
    view: _View | None = None
    rows = []
    for row in batch.rows:
        if row.user_id is not None or "screen_pop" in row.data:
            break
        seen = first_pass(reader, row)
        if seen is None:
            break
        if seen:
            rows.append(row)
    else:
        view = _View(reader, rows)
    batch.views[reader.kind] = view
    return view


class Stream:
    def __init__(self, user: User, last_id: int | None) -> None:
        self.user = user
        self.reader = Reader.of(user)
        self.last_id = last_id
        # What was sent, to skip an event met twice (the replay and the live queue overlap).
        # Not "ids above the last one": ids are numbered at INSERT and announced at COMMIT, so
        # two writes committing in the other order arrive with their ids out of order.
        self.sent: set[int] = set()
        self.sent_order: list[int] = []
        self.heartbeat = float(settings.RELAIS_EVENTS_HEARTBEAT)
        self.counts_every = float(settings.RELAIS_EVENTS_COUNTS_EVERY)
        # The counts to send (at counts_due), after event counted_id, received at counted_at;
        # moved: which counts (None: all).
        self.counts_due: float | None = None
        self.counts_last = 0.0
        self.counted_id = 0
        self.counted_at = 0.0
        self.moved: set[str] | None = set()
        # Whether only new messages moved them since (grows), and the counts last sent.
        self.grows_only = True
        self.last_counts: dict[str, int] | None = None

    def remember_all(self, event_ids: Sequence[int]) -> None:
        self.sent.update(event_ids)
        self.sent_order.extend(event_ids)
        if len(self.sent_order) > 2 * SENT_MEMORY:
            # Forgotten by halves: a send costs no Python loop over its ids.
            forget = self.sent_order[:-SENT_MEMORY]
            del self.sent_order[:-SENT_MEMORY]
            self.sent.difference_update(forget)

    async def visible(self, rows: Sequence[EventRow]) -> list[EventRow]:
        fresh: dict[int, EventRow] = {}
        for row in rows:
            if row.id not in self.sent:
                fresh.setdefault(row.id, row)
        decided = [(row, first_pass(self.reader, row)) for row in fresh.values()]
        ask = [row.message_id for row, ok in decided if ok is None and row.message_id]
        allowed = await db(client_visible, self.user, ask) if ask else set()
        return [row for row, ok in decided if ok or (ok is None and row.message_id in allowed)]

    async def frames(self, batches: Sequence[Batch]) -> list[str]:
        """The frames of what the reader may see of these batches, in order; notes the counts
        they move. A batch whose view is shared by the reader's kind costs a set check and a
        join; the others go event by event (`row_frames`)."""
        out: list[str] = []
        slow: list[EventRow] = []
        for batch in batches:
            view = _view(self.reader, batch)
            if view is None or not self.sent.isdisjoint(view.ids):
                slow += batch.rows
                continue
            if slow:
                out += await self.row_frames(slow)
                slow = []
            if view.ids:
                out.append(view.text)
                self.remember_all(view.ids)
            if view.counting:
                self.note_counts(view.counted_id, view.moves, grows=view.grows)
        if slow:
            out += await self.row_frames(slow)
        return out

    async def row_frames(self, rows: Sequence[EventRow]) -> list[str]:
        seen = await self.visible(rows)
        self.remember_all([row.id for row in seen])
        for row in seen:
            if _counting(row) and self.reader.sees_counts:
                self.note_counts(row.id, _moves(row), grows=_grows(row))
        return [frame(self.reader, row) for row in seen]

    def note_counts(self, event_id: int, moves: frozenset[str] | None, *, grows: bool) -> None:
        """Counting events arrived: the counts are due (a burst of events costs one count).
        `grows`: they can only have raised the counts they move (new messages)."""
        self.counted_id, self.counted_at = event_id, time.monotonic()
        self.grows_only = self.grows_only and grows
        if moves is None or self.moved is None:
            self.moved = None
        else:
            self.moved |= moves
        if self.counts_due is None:
            self.counts_due = max(
                time.monotonic() + COUNTS_DEBOUNCE, self.counts_last + self.counts_every
            )

    async def counts_frame(self) -> str | None:
        only = None if self.moved is None else frozenset(self.moved)
        unchanged = self.capped(only) and self.grows_only
        self.counts_due, self.moved, self.grows_only = None, set(), True
        if unchanged:
            # New messages cannot lower a count, nor raise one already at its cap (« 99+ »).
            return None
        counts = await counts_for(self.user, self.counted_at, self.counts_every, only)
        self.counts_last, self.last_counts = time.monotonic(), counts
        return sse(self.counted_id, "counts", {"client": None, "counts": counts})

    def capped(self, only: frozenset[str] | None) -> bool:
        """Whether every count in `only` was at its cap when last sent (a count the reader
        does not have counts as capped)."""
        if only is None or self.last_counts is None:
            return False
        if time.monotonic() - self.counts_last >= FULL_COUNTS_EVERY:
            return False  # every count is recounted that often at least (counts_for)
        return all(self.last_counts.get(key, MENU_COUNT_CAP) >= MENU_COUNT_CAP for key in only)

    async def events(self) -> AsyncIterator[bytes]:
        sub = await hub.subscribe(self.reader.permanence_id)
        pace = Pace(WRITE_EVERY, WRITE_BURST)
        try:
            yield f"retry: 3000\n: {'relais ' * 8}\n\n".encode()
            if self.last_id is not None:
                replayed = await db(_replay, self.reader.permanence_id, self.last_id)
                out = await self.frames([Batch(replayed)])
                if out:
                    yield "".join(out).encode()
            while True:
                timeout = self.heartbeat
                if self.counts_due is not None:
                    timeout = max(0.0, min(timeout, self.counts_due - time.monotonic()))
                if not sub.pending:
                    sub.wake.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(timeout):
                            await sub.wake.wait()
                if not sub.pending and self.counts_due is None:
                    yield b": ping\n\n"
                    continue
                out = []
                if sub.pending:
                    # Under load, one write per WRITE_EVERY: what arrives meanwhile goes with
                    # it. A quiet stream writes at once, and a call's events always do (the
                    # operator's screen pop cannot wait).
                    wait = 0.0 if any(b.at_once for b in sub.pending) else pace.wait()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    out = await self.frames(sub.take())
                if self.counts_due is not None and time.monotonic() >= self.counts_due:
                    counts = await self.counts_frame()
                    if counts is not None:
                        out.append(counts)
                if out:
                    pace.wrote()
                    # Bytes: the response need not look its charset up for each write.
                    yield "".join(out).encode()
        finally:
            hub.unsubscribe(sub)


# What a stream asked of a WSGI server answers: Django would read an endless async stream to
# its end before sending anything (a thread and its database connections held for ever). The
# browser is told to come back in a day; meanwhile the pages keep polling (UI-FRESHNESS.md).
WSGI_ANSWER = "retry: 86400000\n: live events are served by the ASGI server\n\n"


def _stream_response(user: User, request: HttpRequest) -> HttpResponseBase:
    if isinstance(request, WSGIRequest):
        refused = HttpResponse(WSGI_ANSWER, content_type="text/event-stream; charset=utf-8")
        refused["Cache-Control"] = "no-store"
        return refused
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
