"""Replies and read state: a reply is news for everyone but its author."""

from __future__ import annotations

import pytest

from relais.core.errors import PermissionDenied, ValidationFailed
from relais.messaging.models import HistoryEvent, Message, ReadState
from relais.messaging.services import (
    BODY_MAX,
    message_mark_read,
    message_mark_unread,
    reply_post,
)
from relais.tenancy import permissions as perms
from tests.conftest import World
from tests.messaging.conftest import Send, rows


def _readers(message: Message) -> set[str]:
    return set(ReadState.objects.filter(message=message).values_list("user__email", flat=True))


def test_it_resets_everyone_elses_read_state_on_reply(world: World, send: Send) -> None:
    message = send()
    for user in (world.gerant_a, world.client_user_a):
        message_mark_read(user=user, message=message)
    assert _readers(message) == {"operateur@a.test", "gerant@a.test", "client@a.test"}
    before = message.last_activity_at
    reply = reply_post(author=world.client_user_a, message=message, body="Merci, je rappelle.")
    assert reply.message_id == message.id and reply.author_id == world.client_user_a.id
    assert _readers(message) == {"client@a.test"}
    message.refresh_from_db()
    assert message.reply_count == 1
    assert message.last_activity_at > before
    assert message.status == Message.STATUS_NORMAL
    assert list(message.history.values_list("kind", flat=True)) == [
        HistoryEvent.CREATED,
        HistoryEvent.READ,
        HistoryEvent.READ,
        HistoryEvent.REPLIED,
    ]


def test_it_makes_a_task_with_valider_plus_tache(world: World, send: Send) -> None:
    message = send()
    reply_post(author=world.operateur_a, message=message, body="À rappeler", make_task=True)
    message.refresh_from_db()
    assert message.status == Message.STATUS_TODO
    kinds = list(message.history.values_list("kind", flat=True))
    assert kinds[-2:] == [HistoryEvent.REPLIED, HistoryEvent.TASK_TODO]
    # Already a task: no second "made a task" line.
    reply_post(author=world.operateur_a, message=message, body="Encore", make_task=True)
    assert message.history.filter(kind=HistoryEvent.TASK_TODO).count() == 1
    assert message.reply_count == 2


@pytest.mark.parametrize(
    ("body", "words"),
    [("", "obligatoire"), (" \n ", "obligatoire"), ("x" * (BODY_MAX + 1), "au maximum")],
)
def test_it_refuses_a_bad_reply_and_saves_nothing(
    world: World, send: Send, body: str, words: str
) -> None:
    message = send()
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        reply_post(author=world.operateur_a, message=message, body=body)
    assert words in exc.value.errors["body"][0]
    assert rows() == before


def test_it_refuses_replies_from_staff_without_the_right(world: World, send: Send) -> None:
    message = send()
    role = world.operateur_a.role
    assert role is not None
    role.permissions = [perms.MESSAGES_READ]
    role.save()
    before = rows()
    with pytest.raises(PermissionDenied):
        reply_post(author=world.operateur_a, message=message, body="Bonjour")
    assert rows() == before


def test_it_marks_read_and_unread_once(world: World, send: Send) -> None:
    message = send()
    assert message_mark_read(user=world.gerant_a, message=message) is True
    assert message_mark_read(user=world.gerant_a, message=message) is False
    assert message_mark_unread(user=world.gerant_a, message=message) is True
    assert message_mark_unread(user=world.gerant_a, message=message) is False
    assert list(message.history.values_list("kind", flat=True)) == [
        HistoryEvent.CREATED,
        HistoryEvent.READ,
        HistoryEvent.UNREAD,
    ]
    assert "gerant@a.test" not in _readers(message)
