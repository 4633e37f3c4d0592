"""core.queries.Prepared: a query compiled once per shape gives, call after call, the rows the
ORM would give for the values of that call."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from relais.core.queries import Prepared
from relais.delivery.models import Delivery
from relais.messaging.models import Message
from relais.messaging.selectors import menu_counts
from tests import factories as f
from tests.conftest import World
from tests.ui.test_failed_copies import send_with_failed_copy


def _tasks(kind: str, client_id: Any, due_by: dt.date, since: dt.datetime) -> QuerySet[Any]:
    return (
        Message.objects.filter(client_id=client_id, due_date__lte=due_by, created_at__gte=since)
        .order_by("subject")
        .values("subject", "due_date")
    )


def _task(world: World, subject: str, due: dt.date) -> Message:
    return f.MessageFactory.create(
        client=world.client_a,
        author=world.operateur_a,
        subject=subject,
        status=Message.STATUS_TODO,
        due_date=due,
    )


def test_date_and_datetime_slots_take_each_call_s_values(world: World) -> None:
    prepared = Prepared(_tasks, slots=(uuid.UUID, dt.date, dt.datetime))
    _task(world, "Avant", dt.date(2026, 3, 1))
    _task(world, "Après", dt.date(2026, 3, 20))
    long_ago = timezone.now() - dt.timedelta(days=1)

    def subjects(due_by: dt.date, since: dt.datetime) -> list[str]:
        rows = prepared.rows(("tasks",), world.client_a.id, due_by, since)
        expected = list(_tasks("tasks", world.client_a.id, due_by, since))
        assert rows == expected  # the ORM's own answer, converters included
        return [row["subject"] for row in rows]

    assert subjects(dt.date(2026, 3, 10), long_ago) == ["Avant"]
    assert subjects(dt.date(2026, 3, 31), long_ago) == ["Après", "Avant"]
    assert subjects(dt.date(2026, 2, 1), long_ago) == []
    assert subjects(dt.date(2026, 3, 31), timezone.now() + dt.timedelta(days=1)) == []
    (shape,) = prepared._shapes.values()
    if connection.vendor == "postgresql":
        assert shape is not None  # compiled once, reused by every call above
    # SQLite takes dates as text: there the query is built on each call (shape None), with
    # the same answers.


def test_a_slot_of_an_unknown_type_is_refused() -> None:
    with pytest.raises(TypeError):
        Prepared(_tasks, slots=(float,)).sentinels(1)


def test_the_menu_counts_take_today_and_the_failed_window_from_each_call(world: World) -> None:
    _task(world, "Échéance le 10", dt.date(2026, 3, 10))
    gerant = world.gerant_a
    assert menu_counts(gerant, today=dt.date(2026, 3, 9))["follow"] == 0
    assert menu_counts(gerant, today=dt.date(2026, 3, 10))["follow"] == 1
    assert menu_counts(gerant, today=dt.date(2026, 3, 9))["follow"] == 0

    delivery = send_with_failed_copy(world, world.operateur_a)
    assert menu_counts(world.operateur_a)["failed"] == 1
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    assert menu_counts(world.operateur_a)["failed"] == 0  # a week later it is no longer flagged


def _tasks_maybe_since(
    kind: str, client_id: Any, due_by: dt.date, since: dt.datetime
) -> QuerySet[Any]:
    """A shape ("recent") that uses every slot, and one ("any") that leaves `since` out."""
    qs = Message.objects.filter(client_id=client_id, due_date__lte=due_by)
    if kind == "recent":
        qs = qs.filter(created_at__gte=since)
    return qs.order_by("subject").values("subject", "due_date")


def test_a_shape_may_leave_out_the_slots_it_declares_unused(world: World) -> None:
    prepared = Prepared(
        _tasks_maybe_since,
        slots=(uuid.UUID, dt.date, dt.datetime),
        unused=lambda key: {2} if key == ("any",) else set(),
    )
    _task(world, "Avant", dt.date(2026, 3, 1))
    later = timezone.now() + dt.timedelta(days=1)
    for kind in ("any", "recent"):
        for due_by in (dt.date(2026, 3, 10), dt.date(2026, 2, 1)):
            rows = prepared.rows((kind,), world.client_a.id, due_by, later)
            assert rows == list(_tasks_maybe_since(kind, world.client_a.id, due_by, later))
    assert [
        r["subject"]
        for r in prepared.rows(("any",), world.client_a.id, dt.date(2026, 3, 10), later)
    ] == ["Avant"]
    if connection.vendor == "postgresql":
        # Both compiled once; without `unused`, the "any" shape would be built on every call.
        assert all(shape is not None for shape in prepared._shapes.values())
        undeclared = Prepared(_tasks_maybe_since, slots=(uuid.UUID, dt.date, dt.datetime))
        undeclared.rows(("any",), world.client_a.id, dt.date(2026, 3, 10), later)
        assert list(undeclared._shapes.values()) == [None]


def test_a_part_of_the_menu_counts_is_the_same_as_in_all_of_them(world: World) -> None:
    _task(world, "Échéance le 10", dt.date(2026, 3, 10))
    f.MessageFactory.create(client=world.client_a, author=world.operateur_a, is_urgent=True)
    f.MessageFactory.create(
        client=world.client_a, author=world.client_user_a, is_client_remark=True
    )
    send_with_failed_copy(world, world.gerant_a)
    day = dt.date(2026, 3, 10)
    for user in (world.gerant_a, world.operateur_a, world.client_user_a):
        full = menu_counts(user, today=day)
        assert full  # something to compare
        for key in full:
            assert menu_counts(user, today=day, only={key}) == {key: full[key]}
        assert menu_counts(user, today=day, only={"urgent", "remarks"}) == {
            k: v for k, v in full.items() if k in ("urgent", "remarks")
        }
        assert menu_counts(user, today=day, only=set()) == {}
    assert menu_counts(world.gerant_a, today=day)["urgent"] == 1
    assert menu_counts(world.gerant_a, today=day)["follow"] == 1
