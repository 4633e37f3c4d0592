"""« Envoyer » clicked several times at once: the same form (one key) sends one notice; two
forms (two keys) for the same absence cancel each appointment once."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from relais.delivery.models import Delivery
from relais.planning.models import Appointment, Movement, Notice
from tests.conftest import World, login
from tests.planning.notice_scene import build_day

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="real concurrency needs PostgreSQL: SQLite serialises every writer of the file",
    ),
]


def click_together(world: World, bodies: list[dict[str, Any]]) -> list[Any]:
    clients = [login(world.operateur_a) for _ in bodies]
    url = f"/clients/{world.client_a.id}/prevenir/"
    barrier = threading.Barrier(len(bodies))
    pages: list[Any] = [None] * len(bodies)

    def click(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            pages[i] = clients[i].post(url, bodies[i], headers={"HX-Request": "true"})
        except Exception as exc:  # reported below: the test fails on it
            pages[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return pages


def absence(day: dt.date, key: str) -> dict[str, Any]:
    return {
        "kind": "absence",
        "date": day.isoformat(),
        "to_date": day.isoformat(),
        "cancel_appointments": "on",
        "text": "",
        "key": key,
        "action": "send",
    }


def test_a_double_click_sends_one_notice(world: World) -> None:
    day = timezone.localdate() + dt.timedelta(days=1)
    build_day(world.client_a, world.operateur_a, day)
    pages = click_together(world, [absence(day, "same-key")] * 4)
    statuses = sorted(getattr(p, "status_code", p) for p in pages)
    assert statuses == [200, 200, 200, 201], pages
    assert Notice.objects.count() == 1
    assert Delivery.objects.count() == 7
    assert Movement.objects.filter(kind=Movement.CANCELLED).count() == 8


def test_two_forms_cancel_each_appointment_once(world: World) -> None:
    day = timezone.localdate() + dt.timedelta(days=1)
    build_day(world.client_a, world.operateur_a, day)
    pages = click_together(world, [absence(day, "form-1"), absence(day, "form-2")])
    statuses = sorted(getattr(p, "status_code", p) for p in pages)
    # The second finds nothing left to warn of once the first has cancelled the day.
    assert statuses == [201, 422], pages
    assert Notice.objects.count() == 1
    assert Appointment.objects.filter(status=Appointment.CANCELLED).count() == 8
    assert Movement.objects.filter(kind=Movement.CANCELLED).count() == 8
    assert Delivery.objects.count() == 7
