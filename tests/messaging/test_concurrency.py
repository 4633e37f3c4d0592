"""Two people clicking at once end in one consistent state (PostgreSQL: real row locks)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from relais.messaging.models import HistoryEvent, Message
from relais.messaging.services import message_send, task_set
from relais.tenancy.models import User
from tests import factories as f
from tests.conftest import World
from tests.messaging.conftest import send_input

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL: SQLite serialises every writer of the file",
    ),
]


def _race(workers: list[Callable[[], Any]]) -> list[Any]:
    """Runs the workers in threads released together; returns results (or exceptions)."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)

    def run(i: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work()
        except Exception as exc:  # reported to the test, which fails on it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_it_stamps_a_task_done_once_when_two_click_at_once(world: World) -> None:
    closers: list[User] = [world.operateur_a, world.superviseur_a, world.gerant_a]
    closers.append(f.StaffFactory.create(permanence=world.perm_a, email="karim@a.test"))
    for _round in range(5):
        message, _ = message_send(
            author=world.operateur_a, client=world.client_a, data=send_input(is_task=True)
        )

        def close(user: User, pk: Any = message.pk) -> Message:
            return task_set(user=user, message=Message.objects.get(pk=pk), action="done")

        results = _race([functools.partial(close, u) for u in closers])
        assert not [r for r in results if isinstance(r, Exception)], results
        message.refresh_from_db()
        assert message.status == Message.STATUS_DONE
        done = list(HistoryEvent.objects.filter(message=message, kind=HistoryEvent.TASK_DONE))
        assert len(done) == 1
        # The one stamp and the one history line name the same person.
        assert message.done_by_id == done[0].actor_id
        assert message.done_by_id in {u.id for u in closers}
        # Everyone got the same final state back.
        assert {(r.status, r.done_by_id, r.done_at) for r in results} == {
            (message.status, message.done_by_id, message.done_at)
        }


def test_it_creates_one_message_for_a_key_sent_twice_at_once(world: World) -> None:
    def send() -> tuple[Message, bool]:
        return message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=send_input(),
            idempotency_key="double-clic",
        )

    results = _race([send, send, send])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Message.objects.count() == 1
    assert sorted(created for _, created in results) == [False, False, True]
    assert len({m.id for m, _ in results}) == 1
