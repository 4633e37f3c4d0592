"""An SMS answering an SMS copy becomes a reply in the latest thread sent to that number
(48 h); an unknown number waits in « Réponses à vérifier »."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient

from relais.delivery.models import Delivery
from relais.inbound.models import InboundItem
from relais.inbound.services import is_ok
from relais.messaging.models import Reply
from tests import factories as f
from tests.conftest import World
from tests.inbound.conftest import inbound_token, send

pytestmark = pytest.mark.django_db


def post_sms(world: World, body: Any, token: str | None = None) -> Any:
    return HttpClient().post(
        f"/api/v1/inbound/sms/{token or inbound_token(world.perm_a)}",
        data=body,
        content_type="application/json",
    )


def sms_copy(world: World, **fields: Any) -> Delivery:
    message = send(world.operateur_a, world.client_a, copy_sms=True, **fields)
    delivery = Delivery.objects.get(message=message, channel=Delivery.SMS)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.SENT)
    return delivery


def test_it_makes_an_sms_answer_a_reply_in_the_latest_thread(world: World):
    older = sms_copy(world, subject="Ancien")
    latest = sms_copy(world, subject="Récent")
    client_user = f.ClientUserFactory.create(client=world.client_a, mobile="+33612345678")

    response = post_sms(
        world, {"from": "06 12 34 56 78", "to": "38100", "text": "Je rappelle la patiente."}
    )

    assert response.status_code == 202
    assert response.json() == {"result": "reply", "message": str(latest.message_id)}
    (reply,) = Reply.objects.all()
    assert reply.message_id == latest.message_id != older.message_id
    assert reply.via == Reply.SMS and reply.author == client_user
    assert reply.body == "Je rappelle la patiente."


def test_it_holds_an_sms_from_an_unknown_number_or_after_48_hours(world: World):
    sms_copy(world)

    unknown = post_sms(world, {"from": "+33699999999", "text": "Bonjour ?"})
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=49)):
        late = post_sms(world, {"from": "+33612345678", "text": "Trop tard ?"})

    assert unknown.json() == {"result": "held", "message": None}
    assert late.json() == {"result": "held", "message": None}
    assert not Reply.objects.exists()
    assert InboundItem.objects.filter(result=InboundItem.HELD).count() == 2


def test_an_sms_never_crosses_permanences(world: World):
    sms_copy(world)

    response = post_sms(
        world, {"from": "+33612345678", "text": "Bonjour"}, token=inbound_token(world.perm_b)
    )

    assert response.json()["result"] == "held"
    assert not Reply.objects.exists()


@pytest.mark.parametrize("text", ["OK", "ok", "Ok !", "ÔK.", " o.k ", "okay"])
def test_it_reads_ok_in_any_form(text: str):
    assert is_ok(text)


@pytest.mark.parametrize("text", ["OK mais plus tard", "non", "ko", ""])
def test_other_text_is_not_ok(text: str):
    assert not is_ok(text)


@pytest.mark.parametrize(
    "body",
    [
        {"text": "sans numéro"},
        {"from": "+33612345678"},
        {"from": "pas un numéro", "text": "x"},
        {"from": 33612345678, "text": "x"},
    ],
)
def test_bad_sms_input_answers_422_in_french(world: World, body: dict[str, Any]):
    response = post_sms(world, body)

    assert response.status_code == 422
    assert response.json()["detail"]
    assert not InboundItem.objects.exists()


def test_an_unknown_token_answers_404(world: World):
    response = post_sms(world, {"from": "+33612345678", "text": "x"}, token="y" * 32)

    assert response.status_code == 404
    assert not InboundItem.objects.exists()


def test_an_ok_acknowledges_the_urgent_copy_it_answers(world: World):
    from relais.escalation.models import Escalation

    delivery = sms_copy(world, is_urgent=True, subject="Urgent : rappeler")

    response = post_sms(world, {"from": "+33612345678", "text": "Ok !"})

    assert response.json() == {"result": "ack", "message": str(delivery.message_id)}
    escalation = Escalation.objects.get(message_id=delivery.message_id)
    assert escalation.ack_via == "sms" and escalation.ack_at is not None
    assert not Reply.objects.exists()
    # A second « OK »: nothing waits any more, it becomes a reply in the thread.
    again = post_sms(world, {"from": "+33612345678", "text": "OK."})
    assert again.json()["result"] == "reply"


def test_an_ok_with_nothing_to_acknowledge_is_a_reply(world: World):
    delivery = sms_copy(world, subject="Pas urgent")

    response = post_sms(world, {"from": "+33612345678", "text": "OK"})

    assert response.json() == {"result": "reply", "message": str(delivery.message_id)}
