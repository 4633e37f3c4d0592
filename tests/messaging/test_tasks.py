"""Task lifecycle: to do, done (stamped), cancelled, each change in the history once."""

from __future__ import annotations

import datetime as dt

import pytest

from relais.core.errors import PermissionDenied, ValidationFailed
from relais.messaging.models import HistoryEvent, Message
from relais.messaging.services import task_set
from relais.tenancy import permissions as perms
from tests import factories as f
from tests.conftest import World
from tests.messaging.conftest import Send, rows


def _history(message: Message) -> list[tuple[str, str]]:
    return list(message.history.values_list("kind", "detail"))


def test_it_walks_todo_done_cancel(world: World, send: Send) -> None:
    message = send()
    task_set(user=world.operateur_a, message=message, action="todo", due_date="12/12/2031")
    assert message.status == Message.STATUS_TODO
    assert message.due_date == dt.date(2031, 12, 12)
    assert message.is_day_task

    task_set(user=world.superviseur_a, message=message, action="done")
    assert message.status == Message.STATUS_DONE
    assert message.done_by_id == world.superviseur_a.id
    assert message.done_at is not None

    task_set(user=world.operateur_a, message=message, action="cancel")
    assert message.status == Message.STATUS_NORMAL
    assert message.due_date is None and message.done_by_id is None and message.done_at is None

    assert _history(message) == [
        (HistoryEvent.CREATED, ""),
        (HistoryEvent.TASK_TODO, "A faire le 12/12/2031"),
        (HistoryEvent.TASK_DONE, ""),
        (HistoryEvent.TASK_CANCEL, ""),
    ]
    actors = list(message.history.values_list("actor_id", flat=True))
    assert actors[1:] == [world.operateur_a.id, world.superviseur_a.id, world.operateur_a.id]


def test_it_writes_nothing_when_nothing_changes(world: World, send: Send) -> None:
    message = send(is_task=True)
    before = rows()
    task_set(user=world.operateur_a, message=message, action="todo")  # already to do
    assert rows() == before
    task_set(user=world.operateur_a, message=message, action="done")
    stamp = (message.done_by_id, message.done_at)
    after_done = rows()
    task_set(user=world.gerant_a, message=message, action="done")  # already done
    assert rows() == after_done
    assert (message.done_by_id, message.done_at) == stamp  # the first stamp stays
    normal = send()
    task_set(user=world.operateur_a, message=normal, action="cancel")  # not a task
    task_set(user=world.operateur_a, message=normal, action="done")  # not a task either
    assert normal.status == Message.STATUS_NORMAL
    assert _history(normal) == [(HistoryEvent.CREATED, "")]


def test_it_reopens_a_done_task_and_moves_its_date(world: World, send: Send) -> None:
    message = send(is_task=True, due_date="2031-12-12")
    task_set(user=world.operateur_a, message=message, action="done")
    task_set(user=world.operateur_a, message=message, action="todo", due_date="2031-12-13")
    assert message.status == Message.STATUS_TODO and message.done_at is None
    task_set(user=world.operateur_a, message=message, action="todo", due_date="2031-12-14")
    assert message.due_date == dt.date(2031, 12, 14)
    assert [d for k, d in _history(message) if k == HistoryEvent.TASK_TODO] == [
        "A faire le 12/12/2031",
        "A faire le 13/12/2031",
        "A faire le 14/12/2031",
    ]


@pytest.mark.parametrize(
    ("action", "due", "field"),
    [("finish", None, "action"), ("", None, "action"), ("todo", "pas une date", "due_date")],
)
def test_it_refuses_bad_input_and_changes_nothing(
    world: World, send: Send, action: str, due: str | None, field: str
) -> None:
    message = send()
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        task_set(user=world.operateur_a, message=message, action=action, due_date=due)
    assert field in exc.value.errors
    message.refresh_from_db()
    assert message.status == Message.STATUS_NORMAL
    assert rows() == before


def test_it_lets_the_clients_own_user_close_a_task(world: World, send: Send) -> None:
    message = send(is_task=True)
    task_set(user=world.client_user_a, message=message, action="done")
    assert message.status == Message.STATUS_DONE
    assert message.done_by_id == world.client_user_a.id


def test_it_refuses_task_changes_without_the_right(world: World, send: Send) -> None:
    message = send(is_task=True)
    other_client_user = f.ClientUserFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a)
    )
    role = world.operateur_a.role
    assert role is not None
    role.permissions = [perms.MESSAGES_READ]
    role.save()
    before = rows()
    for user in (world.operateur_a, other_client_user):
        with pytest.raises(PermissionDenied):
            task_set(user=user, message=message, action="done")
    message.refresh_from_db()
    assert message.status == Message.STATUS_TODO
    assert rows() == before
