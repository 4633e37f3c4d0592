"""Fan-out of live events inside one web process: one hub per process, one queue per open
stream.

- "local" backend: relais.events.publish hands each committed event to `deliver_threadsafe`
  (from whatever thread wrote it); the hub puts it in the queues of the streams of that
  permanence, on their event loop.
- "postgres" backend: the first stream of an event loop starts one listener for the process:
  one connection LISTENs on `relais_events` (psycopg 3, async, autocommit), a second one reads
  the announced rows, in batches, for the permanences that have open streams only. If the
  connection drops, the listener reconnects and first reads what was written meanwhile (ids
  above the last one it saw), so open streams lose nothing.

A stream filters what it receives per reader (relais.events.audience).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.conf import settings
from psycopg.conninfo import make_conninfo

from relais.events.audience import COLUMNS_SQL, Batch, EventRow

log = logging.getLogger(__name__)

PRUNE_EVERY = 300.0

# At most one batch per this many seconds per process while events keep coming (_Listener.load).
GATHER = 0.02

# Events that a stream writes at once, however busy (the operator's screen pop cannot wait).
AT_ONCE = frozenset({"call.ringing", "call.answered", "call.ended"})


@dataclass(eq=False)
class Subscriber:
    """One open stream's mailbox: the batches not taken yet, and a flag that wakes it. A
    stream that is pacing its writes is not woken by each batch: it takes them all at once."""

    permanence_id: uuid.UUID
    loop: asyncio.AbstractEventLoop
    pending: list[Batch] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def take(self) -> list[Batch]:
        batches, self.pending = self.pending, []
        return batches


class _Listener:
    """The PostgreSQL LISTEN side of one event loop."""

    def __init__(self, hub: Hub, loop: asyncio.AbstractEventLoop) -> None:
        self.hub = hub
        self.loop = loop
        self.ready = asyncio.Event()
        self.last_id: int | None = None
        self.task = loop.create_task(self.run())

    async def run(self) -> None:

        delay = 0.2
        while True:
            try:
                async with (
                    await psycopg.AsyncConnection.connect(conninfo(), autocommit=True) as listen,
                    await psycopg.AsyncConnection.connect(conninfo(), autocommit=True) as reader,
                ):
                    await listen.execute("LISTEN relais_events")
                    if self.last_id is not None:
                        await self.catch_up(reader)
                    self.ready.set()
                    delay = 0.2
                    pending: asyncio.Queue[_Note] = asyncio.Queue()
                    loader = asyncio.create_task(self.load(reader, pending))
                    try:
                        async for note in listen.notifies():
                            pending.put_nowait(_note(note.payload))
                    finally:
                        loader.cancel()
                        with contextlib.suppress(asyncio.CancelledError, Exception):
                            await loader
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("relais events: the LISTEN connection failed; reconnecting")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def load(self, reader: Any, pending: asyncio.Queue[_Note]) -> None:
        dispatched = 0.0
        while True:
            batch = [await pending.get()]
            # Under load, at most one batch per GATHER: every open stream pays for each batch
            # it takes, so what arrives meanwhile goes with it. A note after a quiet spell
            # goes at once.
            wait = dispatched + GATHER - self.loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            dispatched = self.loop.time()
            while not pending.empty():
                batch.append(pending.get_nowait())
            wanted = self.hub.permanences(self.loop)
            self.last_id = max([self.last_id or 0, *(note.id for note in batch)])
            batch = [note for note in batch if note.permanence in wanted]
            rows = [note.row() for note in batch if note.payload is not None]
            ids = [note.id for note in batch if note.payload is None]
            if ids:
                cursor = await reader.execute(
                    f"SELECT {COLUMNS_SQL} FROM events_event WHERE id = ANY(%s)", [ids]
                )
                rows += [EventRow.from_values(r) for r in await cursor.fetchall()]
            if rows:
                self.hub.dispatch(self.loop, sorted(rows, key=lambda row: row.id))

    async def catch_up(self, reader: Any) -> None:
        wanted = [uuid.UUID(p) for p in self.hub.permanences(self.loop)]
        if not wanted:
            return
        cursor = await reader.execute(
            f"SELECT {COLUMNS_SQL} FROM events_event WHERE id > %s AND permanence_id = ANY(%s) "
            "ORDER BY id",
            [self.last_id, wanted],
        )
        rows = [EventRow.from_values(r) for r in await cursor.fetchall()]
        if rows:
            self.last_id = rows[-1].id
            self.hub.dispatch(self.loop, rows)


@dataclass(frozen=True)
class _Note:
    """A NOTIFY on relais_events: the event row itself (`payload`, a JSON array of COLUMNS),
    or only "<id> <permanence>" for a row too large to travel so (read from the table then)."""

    id: int
    permanence: str
    payload: str | None

    def row(self) -> EventRow:
        assert self.payload is not None
        return EventRow.from_values(json.loads(self.payload))


def _note(payload: str) -> _Note:
    """Its id and permanence, read from the head of the payload: the row itself is parsed only
    if a stream of that permanence is open in this process."""
    if payload.startswith("["):
        event_id, permanence, _ = payload[1:].split(",", 2)
        return _Note(int(event_id), permanence.strip().strip('"'), payload)
    event_id, _, permanence = payload.partition(" ")
    return _Note(int(event_id), permanence, None)


def conninfo() -> str:
    """libpq connection string of the default database (the listener's own connections)."""

    db = settings.DATABASES["default"]
    params = {
        "dbname": db.get("NAME"),
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": str(db["PORT"]) if db.get("PORT") else None,
        "application_name": "relais-events",
    }
    return make_conninfo(**{k: v for k, v in params.items() if v})


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[asyncio.AbstractEventLoop, dict[str, set[Subscriber]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self._listeners: dict[asyncio.AbstractEventLoop, _Listener] = {}
        self._pruners: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}

    async def subscribe(self, permanence_id: uuid.UUID) -> Subscriber:
        """A queue of this permanence's events; live from the moment this returns."""
        # Imported here: relais.events.publish and .stream import the hub when they load.
        from relais.events.publish import backend

        loop = asyncio.get_running_loop()
        sub = Subscriber(permanence_id=permanence_id, loop=loop)
        with self._lock:
            self._subs[loop][str(permanence_id)].add(sub)
        pruner = self._pruners.get(loop)
        if pruner is None or pruner.done():
            self._pruners[loop] = loop.create_task(self._prune())
        if backend() == "postgres":
            listener = self._listeners.get(loop)
            if listener is None or listener.task.done():
                listener = self._listeners[loop] = _Listener(self, loop)
            await listener.ready.wait()
        return sub

    async def _prune(self) -> None:
        """Every few minutes, a process with open streams deletes the events past the replay
        window (several processes doing it at once only delete nothing twice)."""
        # Imported here: relais.events.publish and .stream import the hub when they load.
        from relais.events.publish import events_prune
        from relais.events.stream import db

        while True:
            await asyncio.sleep(PRUNE_EVERY)
            try:
                await db(events_prune)
            except Exception:
                log.warning("relais events: pruning old events failed", exc_info=True)

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            subs = self._subs.get(sub.loop, {}).get(str(sub.permanence_id))
            if subs is not None:
                subs.discard(sub)

    def permanences(self, loop: asyncio.AbstractEventLoop) -> set[str]:
        with self._lock:
            return {p for p, subs in self._subs.get(loop, {}).items() if subs}

    def stream_count(self) -> int:
        with self._lock:
            return sum(len(s) for by_perm in self._subs.values() for s in by_perm.values())

    def dispatch(self, loop: asyncio.AbstractEventLoop, rows: Sequence[EventRow]) -> None:
        """On `loop`: each subscriber gets the rows of its permanence, in one batch (the same
        Batch for all of them)."""
        by_perm: dict[str, list[EventRow]] = defaultdict(list)
        for row in rows:
            by_perm[str(row.permanence_id)].append(row)
        with self._lock:
            targets = [
                (list(subs), Batch(by_perm[p], AT_ONCE))
                for p, subs in self._subs.get(loop, {}).items()
                if p in by_perm and subs
            ]
        for subs, batch in targets:
            for sub in subs:
                sub.pending.append(batch)
                sub.wake.set()

    def deliver_threadsafe(self, events: Sequence[Any]) -> None:
        """The local backend: committed events (events.Event) from any thread."""
        rows = [EventRow.of(e) for e in events]
        with self._lock:
            loops = [loop for loop, by_perm in self._subs.items() if any(by_perm.values())]
        for loop in loops:
            if loop.is_closed():
                continue
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.dispatch, loop, rows)


hub = Hub()
