"""The API side of message types: the same selectors as the pages, so the same answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_send, task_set
from tests import factories
from tests.api.conftest import call
from tests.conftest import World, api_client

f: Any = factories  # factory calls return model instances

pytestmark = pytest.mark.django_db


def write(world: World, subject: str, **options: Any) -> Message:
    client = options.pop("client", world.client_a)
    message, _ = message_send(
        author=options.pop("author", world.gerant_a),
        client=client,
        data=SendInput(subject=subject, body="Texte", **options),
    )
    return message


def test_it_counts_day_tasks_per_date_for_one_client(world: World) -> None:
    other = f.ClientFactory(permanence=world.perm_a)
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    write(world, "A", is_task=True, due_date=today)
    write(world, "B", is_task=True, due_date=tomorrow)
    write(world, "C", client=other, is_task=True, due_date=today)
    done = write(world, "D", is_task=True, due_date=today)
    task_set(user=world.gerant_a, message=done, action="done")
    http = api_client(world.operateur_a)
    assert call(http, "GET", "/day-tasks").json() == {today.isoformat(): 2, tomorrow.isoformat(): 1}
    mine = call(http, "GET", f"/day-tasks?client={world.client_a.id}").json()
    assert mine == {today.isoformat(): 1, tomorrow.isoformat(): 1}
    assert call(http, "GET", f"/day-tasks?client={world.client_b.id}").status_code == 404
    assert call(http, "GET", "/day-tasks?client=nope").status_code == 404
    # The client user: its own client's only, whatever it asks.
    client_http = api_client(world.client_user_a)
    assert call(client_http, "GET", "/day-tasks").json() == mine
    assert call(client_http, "GET", f"/day-tasks?client={other.id}").status_code == 404


def test_it_follows_tasks_and_urgent_like_the_pages(world: World) -> None:
    today = timezone.localdate()
    urgent = write(world, "Urgente", is_task=True, is_urgent=True, due_date=today)
    write(world, "VAD", is_task=True, is_vad=True)
    http = api_client(world.operateur_a)

    def subjects(path: str) -> list[str]:
        response = call(http, "GET", path)
        assert response.status_code == 200, response.json()
        return [m["subject"] for m in response.json()["items"]]

    assert set(subjects("/tasks")) == {"Urgente", "VAD"}
    assert subjects("/tasks?vad=true") == ["VAD"]
    assert subjects("/tasks?vad=false") == ["Urgente"]
    assert subjects(f"/tasks?date={today.isoformat()}") == ["Urgente"]
    assert all(m["unread"] for m in call(http, "GET", "/tasks").json()["items"])
    assert subjects("/urgent") == ["Urgente"]
    call(http, "POST", f"/messages/{urgent.id}/read")
    assert subjects("/urgent") == []
    assert set(subjects("/tasks")) == {"Urgente", "VAD"}  # read or unread: still listed
    call(http, "POST", f"/messages/{urgent.id}/task", {"action": "done"})
    assert subjects("/tasks") == ["VAD"]


def test_it_refuses_a_task_change_to_a_sharing_target(world: World) -> None:
    message = write(world, "Partagée", is_task=True)
    sharer = f.ClientUserFactory(client=f.ClientFactory(permanence=world.perm_a))
    f.ClientShareFactory(client=world.client_a, user=sharer)
    http = api_client(sharer)
    assert call(http, "GET", f"/messages/{message.id}").status_code == 200
    response = call(http, "POST", f"/messages/{message.id}/task", {"action": "done"})
    assert response.status_code == 403
    response = call(
        http, "POST", f"/messages/{message.id}/replies", {"body": "Vu", "make_task": True}
    )
    assert response.status_code == 403
    assert call(http, "POST", f"/messages/{message.id}/replies", {"body": "Vu"}).status_code == 201
    message.refresh_from_db()
    assert message.status == Message.STATUS_TODO and message.reply_count == 1
