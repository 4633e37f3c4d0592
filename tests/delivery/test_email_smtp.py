"""E-mail copies through Django's SMTP backend to a real SMTP server (aiosmtpd) on 127.0.0.1,
read back with Python's e-mail parser."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.conf import settings

from relais.core.errors import ValidationFailed
from relais.delivery.models import Delivery
from relais.delivery.worker import deliver_due, deliver_ids
from relais.messaging.models import HistoryEvent
from relais.messaging.services import SendInput, message_send
from tests import factories as f
from tests.conftest import World
from tests.delivery.conftest import send
from tests.delivery.servers import SmtpSink

pytestmark = pytest.mark.django_db


def body(mail: EmailMessage, kind: str) -> str:
    part = mail.get_body((kind,))
    assert part is not None, f"no text/{kind} part"
    return str(part.get_content())


def test_it_sends_a_multipart_utf8_email_with_the_headers(
    world: World, smtp_settings: SmtpSink
) -> None:
    contact = f.ContactFactory.create(
        client=world.client_a, name="Mme Éloïse Durand", phone="+33611223344", email="eloise@x.test"
    )
    message = send(
        world.operateur_a,
        world.client_a,
        subject="Résultats d’analyse « urgents » <b>",
        body="Bonjour,\nMme Durand rappelle à 14 h.\n<script>alert(1)</script>",
        contact=contact.id,
        is_urgent=True,
        is_vad=True,
        is_task=True,
        due_date="2026-12-12",
        copy_email=True,
    )
    (delivery,) = Delivery.objects.filter(message=message)

    assert deliver_ids([delivery.id]) == 1

    (received,) = smtp_settings.received
    mail = received.message
    assert received.rcpt_tos == [world.client_a.email]
    # UTF-8 subject, decoded back by the parser.
    assert mail["Subject"] == ("URGENT – Résultats d’analyse « urgents » <b> — Dr Cécile Lemoine")
    assert mail["From"].addresses[0].display_name == "Permanence Azur"
    assert mail["From"].addresses[0].addr_spec == "messages@relais.example"
    (reply_to,) = mail["Reply-To"].addresses
    assert (reply_to.display_name, reply_to.addr_spec) == (
        "Permanence Azur",
        "messages@relais.example",
    )
    assert mail["Message-ID"] == f"<{delivery.id}@relais.example>"
    assert mail["References"] == f"<thread-{message.id}@relais.example>"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "multipart/alternative"
    text, html = body(mail, "plain"), body(mail, "html")
    link = f"{settings.SITE_URL}/messages/{message.id}/"
    for part in (text, html):
        assert "Permanence Azur" in part
        assert "Mme Éloïse Durand" in part
        assert "06 11 22 33 44" in part
        assert "URGENT" in part and "VAD" in part and "A faire le 12/12/2026" in part
        assert link in part
    # The body is plain text: escaped in HTML, line breaks kept.
    assert "Mme Durand rappelle à 14 h." in text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Bonjour,<br>Mme Durand rappelle à 14 h.<br>" in html
    assert "Résultats d’analyse « urgents » &lt;b&gt;" in html

    delivery.refresh_from_db()
    assert delivery.status == Delivery.SENT
    assert delivery.provider_id == f"<{delivery.id}@relais.example>"
    assert delivery.attempts == 1
    kinds = list(message.history.values_list("kind", "detail"))
    assert (HistoryEvent.COPY_SENT, f"E-mail → {world.client_a.email}") in kinds


def test_it_sends_cc_copies_at_their_own_addresses(world: World, smtp_settings: SmtpSink) -> None:
    doctor = f.StaffFactory.create(
        permanence=world.perm_a, email="martin@a.test", first_name="Paul"
    )
    message = send(
        world.operateur_a,
        world.client_a,
        cc=[world.superviseur_a.id, doctor.id],
        copy_email=True,
    )

    assert deliver_due(grace=0).sent == 3

    by_address = {r.rcpt_tos[0]: r.message for r in smtp_settings.received}
    assert set(by_address) == {world.client_a.email, "superviseur@a.test", "martin@a.test"}
    assert all(len(r.rcpt_tos) == 1 for r in smtp_settings.received)
    # Each copy has its own stable Message-ID; the client's says nothing about being a copy.
    ids = {m["Message-ID"] for m in by_address.values()}
    assert len(ids) == 3
    assert "en copie" not in body(by_address[world.client_a.email], "plain")
    assert "en copie" in body(by_address["martin@a.test"], "plain")
    assert Delivery.objects.filter(message=message, status=Delivery.SENT).count() == 3


def test_a_private_message_sends_no_copy_but_the_clients(
    world: World, smtp_settings: SmtpSink
) -> None:
    company = f.CompanyFactory.create(permanence=world.perm_a)
    world.client_a.company = company
    world.client_a.save()
    circle_member = f.StaffFactory.create(permanence=world.perm_a, email="circle@a.test")
    company.circle.add(circle_member)
    shared = f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    f.ClientShareFactory.create(client=world.client_a, user=shared)

    message = send(
        world.operateur_a, world.client_a, is_private=True, copy_email=True, copy_sms=True
    )
    deliver_due(grace=0)

    assert [r.rcpt_tos for r in smtp_settings.received] == [[world.client_a.email]]
    assert sorted(Delivery.objects.filter(message=message).values_list("channel", "to")) == [
        ("email", world.client_a.email),
        ("sms", world.client_a.mobile),
    ]
    # Adding copies to a private message is refused, and nothing is sent.
    with pytest.raises(ValidationFailed):
        message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=SendInput(
                subject="Privé",
                body="x",
                is_private=True,
                cc=[circle_member.id],
                copy_email=True,
            ),
        )
    with pytest.raises(ValidationFailed):
        message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=SendInput(
                subject="Privé", body="x", is_private=True, copy_circle=True, copy_email=True
            ),
        )
    assert Delivery.objects.count() == 2
    assert len(smtp_settings.received) == 1


def test_it_fails_at_once_on_a_5xx_refusal(world: World, smtp_settings: SmtpSink) -> None:
    smtp_settings.refuse(world.client_a.email, "550 5.1.1 User unknown")
    message = send(world.operateur_a, world.client_a, copy_email=True)

    stats = deliver_due(grace=0)

    assert (stats.sent, stats.failed, stats.retried) == (0, 1, 0)
    delivery = Delivery.objects.get(message=message)
    assert delivery.status == Delivery.FAILED
    assert delivery.attempts == 1
    assert delivery.last_error == (
        "Adresse refusée par le serveur de messagerie (550 5.1.1 User unknown)."
    )
    event = message.history.get(kind=HistoryEvent.COPY_FAILED)
    assert event.detail == f"E-mail → {world.client_a.email} : {delivery.last_error}"
