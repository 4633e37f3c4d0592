"""POST /api/v1/clients/{id}/notices/preview and /notices (API.md, "Absence and delay notices")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.delivery.models import Delivery
from relais.planning.models import Appointment, Movement, Notice
from relais.tenancy import permissions as perms
from tests import factories as f
from tests.api.conftest import call
from tests.conftest import World, api_client
from tests.planning.notice_scene import AFTERNOON, NoticeDay, build_day

MONDAY = dt.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[None]:
    moment = timezone.make_aware(dt.datetime.combine(MONDAY, dt.time(8, 0)))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def day(world: World) -> NoticeDay:
    return build_day(world.client_a, world.operateur_a, MONDAY)


def delay(**extra: Any) -> dict[str, Any]:
    return {"kind": "delay", "date": "2026-12-07", "from_time": "14:00", "minutes": 40, **extra}


def absence(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "absence",
        "date": "2026-12-07",
        "to_date": "2026-12-08",
        "cancel_appointments": True,
        **extra,
    }


def test_it_previews_a_delay(world: World, day: NoticeDay) -> None:
    http = api_client(world.operateur_a)
    response = call(http, "POST", f"/clients/{world.client_a.id}/notices/preview", delay())
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["contact"]["name"] for r in body["recipients"]] == AFTERNOON
    assert [r["channel"] for r in body["recipients"]] == ["sms", "sms", "sms", "email", "call"]
    first = body["recipients"][0]
    assert first["appointment"]["start"] == "14:00"
    assert first["sms_segments"] == 1 and "Hélène Durand" in first["text"]
    assert body["sms_total"] == 3
    assert body["cancels"] == []
    assert not Notice.objects.exists()


def test_it_sends_once_per_idempotency_key(world: World, day: NoticeDay) -> None:
    http = api_client(world.operateur_a)
    petit = str(day.contacts["Marc Petit"].id)
    path = f"/clients/{world.client_a.id}/notices"
    response = call(http, "POST", path, delay(exclude=[petit]), **{"Idempotency-Key": "n-1"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subject"] == "Retard de 40 min signalé à 3 patients"
    assert len(body["deliveries"]) == 3
    assert {d["status"] for d in body["deliveries"]} == {"queued"}
    assert body["to_call"][0]["name"] == "Henri Sansrien"
    assert body["message"] and body["cancelled"] == []
    again = call(http, "POST", path, delay(exclude=[petit]), **{"Idempotency-Key": "n-1"})
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == body["id"]
    assert len(again.json()["deliveries"]) == 3
    assert Delivery.objects.count() == 3


def test_an_absence_cancels_and_answers_the_cancelled_ids(world: World, day: NoticeDay) -> None:
    http = api_client(world.gerant_a)
    response = call(
        http, "POST", f"/clients/{world.client_a.id}/notices", absence(), **{"Idempotency-Key": "a"}
    )
    assert response.status_code == 201, response.content
    cancelled = response.json()["cancelled"]
    assert sorted(cancelled) == sorted(str(a.id) for a in day.appointments.values())
    assert Appointment.objects.filter(status=Appointment.CANCELLED).count() == 8
    journal = call(http, "GET", f"/clients/{world.client_a.id}/movements").json()["items"]
    assert journal[0]["kind"] == "notice" and journal[0]["appointment"] is None
    assert journal[0]["summary"].startswith(
        "Absence du 07/12/2026 au 08/12/2026 signalée à 7 patients"
    )
    assert [m["kind"] for m in journal[1:]] == ["cancelled"] * 8


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (delay(date="2026-12-01"), "date"),
        (absence(to_date="2026-12-06"), "to_date"),
        (delay(minutes=0), "minutes"),
        (delay(minutes=1000), "minutes"),
        (delay(text="Bonjour {contact}. " + "Votre rendez-vous est décalé. " * 20), "text"),
        (delay(kind="congés"), "kind"),
        (delay(date="demain"), "date"),
    ],
)
def test_bad_input_answers_422_in_french_and_sends_nothing(
    world: World, day: NoticeDay, body: dict[str, Any], field: str
) -> None:
    http = api_client(world.operateur_a)
    for path in ("/notices/preview", "/notices"):
        response = call(http, "POST", f"/clients/{world.client_a.id}{path}", body)
        assert response.status_code == 422, response.content
        assert field in response.json()["errors"]
        assert response.json()["detail"]
    assert not Delivery.objects.exists() and not Notice.objects.exists()
    assert not Appointment.objects.filter(status=Appointment.CANCELLED).exists()


def test_a_malformed_body_is_a_4xx_never_a_500(world: World, day: NoticeDay) -> None:
    http = api_client(world.operateur_a)
    path = f"/clients/{world.client_a.id}/notices"
    for body in ({"kind": "delay"}, delay(minutes="beaucoup"), delay(exclude="x"), "{nope"):
        response = call(http, "POST", path, body)
        assert 400 <= response.status_code < 500, response.content
    assert not Delivery.objects.exists()


def test_another_permanence_answers_404_and_a_missing_right_403(
    world: World, day: NoticeDay
) -> None:
    path = f"/clients/{world.client_a.id}/notices"
    assert call(api_client(world.gerant_b), "POST", path, delay()).status_code == 404
    assert call(api_client(world.gerant_b), "POST", path + "/preview", delay()).status_code == 404
    role = world.operateur_a.role
    assert role is not None
    role.permissions = [p for p in role.permissions if p != perms.PLANNING_NOTICE]
    role.save()
    response = call(api_client(world.operateur_a), "POST", path, delay())
    assert response.status_code == 403
    assert response.json()["detail"] == "Vous n'avez pas le droit de faire cela."
    assert not Delivery.objects.exists()
    assert not Movement.objects.filter(kind=Movement.NOTICE).exists()


def test_a_client_user_warns_its_own_patients(world: World, day: NoticeDay) -> None:
    http = api_client(world.client_user_a)
    path = f"/clients/{world.client_a.id}/notices"
    response = call(http, "POST", path, delay(), **{"Idempotency-Key": "cu"})
    assert response.status_code == 201, response.content
    other = f.ClientFactory.create(permanence=world.perm_a)
    assert call(http, "POST", f"/clients/{other.id}/notices", delay()).status_code == 404


def _count(http: Any, path: str, body: dict[str, Any], **headers: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = call(http, "POST", path, body, **headers)
    assert response.status_code < 300, response.content
    return len(ctx.captured_queries)


def add_afternoon(world: World, n: int) -> None:
    for i in range(n):
        contact = f.ContactFactory.create(
            client=world.client_a, name=f"Patient {i:03}", phone=f"+336{i:08d}"
        )
        f.AppointmentFactory.create(
            client=world.client_a,
            contact=contact,
            date=MONDAY,
            start=dt.time(15 + i % 4, 0),
            created_by=world.operateur_a,
        )


@pytest.mark.parametrize("kind", ["delay", "absence"])
def test_preview_and_send_cost_the_same_queries_for_5_or_45_contacts(
    world: World, day: NoticeDay, kind: str
) -> None:
    http = api_client(world.operateur_a)
    call(http, "GET", "/me")  # the token's use is recorded once a minute
    base = f"/clients/{world.client_a.id}/notices"
    body = delay() if kind == "delay" else absence()
    small_preview = _count(http, base + "/preview", body)
    small_send = _count(http, base, body, **{"Idempotency-Key": f"{kind}-1"})
    Delivery.objects.all().delete()
    Appointment.objects.update(status=Appointment.BOOKED)
    add_afternoon(world, 40)
    big_preview = _count(http, base + "/preview", body)
    big_send = _count(http, base, body, **{"Idempotency-Key": f"{kind}-2"})
    assert small_preview == big_preview
    assert small_send == big_send
    # Pinned: token and user, client, the client's notice settings, the period's
    # appointments with their contacts. The send adds its savepoint and release, the writes
    # (one round trip on PostgreSQL; on SQLite one statement per table: message, notice, read
    # state, copies, history, journal) and, for an absence, the cancellations' UPDATE.
    assert small_preview == 4
    if connection.vendor == "postgresql":
        assert small_send == (8 if kind == "absence" else 7)
    else:
        assert small_send == (13 if kind == "absence" else 12)
