"""The counts a process's streams ask for are computed together (events.stream._CountsBatch):
none is left waiting, whenever it is asked."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.events.helpers import run


@dataclass
class _User:
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def test_counts_asked_while_others_are_computed_are_computed_too(monkeypatch: Any):
    from relais.events import stream

    computed: list[Any] = []

    async def scenario() -> list[dict[str, int]]:
        gate = asyncio.Event()

        async def db(fn: Any, *args: Any) -> Any:
            if not computed:
                await gate.wait()  # the first batch is still being computed…
            computed.append(fn)
            return fn(*args)

        monkeypatch.setattr(stream, "db", db)
        monkeypatch.setattr(stream, "_counts", lambda user, only: {"n": len(computed)})
        batch = stream._CountsBatch()
        first = asyncio.create_task(batch.ask(_User(), None))  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
        # …when a second stream asks: its count must not wait for a third one to ask.
        second = asyncio.create_task(batch.ask(_User(), None))  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
        gate.set()
        return list(await asyncio.wait_for(asyncio.gather(first, second), 2))

    assert run(scenario()) == [{"n": 1}, {"n": 2}]
    assert len(computed) == 2
