"""The relais_worker command: --once drains what is due, running the database queue's wake-ups."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks import task

from relais.delivery.backends import memory
from relais.delivery.management.commands.relais_worker import _database_task_runner
from relais.delivery.models import Delivery
from tests.conftest import World
from tests.delivery.conftest import send

pytestmark = pytest.mark.django_db


def test_once_sends_what_is_due_and_exits(world: World) -> None:
    send(world.operateur_a, world.client_a, copy_email=True, copy_sms=True)
    out = StringIO()

    call_command("relais_worker", "--once", stdout=out)

    assert (
        "Envoi des copies (e-mail, SMS, fax) : 2 envoyée(s), 0 à réessayer, 0 en échec"
        in out.getvalue()
    )
    assert "Worker d'envoi " in out.getvalue()
    assert len(memory.outbox) == 2


def test_it_runs_the_wake_ups_of_the_database_queue(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        send(world.operateur_a, world.client_a, copy_email=True, copy_fax=True)
    (task,) = DBTaskResult.objects.all()
    assert task.status == "READY"
    assert len(task.args_kwargs["args"][0]) == 2  # the delivery ids, nothing else

    call_command("relais_worker", "--once", "--no-tasks", stdout=StringIO())
    assert len(memory.outbox) == 2  # the sweep alone delivers too
    memory.reset()
    Delivery.objects.update(status=Delivery.QUEUED)

    call_command("relais_worker", "--once", stdout=StringIO())

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert task.return_value == 2
    assert len(memory.outbox) == 2


@task()
def add(a: int, b: int) -> int:
    """Another task of the queue: the relais worker runs it as db_worker would."""
    return a + b


def test_it_runs_the_other_tasks_of_the_database_queue(world: World, settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    result = add.enqueue(2, 3)

    call_command("relais_worker", "--once", stdout=StringIO())

    task = DBTaskResult.objects.get(id=result.id)
    assert (task.status, task.return_value) == ("SUCCESSFUL", 5)


def test_wake_ups_cost_no_query_of_their_own(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """However many wake-ups wait, one pass claims them, delivers their copies in chunks and
    marks them done in a fixed number of queries: only the copies' own writes grow."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def queries_for(messages: int) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(messages):
                send(world.operateur_a, world.client_a, subject=f"Rappel {n}", copy_email=True)
        run = _database_task_runner(100)
        assert run is not None
        with CaptureQueriesContext(connection) as captured:
            woken, stats = run()
        assert (woken, stats.sent) == (messages, messages)
        assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
        return len(captured)

    three, twelve = queries_for(3), queries_for(12)

    per_copy = 1 if connection.vendor == "postgresql" else 4  # see test_worker
    assert twelve - three == 9 * per_copy
