"""Log in with e-mail and password; repeated failures lock the account for a while."""

from __future__ import annotations

import html
import json

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.test import RequestFactory

from relais.tenancy.auth import lockout_response
from tests.conftest import World
from tests.factories import PASSWORD


def _request(path: str = "/login/", ip: str = "203.0.113.7") -> HttpRequest:
    return RequestFactory().post(path, REMOTE_ADDR=ip)


def test_it_logs_in_with_email_and_password(world: World) -> None:
    user = authenticate(_request(), username="operateur@a.test", password=PASSWORD)
    assert user == world.operateur_a


def test_it_refuses_a_wrong_password(world: World) -> None:
    assert authenticate(_request(), username="operateur@a.test", password="nope") is None


def test_it_refuses_an_inactive_user(world: World) -> None:
    world.operateur_a.is_active = False
    world.operateur_a.save(update_fields=["is_active"])
    assert authenticate(_request(), username="operateur@a.test", password=PASSWORD) is None


def test_it_locks_out_after_five_failures(world: World) -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert authenticate(_request(), username="operateur@a.test", password="bad") is None
    # Four failures: the right password still works (and resets the counter).
    assert authenticate(_request(), username="operateur@a.test", password=PASSWORD) is not None
    for _ in range(5):
        assert authenticate(_request(), username="operateur@a.test", password="bad") is None
    locked = _request()
    assert authenticate(locked, username="operateur@a.test", password=PASSWORD) is None
    assert getattr(locked, "axes_locked_out", False) is True
    # Other people are not affected.
    assert authenticate(_request(), username="gerant@a.test", password=PASSWORD) is not None


def test_it_answers_the_api_lockout_in_french() -> None:
    api = lockout_response(_request("/api/v1/auth/token"))
    assert api.status_code == 429
    body = json.loads(api.content)
    assert body["detail"].startswith("Trop d'échecs de connexion")
    assert body["errors"] == {}


def test_it_answers_the_page_lockout_in_french() -> None:
    page = lockout_response(_request("/login/"))
    assert page.status_code == 429
    assert "Trop d'échecs de connexion" in html.unescape(page.content.decode())
