"""The demo launch (`make run` → relais_run) holds a bounded number of PostgreSQL connections,
whatever its clients do (issue 19, defect 6: the threaded development server kept one
connection per connection thread: 10 idle keep-alive clients held 11)."""

from __future__ import annotations

import http.client
import threading
from pathlib import Path

import pytest
from django.db import connection

from relais.core.processes import ASGI_DB_POOL
from relais.tenancy.models import ApiToken
from tests.conftest import World
from tests.events.servers import on_postgres, web_process

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not on_postgres(), reason="PostgreSQL's connections are counted"),
]


# The web process's connections carry this name (libpq reads PGAPPNAME): what other tests or
# this process hold is not counted.
APP_NAME = "relais-web-under-test"


def held_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s",
            [APP_NAME],
        )
        return int(cursor.fetchone()[0])


def test_it_holds_a_bounded_number_of_connections_with_idle_keep_alive_clients(
    world: World, tmp_path: Path
):
    token = ApiToken.issue(world.operateur_a)
    headers = {"Authorization": f"Bearer {token}"}
    with web_process(tmp_path, PGAPPNAME=APP_NAME) as port:
        clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(30)]
        failures: list[int] = []

        def burst(conn: http.client.HTTPConnection) -> None:
            for path in ("/api/v1/me", "/api/v1/clients", "/connexion/"):
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failures.append(response.status)

        threads = [threading.Thread(target=burst, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        # Thirty clients now idle on open keep-alive connections.
        held = held_connections()
        for c in clients:
            c.close()
    assert 1 <= held <= int(ASGI_DB_POOL), held
