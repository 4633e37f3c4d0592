"""The LISTEN side gathers what arrives under load (events.hub._Listener.load): a note after a
quiet spell is dispatched at once; the notes that follow within GATHER go out together."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from relais.events import hub as hub_module
from tests.events.helpers import run

PERMANENCE = str(uuid.uuid4())


def note(event_id: int) -> Any:
    row = [event_id, PERMANENCE, "message.created", None, None, None, False, False, {}]
    return hub_module._note(json.dumps(row))


class _Hub:
    def __init__(self) -> None:
        self.batches: list[tuple[float, list[int]]] = []

    def permanences(self, loop: Any) -> set[str]:
        return {PERMANENCE}

    def dispatch(self, loop: Any, rows: Any) -> None:
        self.batches.append((time.monotonic(), [row.id for row in rows]))


def test_notes_under_load_go_out_together_and_a_lone_one_at_once() -> None:
    async def scenario() -> _Hub:
        fake = _Hub()
        listener = object.__new__(hub_module._Listener)
        listener.hub = fake  # type: ignore[assignment]
        listener.loop = asyncio.get_running_loop()
        listener.last_id = None
        pending: asyncio.Queue[Any] = asyncio.Queue()
        loader = asyncio.create_task(listener.load(None, pending))
        sent_at = time.monotonic()
        pending.put_nowait(note(1))
        await asyncio.sleep(0.001)
        # Forty sends, one every millisecond, right after: far fewer batches than notes.
        for event_id in range(2, 42):
            pending.put_nowait(note(event_id))
            await asyncio.sleep(0.001)
        fake.load_span = time.monotonic() - sent_at  # type: ignore[attr-defined]
        await asyncio.sleep(hub_module.GATHER * 2)
        # A quiet spell, then one note: at once.
        await asyncio.sleep(hub_module.GATHER * 2)
        lone_at = time.monotonic()
        pending.put_nowait(note(99))
        await asyncio.sleep(0.005)
        loader.cancel()
        fake.batches.insert(0, (sent_at, []))
        fake.batches.append((lone_at, []))
        return fake

    fake = run(scenario())
    sent_at, _ = fake.batches[0]
    lone_at, _ = fake.batches[-1]
    batches = fake.batches[1:-1]
    ids = [i for _, batch in batches for i in batch]
    assert ids == [*range(1, 42), 99]  # none lost, none twice, in order
    assert batches[0] == (batches[0][0], [1]) and batches[0][0] - sent_at < 0.005
    # 40 notes over ~40 ms (more on a slow machine): a batch per GATHER at most.
    under_load = batches[1:-1]
    assert len(under_load) <= fake.load_span / hub_module.GATHER + 2  # type: ignore[attr-defined]
    assert len(under_load) < 20
    gaps = [b[0] - a[0] for a, b in zip(batches[:-2], batches[1:-1], strict=True)]
    assert all(gap >= hub_module.GATHER * 0.9 for gap in gaps)
    assert batches[-1][1] == [99] and batches[-1][0] - lone_at < 0.005
