"""API tokens (issue 19, point 10): an expiry, a last-use date, listed and revoked by their owner
and by the gérant."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client as HttpClient
from django.utils import timezone

from relais.tenancy.models import ApiToken
from tests.api.conftest import call
from tests.conftest import World, api_client
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def bearer(token: str) -> HttpClient:
    return HttpClient(headers={"Authorization": f"Bearer {token}"})


def new_token(world: World, **extra: object) -> dict[str, str]:
    body = {"username": world.operateur_a.email, "password": PASSWORD, **extra}
    response = call(HttpClient(), "POST", "/auth/token", body)
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_a_token_expires_and_then_answers_401(world: World, settings: object) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        answer = new_token(world)
    expires = dt.datetime.fromisoformat(answer["expires_at"])
    assert expires == start.replace(microsecond=expires.microsecond) + dt.timedelta(days=90) or (
        abs((expires - start) - dt.timedelta(days=90)) < dt.timedelta(seconds=1)
    )
    with time_machine.travel(start + dt.timedelta(days=89), tick=False):
        assert call(bearer(answer["token"]), "GET", "/me").status_code == 200
    with time_machine.travel(start + dt.timedelta(days=90, seconds=1), tick=False):
        assert call(bearer(answer["token"]), "GET", "/me").status_code == 401


def test_a_shorter_lifetime_may_be_asked(world: World) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        answer = new_token(world, expires_in_days=1)
    with time_machine.travel(start + dt.timedelta(days=1, seconds=1), tick=False):
        assert call(bearer(answer["token"]), "GET", "/me").status_code == 401
    body = {"username": world.operateur_a.email, "password": PASSWORD, "expires_in_days": 0}
    assert call(HttpClient(), "POST", "/auth/token", body).status_code == 422


def test_it_lists_my_tokens_with_their_last_use(world: World) -> None:
    answer = new_token(world)
    call(bearer(answer["token"]), "GET", "/me")
    response = call(bearer(answer["token"]), "GET", "/auth/tokens")
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["id"] == answer["id"]
    assert set(item) == {"id", "created_at", "last_used_at", "expires_at"}
    assert item["last_used_at"] is not None


def test_expired_tokens_are_not_listed(world: World) -> None:
    http = api_client(world.operateur_a)
    ApiToken.objects.create(
        user=world.operateur_a, digest="x" * 64, expires_at=timezone.now() - dt.timedelta(days=1)
    )
    assert len(call(http, "GET", "/auth/tokens").json()["items"]) == 1


def test_the_owner_revokes_one_token_and_keeps_the_others(world: World) -> None:
    first, second = new_token(world), new_token(world)
    assert call(bearer(first["token"]), "DELETE", f"/auth/tokens/{second['id']}").status_code == 204
    assert call(bearer(second["token"]), "GET", "/me").status_code == 401
    assert call(bearer(first["token"]), "GET", "/me").status_code == 200


def test_the_gerant_lists_and_revokes_a_users_tokens(world: World) -> None:
    answer = new_token(world)
    gerant = api_client(world.gerant_a)
    listed = call(gerant, "GET", f"/auth/tokens?user={world.operateur_a.id}")
    assert [i["id"] for i in listed.json()["items"]] == [answer["id"]]
    assert call(gerant, "DELETE", f"/auth/tokens/{answer['id']}").status_code == 204
    assert call(bearer(answer["token"]), "GET", "/me").status_code == 401


def test_others_cannot_see_or_revoke_a_token(world: World) -> None:
    answer = new_token(world)
    path = f"/auth/tokens/{answer['id']}"
    superviseur = api_client(world.superviseur_a)
    assert call(superviseur, "DELETE", path).status_code == 403
    assert call(superviseur, "GET", f"/auth/tokens?user={world.operateur_a.id}").status_code == 403
    assert call(api_client(world.client_user_a), "DELETE", path).status_code == 403
    assert call(api_client(world.gerant_b), "DELETE", path).status_code == 404
    assert (
        call(api_client(world.gerant_b), "GET", f"/auth/tokens?user={world.operateur_a.id}")
    ).status_code == 404
    assert call(api_client(world.gerant_a), "DELETE", "/auth/tokens/nope").status_code == 404
    assert call(bearer(answer["token"]), "GET", "/me").status_code == 200
    assert call(HttpClient(), "GET", "/auth/tokens").status_code == 401
