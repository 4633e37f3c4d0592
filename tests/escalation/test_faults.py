"""Faults, on PostgreSQL, with real worker processes: a worker SIGKILLed in the middle of a
step leaves nothing of it; two workers then take every step, each exactly once, and every
e-mail copy reaches the SMTP server once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from relais.delivery.models import Delivery
from relais.escalation.models import Escalation, EscalationStep
from relais.messaging.models import HistoryEvent
from tests import factories as f
from tests.conftest import World
from tests.delivery.conftest import database_url, manage, send, worker_env
from tests.delivery.servers import SmtpSink
from tests.delivery.test_end_to_end import received_once_each, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def start_worker(tmp_path: Path, smtp: SmtpSink) -> subprocess.Popen[bytes]:
    env = worker_env(
        tmp_path,
        RELAIS_EMAIL_BACKEND="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=smtp.port,
        RELAIS_DELIVERY_SWEEP_GRACE=0,
    )
    process = manage("relais_worker", "--interval", "0.05", "--sweep", "0.2", env=env, wait=False)
    assert isinstance(process, subprocess.Popen)
    return process


def kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def test_it_takes_a_step_once_with_a_worker_killed_mid_step_and_two_workers(
    world: World, smtp: SmtpSink, tmp_path: Path
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (SQLite serialises writers)")
    doctor = f.ContactFactory.create(
        client=world.client_a, name="Dr Girard", phone="+33611111111", email="girard@garde.test"
    )
    who = {"kind": "contact", "id": str(doctor.id)}
    client = world.client_a
    client.escalation = {
        "steps": [
            {"after_minutes": 1, "to": "same", "channels": ["sms", "email"]},
            {"after_minutes": 1, "to": "on_call", "channels": ["sms", "email"]},
        ],
        "final_alert": True,
        "final_after_minutes": 1,
    }
    client.on_call = {
        "weekly": [
            *({"weekday": d, "from": "00:00", "to": "12:00", "who": who} for d in range(7)),
            *({"weekday": d, "from": "12:00", "to": "00:00", "who": who} for d in range(7)),
        ],
        "exceptions": [],
    }
    client.save()
    message = send(world.operateur_a, client, is_urgent=True, copy_email=True, copy_sms=True)
    # Every step is already late (the send was 10 minutes ago).
    started = timezone.now() - dt.timedelta(minutes=10)
    Escalation.objects.filter(pk=message.pk).update(
        started_at=started, next_step_at=started + dt.timedelta(minutes=1)
    )
    escalation = Escalation.objects.get(pk=message.pk)

    # Another transaction holds the step's unique slot (escalation, step 0): the worker
    # blocks on its INSERT, after its claim, inside the step's transaction.
    blocker = psycopg.connect(database_url(), autocommit=False)
    try:
        blocker.execute(
            'INSERT INTO escalation_escalationstep (escalation_id, step, due_at, at, "to", '
            "channels) VALUES (%s, 0, now(), now(), '[]', '[]')",
            [escalation.pk],
        )
        worker = start_worker(tmp_path, smtp)
        try:

            def worker_waits() -> bool:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query LIKE %s",
                        ["%escalation_escalationstep%"],
                    )
                    return bool(cursor.fetchone()[0])

            wait_until(worker_waits, what="the worker inside the step")
        finally:
            kill(worker)  # SIGKILL in the middle of the step
    finally:
        blocker.rollback()
        blocker.close()

    # Nothing of the step survived the kill: no step row, no copy, the claim rolled back.
    escalation.refresh_from_db()
    assert (escalation.next_step, escalation.state) == (0, Escalation.WAITING)
    assert not EscalationStep.objects.exists()
    first_copies = set(Delivery.objects.values_list("id", flat=True))
    assert len(first_copies) == 2

    # Two workers together: each step once, the alert once.
    workers = [start_worker(tmp_path, smtp), start_worker(tmp_path, smtp)]
    try:
        wait_until(
            lambda: (
                Escalation.objects.filter(pk=message.pk, alert_at__isnull=False).exists()
                and Delivery.objects.count() == 6
                and not Delivery.objects.exclude(status=Delivery.SENT).exists()
            ),
            timeout=60,
            what="every step taken and every copy sent",
        )
    finally:
        for worker in workers:
            kill(worker)
    assert list(EscalationStep.objects.order_by("step").values_list("step", flat=True)) == [0, 1]
    history = HistoryEvent.objects.filter(message=message)
    assert history.filter(kind=HistoryEvent.ESCALATION_STEP).count() == 2
    assert history.filter(kind=HistoryEvent.ESCALATION_ALERT).count() == 1
    assert history.filter(kind=HistoryEvent.COPY_SENT).count() == 6
    deliveries = list(Delivery.objects.all())
    assert sorted((d.channel, d.to) for d in deliveries if d.id not in first_copies) == sorted(
        [
            ("email", client.email),
            ("email", "girard@garde.test"),
            ("sms", client.mobile),
            ("sms", "+33611111111"),
        ]
    )
    assert all(d.attempts == 1 for d in deliveries)
    received_once_each(smtp, [d for d in deliveries if d.channel == Delivery.EMAIL])
