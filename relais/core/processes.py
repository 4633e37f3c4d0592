"""Starting and watching the processes of a launch (the demo's `relais_run`, production's
`relais_serve`): if one of them stops, everything stops, so a supervisor (systemd, a container
runtime) sees the failure and restarts the whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

from django.conf import settings


def manage(*args: str) -> list[str]:
    """The command line of `manage.py <args>` with this interpreter."""
    return [sys.executable, str(settings.BASE_DIR / "manage.py"), *args]


def delivery_commands(count: int) -> list[list[str]]:
    """The delivery workers: `count` relais_worker processes and, when the wake-ups go through
    Redis, one rqworker on the delivery queue (relais_worker still sweeps retries and lost
    wake-ups)."""
    commands = [manage("relais_worker") for _ in range(count)]
    if getattr(settings, "TASKS_BACKEND", "db") == "rq":
        commands.append(
            manage(
                "rqworker",
                settings.RELAIS_DELIVERY_QUEUE,
                "--job-class",
                "django_tasks_rq.backend.Job",
            )
        )
    return commands


# Database connections of one ASGI process (a bounded pool on PostgreSQL, config/settings.py).
ASGI_DB_POOL = "4"


def asgi_command(host: str, port: int, *, access_log: bool = False) -> list[str]:
    """uvicorn serving Relais's ASGI application (the pages and the live event streams)."""
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--lifespan",
        "off",
        # C parser and event loop: the streams' writes cost less (docs/DECISIONS.md).
        "--http",
        "httptools",
        "--loop",
        "uvloop",
        "--timeout-keep-alive",
        "5",
        "--timeout-graceful-shutdown",
        "3",
    ]
    if not access_log:
        cmd.append("--no-access-log")
    return cmd


def asgi_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an ASGI process: a bounded pool of PostgreSQL connections, whatever
    its clients do (each request's thread would otherwise keep its own connection)."""
    env = dict(os.environ if base is None else base)
    env.setdefault("RELAIS_DB_POOL", ASGI_DB_POOL)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return env


def supervise(processes: Sequence[tuple[str, subprocess.Popen[bytes]]], err: object) -> int:
    """Wait until Ctrl+C or SIGTERM, or until one process stops (its name is written to `err`,
    a management command's stderr); then stop them all. Returns the exit code."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while True:
            for name, proc in processes:
                status = proc.poll()
                if status is not None:
                    err.write(f"Le {name} s'est arrêté (code {status}).")  # type: ignore[attr-defined]
                    return status or 1
            time.sleep(1)
    except KeyboardInterrupt:
        return code
    finally:
        signal.signal(signal.SIGTERM, previous)
        for _, proc in processes:
            if proc.poll() is None:
                proc.terminate()
        for _, proc in processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
