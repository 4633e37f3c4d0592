"""Two people clicking « Passer à Tâche faite » on the same thread at the same instant, through
the page: one stamp, one history line, and both pages show the same final state."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.urls import reverse

from relais.messaging.models import HistoryEvent, Message
from relais.messaging.services import SendInput, message_send
from relais.tenancy import permissions as perms
from tests import factories
from tests.conftest import World, login

f: Any = factories  # factory calls return model instances

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="real concurrency needs PostgreSQL: SQLite serialises every writer of the file",
    ),
]


def test_it_stamps_once_when_several_click_done_at_once(world: World) -> None:
    closers = [world.operateur_a, world.superviseur_a, world.gerant_a]
    closers += [
        f.StaffFactory(permanence=world.perm_a, role_kind=perms.OPERATEUR) for _ in range(3)
    ]
    clients = [login(user) for user in closers]
    for _round in range(4):
        message, _ = message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=SendInput(subject="Rappeler M. Petit", body="Avant midi.", is_task=True),
        )
        url = reverse("ui:task", args=[message.id])
        barrier = threading.Barrier(len(clients))
        pages: list[Any] = [None] * len(clients)

        def click(
            i: int,
            url: str = url,
            barrier: threading.Barrier = barrier,
            pages: list[Any] = pages,
        ) -> None:
            try:
                barrier.wait(timeout=10)
                pages[i] = clients[i].post(url, {"action": "done"}, headers={"HX-Request": "true"})
            except Exception as exc:  # reported below: the test fails on it
                pages[i] = exc
            finally:
                connections.close_all()

        threads = [threading.Thread(target=click, args=(i,)) for i in range(len(clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)

        assert all(getattr(p, "status_code", None) == 200 for p in pages), pages
        message.refresh_from_db()
        assert message.status == Message.STATUS_DONE
        done = list(HistoryEvent.objects.filter(message=message, kind=HistoryEvent.TASK_DONE))
        assert len(done) == 1
        assert message.done_by_id == done[0].actor_id
        stamp = f"Fait par {message.done_by.first_name.upper()} le "  # type: ignore[union-attr]
        # Every page shows the one stamp, whoever's click won.
        assert all(p.content.decode().count(stamp) == 1 for p in pages)
