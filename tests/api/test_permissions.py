"""The three-user world on every endpoint: 401 anonymous, 404 across permanences, 403 without
the right, a client user confined to its own client."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from relais.clients.models import Client
from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_send
from relais.tenancy import permissions as perms
from relais.tenancy.models import User
from tests.api.conftest import call, send_body
from tests.conftest import World, api_client

# (method, path, body, status when allowed). {client} and {message} are A's.
SCOPED: list[tuple[str, str, Any, int]] = [
    ("GET", "/clients/{client}", None, 200),
    ("GET", "/clients/{client}/contacts", None, 200),
    ("POST", "/clients/{client}/contacts", {"name": "Hélène Dubois"}, 201),
    ("GET", "/clients/{client}/recipients", None, 200),
    ("GET", "/clients/{client}/messages", None, 200),
    ("POST", "/clients/{client}/messages", send_body(), 201),
    ("GET", "/messages/{message}", None, 200),
    ("POST", "/messages/{message}/replies", {"body": "Je le rappelle."}, 201),
    ("POST", "/messages/{message}/task", {"action": "todo"}, 200),
    ("POST", "/messages/{message}/read", None, 200),
    ("DELETE", "/messages/{message}/read", None, 200),
    ("GET", "/templates?client={client}", None, 200),
]
GLOBAL: list[tuple[str, str]] = [
    ("GET", "/me"),
    ("GET", "/clients"),
    ("GET", "/messages"),
    ("GET", "/tasks"),
    ("GET", "/urgent"),
    ("GET", "/day-tasks"),
    ("GET", "/remarks"),
]
ALL = [(m, p, b) for m, p, b, _ in SCOPED] + [(m, p, None) for m, p in GLOBAL]


def _ids(rows: list[Any]) -> list[str]:
    return [f"{row[0]} {row[1]}" for row in rows]


def _path(path: str, client: Client, message: Message) -> str:
    return path.format(client=client.id, message=message.id)


def _strip_right(user: User, right: str) -> None:
    assert user.role is not None
    user.role.permissions = [p for p in user.role.permissions if p != right]
    user.role.save()


@pytest.mark.parametrize(("method", "path", "body"), ALL, ids=_ids(ALL))
def test_it_answers_401_to_anonymous_callers(
    world: World, message_a: Message, method: str, path: str, body: Any
) -> None:
    response = call(HttpClient(), method, _path(path, world.client_a, message_a), body)
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize(("method", "path", "body", "ok"), SCOPED, ids=_ids(SCOPED))
def test_it_lets_the_gerant_of_a_use_every_endpoint(
    world: World, message_a: Message, method: str, path: str, body: Any, ok: int
) -> None:
    http = api_client(world.gerant_a)
    response = call(http, method, _path(path, world.client_a, message_a), body)
    assert response.status_code == ok, response.content


@pytest.mark.parametrize(("method", "path", "body", "ok"), SCOPED, ids=_ids(SCOPED))
def test_it_answers_404_to_another_permanence_for_a_ids(
    world: World, message_a: Message, method: str, path: str, body: Any, ok: int
) -> None:
    messages_before = Message.objects.count()
    response = call(
        api_client(world.gerant_b), method, _path(path, world.client_a, message_a), body
    )
    assert response.status_code == 404
    assert Message.objects.count() == messages_before


@pytest.mark.parametrize(("method", "path"), GLOBAL, ids=_ids(GLOBAL))
def test_it_never_shows_a_objects_to_another_permanence(
    world: World, message_a: Message, method: str, path: str
) -> None:
    response = call(api_client(world.gerant_b), method, path)
    assert response.status_code == 200
    text = response.content.decode()
    assert str(world.client_a.id) not in text
    assert str(message_a.id) not in text
    assert str(world.perm_a.id) not in text


@pytest.mark.parametrize(("method", "path", "body", "ok"), SCOPED, ids=_ids(SCOPED))
def test_it_lets_the_operateur_of_a_use_the_endpoints_of_his_rights(
    world: World, message_a: Message, method: str, path: str, body: Any, ok: int
) -> None:
    http = api_client(world.operateur_a)
    response = call(http, method, _path(path, world.client_a, message_a), body)
    assert response.status_code == ok, response.content


def test_it_answers_403_to_the_operateur_on_client_remarks(world: World) -> None:
    response = call(api_client(world.operateur_a), "GET", "/remarks")
    assert response.status_code == 403
    assert response.json() == {"detail": "Vous n'avez pas le droit de faire cela.", "errors": {}}


MESSAGE_READS = [
    row
    for row in SCOPED
    if "/messages" in row[1] and not (row[0] == "POST" and row[1].endswith("{client}/messages"))
] + [("GET", "/messages", None, 200), ("GET", "/tasks", None, 200), ("GET", "/urgent", None, 200)]


@pytest.mark.parametrize(("method", "path", "body", "ok"), MESSAGE_READS, ids=_ids(MESSAGE_READS))
def test_it_answers_403_on_message_reads_to_staff_without_the_reading_right(
    world: World, message_a: Message, method: str, path: str, body: Any, ok: int
) -> None:
    _strip_right(world.operateur_a, perms.MESSAGES_READ)
    response = call(
        api_client(world.operateur_a), method, _path(path, world.client_a, message_a), body
    )
    assert response.status_code == 403


WRITES = [
    ("POST", "/clients/{client}/messages", send_body()),
    ("POST", "/messages/{message}/replies", {"body": "Je le rappelle."}),
    ("POST", "/messages/{message}/task", {"action": "done"}),
    ("GET", "/clients/{client}/recipients", None),
    ("GET", "/templates?client={client}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=_ids(WRITES))
def test_it_answers_403_on_writing_to_staff_without_the_writing_right(
    world: World, message_a: Message, method: str, path: str, body: Any
) -> None:
    _strip_right(world.operateur_a, perms.MESSAGES_ADD)
    before = (Message.objects.count(), message_a.replies.count())
    response = call(
        api_client(world.operateur_a), method, _path(path, world.client_a, message_a), body
    )
    assert response.status_code == 403
    assert (Message.objects.count(), message_a.replies.count()) == before
    message_a.refresh_from_db()
    assert message_a.status == Message.STATUS_NORMAL


def test_it_answers_403_on_contact_creation_without_the_contact_right(world: World) -> None:
    _strip_right(world.operateur_a, perms.CONTACTS_ADD)
    response = call(
        api_client(world.operateur_a),
        "POST",
        f"/clients/{world.client_a.id}/contacts",
        {"name": "Hélène Dubois"},
    )
    assert response.status_code == 403
    assert not world.client_a.contacts.exists()


def test_it_answers_403_on_task_follow_up_without_its_right(world: World) -> None:
    _strip_right(world.operateur_a, perms.MESSAGES_TASKS_FOLLOW)
    assert call(api_client(world.operateur_a), "GET", "/tasks").status_code == 403


# --- the client user --------------------------------------------------------------------------

CLIENT_USER_OK = [row for row in SCOPED if not row[1].endswith("/recipients")]


@pytest.mark.parametrize(("method", "path", "body", "ok"), CLIENT_USER_OK, ids=_ids(CLIENT_USER_OK))
def test_it_lets_the_client_user_use_its_own_client(
    world: World, message_a: Message, method: str, path: str, body: Any, ok: int
) -> None:
    http = api_client(world.client_user_a)
    response = call(http, method, _path(path, world.client_a, message_a), body)
    assert response.status_code == ok, response.content


@pytest.mark.parametrize(("method", "path", "body", "ok"), SCOPED, ids=_ids(SCOPED))
def test_it_answers_404_to_the_client_user_for_another_client_of_its_permanence(
    world: World, client_a2: Client, method: str, path: str, body: Any, ok: int
) -> None:
    other_message, _ = message_send(
        author=world.gerant_a, client=client_a2, data=SendInput(subject="Fuite", body="Rappeler")
    )
    before = Message.objects.count()
    response = call(
        api_client(world.client_user_a), method, _path(path, client_a2, other_message), body
    )
    assert response.status_code == 404
    assert Message.objects.count() == before


@pytest.mark.parametrize("path", ["/tasks", "/remarks", "/clients/{client}/recipients"])
def test_it_answers_403_to_the_client_user_on_staff_tools(
    world: World, message_a: Message, path: str
) -> None:
    http = api_client(world.client_user_a)
    assert call(http, "GET", _path(path, world.client_a, message_a)).status_code == 403


def test_it_lists_only_the_client_users_own_client(world: World, client_a2: Client) -> None:
    response = call(api_client(world.client_user_a), "GET", "/clients")
    assert [c["id"] for c in response.json()["items"]] == [str(world.client_a.id)]
