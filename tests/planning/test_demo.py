"""The demo's planning: a week of appointments and movements for several clients, seeded once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone

from relais.clients.models import Client
from relais.demo.seed import demo_seed
from relais.exports.reports import Reader, report_build
from relais.planning.formats import monday_of
from relais.planning.models import Appointment, AppointmentType, Movement

pytestmark = pytest.mark.django_db


def test_it_seeds_a_week_of_appointments_and_movements_once() -> None:
    first = demo_seed()
    assert first.created["appointments"] >= 60
    assert first.created["appointment motifs"] == 8
    counts = (
        Appointment.objects.count(),
        Movement.objects.count(),
        AppointmentType.objects.count(),
    )
    lines = sorted(Movement.objects.values_list("id", "at"))
    second = demo_seed()
    assert "appointments" not in second.created and "appointment motifs" not in second.created
    assert (
        Appointment.objects.count(),
        Movement.objects.count(),
        AppointmentType.objects.count(),
    ) == counts
    assert sorted(Movement.objects.values_list("id", "at")) == lines


def test_several_clients_of_both_permanences_have_this_week_s_planning() -> None:
    demo_seed()
    monday = monday_of(timezone.localdate())
    per_client = dict(
        Appointment.objects.filter(date__range=(monday, monday + dt.timedelta(days=6)))
        .values_list("client__name")
        .annotate(n=Count("id"))
    )
    assert set(per_client) >= {"Dr Cécile Lemoine", "Dr Antoine Roche", "Dr Paul Renaud"}
    kinds = set(Movement.objects.values_list("kind", flat=True))
    assert kinds == {"created", "moved", "modified", "cancelled"}
    # Journal lines are in the past, in the order they were written.
    assert not Movement.objects.filter(at__gt=timezone.now()).exists()
    for appointment in Appointment.objects.all()[:20]:
        ats = list(appointment.movements.order_by("id").values_list("at", flat=True))
        assert ats == sorted(ats)


def test_the_demo_week_makes_a_planning_report() -> None:
    demo_seed()
    client = Client.objects.get(name="Dr Cécile Lemoine")
    monday = monday_of(timezone.localdate())
    report = report_build(
        client=client,
        kind="planning",
        start=monday,
        end=monday + dt.timedelta(days=6),
        reader=Reader.of_client(client),
    )
    assert report.counts["appointments"] >= 20
    assert len(report.planning_days) >= 4


def test_the_demo_has_a_day_to_try_a_notice_on() -> None:
    from relais.demo.notice_demo import notice_day
    from relais.planning.notices import NoticeInput, notice_preview
    from relais.tenancy.models import User

    first = demo_seed()
    assert first.created["notice day appointments"] == 8
    client = Client.objects.get(name="Dr Cécile Lemoine")
    operator = User.objects.filter(permanence=client.permanence, kind=User.STAFF).first()
    assert operator is not None
    day = notice_day(timezone.localdate())
    preview = notice_preview(
        user=operator,
        client=client,
        data=NoticeInput(kind="delay", date=day, from_time="14:00", minutes=40),
    )
    assert [r.channel for r in preview.recipients] == ["sms", "sms", "sms", "email", "call"]
    assert "notice day appointments" not in demo_seed().created
