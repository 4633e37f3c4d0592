"""Workers as real processes against the test database, the queue on django-tasks' database
backend and on Redis (django-tasks-rq + rqworker), real SMTP and SMS servers on 127.0.0.1.

Each test runs twice (the `queue` fixture): the scale-out path is proven, not promised."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

from relais.delivery.models import Delivery
from relais.messaging.models import HistoryEvent
from tests import factories as f
from tests.conftest import World
from tests.delivery.conftest import Queue, manage, send
from tests.delivery.servers import FakeBrevo, SmtpSink

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.delivery.urls")]


def wait_until(check: Callable[[], bool], timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or check}")


def smtp_env(sink: SmtpSink) -> dict[str, Any]:
    return {"RELAIS_EMAIL_BACKEND": "smtp", "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": sink.port}


def received_once_each(sink: SmtpSink, deliveries: list[Delivery]) -> None:
    """Every e-mail copy arrived, and exactly once (its Message-ID is the delivery id)."""
    got = [r.message["Message-ID"] for r in sink.received]
    assert sorted(got) == sorted(f"<{d.id}@relais.example>" for d in deliveries)


def colleagues(world: World, count: int, **extra: Any) -> list[Any]:
    return [
        f.StaffFactory.create(permanence=world.perm_a, email=f"collegue{i}@a.test", **extra)
        for i in range(count)
    ]


def test_copies_leave_through_the_queue_and_receipts_come_back(
    world: World,
    queue: Queue,
    smtp: SmtpSink,
    brevo: FakeBrevo,
    live_server: Any,
    settings: Any,
) -> None:
    settings.SITE_URL = live_server.url
    brevo.auto_receipt = "delivered"
    queue.start_wakeup_worker(
        **smtp_env(smtp),
        RELAIS_SMS_BACKEND="brevo",
        BREVO_API_KEY=brevo.API_KEY,
        BREVO_API_URL=brevo.base_url,
        SITE_URL=live_server.url,
    )
    cc = colleagues(world, 2, mobile="+33698765432")
    for n in range(3):
        send(
            world.operateur_a,
            world.client_a,
            subject=f"Rappel {n}",
            copy_email=True,
            copy_sms=True,
            cc=[u.id for u in cc],
        )
    emails = list(Delivery.objects.filter(channel="email"))
    sms = list(Delivery.objects.filter(channel="sms"))
    assert (len(emails), len(sms)) == (9, 6)  # the colleagues share one mobile: one SMS each

    wait_until(lambda: len(smtp.received) >= 9 and len(brevo.sent) >= 6, what="the copies")
    wait_until(
        lambda: Delivery.objects.filter(status=Delivery.DELIVERED).count() == 6,
        what="the SMS receipts",
    )
    time.sleep(0.3)  # anything sent twice would show up by now

    received_once_each(smtp, emails)
    assert sorted(s["tag"] for s in brevo.sent) == sorted(str(d.id) for d in sms)
    assert Delivery.objects.filter(channel="email", status=Delivery.SENT).count() == 9
    assert HistoryEvent.objects.filter(kind=HistoryEvent.COPY_DELIVERED).count() == 6


def test_smtp_down_then_back_delivers_every_copy_once(
    world: World, queue: Queue, settings: Any
) -> None:
    sink = SmtpSink()  # its port stays closed for now: the server is down
    queue.start_workers(
        sweep=0.1,
        **smtp_env(sink),
        RELAIS_DELIVERY_BACKOFF_BASE=0.2,
        RELAIS_DELIVERY_BACKOFF_MAX=0.5,
        RELAIS_DELIVERY_MAX_ATTEMPTS=100,
        RELAIS_DELIVERY_SWEEP_GRACE=0.5,
    )
    cc = colleagues(world, 2)
    for n in range(4):
        send(
            world.operateur_a,
            world.client_a,
            subject=f"Panne {n}",
            copy_email=True,
            cc=[u.id for u in cc],
        )
    deliveries = list(Delivery.objects.all())
    assert len(deliveries) == 12

    wait_until(
        lambda: Delivery.objects.filter(attempts__gte=2, status=Delivery.QUEUED).exists(),
        what="failed attempts while the server is down",
    )
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 0
    sink.start()
    try:
        wait_until(
            lambda: Delivery.objects.filter(status=Delivery.SENT).count() == 12,
            what="every copy sent once the server is back",
        )
        time.sleep(0.3)
        received_once_each(sink, deliveries)
    finally:
        sink.stop()
    retry = HistoryEvent.objects.filter(kind=HistoryEvent.COPY_RETRY).first()
    assert retry is not None and "Serveur de messagerie injoignable" in retry.detail


def test_a_worker_killed_mid_batch_leaves_the_rest_to_the_next_one(
    world: World, queue: Queue, smtp: SmtpSink, settings: Any, tmp_path: Any
) -> None:
    lease = 1.5
    env = {**smtp_env(smtp), "RELAIS_DELIVERY_LEASE": lease}
    smtp.stall_after(4)  # the 5th e-mail hangs until its sender dies
    worker = queue.start_wakeup_worker(**env)
    cc = colleagues(world, 11)
    send(world.operateur_a, world.client_a, copy_email=True, cc=[u.id for u in cc])
    deliveries = list(Delivery.objects.all())
    assert len(deliveries) == 12

    assert smtp.handler.stalled.wait(30), "the worker never reached the 5th copy"
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and any child it forked
    worker.wait(timeout=10)

    assert len(smtp.received) == 4
    # Four recorded as sent; the one in flight and those claimed with it wait for the lease.
    statuses = sorted(Delivery.objects.values_list("status", flat=True))
    assert statuses == ["sending"] * 8 + ["sent"] * 4
    smtp.stall_after(None)
    time.sleep(lease + 0.2)

    done = manage("relais_worker", "--once", env=queue.env(**env))
    assert done.returncode == 0, done.stdout + done.stderr  # type: ignore[operator]

    received_once_each(smtp, deliveries)
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 12
    assert Delivery.objects.filter(attempts=2).count() == 8  # taken back once each
    assert not Delivery.objects.filter(in_doubt=True).exists()
