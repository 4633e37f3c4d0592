"""Login throttling (issue 19, point 10): per account across addresses, and per address across
accounts (one password tried on many accounts)."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tests import factories as f
from tests.api.conftest import call
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def attempt(address: str, email: str, password: str) -> int:
    http = HttpClient(REMOTE_ADDR=address)
    return int(
        http.post(reverse("ui:login"), {"username": email, "password": password}).status_code
    )


def test_one_password_on_ten_accounts_from_one_address_is_stopped(world: World) -> None:
    accounts = [
        f.StaffFactory.create(permanence=world.perm_a, email=f"compte{i}@a.test") for i in range(10)
    ]
    codes = [attempt("203.0.113.9", a.email, "Printemps2026!") for a in accounts]
    assert codes[:5] == [400] * 5
    assert codes[5:] == [429] * 5
    # Even the right password is refused from that address for a while...
    assert attempt("203.0.113.9", world.operateur_a.email, PASSWORD) == 429
    api = HttpClient(REMOTE_ADDR="203.0.113.9")
    body = {"username": world.operateur_a.email, "password": PASSWORD}
    assert call(api, "POST", "/auth/token", body).status_code == 429
    # ...while the same account logs in from its usual address.
    assert attempt("198.51.100.1", world.operateur_a.email, PASSWORD) == 302


def test_one_account_attacked_from_many_addresses_is_locked(world: World) -> None:
    email = world.operateur_a.email
    codes = [attempt(f"203.0.113.{i}", email, f"faux{i}") for i in range(1, 8)]
    # The fifth failure (AXES_FAILURE_LIMIT) locks the account, whatever the address.
    assert codes[:4] == [400] * 4
    assert codes[4:] == [429] * 3
    assert attempt("198.51.100.1", email, PASSWORD) == 429


def test_typos_by_several_people_behind_one_address_do_not_lock_it(world: World) -> None:
    office = "192.0.2.10"
    for user in (world.operateur_a, world.superviseur_a):
        assert attempt(office, user.email, "typo") == 400
        assert attempt(office, user.email, PASSWORD) == 302
