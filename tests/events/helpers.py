"""Reading a live event stream in tests: the view itself, through Django's async client."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from django.test import AsyncClient


@dataclass
class Sse:
    id: str
    kind: str
    data: dict[str, Any]


def parse(text: str) -> tuple[list[Sse], list[str]]:
    """Events and comment lines of a piece of stream."""
    events, comments = [], []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith(":"):
                comments.append(line[1:].strip())
            elif ": " in line:
                key, value = line.split(": ", 1)
                fields[key] = value
        if "event" in fields:
            events.append(Sse(fields.get("id", ""), fields["event"], json.loads(fields["data"])))
    return events, comments


class Reader:
    """An open stream: `await reader.open()`, then `await reader.read(seconds)`."""

    def __init__(self, client: AsyncClient, path: str = "/events", **headers: str) -> None:
        self.client = client
        self.path = path
        self.headers = headers
        self.status = 0
        self.content_type = ""
        self._chunks: AsyncIterator[bytes] | None = None
        self.buffer = ""
        # The chunks read after the first one (the server's writes).
        self.writes: list[str] = []

    async def open(self) -> Reader:
        response = await self.client.get(self.path, headers=self.headers)
        self.status = response.status_code
        self.content_type = response.get("Content-Type", "")
        if self.status == 200:
            self._chunks = aiter(response.streaming_content)  # type: ignore[attr-defined]
            # The first chunk is sent once the stream is subscribed: live from here on.
            self.buffer += (await anext(self._chunks)).decode()
        return self

    async def read(self, seconds: float, stop: Callable[[list[Sse]], bool] | None = None) -> str:
        """What arrives within `seconds` (or until `stop(events so far)` holds)."""
        assert self._chunks is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                chunk = await asyncio.wait_for(anext(self._chunks), left)
            except TimeoutError:
                break
            self.buffer += chunk.decode()
            self.writes.append(chunk.decode())
            if stop is not None and stop(parse(self.buffer)[0]):
                break
        return self.buffer

    def events(self) -> list[Sse]:
        return parse(self.buffer)[0]

    async def close(self) -> None:
        if self._chunks is not None:
            await self._chunks.aclose()  # type: ignore[attr-defined]


async def logged_in(user: Any) -> AsyncClient:
    client = AsyncClient()
    await client.aforce_login(user, backend="relais.tenancy.backends.UserBackend")
    return client


def run(coro: Any) -> Any:
    """Runs a scenario; then closes what Django's async client opened in its sync thread."""
    from asgiref.sync import sync_to_async
    from django.db import connections

    async def scenario() -> Any:
        try:
            return await coro
        finally:
            await sync_to_async(connections.close_all)()

    # In a thread of its own: a browser test's Playwright may have left its event loop
    # running in this one, where asyncio.run refuses to start. Django's async-safety checks
    # are on while it runs (the browser tests' set-up turns them off for the session).
    unsafe = os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, scenario()).result()
    finally:
        if unsafe is not None:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = unsafe


def db(fn: Callable[..., Any]) -> Callable[..., Any]:
    """fn in a worker thread whose connection is closed after (none is left open)."""
    from relais.events.stream import db as run_db

    async def call(*args: Any, **kwargs: Any) -> Any:
        return await run_db(lambda: fn(*args, **kwargs))

    return call
