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


async def _settle() -> None:
    """Lets the loader run what needs no timer (a note taken and dispatched at once)."""
    for _ in range(5):
        await asyncio.sleep(0)


def test_notes_under_load_go_out_together_and_a_lone_one_at_once() -> None:
    async def scenario() -> tuple[_Hub, float, list[list[int]], list[list[int]]]:
        fake = _Hub()
        listener = object.__new__(hub_module._Listener)
        listener.hub = fake  # type: ignore[assignment]
        listener.loop = asyncio.get_running_loop()
        listener.last_id = None
        pending: asyncio.Queue[Any] = asyncio.Queue()
        loader = asyncio.create_task(listener.load(None, pending))
        # The first note goes at once: dispatched before any timer could fire.
        pending.put_nowait(note(1))
        await _settle()
        first = [ids for _, ids in fake.batches]
        # Forty sends, one every millisecond, right after: far fewer batches than notes.
        started = time.monotonic()
        for event_id in range(2, 42):
            pending.put_nowait(note(event_id))
            await asyncio.sleep(0.001)
        span = time.monotonic() - started
        await asyncio.sleep(hub_module.GATHER * 2)
        # A quiet spell, then one note: at once again.
        await asyncio.sleep(hub_module.GATHER * 2)
        before = len(fake.batches)
        pending.put_nowait(note(99))
        await _settle()
        lone = [ids for _, ids in fake.batches[before:]]
        loader.cancel()
        return fake, span, first, lone

    fake, span, first, lone = run(scenario())
    assert first == [[1]]
    assert lone == [[99]]
    ids = [i for _, batch in fake.batches for i in batch]
    assert ids == [*range(1, 42), 99]  # none lost, none twice, in order
    # 40 notes over ~40 ms (more on a slow machine): a batch per GATHER at most.
    under_load = fake.batches[1:-1]
    assert len(under_load) <= span / hub_module.GATHER + 2
    assert len(under_load) < 20
