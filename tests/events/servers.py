"""ASGI web processes started by the tests themselves (uvicorn, as the demo launch runs it)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from django.db import connection

from bench.common import free_port
from relais.core.management.commands.relais_run import demo_web
from tests.delivery.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def web_process(tmp_path: Path, **extra: str) -> Iterator[int]:
    """The demo's web server (relais_run's command line and environment) on a free port,
    against the test database; yields the port."""
    port = free_port()
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "RELAIS_DB_POOL", "DJANGO_SETTINGS_MODULE")
    }
    cmd, env = demo_web("127.0.0.1", port, inherited)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "RELAIS_DATA_DIR": str(tmp_path),
            **extra,
        }
    )
    log = (tmp_path / f"web-{port}.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError((tmp_path / f"web-{port}.log").read_text())
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
