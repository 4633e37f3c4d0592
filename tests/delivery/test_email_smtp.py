"""E-mail copies through Django's SMTP backend to a real SMTP server (aiosmtpd) on 127.0.0.1,
read back with Python's e-mail parser."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest
from django.conf import settings
from django.core.mail import BadHeaderError

from relais.core.errors import ValidationFailed
from relais.delivery.backends.email import CopyEmail, DjangoMailBackend
from relais.delivery.models import Delivery
from relais.delivery.reply_address import reply_address
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
    # Answers come back to an address of this very copy (relais.inbound).
    (reply_to,) = mail["Reply-To"].addresses
    assert reply_to.addr_spec == reply_address(delivery.id)
    assert reply_to.addr_spec.startswith("messages+")
    assert reply_to.addr_spec.endswith("@relais.example")
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


def django_bytes(email: CopyEmail) -> bytes:
    return bytes(email.message().as_bytes(linesep="\r\n"))


def same_but_boundary_and_date(fast: bytes, slow: bytes) -> None:
    def normal(data: bytes) -> bytes:
        data = re.sub(rb"=_relais_[0-9a-f]{32}", b"=_relais_B", data)
        return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: D\r\n", data)

    assert normal(fast) == normal(slow)


@pytest.mark.parametrize(
    ("subject", "text", "name", "direct"),
    [
        ("Résultats d’analyse « urgents » <b>", "Bonjour,\nMme Durand rappelle.\n", "Azur", True),
        ("Rappel patient", "ASCII body\r\nwith CRLF\rand CR\n\nand a blank line", "Azur", True),
        ("Rappel  double  espace ", "Pas de saut final", "Permanence d'Azur", True),
        ("Sujet", "\u2028séparateur\x0bligne\x0c", "Azur", True),
        ("x" * 80, "Sujet ASCII long", "Azur", False),  # folded by Header
        ("Sujet", "ligne " + "é" * 600 + "\nsuite", "Azur", False),  # quoted-printable
        ("Sujet", "Texte", "Sécurité Médicale", False),  # a From to encode
        ("Sujet", "Texte", "P" * 60, False),  # a From to fold
    ],
)
def test_the_bytes_written_directly_are_those_django_writes(
    subject: str, text: str, name: str, direct: bool
) -> None:
    email = CopyEmail(
        subject=subject,
        body=text,
        from_email=f"{name} <messages@relais.example>",
        to=["cecile@cabinet.test"],
        reply_to=[f"{name} <accueil@relais.example>"],
        headers={
            "Message-ID": "<0b6e7c1e-3f7e-4e0c-9d53-0b4f6c1d2e3f@relais.example>",
            "References": "<thread-5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d@relais.example>",
            "Auto-Submitted": "auto-generated",
        },
    )
    email.attach_alternative(f"<p>{text}</p>\n<p>{'é' * 10}</p>", "text/html")

    fast = email.wire_bytes()

    # The usual shape is written directly, the others by message().
    assert (fast is not None) is direct
    if fast is not None:
        same_but_boundary_and_date(fast, django_bytes(email))


def test_a_real_copy_is_written_directly_as_django_writes_it(world: World) -> None:
    contact = f.ContactFactory.create(
        client=world.client_a, name="Mme Éloïse Durand", phone="+33611223344", email="e@x.test"
    )
    message = send(
        world.operateur_a,
        world.client_a,
        subject="Résultats « urgents »",
        body="Bonjour,\r\nMme Durand rappelle à 14 h.\r\n<script>alert(1)</script>",
        contact=contact.id,
        is_urgent=True,
        is_task=True,
        copy_email=True,
    )
    from relais.delivery.content import build_copy

    copy = build_copy(Delivery.objects.get(message=message))
    backend = DjangoMailBackend()
    email = backend.build(copy, backend.address(copy))
    backend.close()
    assert isinstance(email, CopyEmail)

    fast = email.wire_bytes()

    assert fast is not None
    same_but_boundary_and_date(fast, django_bytes(email))


def test_other_shapes_are_left_to_django(settings: Any) -> None:
    def email(**extra: Any) -> CopyEmail:
        fields: dict[str, Any] = {
            "subject": "Sujet",
            "body": "Texte",
            "from_email": "Azur <m@relais.example>",
            "to": ["c@cabinet.test"],
            "headers": {"Message-ID": "<1@relais.example>"},
            **extra,
        }
        message = CopyEmail(**fields)
        message.attach_alternative("<p>Texte</p>", "text/html")
        return message

    assert email().wire_bytes() is not None
    with_pdf = email()
    with_pdf.attach("fax.pdf", b"%PDF-1.4", "application/pdf")
    assert with_pdf.wire_bytes() is None
    assert email(cc=["d@cabinet.test"]).wire_bytes() is None
    assert email(headers={}).wire_bytes() is None  # Django makes the Message-ID up
    text_only = CopyEmail(subject="Sujet", body="Texte", to=["c@cabinet.test"])
    assert text_only.wire_bytes() is None
    # A header with a line break is refused by message(), not written.
    injected = email(headers={"Message-ID": "<1@relais.example>", "X-A": "a\r\nBcc: x@y.z"})
    assert injected.wire_bytes() is None
    with pytest.raises(BadHeaderError):
        django_bytes(injected)
    for subject in ("Sujet\nBcc: x@y.z", "Sujet é\r\nBcc: x@y.z"):
        broken = email(subject=subject)
        assert broken.wire_bytes() is None
        with pytest.raises(BadHeaderError):
            django_bytes(broken)


def test_it_fails_at_once_on_a_header_the_mail_library_refuses(
    world: World, smtp_settings: SmtpSink
) -> None:
    # A subject stored before one-line fields refused line breaks: its copy can never be
    # written, so it fails for good instead of being retried for hours.
    message = send(world.operateur_a, world.client_a, copy_email=True)
    type(message).objects.filter(pk=message.pk).update(subject="Sujet\r\nBcc: x@y.z")

    stats = deliver_due(grace=0)

    assert (stats.sent, stats.failed, stats.retried) == (0, 1, 0)
    delivery = Delivery.objects.get(message=message)
    assert delivery.status == Delivery.FAILED
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("E-mail impossible à écrire (BadHeaderError")
    assert smtp_settings.received == []
