"""POST /clients/{id}/messages: what is saved, what is refused, idempotency."""

from __future__ import annotations

import threading
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test import Client as HttpClient

from relais.clients.models import Contact
from relais.delivery.models import Delivery
from relais.messaging.models import HistoryEvent, Message, ReadState, Recipient
from relais.messaging.services import send as services
from relais.tenancy.models import ApiToken
from tests import factories as f
from tests.api.conftest import call, send_body
from tests.conftest import World, api_client


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Message, Recipient, ReadState, HistoryEvent, Delivery, Contact)
    )


def send(http: HttpClient, world: World, body: Any, **headers: str) -> Any:
    return call(http, "POST", f"/clients/{world.client_a.id}/messages", body, **headers)


def test_it_sends_a_message_with_every_option(world: World) -> None:
    contact = f.ContactFactory.create(client=world.client_a, name="Hélène Dubois")
    template = f.TemplateFactory.create(permanence=world.perm_a)
    http = api_client(world.operateur_a)
    response = send(
        http,
        world,
        send_body(
            cc=[str(world.superviseur_a.id)],
            is_task=True,
            due_date="2030-03-14",
            is_urgent=True,
            is_vad=True,
            contact=str(contact.id),
            template=str(template.id),
            copy_email=True,
            copy_sms=True,
            copy_fax=True,
            attach={"kind": "planning", "from": "2030-03-01", "to": "2030-03-14"},
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    message = Message.objects.get()
    assert body["id"] == str(message.id)
    assert body["author"] == {
        "id": str(world.operateur_a.id),
        "name": world.operateur_a.name,
        "kind": "staff",
    }
    assert body["status"] == "todo" and body["is_task"] is True
    assert body["due_date"] == "2030-03-14"
    assert body["is_urgent"] and body["is_vad"] and not body["is_private"]
    assert body["contact"] == {"id": str(contact.id), "name": "Hélène Dubois"}
    assert body["template"]["id"] == str(template.id)
    assert body["attach"] == {"kind": "planning", "from": "2030-03-01", "to": "2030-03-14"}
    assert body["done_by"] is None and body["done_at"] is None
    assert body["created_at"].endswith(("+01:00", "+02:00"))
    assert body["unread"] is False
    assert body["recipients"] == [
        {
            "id": str(world.superviseur_a.id),
            "name": world.superviseur_a.name,
            "kind": "staff",
            "reason": "cc",
            "read_at": None,
        }
    ]
    channels = sorted((d["channel"], d["to"]) for d in body["deliveries"])
    assert ("email", world.client_a.email) in channels
    assert ("sms", world.client_a.mobile) in channels
    assert ("fax", world.client_a.fax) in channels
    assert ("email", world.superviseur_a.email) in channels
    assert {d["status"] for d in body["deliveries"]} == {"queued"}
    assert [h["kind"] for h in body["history"]][:2] == ["created", "task_todo"]
    assert body["replies"] == []


def test_its_answer_is_the_documented_one(world: World) -> None:
    """The send renders its answer without django-ninja's validation (relais.api.messages._answer):
    the same answer, put through the endpoint's own validation and rendering, gives the same
    bytes, for a created message, its idempotent replay and a minimal one."""
    import inspect

    from django.urls import resolve
    from ninja import Status

    from relais.api import messages as api_messages
    from relais.api.api import api

    answer = api_messages._answer
    pairs: list[tuple[bytes, bytes]] = []

    def both(request: Any, response: Any, status: int, data: Any) -> Any:
        view = inspect.getclosurevars(resolve(request.path).func).nonlocals["self"]
        operation = next(op for op in view.operations if "POST" in op.methods)
        temporal = api.create_temporal_response(request)
        validated = operation._result_to_response(request, Status(status, data), temporal)
        fast = answer(request, response, status, data)
        assert validated.status_code == fast.status_code == status
        pairs.append((fast.content, validated.content))
        return fast

    contact = f.ContactFactory.create(client=world.client_a, name="Hélène Dubois")
    template = f.TemplateFactory.create(permanence=world.perm_a)
    http = api_client(world.operateur_a)
    body = send_body(
        cc=[str(world.superviseur_a.id)],
        is_task=True,
        due_date="2030-03-14",
        is_urgent=True,
        contact=str(contact.id),
        template=str(template.id),
        copy_email=True,
        copy_sms=True,
        attach={"kind": "planning", "from": "2030-03-01", "to": "2030-03-14"},
    )
    with mock.patch.object(api_messages, "_answer", both):
        first = send(http, world, body, **{"Idempotency-Key": "k-answer"})
        again = send(http, world, body, **{"Idempotency-Key": "k-answer"})
        minimal = send(http, world, send_body())
    assert [first.status_code, again.status_code, minimal.status_code] == [201, 200, 201]
    assert first["Content-Type"] == "application/json; charset=utf-8"
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["deliveries"] and first.json()["recipients"] and first.json()["history"]
    assert len(pairs) == 3
    for fast, validated in pairs:
        assert fast == validated


def test_it_lets_a_client_user_write_a_client_remark(world: World) -> None:
    http = api_client(world.client_user_a)
    response = send(http, world, send_body(is_client_remark=True))
    assert response.status_code == 201
    assert response.json()["is_client_remark"] is True
    assert response.json()["author"]["kind"] == "client"


def _other_permanence_user(world: World) -> str:
    return str(world.gerant_b.id)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"body": ""}, "body"),
        ({"body": "\n \n"}, "body"),
        ({"body": "x" * 20001}, "body"),
        ({"is_task": True, "due_date": "demain"}, "due_date"),
        ({"is_task": True, "due_date": "2030-02-30"}, "due_date"),
        ({"is_task": True, "due_date": "14/03/2030"}, "due_date"),
        ({"due_date": "2030-03-14"}, "due_date"),
        ({"contact": "00000000-0000-0000-0000-000000000000"}, "contact"),
        ({"contact": "pas-un-id"}, "contact"),
        ({"template": "00000000-0000-0000-0000-000000000000"}, "template"),
        ({"cc": ["00000000-0000-0000-0000-000000000000"]}, "cc"),
        ({"cc": ["pas-un-id"]}, "cc"),
        ({"cc": "pas-une-liste"}, "cc"),
        ({"attach": {"kind": "planning", "from": "2030-03-14", "to": "2030-03-01"}}, "attach"),
        ({"attach": {"kind": "inconnu", "from": "2030-03-01", "to": "2030-03-14"}}, "attach"),
        ({"is_client_remark": True}, "is_client_remark"),
    ],
)
def test_it_refuses_invalid_values_with_422_on_the_field_and_saves_nothing(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    http = api_client(world.operateur_a)
    before = counts()
    response = send(http, world, send_body(**overrides))
    assert response.status_code == 422, response.content
    body = response.json()
    assert field in body["errors"], body
    assert all(isinstance(m, str) and m for m in body["errors"][field])
    assert counts() == before


def test_it_refuses_a_contact_of_another_permanence_or_client(world: World) -> None:
    http = api_client(world.operateur_a)
    foreign = f.ContactFactory.create(client=world.client_b)
    neighbour = f.ContactFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    before = counts()
    for contact in (foreign, neighbour):
        response = send(http, world, send_body(contact=str(contact.id)))
        assert response.status_code == 422
        assert response.json()["errors"] == {"contact": ["Contact introuvable pour ce client."]}
    assert counts() == before


def test_it_refuses_a_copy_recipient_of_another_permanence(world: World) -> None:
    http = api_client(world.operateur_a)
    before = counts()
    response = send(http, world, send_body(cc=[str(world.gerant_b.id)]))
    assert response.status_code == 422
    assert "cc" in response.json()["errors"]
    assert counts() == before


def test_it_refuses_a_client_user_of_an_unrelated_client_as_copy_recipient(
    world: World,
) -> None:
    stranger = f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    response = send(api_client(world.operateur_a), world, send_body(cc=[str(stranger.id)]))
    assert response.status_code == 422
    assert "cc" in response.json()["errors"]


def test_it_refuses_copies_on_a_private_message(world: World) -> None:
    http = api_client(world.operateur_a)
    before = counts()
    response = send(http, world, send_body(is_private=True, cc=[str(world.superviseur_a.id)]))
    assert response.status_code == 422
    assert response.json()["errors"]["cc"] == [
        "Un message privé n'est envoyé qu'au destinataire : retirez les copies."
    ]
    assert counts() == before


def test_it_reports_every_invalid_field_at_once(world: World) -> None:
    response = send(api_client(world.operateur_a), world, {"subject": "", "body": ""})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"subject", "body"}


# --- idempotency -------------------------------------------------------------------------------


def test_it_creates_one_message_for_two_posts_with_the_same_key(world: World) -> None:
    http = api_client(world.operateur_a)
    first = send(http, world, send_body(), **{"Idempotency-Key": "appel-42"})
    again = send(http, world, send_body(subject="Autre"), **{"Idempotency-Key": "appel-42"})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["subject"] == "Rappel patient"
    assert Message.objects.count() == 1
    assert HistoryEvent.objects.filter(kind=HistoryEvent.CREATED).count() == 1


def test_it_creates_two_messages_for_two_keys_or_two_authors(world: World) -> None:
    op, sup = api_client(world.operateur_a), api_client(world.superviseur_a)
    assert send(op, world, send_body(), **{"Idempotency-Key": "a"}).status_code == 201
    assert send(op, world, send_body(), **{"Idempotency-Key": "b"}).status_code == 201
    assert send(sup, world, send_body(), **{"Idempotency-Key": "a"}).status_code == 201
    assert send(op, world, send_body()).status_code == 201
    assert send(op, world, send_body()).status_code == 201
    assert Message.objects.count() == 5


def test_it_refuses_an_overlong_idempotency_key(world: World) -> None:
    response = send(
        api_client(world.operateur_a), world, send_body(), **{"Idempotency-Key": "k" * 121}
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Message.objects.exists()


def test_it_looks_the_key_up_only_when_its_insert_meets_it(world: World) -> None:
    """No look before writing: the unique (author, key) constraint decides. A retry's insert
    meets the first message's key and the answer is that message."""
    http = api_client(world.operateur_a)
    real = services._existing_for_key
    looks: list[str] = []

    def look(author: Any, key: str) -> Message | None:
        looks.append(key)
        return real(author, key)

    with mock.patch.object(services, "_existing_for_key", side_effect=look):
        first = send(http, world, send_body(), **{"Idempotency-Key": "appel-43"})
        assert looks == []
        again = send(http, world, send_body(), **{"Idempotency-Key": "appel-43"})
    assert looks == ["appel-43"]
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Message.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_message_for_simultaneous_posts_with_the_same_key(
    world: World,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (SQLite serialises writers)")
    token = ApiToken.issue(world.operateur_a)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def post() -> None:
        http = HttpClient(headers={"Authorization": f"Bearer {token}"})
        barrier.wait()
        try:
            response = send(http, world, send_body(), **{"Idempotency-Key": "double-clic"})
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 200, 201]
    assert Message.objects.filter(idempotency_key="double-clic").count() == 1
