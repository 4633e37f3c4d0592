from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from relais.delivery.backends import memory
from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_send
from relais.tenancy.models import User
from tests.delivery.servers import FakeBrevo, SmtpSink

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _memory_outbox() -> Iterator[None]:
    memory.reset()
    yield
    memory.reset()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_settings(settings: Any, smtp: SmtpSink) -> SmtpSink:
    """E-mail copies through Django's SMTP backend to the sink on 127.0.0.1."""
    settings.RELAIS_EMAIL_BACKEND = "smtp"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp.port
    settings.EMAIL_TIMEOUT = 5
    return smtp


@pytest.fixture
def brevo(settings: Any) -> Iterator[FakeBrevo]:
    fake = FakeBrevo().start()
    settings.RELAIS_SMS_BACKEND = "brevo"
    settings.BREVO_API_KEY = fake.API_KEY
    settings.BREVO_API_URL = fake.base_url
    settings.BREVO_TIMEOUT = 5
    yield fake
    fake.stop()


def send(author: User, client: Any, **fields: Any) -> Message:
    data = SendInput(subject=fields.pop("subject", "Rappel patient"), **fields)
    data.body = data.body or "Merci de rappeler Mme Durand.\nElle est joignable jusqu'à 18 h."
    message, created = message_send(author=author, client=client, data=data)
    assert created
    return message


def database_url() -> str:
    """The test database, as a DATABASE_URL a worker subprocess can use."""
    info = connection.settings_dict
    if info["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{info['NAME']}"
    user = info.get("USER") or "postgres"
    password = f":{info['PASSWORD']}" if info.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{info.get('HOST') or '127.0.0.1'}:"
        f"{info.get('PORT') or 5432}/{info['NAME']}"
    )


def worker_env(tmp_path: Path, **extra: Any) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "RELAIS_DATA_DIR": str(tmp_path),
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "ERROR",
        "PYTHONUNBUFFERED": "1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def manage(
    *args: str, env: dict[str, str], wait: bool = True, timeout: float = 30
) -> subprocess.Popen[bytes] | subprocess.CompletedProcess[bytes]:
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    if wait:
        return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, timeout=timeout)
    # Output to a file (a pipe nobody reads would stop a chatty worker once full). Own
    # session: the whole process group can be killed at once, forked children included.
    log = Path(env["RELAIS_DATA_DIR"]) / f"{args[0]}.log"
    with log.open("ab") as out:
        return subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


REDIS_URL = os.environ.get("RELAIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


class Queue:
    """The tasks backend of one end-to-end test: what this process enqueues into, and the
    worker processes that run the wake-ups."""

    # Test sessions may run side by side on one Redis: each has its own queue.
    NAME = f"relais-test-{os.getpid()}"

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen[bytes]] = []

    def env(self, **extra: Any) -> dict[str, str]:
        if self.kind == "rq":
            extra = {
                "TASKS_BACKEND": "rq",
                "REDIS_URL": REDIS_URL,
                "RELAIS_DELIVERY_QUEUE": self.NAME,
                **extra,
            }
        return worker_env(self.tmp_path, **extra)

    def start(self, *args: str, **extra: Any) -> subprocess.Popen[bytes]:
        process = manage(*args, env=self.env(**extra), wait=False)
        assert isinstance(process, subprocess.Popen)
        self.processes.append(process)
        return process

    def start_wakeup_worker(self, **extra: Any) -> subprocess.Popen[bytes]:
        """The process that runs queued wake-ups: the relais worker on the database queue,
        `rqworker` on Redis. The sweep is pushed far away so only wake-ups send."""
        extra = {"RELAIS_DELIVERY_SWEEP_GRACE": 300, **extra}
        if self.kind == "rq":
            return self.start(
                "rqworker", self.NAME, "--job-class", "django_tasks_rq.backend.Job", **extra
            )
        return self.start("relais_worker", "--interval", "0.05", "--sweep", "300", **extra)

    def start_workers(self, *, sweep: float, **extra: Any) -> None:
        """Wake-ups and the sweep (retries, lost wake-ups, dead workers' copies)."""
        if self.kind == "rq":
            self.start_wakeup_worker(**extra)
        self.start("relais_worker", "--interval", "0.05", "--sweep", str(sweep), **extra)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture(params=["db", "rq"])
def queue(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> Iterator[Queue]:
    """Runs the test once with django-tasks' database backend, once with Redis (django-tasks-rq
    and real `rqworker` processes)."""
    if request.param == "rq":
        if not redis_reachable():
            pytest.skip(f"Redis is not reachable at {REDIS_URL}: start it to run the RQ path")
        import django_rq

        settings.RELAIS_DELIVERY_QUEUE = Queue.NAME
        settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}, Queue.NAME: {"URL": REDIS_URL}}
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", Queue.NAME]}
        }
        django_rq.get_queue(Queue.NAME).empty()
    else:
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    handle = Queue(request.param, tmp_path)
    yield handle
    handle.stop_all()
    if request.param == "rq":
        django_rq.get_queue(Queue.NAME).empty()
