"""The « Urgent » menu count of staff, counted from a cursor (relais.messaging.urgent): always
the exact count of the « Urgent » list (capped), whatever happened to the messages, while its
cost stops growing with the history."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.messaging import selectors, urgent
from relais.messaging.models import Message, ReadState, UrgentCursor, UrgentException
from relais.messaging.selectors import menu_counts, urgent_unread
from relais.messaging.services import (
    message_mark_read,
    message_mark_unread,
    reply_post,
    task_set,
)
from relais.tenancy import permissions as perms
from relais.tenancy.models import User
from tests import factories
from tests.conftest import World

f: Any = factories
pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    return User.objects.select_related("role").get(pk=user.pk)


def urgent_message(world: World, *, remark: bool = False, task: bool = False) -> Message:
    return f.MessageFactory(
        client=world.client_a,
        author=world.client_user_a if remark else world.gerant_a,
        is_urgent=True,
        is_client_remark=remark,
        status=Message.STATUS_TODO if task else Message.STATUS_NORMAL,
    )


def exact(user: User) -> set[Any]:
    """The urgent open messages the user may see and has not read, from first principles."""
    user = fresh(user)
    seen = Message.objects.filter(permanence_id=user.permanence_id, is_urgent=True)
    if not user.has_right(perms.MESSAGES_REMARKS):
        seen = seen.exclude(is_client_remark=True)
    read = ReadState.objects.filter(user=user).values("message_id")
    return set(
        seen.exclude(status=Message.STATUS_DONE).exclude(id__in=read).values_list("id", flat=True)
    )


def check(world: World) -> None:
    """The menu count and the « Urgent » list (which both go through the cursor) against
    first principles."""
    for user in (world.operateur_a, world.superviseur_a, world.gerant_a):
        want = exact(user)
        listed = set(urgent_unread(user=fresh(user)).values_list("id", flat=True))
        assert listed == want, user.email
        count = menu_counts(fresh(user))["urgent"]
        assert count == min(len(want), selectors.MENU_COUNT_CAP), user.email


def test_an_operator_who_reads_everything_is_counted_from_ten_minutes_ago(
    world: World,
) -> None:
    reader = world.operateur_a
    with time_machine.travel(timezone.now() - dt.timedelta(days=3), tick=False) as clock:
        messages = [urgent_message(world) for _ in range(30)]
        for message in messages:
            message_mark_read(user=reader, message=message)
        clock.shift(dt.timedelta(days=3))
        assert menu_counts(fresh(reader))["urgent"] == 0  # this call moves the cursor
        cursor = UrgentCursor.objects.get(user=reader)
        assert cursor.through == timezone.now() - urgent.MARGIN
        assert not UrgentException.objects.filter(user=reader).exists()
        # After it: nothing older than the cursor is read again, so the count costs the same
        # with 30 or 3,000 read messages behind it.
        assert menu_counts(fresh(reader))["urgent"] == 0
        urgent_message(world)
        assert menu_counts(fresh(reader))["urgent"] == 1


def test_an_old_message_marked_unread_again_is_counted(world: World) -> None:
    reader = world.operateur_a
    with time_machine.travel(timezone.now() - dt.timedelta(days=1), tick=False) as clock:
        old = urgent_message(world)
        message_mark_read(user=reader, message=old)
        clock.shift(dt.timedelta(hours=2))
        assert menu_counts(fresh(reader))["urgent"] == 0
        assert UrgentCursor.objects.get(user=reader).through > old.last_activity_at
        message_mark_unread(user=reader, message=old)
        assert menu_counts(fresh(reader))["urgent"] == 1
        assert list(urgent_unread(user=fresh(reader))) == [old]


def test_a_done_urgent_task_opened_again_is_counted(world: World) -> None:
    reader = world.operateur_a
    with time_machine.travel(timezone.now() - dt.timedelta(days=1), tick=False) as clock:
        task = urgent_message(world, task=True)
        task_set(user=world.gerant_a, message=task, action="done")
        clock.shift(dt.timedelta(hours=2))
        assert menu_counts(fresh(reader))["urgent"] == 0  # done: not counted
        urgent.advance(fresh(reader), selectors.MENU_COUNT_CAP)  # nothing to pass: built here
        assert UrgentCursor.objects.get(user=reader).through > task.last_activity_at
        task_set(user=world.gerant_a, message=task, action="todo")
        assert menu_counts(fresh(reader))["urgent"] == 1
        assert list(urgent_unread(user=fresh(reader))) == [task]
        task_set(user=world.gerant_a, message=task, action="done")
        task_set(user=world.gerant_a, message=task, action="cancel")  # a normal message again
        assert menu_counts(fresh(reader))["urgent"] == 1


def test_a_right_to_remarks_given_later_counts_the_old_urgent_remarks(world: World) -> None:
    reader = world.operateur_a
    with time_machine.travel(timezone.now() - dt.timedelta(days=1), tick=False) as clock:
        urgent_message(world, remark=True)
        clock.shift(dt.timedelta(hours=2))
        assert menu_counts(fresh(reader))["urgent"] == 0  # operators don't see remarks
        urgent.advance(fresh(reader), selectors.MENU_COUNT_CAP)
        assert not UrgentCursor.objects.get(user=reader).sees_remarks
        role = reader.role
        assert role is not None
        role.permissions = [*role.permissions, perms.MESSAGES_REMARKS]
        role.save()
        assert menu_counts(fresh(reader))["urgent"] == 1  # and the cursor starts again:
        cursor = UrgentCursor.objects.get(user=reader)
        assert cursor.sees_remarks
        assert UrgentException.objects.filter(user=reader).count() == 1
        assert menu_counts(fresh(reader))["urgent"] == 1


def test_the_cap_s_worth_of_old_unread_messages_stops_the_cursor(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "MENU_COUNT_CAP", 3)
    reader = world.operateur_a
    with time_machine.travel(timezone.now() - dt.timedelta(days=1), tick=False) as clock:
        messages = []
        for _ in range(6):
            messages.append(urgent_message(world))
            clock.shift(dt.timedelta(minutes=1))
        clock.shift(dt.timedelta(hours=2))
        assert menu_counts(fresh(reader))["urgent"] == 3
        menu_counts(fresh(reader))
        # Three exceptions, the cursor just before the fourth unread message.
        assert UrgentException.objects.filter(user=reader).count() == 3
        assert UrgentCursor.objects.get(user=reader).through < messages[3].last_activity_at
        for message in messages[:4]:
            message_mark_read(user=reader, message=message)
        assert menu_counts(fresh(reader))["urgent"] == 2
        assert menu_counts(fresh(reader))["urgent"] == 2


def test_moving_the_cursor_costs_the_same_queries_over_few_or_many_messages(
    world: World,
) -> None:
    reader = fresh(world.operateur_a)

    def advance_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            urgent.advance(reader, selectors.MENU_COUNT_CAP)
        return len(ctx.captured_queries)

    with time_machine.travel(timezone.now() - dt.timedelta(days=1), tick=False) as clock:
        for _ in range(3):
            urgent_message(world)
        clock.shift(dt.timedelta(hours=1))
        few = advance_queries()
        for i in range(150):
            message = urgent_message(world)
            if i % 3:
                message_mark_read(user=reader, message=message)
        clock.shift(dt.timedelta(hours=1))
        assert advance_queries() == few


@pytest.mark.parametrize("cap", [2, 100])
def test_the_count_is_the_list_s_whatever_happens(
    world: World, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    """Random days of work — urgent messages and remarks, reads, unreads, replies, tasks done
    and opened again, time passing — with the menu count checked against the list after
    every step, for three users with different rights."""
    monkeypatch.setattr(selectors, "MENU_COUNT_CAP", cap)
    rng = random.Random(cap)
    staff = [world.operateur_a, world.superviseur_a, world.gerant_a]
    messages: list[Message] = []
    with time_machine.travel(timezone.now() - dt.timedelta(days=5), tick=False) as clock:
        for _ in range(120):
            step = rng.random()
            if step < 0.25 or not messages:
                messages.append(
                    urgent_message(world, remark=rng.random() < 0.2, task=rng.random() < 0.4)
                )
            elif step < 0.5:
                message_mark_read(user=rng.choice(staff), message=rng.choice(messages))
            elif step < 0.6:
                message_mark_unread(user=rng.choice(staff), message=rng.choice(messages))
            elif step < 0.7:
                message = rng.choice(messages)
                message.refresh_from_db()
                reply_post(author=rng.choice(staff), message=message, body="Rappelé.")
            elif step < 0.8:
                message = rng.choice(messages)
                message.refresh_from_db()
                action = rng.choice(["done", "todo", "cancel"])
                if action != "done" or message.status == Message.STATUS_TODO:
                    task_set(user=world.gerant_a, message=message, action=action)
            else:
                clock.shift(dt.timedelta(minutes=rng.choice([1, 5, 15, 60, 600])))
            check(world)
    assert ReadState.objects.exists()
    assert UrgentCursor.objects.filter(through__gt=urgent.EPOCH).exists()  # cursors moved
