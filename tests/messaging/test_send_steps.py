"""message_send's named steps and typed results; the task verbs behind `action`."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.core.errors import PermissionDenied, ValidationFailed
from relais.messaging.models import HistoryEvent, Message
from relais.messaging.selectors import thread_detail
from relais.messaging.services import (
    SendResult,
    SendTarget,
    client_for_send,
    message_send,
    send_rows,
    send_target,
    send_validate,
    task_cancel,
    task_mark_done,
    task_mark_todo,
    task_set,
)
from tests import factories as f
from tests.conftest import World
from tests.messaging.conftest import Send, rows, send_input


def test_it_looks_up_the_contact_and_copies_with_the_client(world: World) -> None:
    contact = f.ContactFactory.create(client=world.client_a, name="Hélène Moreau")
    staff = f.StaffFactory.create(permanence=world.perm_a)
    outsider = world.gerant_b
    data = send_input(contact=str(contact.id), cc=[staff.id, outsider.id, staff.id])
    with CaptureQueriesContext(connection) as ctx:
        target = client_for_send(world.operateur_a, world.client_a.id, data)
    assert len(ctx.captured_queries) == 1
    assert isinstance(target, SendTarget)
    assert target.client.id == world.client_a.id
    assert target.contact is not None and target.contact.name == "Hélène Moreau"
    assert target.cc_ids == (staff.id, outsider.id)
    # Only those who may receive this client's messages are found.
    assert [u.id for u in target.cc_users or ()] == [staff.id]


def test_it_reuses_the_lookup_only_for_the_same_ids(world: World) -> None:
    staff = f.StaffFactory.create(permanence=world.perm_a)
    target = client_for_send(world.operateur_a, world.client_a.id, send_input(cc=[staff.id]))
    with CaptureQueriesContext(connection) as ctx:
        same = send_target(client=target, data=send_input(cc=[staff.id]))
    assert len(ctx.captured_queries) == 0
    assert same.cc_users == target.cc_users
    other = f.StaffFactory.create(permanence=world.perm_a)
    changed = send_target(client=target, data=send_input(cc=[other.id]))
    assert [u.id for u in changed.cc_users or ()] == [other.id]


def test_it_validates_without_a_query_and_reports_every_error(world: World) -> None:
    target = send_target(client=world.client_a, data=send_input())
    data = send_input(
        subject="",
        body="   ",
        due_date="31/02/2031",
        is_private=True,
        copy_circle=True,
        is_client_remark=True,
    )
    with CaptureQueriesContext(connection) as ctx:
        draft = send_validate(author=world.operateur_a, target=target, data=data)
    assert len(ctx.captured_queries) == 0
    assert set(draft.errors) == {
        "subject",
        "body",
        "due_date",
        "copy_circle",
        "is_client_remark",
        "cc",  # a remark never goes in copy
    }
    assert draft.errors["subject"] == ["Sujet : ce champ est obligatoire."]
    assert (
        "Un message privé ne part pas en copie au cercle compagnie." in draft.errors["copy_circle"]
    )


def test_it_builds_the_rows_without_saving_them(world: World) -> None:
    target = send_target(client=world.client_a, data=send_input(copy_email=True, is_task=True))
    data = send_input(copy_email=True, is_task=True)
    draft = send_validate(author=world.operateur_a, target=target, data=data)
    assert draft.errors == {}
    before = rows()
    built = send_rows(
        author=world.operateur_a,
        target=target,
        data=data,
        draft=draft,
        circle_users=[],
        key="",
        now=timezone.now(),
    )
    assert rows() == before
    assert built.message.status == Message.STATUS_TODO
    assert [e.kind for e in built.events] == [
        HistoryEvent.CREATED,
        HistoryEvent.TASK_TODO,
        HistoryEvent.COPY_QUEUED,
    ]
    assert [d.to for d in built.deliveries] == [world.client_a.email]


def test_it_answers_a_typed_result(world: World) -> None:
    result = message_send(
        author=world.operateur_a, client=world.client_a, data=send_input(), idempotency_key="k1"
    )
    assert isinstance(result, SendResult)
    assert result.created and result.detail is not None
    message, created = result
    assert message is result.message and created is True
    with CaptureQueriesContext(connection) as ctx:
        detail = thread_detail(user=world.operateur_a, message=message, sent=result.detail)
    assert len(ctx.captured_queries) == 0
    assert detail["reads"] == {world.operateur_a.id: result.detail["reads"][world.operateur_a.id]}
    replay = message_send(
        author=world.operateur_a, client=world.client_a, data=send_input(), idempotency_key="k1"
    )
    assert replay.message.id == message.id
    assert not replay.created and replay.detail is None


def test_it_refuses_a_send_on_another_clients_file(world: World) -> None:
    sibling = f.ClientFactory.create(permanence=world.perm_a)
    with pytest.raises(PermissionDenied):
        message_send(author=world.client_user_a, client=sibling, data=send_input())
    assert not Message.objects.exists()


def test_it_moves_a_task_with_its_verbs(world: World, send: Send) -> None:
    message = send()
    task_mark_todo(user=world.operateur_a, message=message, due_date="2031-12-12")
    assert message.status == Message.STATUS_TODO and message.due_date is not None
    task_mark_done(user=world.operateur_a, message=message)
    assert message.status == Message.STATUS_DONE and message.done_by_id == world.operateur_a.id
    task_mark_done(user=world.operateur_a, message=message)  # already done: nothing changes
    task_cancel(user=world.operateur_a, message=message)
    assert message.status == Message.STATUS_NORMAL
    kinds = list(message.history.values_list("kind", flat=True))
    assert kinds == [
        HistoryEvent.CREATED,
        HistoryEvent.TASK_TODO,
        HistoryEvent.TASK_DONE,
        HistoryEvent.TASK_CANCEL,
    ]


def test_it_maps_an_unknown_action_to_a_french_error(world: World, send: Send) -> None:
    message = send()
    with pytest.raises(ValidationFailed) as exc:
        task_set(user=world.operateur_a, message=message, action="archive")
    assert exc.value.errors == {"action": ["Action inconnue : todo, done ou cancel."]}
    sibling = f.ClientFactory.create(permanence=world.perm_a)
    with pytest.raises(PermissionDenied):
        task_set(user=f.ClientUserFactory.create(client=sibling), message=message, action="x")
