"""An answer to an e-mail copy becomes a reply in its thread: through the raw MIME endpoint,
by the person it came from, quoted text and signature cut, attachments kept, once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from relais.delivery.models import Delivery
from relais.inbound.models import InboundItem
from relais.messaging.models import HistoryEvent, ReadState, Reply
from relais.messaging.selectors import thread_detail
from tests import factories as f
from tests.conftest import World, api_client
from tests.inbound.conftest import answer, inbound_token, send, sent_copy
from tests.inbound.samples import postfix_bounce, vacation_reply

pytestmark = pytest.mark.django_db


def post_raw(world: World, raw: bytes, *, token: str | None = None, **headers: Any) -> Any:
    token = token or inbound_token(world.perm_a)
    return HttpClient().post(
        f"/api/v1/inbound/email/{token}",
        data=raw,
        content_type=headers.pop("content_type", "message/rfc822"),
        **headers,
    )


def test_it_makes_an_answer_to_a_copy_a_reply_by_its_sender(world: World, smtp_settings: Any):
    message = send(world.operateur_a, world.client_a, copy_email=True, subject="Rappel été")
    _, received = sent_copy(smtp_settings, message, world.client_a.email)
    pdf = b"%PDF-1.4 ordonnance"
    raw = answer(
        received,
        sender=f"Dr Cécile Lemoine <{world.client_a.email}>",
        attachments=[("ordonnance.pdf", "application/pdf", pdf)],
    )
    # The subject goes over the wire in RFC 2047.
    assert b"=?utf-8?" in raw.split(b"\n\n", 1)[0].lower() or b"=?UTF-8?" in raw

    response = post_raw(world, raw)

    assert response.status_code == 202, response.content
    assert response.json() == {"result": "reply", "message": str(message.id)}
    (reply,) = Reply.objects.filter(message=message)
    assert reply.via == Reply.EMAIL
    assert reply.author is None and reply.sender_name == world.client_a.name
    assert reply.body == "Je la rappelle demain matin."
    (attachment,) = reply.attachments.all()
    assert (attachment.name, attachment.size) == ("ordonnance.pdf", len(pdf))
    assert attachment.file.read() == pdf
    # The original is kept, quoted part included.
    item = InboundItem.objects.get(reply=reply)
    assert "a écrit" in item.original and "> " in item.original
    assert item.subject.startswith("Re: ") and "été" in item.subject
    message.refresh_from_db()
    assert message.reply_count == 1
    # Everyone has something new to read, the operator included.
    assert not ReadState.objects.filter(message=message).exists()
    assert HistoryEvent.objects.filter(message=message, kind=HistoryEvent.REPLIED).exists()


def test_it_takes_the_same_answer_once(world: World, smtp_settings: Any):
    message = send(world.operateur_a, world.client_a, copy_email=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)
    raw = answer(received, sender=world.client_a.email)

    assert post_raw(world, raw).json()["result"] == "reply"
    assert post_raw(world, raw).json() == {"result": "reply", "message": str(message.id)}

    assert Reply.objects.filter(message=message).count() == 1
    assert InboundItem.objects.count() == 1


def test_it_knows_a_copy_recipient_a_client_user_and_a_contact_by_address(
    world: World, smtp_settings: Any
):
    contact = f.ContactFactory.create(client=world.client_a, email="helene.moreau@example.test")
    message = send(
        world.operateur_a,
        world.client_a,
        copy_email=True,
        cc=[world.superviseur_a.id],
        contact=contact.id,
    )
    _, received = sent_copy(smtp_settings, message, world.superviseur_a.email)
    _, to_client = sent_copy(smtp_settings, message, world.client_a.email)

    post_raw(world, answer(received, sender=world.superviseur_a.email, text="Vu, merci."))
    post_raw(world, answer(to_client, sender=world.client_user_a.email, text="Je m'en occupe."))
    post_raw(
        world,
        answer(to_client, sender="Hélène Moreau <HELENE.MOREAU@example.test>", text="Merci !"),
    )

    by_cc, by_client_user, by_contact = Reply.objects.filter(message=message).order_by("created_at")
    assert by_cc.author == world.superviseur_a and by_cc.body == "Vu, merci."
    assert by_client_user.author == world.client_user_a
    assert by_contact.author is None and by_contact.sender_contact == contact
    assert by_contact.sender_label == contact.name


def test_it_holds_an_answer_from_an_unknown_sender(world: World, smtp_settings: Any):
    message = send(world.operateur_a, world.client_a, copy_email=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)

    response = post_raw(world, answer(received, sender="inconnu@ailleurs.example"))

    assert response.json() == {"result": "held", "message": None}
    assert not Reply.objects.exists()
    item = InboundItem.objects.get()
    assert item.result == InboundItem.HELD and item.sender == "inconnu@ailleurs.example"


def test_it_never_attaches_through_another_permanences_endpoint(world: World, smtp_settings: Any):
    message = send(world.operateur_a, world.client_a, copy_email=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)
    raw = answer(received, sender=world.client_a.email)

    response = post_raw(world, raw, token=inbound_token(world.perm_b))

    assert response.json()["result"] == "held"
    assert not Reply.objects.exists()
    assert InboundItem.objects.get().permanence == world.perm_b
    assert InboundItem.objects.get().message is None


def test_it_refuses_a_forged_reply_address(world: World, smtp_settings: Any):
    message = send(world.operateur_a, world.client_a, copy_email=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)
    raw = answer(received, sender=world.client_a.email)
    reply_to = str(received["Reply-To"])
    forged = reply_to[:-20] + ("a" if reply_to[-20] != "a" else "b") + reply_to[-19:]
    raw = raw.replace(reply_to.encode(), forged.encode())
    # Without the address, the references still name the copy: drop them too.
    raw = b"\n".join(
        line
        for line in raw.split(b"\n")
        if not line.lower().startswith((b"in-reply-to", b"references"))
    )

    assert post_raw(world, raw).json()["result"] == "held"
    assert not Reply.objects.exists()


def test_it_records_an_auto_reply_and_sends_nothing(world: World, smtp_settings: Any):
    message = send(world.operateur_a, world.client_a, copy_email=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)
    sent_before = len(smtp_settings.received)

    raw = vacation_reply(
        to=str(received["Reply-To"]),
        sender=world.client_a.email,
        in_reply_to=str(received["Message-ID"]),
    )
    response = post_raw(world, raw)

    assert response.json() == {"result": "ignored", "message": str(message.id)}
    assert not Reply.objects.exists()
    event = HistoryEvent.objects.get(message=message, kind=HistoryEvent.AUTO_REPLY)
    assert "Absente" in event.detail
    assert len(smtp_settings.received) == sent_before
    assert not Delivery.objects.filter(message=message).exclude(status="sent").exists()


def test_it_fails_the_copy_a_bounce_is_about(world: World, smtp_settings: Any):
    message = send(world.operateur_a, world.client_a, copy_email=True)
    delivery, received = sent_copy(smtp_settings, message, world.client_a.email)

    raw = postfix_bounce(
        original_message_id=str(received["Message-ID"]),
        delivery_id=str(delivery.id),
        rcpt=world.client_a.email,
    )
    response = post_raw(world, raw)

    assert response.json() == {"result": "bounce", "message": str(message.id)}
    delivery.refresh_from_db()
    assert delivery.status == Delivery.FAILED
    assert "5.1.1" in delivery.last_error and "User unknown" in delivery.last_error
    assert delivery.last_error.startswith("Avis de non-remise reçu")
    assert not Reply.objects.exists()
    assert HistoryEvent.objects.filter(message=message, kind=HistoryEvent.COPY_FAILED).exists()


def test_a_reply_to_a_private_message_stays_private(world: World, smtp_settings: Any):
    other = f.ClientUserFactory.create(client=world.client_a, email="assistante@a.test")
    f.ClientShareFactory.create(client=world.client_a, user=other)
    message = send(world.operateur_a, world.client_a, copy_email=True, is_private=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)

    post_raw(world, answer(received, sender=world.client_a.email))

    api = api_client(world.operateur_a)
    replies = api.get(f"/api/v1/messages/{message.id}").json()["replies"]
    assert [r["via"] for r in replies] == ["email"]
    assert replies[0]["author"] == {"id": None, "name": world.client_a.name, "kind": "external"}
    assert api_client(world.gerant_b).get(f"/api/v1/messages/{message.id}").status_code == 404
    # The reply never turned the thread into something the sharing rules show.
    message.refresh_from_db()
    assert message.is_private and not message.is_client_remark


def test_it_keeps_attachments_up_to_10_mb_and_notes_the_rest(
    world: World, smtp_settings: Any, settings: Any
):
    settings.RELAIS_INBOUND_ATTACHMENTS_MAX = 1000
    message = send(world.operateur_a, world.client_a, copy_email=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)
    raw = answer(
        received,
        sender=world.client_a.email,
        attachments=[
            ("petit.txt", "text/plain", b"x" * 600),
            ("gros.pdf", "application/pdf", b"y" * 900),
        ],
    )

    post_raw(world, raw)

    reply = Reply.objects.get()
    assert [a.name for a in reply.attachments.all()] == ["petit.txt"]
    assert "gros.pdf" in reply.note and "Non conservé" in reply.note


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        (b"ceci n'est pas un e-mail", "message/rfc822", 422),
        (b"Subject: sans expediteur\r\n\r\ncorps\r\n", "message/rfc822", 422),
        (b"\r\n \r\n", "message/rfc822", 422),
        (b'{"subject": "x"}', "application/json", 415),
    ],
)
def test_it_answers_bad_input_in_french(world: World, raw: bytes, content_type: str, status: int):
    response = post_raw(world, raw, content_type=content_type)

    assert response.status_code == status
    assert response.json()["detail"]
    assert not InboundItem.objects.exists()


def test_it_refuses_a_30_mb_email_without_reading_it_all(world: World):
    raw = b"From: a@b.example\r\nSubject: gros\r\n\r\n" + b"x" * (30 * 1024 * 1024)

    response = post_raw(world, raw)

    assert response.status_code == 422
    assert "trop volumineux" in response.json()["detail"]
    assert not InboundItem.objects.exists()


def test_an_unknown_token_answers_404_and_records_nothing(world: World):
    raw = b"From: a@b.example\r\nSubject: x\r\n\r\ncorps\r\n"

    response = post_raw(world, raw, token="x" * 32)

    assert response.status_code == 404
    assert not InboundItem.objects.exists()


def test_the_thread_shows_where_a_reply_came_from(world: World, smtp_settings: Any):
    message = send(world.operateur_a, world.client_a, copy_email=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)
    post_raw(
        world,
        answer(
            received,
            sender=world.client_a.email,
            attachments=[("photo.jpg", "image/jpeg", b"\xff\xd8jpeg")],
        ),
    )
    from tests.conftest import login

    page = login(world.operateur_a).get(f"/messages/{message.id}/").content.decode()

    assert "par e-mail" in page and "photo.jpg" in page and "Voir l'original" in page
    from relais.messaging.models import Message

    detail = thread_detail(user=world.operateur_a, message=Message.objects.get(pk=message.pk))
    assert len(detail["attachments"]) == 1


def test_an_answer_from_the_person_an_urgent_copy_went_to_acknowledges_it(
    world: World, smtp_settings: Any
):
    from relais.escalation.models import Escalation

    message = send(world.operateur_a, world.client_a, copy_email=True, is_urgent=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)

    post_raw(world, answer(received, sender=world.client_a.email, text="Je m'en charge."))

    escalation = Escalation.objects.get(message_id=message.id)
    assert escalation.ack_via == "reply" and escalation.state == Escalation.ACKNOWLEDGED
    assert Reply.objects.get(message=message).body == "Je m'en charge."


def test_an_answer_from_someone_else_does_not_acknowledge(world: World, smtp_settings: Any):
    from relais.escalation.models import Escalation

    contact = f.ContactFactory.create(client=world.client_a, email="patient@example.test")
    message = send(world.operateur_a, world.client_a, copy_email=True, is_urgent=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)

    post_raw(world, answer(received, sender=contact.email))

    assert Escalation.objects.get(message_id=message.id).ack_at is None
    assert Reply.objects.get(message=message).sender_contact == contact
