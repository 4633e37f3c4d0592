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


def test_a_message_marked_unread_while_the_urgent_cursor_moves_is_not_lost(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cursor's move has read the message as read and is about to write past it when the
    user marks it unread: the « Marquer non lu » waits for the move's lock, then lowers the
    cursor, so the count and the list still hold the message (messaging.urgent)."""
    import datetime as dt

    from django.utils import timezone

    from relais.messaging import selectors, urgent
    from relais.messaging.models import ReadState, UrgentCursor, UrgentException
    from relais.messaging.services import message_mark_unread

    reader = world.operateur_a
    old = f.MessageFactory.create(
        client=world.client_a,
        author=world.gerant_a,
        is_urgent=True,
        last_activity_at=timezone.now() - dt.timedelta(days=2),
    )
    ReadState.objects.create(message=old, user=reader, read_at=timezone.now())
    # A cursor that has not moved yet (a new one would order the two by its insert instead).
    UrgentCursor.objects.create(user=reader, sees_remarks=False, through=urgent.EPOCH)
    scanned, unread_started = threading.Event(), threading.Event()
    create = UrgentException.objects.bulk_create

    def pause_then_create(*args: Any, **kwargs: Any) -> Any:
        # The move holds the cursor's lock and has read the message as read.
        scanned.set()
        unread_started.wait(timeout=10)
        threading.Event().wait(0.5)  # long enough for the unread to reach the lock
        return create(*args, **kwargs)

    monkeypatch.setattr(UrgentException.objects, "bulk_create", pause_then_create)
    errors: list[BaseException] = []

    def move() -> None:
        try:
            urgent.advance(User.objects.select_related("role").get(pk=reader.pk), 100)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def mark_unread() -> None:
        try:
            scanned.wait(timeout=10)
            unread_started.set()
            message_mark_unread(user=User.objects.get(pk=reader.pk), message=old)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=move), threading.Thread(target=mark_unread)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert scanned.is_set()
    monkeypatch.undo()
    user = User.objects.select_related("role").get(pk=reader.pk)
    assert selectors.menu_counts(user)["urgent"] == 1
    assert list(selectors.urgent_unread(user=user)) == [old]
