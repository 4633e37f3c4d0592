"""The PostgreSQL backend's health check (relais.core.postgresql): a kept connection that the
server ended is replaced before the request uses it, without a round trip while it is alive."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql import base

from relais.events.hub import conninfo
from tests.conftest import World, api_client

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend"),
]


@pytest.fixture
def round_trips(monkeypatch: Any) -> list[bool]:
    """The `SELECT 1` checks run (Django's own is_usable), with their results."""
    checks: list[bool] = []
    django_check = base.DatabaseWrapper.is_usable

    def counted(self: Any) -> bool:
        checks.append(django_check(self))
        return checks[-1]

    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", counted)
    return checks


def _terminate(pid: int) -> None:
    with psycopg.connect(conninfo(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):
            found = admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            if found.fetchone() is None:
                return
            time.sleep(0.05)


def _next_request() -> None:
    # What django.db.close_old_connections does when a request starts (the test client
    # leaves it out, to keep the test's connection).
    connection.health_check_done = False  # type: ignore[attr-defined]


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(
    world: World, round_trips: list[bool]
):
    http = api_client(world.operateur_a)
    assert http.get("/api/v1/me").status_code == 200
    old_pid = connection.connection.info.backend_pid
    _terminate(old_pid)
    _next_request()
    response = http.get("/api/v1/me")
    assert response.status_code == 200, response.content
    assert connection.connection.info.backend_pid != old_pid
    assert round_trips == [False]  # the socket said so; SELECT 1 confirmed it


def test_a_live_connection_is_checked_without_a_round_trip(world: World, round_trips: list[bool]):
    http = api_client(world.operateur_a)
    assert http.get("/api/v1/me").status_code == 200
    pid = connection.connection.info.backend_pid
    for _ in range(3):
        _next_request()
        assert http.get("/api/v1/me").status_code == 200
    assert connection.connection.info.backend_pid == pid
    assert round_trips == []
