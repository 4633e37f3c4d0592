"""Brevo's SMS events: a reply posted to a copy's own callback (webUrl) or to the account's
transactional SMS webhook becomes the SMS reply of that very copy; other events stay receipts.
Payloads are shaped as https://developers.brevo.com/docs/transactional-webhooks documents
them (`to`, `messageId`, `msg_status`, `date`…) with the reply's text in `reply`."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from relais.delivery.models import Delivery
from relais.escalation.models import Escalation
from relais.inbound.models import InboundItem
from relais.messaging.models import HistoryEvent, Reply
from tests import factories as f
from tests.conftest import World
from tests.inbound.conftest import inbound_token, send

pytestmark = pytest.mark.django_db

_ids = itertools.count(1511882900176220)


def sms_copy(world: World, **fields: Any) -> Delivery:
    """The message's SMS copy to the client, as the Brevo backend leaves it once sent."""
    message = send(world.operateur_a, world.client_a, copy_sms=True, **fields)
    delivery = Delivery.objects.get(message=message, channel=Delivery.SMS)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.SENT, provider_id=str(next(_ids))
    )
    delivery.refresh_from_db()
    return delivery


def brevo_event(delivery: Delivery, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": 26570,
        "to": delivery.to.lstrip("+"),
        "sms_count": 1,
        "credits_used": 4.5,
        "messageId": int(delivery.provider_id),
        "remaining_credit": 11488.845,
        "msg_status": status,
        "date": "2026-12-07 10:42:03",
        "type": "transactional",
        "reference": {"1": f"ref-{delivery.provider_id}"},
        **extra,
    }


def on_callback(delivery: Delivery, payload: Any, token: str | None = None) -> Any:
    url = reverse(
        "delivery:callback",
        kwargs={"delivery_id": str(delivery.id), "token": token or delivery.callback_token},
    )
    return HttpClient().post(url, data=json.dumps(payload), content_type="application/json")


def on_webhook(world: World, payload: Any, token: str | None = None, **kw: Any) -> Any:
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return HttpClient().post(
        f"/api/v1/inbound/sms/brevo/{token or inbound_token(world.perm_a)}",
        data=body,
        content_type=kw.get("content_type", "application/json"),
    )


# --- on the copy's own callback ---------------------------------------------------------------


def test_it_makes_a_reply_on_a_copys_callback_a_reply_in_that_copys_thread(world: World):
    older = sms_copy(world, subject="Ancien")
    latest = sms_copy(world, subject="Récent")
    client_user = f.ClientUserFactory.create(client=world.client_a, mobile="+33612345678")

    response = on_callback(older, brevo_event(older, "replied", reply="Je la rappelle."))

    assert response.status_code == 200
    assert response.json() == {
        "id": str(older.id),
        "result": "reply",
        "message": str(older.message_id),
    }
    (reply,) = Reply.objects.all()
    # The copy answered, not the latest thread sent to that number.
    assert reply.message_id == older.message_id != latest.message_id
    assert reply.via == Reply.SMS and reply.author == client_user
    assert reply.body == "Je la rappelle."
    older.refresh_from_db()
    assert older.status == Delivery.SENT


def test_it_makes_the_reply_of_a_colleagues_copy_that_colleagues(world: World):
    colleague = f.StaffFactory.create(permanence=world.perm_a, mobile="+33698765432")
    message = send(world.operateur_a, world.client_a, copy_sms=True, cc=[colleague.id])
    copy = Delivery.objects.get(message=message, to="+33698765432")
    Delivery.objects.filter(pk=copy.pk).update(status=Delivery.SENT, provider_id="77")
    copy.refresh_from_db()

    on_callback(copy, brevo_event(copy, "replied", reply="Je m'en occupe."))

    (reply,) = Reply.objects.all()
    assert reply.message_id == message.id and reply.author == colleague


def test_an_ok_on_a_copys_callback_acknowledges_that_copy(world: World):
    delivery = sms_copy(world, is_urgent=True, subject="Urgent : rappeler")

    response = on_callback(delivery, brevo_event(delivery, "replied", reply="ok."))

    assert response.json()["result"] == "ack"
    escalation = Escalation.objects.get(message_id=delivery.message_id)
    assert escalation.ack_via == "sms" and escalation.ack_at is not None
    assert not Reply.objects.exists()


def test_the_same_reply_event_twice_is_one_reply(world: World):
    delivery = sms_copy(world)
    event = brevo_event(delivery, "replied", reply="Bien reçu, merci.")

    first = on_callback(delivery, event)
    again = on_callback(delivery, event)
    # Brevo also posts it to the account's webhook when there is one.
    webhook = on_webhook(world, event)

    assert first.json()["result"] == again.json()["result"] == "reply"
    assert webhook.json()["items"][0]["result"] == "reply"
    assert Reply.objects.count() == 1
    assert InboundItem.objects.count() == 1
    # Another reply later, with the same words, is another SMS.
    on_callback(delivery, {**event, "date": "2026-12-07 11:15:40"})
    assert Reply.objects.count() == 2


def test_a_reply_from_a_number_nobody_holds_any_more_waits(world: World):
    delivery = sms_copy(world)
    world.client_a.mobile = "+33611111111"
    world.client_a.save()

    response = on_callback(delivery, brevo_event(delivery, "replied", reply="Qui est-ce ?"))

    assert response.json() == {"id": str(delivery.id), "result": "held", "message": None}
    assert not Reply.objects.exists()
    assert InboundItem.objects.get().result == InboundItem.HELD


def test_a_reply_on_a_callback_with_a_wrong_token_or_no_text_records_nothing(world: World):
    delivery = sms_copy(world)

    wrong = on_callback(delivery, brevo_event(delivery, "replied", reply="x"), token="y" * 32)
    empty = on_callback(delivery, brevo_event(delivery, "replied", reply="  "))

    assert wrong.status_code == 404
    assert empty.status_code == 422
    assert empty.json()["detail"] == "Réponse Brevo sans texte (« reply »)."
    email_copy = Delivery.objects.create(
        permanence=world.perm_a,
        message=delivery.message,
        channel=Delivery.EMAIL,
        to="cecile@lemoine.example",
        next_attempt_at=delivery.next_attempt_at,
    )
    not_sms = on_callback(email_copy, {"msg_status": "replied", "reply": "Merci"})
    assert not_sms.status_code == 422
    assert not InboundItem.objects.exists() and not Reply.objects.exists()


# --- the account's transactional SMS webhook --------------------------------------------------


def test_the_webhook_finds_the_copy_by_brevos_message_id(world: World):
    older = sms_copy(world, subject="Ancien")
    sms_copy(world, subject="Récent")

    response = on_webhook(world, brevo_event(older, "replied", reply="Je rappelle."))

    assert response.status_code == 202
    assert response.json() == {
        "items": [{"event": "replied", "result": "reply", "message": str(older.message_id)}]
    }
    assert Reply.objects.get().message_id == older.message_id


def test_the_webhook_takes_a_batch_and_applies_receipts(world: World):
    delivered = sms_copy(world, subject="Remis")
    bounced = sms_copy(world, subject="Refusé")
    urgent = sms_copy(world, is_urgent=True, subject="Urgent")

    response = on_webhook(
        world,
        [
            brevo_event(delivered, "delivered"),
            brevo_event(bounced, "hard_bounce"),
            brevo_event(urgent, "replied", reply="OK"),
            {**brevo_event(delivered, "delivered"), "messageId": 999},
        ],
    )

    assert response.status_code == 202
    assert [(i["event"], i["result"]) for i in response.json()["items"]] == [
        ("delivered", "receipt"),
        ("hardbounce", "receipt"),
        ("replied", "ack"),
        ("delivered", "ignored"),
    ]
    delivered.refresh_from_db()
    bounced.refresh_from_db()
    assert delivered.status == Delivery.DELIVERED
    assert bounced.status == Delivery.FAILED
    assert bounced.last_error.startswith("SMS non remis : numéro inexistant")
    assert HistoryEvent.objects.filter(kind=HistoryEvent.COPY_DELIVERED).count() == 1
    assert Escalation.objects.get(message_id=urgent.message_id).ack_via == "sms"


def test_a_reply_to_a_copy_relais_does_not_know_follows_the_numbers_rule(world: World):
    latest = sms_copy(world, subject="Récent")
    event = {**brevo_event(latest, "replied", reply="Rappelée."), "messageId": 42}

    response = on_webhook(world, event)

    assert response.json()["items"] == [
        {"event": "replied", "result": "reply", "message": str(latest.message_id)}
    ]
    stranger = on_webhook(world, {**event, "to": "33699999999", "reply": "Bonjour ?"})
    assert stranger.json()["items"][0]["result"] == "held"


def test_the_webhook_with_an_unknown_token_records_nothing(world: World):
    delivery = sms_copy(world)

    event = brevo_event(delivery, "replied", reply="x")

    response = on_webhook(world, event, token="z" * 32)

    assert response.status_code == 404
    assert response.json()["detail"] == "Introuvable."
    assert not InboundItem.objects.exists()
    assert on_webhook(world, event).status_code == 202


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ("{pas du json", 400, "Le corps de la requête n'est pas un JSON valide."),
        ('"replied"', 422, "Chaque événement Brevo doit être un objet JSON."),
        ('{"to": "33612345678", "reply": "x"}', 422, "Événement Brevo sans « msg_status »."),
        ('{"msg_status": [1]}', 422, "Événement Brevo : « msg_status » doit être un texte."),
        (
            '{"msg_status": "replied", "to": "33612345678", "reply": "a\\u0000b"}',
            422,
            "Événement Brevo : « reply » : caractère nul interdit.",
        ),
    ],
)
def test_a_malformed_webhook_body_answers_in_french(
    world: World, body: str, status: int, detail: str
):
    sms_copy(world)

    response = on_webhook(world, body)

    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert not InboundItem.objects.exists()


def test_one_malformed_event_in_a_batch_records_nothing(world: World):
    delivery = sms_copy(world)

    response = on_webhook(
        world,
        [
            brevo_event(delivery, "delivered"),
            brevo_event(delivery, "replied", reply="Merci"),
            {"msg_status": "replied", "to": "pas un numéro", "reply": "x", "messageId": 1},
        ],
    )

    assert response.status_code == 422
    assert not InboundItem.objects.exists() and not Reply.objects.exists()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.SENT


def test_the_webhook_wants_json(world: World):
    response = on_webhook(world, "msg_status=replied", content_type="text/plain")

    assert response.status_code == 415
    assert not InboundItem.objects.exists()
