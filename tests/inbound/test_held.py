"""« Réponses à vérifier »: staff with the right attach a held reply to its thread or discard
it; nobody else sees them, and nothing crosses permanences."""

from __future__ import annotations

from typing import Any

import pytest

from relais.inbound.models import InboundItem
from relais.messaging.models import Reply
from tests.conftest import World, api_client, login
from tests.inbound.conftest import answer, inbound_token, send, sent_copy

pytestmark = pytest.mark.django_db


def held_email(world: World, smtp: Any) -> tuple[Any, InboundItem]:
    from django.test import Client as HttpClient

    message = send(world.operateur_a, world.client_a, copy_email=True, subject="Rappel Durand")
    _, received = sent_copy(smtp, message, world.client_a.email)
    raw = answer(
        received,
        sender="Secrétariat <secretariat@cabinet-lemoine.example>",
        text="Le docteur rappellera.",
        attachments=[("note.txt", "text/plain", b"note")],
    )
    # A forwarded answer: the thread's references are lost on the way.
    raw = b"\n".join(
        line
        for line in raw.split(b"\n")
        if not line.lower().startswith((b"in-reply-to", b"references", b"to:"))
    )
    response = HttpClient().post(
        f"/api/v1/inbound/email/{inbound_token(world.perm_a)}",
        data=raw,
        content_type="message/rfc822",
    )
    assert response.json()["result"] == "held"
    return message, InboundItem.objects.get(result=InboundItem.HELD)


def test_a_superviseur_attaches_a_held_reply_through_the_api(world: World, smtp_settings: Any):
    message, item = held_email(world, smtp_settings)
    api = api_client(world.superviseur_a)

    (listed,) = api.get("/api/v1/replies/held").json()["items"]
    assert (
        listed["id"] == str(item.id) and listed["sender"] == "secretariat@cabinet-lemoine.example"
    )
    assert listed["text"] == "Le docteur rappellera."

    response = api.post(
        f"/api/v1/replies/held/{item.id}",
        {"message": str(message.id)},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["via"] == "email" and body["author"]["kind"] == "external"
    assert [a["name"] for a in body["attachments"]] == ["note.txt"]
    reply = Reply.objects.get(message=message)
    assert reply.sender_name == "Secrétariat"
    item.refresh_from_db()
    assert item.result == InboundItem.REPLY and item.handled_by == world.superviseur_a
    assert api.get("/api/v1/replies/held").json()["items"] == []
    # A second attach is a conflict, not a second reply.
    again = api.post(
        f"/api/v1/replies/held/{item.id}",
        {"message": str(message.id)},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert Reply.objects.filter(message=message).count() == 1


def test_discarding_keeps_the_item_out_of_the_list(world: World, smtp_settings: Any):
    _, item = held_email(world, smtp_settings)
    api = api_client(world.gerant_a)

    assert api.delete(f"/api/v1/replies/held/{item.id}").status_code == 204

    item.refresh_from_db()
    assert item.result == InboundItem.DISCARDED
    assert api.get("/api/v1/replies/held").json()["items"] == []
    assert not Reply.objects.exists()


def test_only_staff_with_the_right_and_of_that_permanence(world: World, smtp_settings: Any):
    message, item = held_email(world, smtp_settings)

    # The operator lacks the right: 403; a client user: 403; another permanence: 404.
    assert api_client(world.operateur_a).get("/api/v1/replies/held").status_code == 403
    assert api_client(world.client_user_a).get("/api/v1/replies/held").status_code == 403
    assert api_client(world.gerant_b).get("/api/v1/replies/held").json()["items"] == []
    outsider = api_client(world.gerant_b).post(
        f"/api/v1/replies/held/{item.id}",
        {"message": str(message.id)},
        content_type="application/json",
    )
    assert outsider.status_code == 404
    assert api_client(world.gerant_b).delete(f"/api/v1/replies/held/{item.id}").status_code == 404
    assert login(world.operateur_a).get("/reponses-a-verifier/").status_code == 403
    item.refresh_from_db()
    assert item.result == InboundItem.HELD


def test_the_page_lists_searches_and_attaches(world: World, smtp_settings: Any):
    message, item = held_email(world, smtp_settings)
    page = login(world.superviseur_a)

    listing = page.get("/reponses-a-verifier/").content.decode()
    assert "secretariat@cabinet-lemoine.example" in listing and "Le docteur rappellera." in listing
    found = page.get(f"/reponses-a-verifier/?item={item.id}&q=Durand").content.decode()
    assert "Rappel Durand" in found and "Rattacher" in found

    response = page.post(f"/reponses-a-verifier/{item.id}/rattacher/", {"message": message.id})

    assert response.status_code == 302 and response["Location"] == f"/messages/{message.id}/"
    assert Reply.objects.get(message=message).via == Reply.EMAIL


def test_an_attachment_is_served_only_to_readers_of_the_thread(world: World, smtp_settings: Any):
    message, item = held_email(world, smtp_settings)
    api_client(world.superviseur_a).post(
        f"/api/v1/replies/held/{item.id}",
        {"message": str(message.id)},
        content_type="application/json",
    )
    (attachment,) = Reply.objects.get().attachments.all()
    url = f"/pieces-jointes/{attachment.id}/"

    reader = login(world.operateur_a).get(url)
    assert reader.status_code == 200
    assert reader.content == b"note"
    assert reader["Content-Disposition"] == 'attachment; filename="note.txt"'
    assert reader["Content-Type"] == "application/octet-stream"
    assert login(world.gerant_b).get(url).status_code == 404
    original = login(world.operateur_a).get(f"/reponses/{attachment.reply_id}/original/")
    assert original.status_code == 200 and "Le docteur rappellera." in original.content.decode()
    assert (
        login(world.gerant_b).get(f"/reponses/{attachment.reply_id}/original/").status_code == 404
    )
