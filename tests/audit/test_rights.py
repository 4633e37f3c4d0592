"""« Droit à l'effacement » and « droit d'accès » (issue 19, point 9)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from django.urls import reverse

from relais.audit.models import AuditEvent, MessageRead
from relais.clients.models import Contact
from relais.delivery.models import Delivery
from relais.messaging.models import HistoryEvent, Message, Reply
from relais.messaging.services import SendInput, message_send, reply_post
from tests.api.conftest import call
from tests.conftest import World, api_client, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(world: World) -> Contact:
    return Contact.objects.create(
        permanence=world.perm_a,
        client=world.client_a,
        name="Hélène Moreau",
        phone="+33671234589",
        email="helene@patient.test",
        note="Allergique à la pénicilline",
    )


def about(world: World, contact: Contact | None, subject: str = "Rappel patiente") -> Message:
    message, _ = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=SendInput(
            subject=subject,
            body="Résultats à communiquer.",
            contact=str(contact.id) if contact else None,
            copy_email=True,
        ),
    )
    return message


def test_the_gerant_erases_a_message_and_the_trace_keeps_who_and_why(
    world: World, contact: Contact
) -> None:
    message = about(world, contact)
    reply_post(author=world.client_user_a, message=message, body="Merci")
    call(api_client(world.operateur_a), "GET", f"/messages/{message.id}")
    http = api_client(world.gerant_a)
    response = call(http, "DELETE", f"/messages/{message.id}", {"reason": "Demande de la patiente"})
    assert response.status_code == 204
    assert not Message.objects.filter(id=message.id).exists()
    assert not Reply.objects.filter(message_id=message.id).exists()
    assert not HistoryEvent.objects.filter(message_id=message.id).exists()
    assert not Delivery.objects.filter(message_id=message.id).exists()
    (event,) = AuditEvent.objects.filter(kind="message_erased")
    assert event.actor_id == world.gerant_a.id and event.target == f"message:{message.id}"
    assert event.detail["reason"] == "Demande de la patiente"
    assert event.detail["client"] == str(world.client_a.id)
    assert "Résultats" not in json.dumps(event.detail)  # the content is gone, not copied
    # Who had read it stays known until the traces' own lifetime.
    assert MessageRead.objects.filter(message_id=message.id).count() == 1
    assert call(http, "GET", f"/messages/{message.id}").status_code == 404
    journal = call(http, "GET", "/audit?kind=message_erased").json()["items"]
    assert journal[0]["detail"]["reason"] == "Demande de la patiente"


def test_an_erasure_needs_a_reason_and_the_right(world: World) -> None:
    message = about(world, None)
    path = f"/messages/{message.id}"
    gerant = api_client(world.gerant_a)
    assert call(gerant, "DELETE", path, {"reason": " "}).status_code == 422
    assert call(gerant, "DELETE", path, {}).status_code == 422
    assert call(gerant, "DELETE", path, {"reason": "x" * 501}).status_code == 422
    assert (
        call(api_client(world.operateur_a), "DELETE", path, {"reason": "ok ok"}).status_code == 403
    )
    assert (
        call(api_client(world.client_user_a), "DELETE", path, {"reason": "ok ok"}).status_code
        == 403
    )
    assert call(api_client(world.gerant_b), "DELETE", path, {"reason": "ok ok"}).status_code == 404
    assert Message.objects.filter(id=message.id).exists()
    assert not AuditEvent.objects.filter(kind="message_erased").exists()


def test_the_thread_page_erases_with_a_reason(world: World) -> None:
    message = about(world, None)
    http = login(world.gerant_a)
    page = http.get(reverse("ui:thread", args=[message.id])).content.decode()
    assert "Effacer ce message" in page
    url = reverse("ui:message_erase", args=[message.id])
    assert http.post(url, {"reason": ""}).status_code == 302
    assert Message.objects.filter(id=message.id).exists()
    assert (
        "Effacer ce message"
        not in login(world.operateur_a)
        .get(reverse("ui:thread", args=[message.id]))
        .content.decode()
    )
    assert login(world.operateur_a).post(url, {"reason": "Demande"}).status_code == 403
    assert login(world.gerant_b).post(url, {"reason": "Demande"}).status_code == 404
    response = http.post(url, {"reason": "Demande du client"})
    assert response.status_code == 302 and response["Location"] == reverse(
        "ui:client", args=[world.client_a.id]
    )
    assert not Message.objects.filter(id=message.id).exists()


def test_it_exports_everything_held_about_a_contact(world: World, contact: Contact) -> None:
    about(world, contact, "Rappel Hélène")
    about(world, None, "Sans contact")
    response = call(api_client(world.gerant_a), "GET", f"/contacts/{contact.id}/export")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert data["contact"]["name"] == "Hélène Moreau"
    assert data["contact"]["note"] == "Allergique à la pénicilline"
    assert [m["subject"] for m in data["messages"]] == ["Rappel Hélène"]
    assert data["messages"][0]["copies"][0]["channel"] == "email"
    (event,) = AuditEvent.objects.filter(kind="exported")
    assert event.target == f"contact:{contact.id}"


def test_the_contact_export_as_pdf(world: World, contact: Contact, tmp_path: Any) -> None:
    about(world, contact, "Rappel Hélène")
    response = call(api_client(world.gerant_a), "GET", f"/contacts/{contact.id}/export?format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "export.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Hélène Moreau" in text and "Rappel Hélène" in text and "pénicilline" in text


def test_it_exports_a_clients_data(world: World, contact: Contact) -> None:
    about(world, contact)
    http = api_client(world.gerant_a)
    data = json.loads(call(http, "GET", f"/clients/{world.client_a.id}/export").content)
    assert data["client"]["name"] == world.client_a.name
    assert [c["name"] for c in data["contacts"]] == ["Hélène Moreau"]
    assert [u["email"] for u in data["users"]] == [world.client_user_a.email]
    assert len(data["messages"]) == 1
    pdf = call(http, "GET", f"/clients/{world.client_a.id}/export?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert call(http, "GET", f"/clients/{world.client_a.id}/export?format=xml").status_code == 422


def test_exports_need_the_right_and_stay_in_the_permanence(world: World, contact: Contact) -> None:
    for path in (f"/contacts/{contact.id}/export", f"/clients/{world.client_a.id}/export"):
        assert call(api_client(world.operateur_a), "GET", path).status_code == 403
        assert call(api_client(world.client_user_a), "GET", path).status_code == 403
        assert call(api_client(world.gerant_b), "GET", path).status_code == 404
    assert call(api_client(world.gerant_a), "GET", "/contacts/nope/export").status_code == 404
    assert not AuditEvent.objects.filter(kind="exported").exists()
