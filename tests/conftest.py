"""The three-user world (plus a client user), shared by every test folder.

- gerant_a: gérant of permanence A (every right);
- operateur_a: opérateur of A (no settings, no roles, no remarks);
- gerant_b: gérant of permanence B, the outsider: A's objects answer 404 to him;
- client_user_a: the client user of client_a.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client as HttpClient

from relais.clients.models import Client
from relais.tenancy import permissions as perms
from relais.tenancy.models import ApiToken, Permanence, User
from tests import factories as f


@dataclass
class World:
    perm_a: Permanence
    perm_b: Permanence
    gerant_a: User
    superviseur_a: User
    operateur_a: User
    gerant_b: User
    client_a: Client
    client_b: Client
    client_user_a: User


@pytest.fixture
def world(db: None) -> World:
    perm_a = f.PermanenceFactory.create(name="Permanence Azur", slug="azur")
    perm_b = f.PermanenceFactory.create(name="Permanence Horizon", slug="horizon")
    client_a = f.ClientFactory.create(permanence=perm_a, name="Dr Cécile Lemoine")
    client_b = f.ClientFactory.create(permanence=perm_b, name="Plomberie Horizon")
    return World(
        perm_a=perm_a,
        perm_b=perm_b,
        gerant_a=f.StaffFactory.create(
            permanence=perm_a, role_kind=perms.GERANT, email="gerant@a.test", first_name="Gérard"
        ),
        superviseur_a=f.StaffFactory.create(
            permanence=perm_a,
            role_kind=perms.SUPERVISEUR,
            email="superviseur@a.test",
            first_name="Sophie",
        ),
        operateur_a=f.StaffFactory.create(
            permanence=perm_a, role_kind=perms.OPERATEUR, email="operateur@a.test", first_name="Léa"
        ),
        gerant_b=f.StaffFactory.create(
            permanence=perm_b, role_kind=perms.GERANT, email="gerant@b.test", first_name="Bruno"
        ),
        client_a=client_a,
        client_b=client_b,
        client_user_a=f.ClientUserFactory.create(client=client_a, email="client@a.test"),
    )


def login(user: User) -> HttpClient:
    """A page client logged in as user."""
    http = HttpClient()
    http.force_login(user, backend="relais.tenancy.backends.UserBackend")
    return http


def api_client(user: User) -> HttpClient:
    """An API client carrying user's bearer token."""
    token = ApiToken.issue(user)
    return HttpClient(headers={"Authorization": f"Bearer {token}"})


# In CI (RELAIS_REQUIRE_BROWSER=1) a skipped browser test fails the run: the journeys must
# really have been driven in Chromium.
_skipped_browser_tests: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "/browser/" in report.nodeid.replace("\\", "/"):
        _skipped_browser_tests.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import os

    if os.environ.get("RELAIS_REQUIRE_BROWSER") == "1" and _skipped_browser_tests:
        print(f"\nBrowser tests are required here, but {len(_skipped_browser_tests)} were skipped:")
        for nodeid in _skipped_browser_tests:
            print(f"  {nodeid}")
        session.exitstatus = 1
