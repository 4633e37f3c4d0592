"""The local outbox staff browse, and the providers' delivery-receipt callback."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from relais.delivery.models import Delivery, OutboxCopy
from relais.delivery.worker import deliver_due
from relais.messaging.models import HistoryEvent
from tests.conftest import World, login
from tests.delivery.conftest import send

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.delivery.urls")]


@pytest.fixture(autouse=True)
def _outbox(settings: Any) -> None:
    settings.RELAIS_EMAIL_BACKEND = "outbox"
    settings.RELAIS_SMS_BACKEND = "outbox"
    settings.RELAIS_FAX_BACKEND = "outbox"


def test_it_keeps_every_channel_in_the_local_outbox(world: World) -> None:
    message = send(world.operateur_a, world.client_a, copy_email=True, copy_sms=True, copy_fax=True)

    assert deliver_due(grace=0).sent == 3

    copies = {c.channel: c for c in OutboxCopy.objects.all()}
    assert set(copies) == {"email", "sms", "fax"}
    assert all(
        c.permanence_id == world.perm_a.id and c.message_id == message.id for c in copies.values()
    )
    assert "Ouvrir le message" in copies["email"].html
    assert copies["email"].headers["Message-ID"].endswith("@relais.example>")
    (pdf,) = copies["fax"].attachments.all()
    assert bytes(pdf.content).startswith(b"%PDF") and pdf.size == len(pdf.content)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.SENT}


def test_staff_with_the_right_browse_their_permanences_outbox(world: World) -> None:
    send(world.operateur_a, world.client_a, copy_email=True, copy_fax=True)
    send(world.gerant_b, world.client_b, subject="Fuite chez M. Petit", copy_email=True)
    deliver_due(grace=0)
    copy_a = OutboxCopy.objects.get(permanence=world.perm_a, channel="email")
    fax_a = OutboxCopy.objects.get(channel="fax")
    copy_b = OutboxCopy.objects.get(permanence=world.perm_b)
    http = login(world.superviseur_a)

    page = http.get(reverse("delivery:outbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Boîte d&#x27;envoi" in html or "Boîte d'envoi" in html
    assert world.client_a.email in html
    assert "Fuite chez M. Petit" not in html

    detail = http.get(reverse("delivery:outbox_copy", args=[copy_a.id]))
    assert detail.status_code == 200
    assert "Rappel patient" in detail.content.decode()
    assert 'sandbox=""' in detail.content.decode()

    (attachment,) = fax_a.attachments.all()
    pdf = http.get(reverse("delivery:outbox_attachment", args=[fax_a.id, attachment.id]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    # Another permanence's copy, or nonsense: not found, exactly alike.
    assert http.get(reverse("delivery:outbox_copy", args=[copy_b.id])).status_code == 404
    assert http.get(reverse("delivery:outbox_copy", args=["nope"])).status_code == 404
    assert http.get(reverse("delivery:outbox_copy", args=[uuid.uuid4()])).status_code == 404
    assert (
        http.get(reverse("delivery:outbox_attachment", args=[copy_a.id, attachment.id])).status_code
        == 404
    )


def test_the_outbox_shows_the_start_of_an_sms_text(world: World) -> None:
    send(world.operateur_a, world.client_a, subject="Rappel Mme Durand", copy_sms=True)
    deliver_due(grace=0)
    sms = OutboxCopy.objects.get(channel="sms")
    assert not sms.subject and "Rappel Mme Durand" in sms.text
    html = login(world.superviseur_a).get(reverse("delivery:outbox")).content.decode()
    assert "(SMS)" not in html
    row = html.split(reverse("delivery:outbox_copy", args=[sms.id]))[1].split("</a>")[0]
    assert '<span class="sms-preview">' in row and "Rappel Mme Durand" in row


def test_the_outbox_is_closed_to_the_others(world: World) -> None:
    url = reverse("delivery:outbox")
    response = Client().get(url)
    assert response.status_code == 302 and "/connexion/" in response["Location"]
    assert login(world.operateur_a).get(url).status_code == 403  # no "Boîte d'envoi" right
    assert login(world.client_user_a).get(url).status_code == 403
    assert login(world.gerant_a).get(url).status_code == 200


def test_the_outbox_list_costs_the_same_queries_with_few_or_many_copies(
    world: World, django_assert_num_queries: Any
) -> None:
    http = login(world.superviseur_a)
    url = reverse("delivery:outbox")
    send(world.operateur_a, world.client_a, copy_email=True)
    deliver_due(grace=0)
    http.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert http.get(url).status_code == 200
    for _ in range(4):
        send(world.operateur_a, world.client_a, copy_email=True, copy_sms=True)
    deliver_due(grace=0)
    with django_assert_num_queries(len(few)):
        response = http.get(url)
    assert response.content.decode().count("delivery/boite-envoi/") >= 9


# --- the delivery-receipt callback ---


def callback(delivery: Delivery, token: str | None = None, **payload: Any) -> Any:
    url = reverse(
        "delivery:callback",
        kwargs={"delivery_id": str(delivery.id), "token": token or delivery.callback_token},
    )
    return Client().post(url, data=json.dumps(payload), content_type="application/json")


def test_a_delivery_receipt_moves_the_copy_to_delivered(world: World) -> None:
    message = send(world.operateur_a, world.client_a, copy_sms=True)
    deliver_due(grace=0)
    delivery = Delivery.objects.get()

    response = callback(delivery, msg_status="delivered", messageId=1, to="33612345678")
    again = callback(delivery, msg_status="delivered")

    assert response.status_code == 200 and response.json()["status"] == "delivered"
    assert again.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.DELIVERED and delivery.delivered_at is not None
    delivered = message.history.filter(kind=HistoryEvent.COPY_DELIVERED)
    assert list(delivered.values_list("detail", flat=True)) == ["SMS → +33612345678"]


def test_a_bounce_receipt_fails_the_copy_with_a_reason(world: World) -> None:
    send(world.operateur_a, world.client_a, copy_sms=True)
    deliver_due(grace=0)
    delivery = Delivery.objects.get()

    assert callback(delivery, msg_status="sent").json()["status"] == "sent"
    assert callback(delivery, msg_status="hard_bounce").json()["status"] == "failed"
    delivery.refresh_from_db()
    assert delivery.last_error == (
        "SMS non remis : numéro inexistant ou injoignable (refus de l'opérateur)."
    )


def test_a_receipt_with_a_wrong_token_or_id_is_not_found(world: World) -> None:
    send(world.operateur_a, world.client_a, copy_sms=True)
    deliver_due(grace=0)
    delivery = Delivery.objects.get()
    assert callback(delivery, token="x" * 32, msg_status="delivered").status_code == 404
    stranger = Delivery(id=uuid.uuid4(), callback_token=delivery.callback_token)
    assert callback(stranger, msg_status="delivered").status_code == 404
    assert Client().post("/delivery/callback/nope/abc/", data={}).status_code == 404
    assert Client().get(reverse("delivery:callback", args=[delivery.id, "x"])).status_code == 405
    delivery.refresh_from_db()
    assert delivery.status == Delivery.SENT


def test_the_links_in_copies_match_the_urlconf() -> None:
    from relais.delivery.content import CALLBACK_PATH, THREAD_PATH

    message_id, delivery_id = uuid.uuid4(), uuid.uuid4()
    assert reverse("ui:thread", args=[message_id]) == THREAD_PATH.format(message_id=message_id)
    assert reverse(
        "delivery:callback", kwargs={"delivery_id": delivery_id, "token": "t0k"}
    ) == CALLBACK_PATH.format(delivery_id=delivery_id, token="t0k")
