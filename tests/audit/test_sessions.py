"""Staff sessions time out when idle (issue 19, point 10); polls do not keep them alive."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent, DataPolicy
from relais.audit.policy import defaults
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def logged_in(world: World, user: object = None) -> HttpClient:
    http = HttpClient()
    account = user or world.operateur_a
    response = http.post(
        reverse("ui:login"),
        {"username": account.email, "password": PASSWORD},  # type: ignore[attr-defined]
    )
    assert response.status_code == 302
    return http


def test_a_staff_session_ends_after_30_idle_minutes(world: World) -> None:
    start = timezone.now()
    home = reverse("ui:home")
    with time_machine.travel(start, tick=False):
        http = logged_in(world)
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert http.get(home).status_code == 200
    # Activity moved the clock on: 29 more minutes are still fine.
    with time_machine.travel(start + dt.timedelta(minutes=58), tick=False):
        assert http.get(home).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=89), tick=False):
        response = http.get(home)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("ui:login") + "?expire=1")
    assert AuditEvent.objects.filter(kind="session_expired", actor=world.operateur_a).exists()
    login_page = http.get(response["Location"]).content.decode()
    assert "Votre session a expiré" in login_page


def test_polls_do_not_keep_a_session_alive(world: World) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        http = logged_in(world)
    for minutes in (10, 20, 29):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert http.get(reverse("ui:menu_counts")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        assert http.get(reverse("ui:home")).status_code == 302


def test_htmx_requests_of_an_expired_session_redirect_the_whole_page(world: World) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        http = logged_in(world)
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        response = http.post(
            reverse("ui:send", args=[world.client_a.id]),
            {"subject": "S", "body": "B"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("ui:login") + "?expire=1")


def test_the_permanence_sets_its_own_idle_timeout(world: World) -> None:
    DataPolicy.objects.create(permanence=world.perm_a, **{**defaults(), "session_idle_minutes": 5})
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        http = logged_in(world)
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        assert http.get(reverse("ui:home")).status_code == 302


def test_client_users_have_no_idle_timeout(world: World) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        http = logged_in(world, world.client_user_a)
    with time_machine.travel(start + dt.timedelta(hours=3), tick=False):
        assert http.get(reverse("ui:home")).status_code == 200
