"""Tokens, bearer and session authentication, lockout."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone

from relais.tenancy.models import ApiToken
from tests import factories as f
from tests.api.conftest import call
from tests.conftest import World, api_client, login


def test_it_issues_a_token_that_opens_the_api(world: World) -> None:
    http = HttpClient()
    response = call(
        http, "POST", "/auth/token", {"username": "gerant@a.test", "password": f.PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.filter(user=world.gerant_a, digest=ApiToken.hash(token)).exists()
    assert not ApiToken.objects.filter(digest=token).exists()  # only the hash is stored

    me = call(HttpClient(headers={"Authorization": f"Bearer {token}"}), "GET", "/me")
    assert me.status_code == 200
    assert me.json()["id"] == str(world.gerant_a.id)


def test_it_accepts_the_e_mail_in_any_case(world: World) -> None:
    response = call(
        HttpClient(),
        "POST",
        "/auth/token",
        {"username": "  Gerant@A.test ", "password": f.PASSWORD},
    )
    assert response.status_code == 200


def test_it_refuses_wrong_credentials_with_401_in_french(world: World) -> None:
    response = call(
        HttpClient(), "POST", "/auth/token", {"username": "gerant@a.test", "password": "non"}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Identifiant ou mot de passe incorrect.", "errors": {}}
    assert not ApiToken.objects.exists()


def test_it_refuses_an_inactive_user(world: World) -> None:
    world.gerant_a.is_active = False
    world.gerant_a.save()
    response = call(
        HttpClient(), "POST", "/auth/token", {"username": "gerant@a.test", "password": f.PASSWORD}
    )
    assert response.status_code == 401


def test_it_locks_out_after_repeated_failures_even_with_the_right_password(
    world: World,
) -> None:
    http = HttpClient()
    bad = {"username": "gerant@a.test", "password": "mauvais"}
    statuses = [
        call(http, "POST", "/auth/token", bad).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[:-1] == [401] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429

    good = call(http, "POST", "/auth/token", {"username": "gerant@a.test", "password": f.PASSWORD})
    assert good.status_code == 429
    assert good.json()["detail"].startswith("Trop d'échecs de connexion")
    assert not ApiToken.objects.exists()

    # Another account from the same address is not locked.
    other = call(
        http, "POST", "/auth/token", {"username": "operateur@a.test", "password": f.PASSWORD}
    )
    assert other.status_code == 200


def test_it_forgets_earlier_failures_after_a_successful_login(world: World) -> None:
    http = HttpClient()
    bad = {"username": "gerant@a.test", "password": "mauvais"}
    good = {"username": "gerant@a.test", "password": f.PASSWORD}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert call(http, "POST", "/auth/token", bad).status_code == 401
    assert call(http, "POST", "/auth/token", good).status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert call(http, "POST", "/auth/token", bad).status_code == 401
    assert call(http, "POST", "/auth/token", good).status_code == 200
    world.gerant_a.refresh_from_db()
    assert world.gerant_a.last_login is not None


def test_it_answers_400_to_a_token_request_without_json(world: World) -> None:
    assert call(HttpClient(), "POST", "/auth/token", "username=x").status_code == 400
    # The test client's default body is an empty multipart form: not JSON (API.md: 415).
    assert call(HttpClient(), "POST", "/auth/token").status_code == 415


def test_it_answers_422_to_a_token_request_missing_a_field(world: World) -> None:
    response = call(HttpClient(), "POST", "/auth/token", {"username": "gerant@a.test"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"password": ["Ce champ est obligatoire."]}


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer inconnu", "Basic Z2VyYW50OnB3", "Token abc", "Bearer " + "x" * 500],
)
def test_it_answers_401_without_a_valid_token(world: World, header: str) -> None:
    http = HttpClient(headers={"Authorization": header} if header else {})
    response = call(http, "GET", "/me")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentification requise")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_the_token_of_a_deactivated_user(world: World) -> None:
    http = api_client(world.operateur_a)
    world.operateur_a.is_active = False
    world.operateur_a.save()
    assert call(http, "GET", "/me").status_code == 401


def test_it_records_token_use_at_most_once_a_minute(
    world: World, django_assert_num_queries: object
) -> None:
    http = api_client(world.gerant_a)
    token = ApiToken.objects.get(user=world.gerant_a)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        call(http, "GET", "/me")
    token.refresh_from_db()
    assert token.last_used_at == start

    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        call(http, "GET", "/me")
    token.refresh_from_db()
    assert token.last_used_at == start

    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        call(http, "GET", "/me")
    token.refresh_from_db()
    assert token.last_used_at == start + dt.timedelta(seconds=61)


def test_it_accepts_the_pages_session_for_reads(world: World) -> None:
    response = call(login(world.operateur_a), "GET", "/me")
    assert response.status_code == 200
    assert response.json()["id"] == str(world.operateur_a.id)


def test_it_requires_csrf_for_session_writes(world: World) -> None:
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(world.operateur_a, backend="relais.tenancy.backends.UserBackend")
    path = f"/clients/{world.client_a.id}/contacts"

    refused = call(http, "POST", path, {"name": "Hélène Dubois"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    http.get("/api/v1/docs")  # sets the CSRF cookie, as any page does
    token = http.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = call(http, "POST", path, {"name": "Hélène Dubois"}, X_CSRFToken=token)
    assert accepted.status_code == 201


def test_it_answers_401_to_an_anonymous_write_rather_than_a_csrf_error(world: World) -> None:
    http = HttpClient(enforce_csrf_checks=True)
    response = call(http, "POST", f"/clients/{world.client_a.id}/contacts", {"name": "X"})
    assert response.status_code == 401


def test_it_revokes_the_token_used_and_only_it(world: World) -> None:

    kept = ApiToken.issue(world.operateur_a)
    revoked = ApiToken.issue(world.operateur_a)
    http = HttpClient(headers={"Authorization": f"Bearer {revoked}"})
    assert http.delete("/api/v1/auth/token").status_code == 204
    again = http.get("/api/v1/me")
    assert again.status_code == 401
    assert again.json()["detail"].startswith("Authentification requise")
    other = HttpClient(headers={"Authorization": f"Bearer {kept}"})
    assert other.get("/api/v1/me").status_code == 200


def test_it_revokes_nothing_without_a_bearer_token(world: World) -> None:
    assert HttpClient().delete("/api/v1/auth/token").status_code == 401
