"""One contract every channel backend passes: it sends, and it tells a permanent failure from a
temporary one. Real servers on 127.0.0.1 stand behind the real transports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DatabaseError

from relais.delivery.backends import memory
from relais.delivery.backends.base import (
    Attachment,
    Backend,
    DeliveryError,
    OutgoingCopy,
    SendResult,
)
from relais.delivery.backends.brevo import BrevoSMSBackend
from relais.delivery.backends.email import DjangoMailBackend
from relais.delivery.backends.gateway import EmailToFaxBackend, EmailToSMSBackend
from relais.delivery.backends.memory import MemoryBackend
from relais.delivery.backends.outbox import OutboxBackend
from relais.delivery.models import OutboxCopy
from tests import factories as f
from tests.delivery.servers import FakeBrevo, SmtpSink

GOOD_MOBILE = "+33612345678"
GOOD_FAX = "+33491000000"


class BackendContract:
    channel = "email"
    permanence_id: uuid.UUID

    # --- what each backend's test class provides ---
    def make_backend(self) -> Backend:
        raise NotImplementedError

    def good_recipient(self) -> str:
        raise NotImplementedError

    def arrange_permanent_failure(self) -> str:
        """Returns a recipient the transport will refuse for good."""
        raise NotImplementedError

    def arrange_temporary_failure(self) -> str:
        """Breaks the transport for a while; returns a recipient."""
        raise NotImplementedError

    def received(self, copy: OutgoingCopy) -> int:
        """How many times the far end got this copy."""
        raise NotImplementedError

    # --- the contract ---
    def copy(self, to: str) -> OutgoingCopy:
        delivery_id = uuid.uuid4()
        return OutgoingCopy(
            delivery_id=delivery_id,
            permanence_id=getattr(self, "permanence_id", uuid.uuid4()),
            channel=self.channel,
            to=to,
            to_name="Dr Cécile Lemoine",
            subject="Rappel patient — « urgent »",
            text="Merci de rappeler Mme Durand.\nÀ bientôt.",
            html="<p>Merci de rappeler Mme Durand.</p>",
            from_email="Permanence Azur <messages@relais.example>",
            headers={"Message-ID": f"<{delivery_id}@relais.example>"},
            attachments=[Attachment("message.pdf", b"%PDF-1.4 test", "application/pdf")]
            if self.channel == "fax"
            else [],
        )

    def test_it_sends_a_copy(self) -> None:
        copy = self.copy(self.good_recipient())
        with self.make_backend() as backend:
            result = backend.send(copy)
        assert isinstance(result, SendResult)
        assert self.received(copy) == 1

    def test_it_fails_for_good_on_a_refused_recipient(self) -> None:
        copy = self.copy(self.arrange_permanent_failure())
        with pytest.raises(DeliveryError) as caught, self.make_backend() as backend:
            backend.send(copy)
        assert caught.value.permanent is True
        assert caught.value.reason and caught.value.reason[0].isupper()
        assert self.received(copy) == 0

    def test_it_asks_for_a_retry_when_the_transport_is_down(self) -> None:
        copy = self.copy(self.arrange_temporary_failure())
        with pytest.raises(DeliveryError) as caught, self.make_backend() as backend:
            backend.send(copy)
        assert caught.value.permanent is False
        assert caught.value.reason
        assert self.received(copy) == 0

    def test_it_refuses_an_empty_recipient_for_good(self) -> None:
        with pytest.raises(DeliveryError) as caught, self.make_backend() as backend:
            backend.send(self.copy(""))
        assert caught.value.permanent is True

    def test_its_lookup_never_invents_a_copy(self) -> None:
        copy = self.copy(self.good_recipient())
        with self.make_backend() as backend:
            assert backend.lookup(copy) is None


class TestMemoryEmail(BackendContract):
    channel = "email"

    def make_backend(self) -> Backend:
        return MemoryBackend()

    def good_recipient(self) -> str:
        return "cecile@cabinet.test"

    def arrange_permanent_failure(self) -> str:
        memory.fail("nobody@cabinet.test", "Adresse inconnue.", permanent=True)
        return "nobody@cabinet.test"

    def arrange_temporary_failure(self) -> str:
        memory.fail("later@cabinet.test", "Serveur indisponible.", permanent=False)
        return "later@cabinet.test"

    def received(self, copy: OutgoingCopy) -> int:
        return sum(1 for c in memory.outbox if c.delivery_id == copy.delivery_id)


class TestMemorySms(TestMemoryEmail):
    channel = "sms"

    def good_recipient(self) -> str:
        return GOOD_MOBILE

    def arrange_permanent_failure(self) -> str:
        return "+33 1 23"  # not a number

    def arrange_temporary_failure(self) -> str:
        memory.fail("+33699999999", "Fournisseur indisponible.", permanent=False)
        return "+33699999999"


@pytest.mark.django_db
class TestOutbox(BackendContract):
    channel = "sms"

    @pytest.fixture(autouse=True)
    def _permanence(self) -> None:
        self.permanence_id = f.PermanenceFactory.create().id

    def make_backend(self) -> Backend:
        return OutboxBackend()

    def good_recipient(self) -> str:
        return GOOD_MOBILE

    def arrange_permanent_failure(self) -> str:
        return "+33491000000"  # a landline cannot receive an SMS

    def arrange_temporary_failure(self) -> str:
        def broken(*args: Any, **kwargs: Any) -> Any:
            raise DatabaseError("database is locked")

        self._patch.setattr(OutboxCopy.objects, "get_or_create", broken)
        return GOOD_MOBILE

    @pytest.fixture(autouse=True)
    def _monkeypatch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._patch = monkeypatch

    def received(self, copy: OutgoingCopy) -> int:
        self._patch.undo()
        return OutboxCopy.objects.filter(delivery_id=copy.delivery_id).count()

    def test_it_keeps_one_row_when_the_same_copy_is_sent_twice(self) -> None:
        copy = self.copy(GOOD_MOBILE)
        with self.make_backend() as backend:
            first = backend.send(copy)
            second = backend.send(copy)
            assert backend.lookup(copy) == first
        assert first == second
        assert OutboxCopy.objects.filter(delivery_id=copy.delivery_id).count() == 1


class SmtpContract(BackendContract):
    sink: SmtpSink

    @pytest.fixture(autouse=True)
    def _smtp(self, settings: Any, smtp: SmtpSink) -> Iterator[None]:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = smtp.port
        settings.EMAIL_TIMEOUT = 5
        settings.RELAIS_SMS_GATEWAY_DOMAIN = "sms.gateway.test"
        settings.RELAIS_FAX_GATEWAY_DOMAIN = "fax.gateway.test"
        self.sink = smtp
        yield

    def arrange_temporary_failure(self) -> str:
        self.sink.stop()
        return self.good_recipient()

    def received(self, copy: OutgoingCopy) -> int:
        wanted = copy.headers["Message-ID"]
        return sum(1 for r in self.sink.received if r.message["Message-ID"] == wanted)


class TestDjangoMailSmtp(SmtpContract):
    channel = "email"

    def make_backend(self) -> Backend:
        return DjangoMailBackend()

    def good_recipient(self) -> str:
        return "cecile@cabinet.test"

    def arrange_permanent_failure(self) -> str:
        self.sink.refuse("nobody@cabinet.test", "550 5.1.1 <nobody@cabinet.test>: User unknown")
        return "nobody@cabinet.test"

    def test_it_retries_a_4xx_refusal(self) -> None:
        self.sink.refuse("full@cabinet.test", "452 4.2.2 Mailbox full")
        with pytest.raises(DeliveryError) as caught, self.make_backend() as backend:
            backend.send(self.copy("full@cabinet.test"))
        assert caught.value.permanent is False
        assert "452" in caught.value.reason

    def test_it_sends_a_batch_over_one_connection(self) -> None:
        copies = [self.copy(f"c{i}@cabinet.test") for i in range(3)]
        with self.make_backend() as backend:
            for copy in copies:
                backend.send(copy)
        assert [self.received(c) for c in copies] == [1, 1, 1]


class TestEmailToSmsGateway(SmtpContract):
    channel = "sms"

    def make_backend(self) -> Backend:
        return EmailToSMSBackend()

    def good_recipient(self) -> str:
        return GOOD_MOBILE

    def arrange_permanent_failure(self) -> str:
        return "+33491000000"  # a landline

    def test_it_mails_the_sms_text_to_the_number_at_the_gateway(self) -> None:
        copy = self.copy(GOOD_MOBILE)
        with self.make_backend() as backend:
            backend.send(copy)
        (received,) = self.sink.received
        assert received.rcpt_tos == ["33612345678@sms.gateway.test"]
        assert received.message.get_content_type() == "text/plain"
        assert received.message.get_content().replace("\r\n", "\n").strip() == copy.text


class TestEmailToFaxGateway(SmtpContract):
    channel = "fax"

    def make_backend(self) -> Backend:
        return EmailToFaxBackend()

    def good_recipient(self) -> str:
        return GOOD_FAX

    def arrange_permanent_failure(self) -> str:
        self.sink.refuse("33491000001@fax.gateway.test", "550 5.1.1 Unknown fax number")
        return "+33491000001"

    def test_it_attaches_the_pdf_for_the_number_at_the_gateway(self) -> None:
        with self.make_backend() as backend:
            backend.send(self.copy(GOOD_FAX))
        (received,) = self.sink.received
        assert received.rcpt_tos == ["33491000000@fax.gateway.test"]
        (pdf,) = list(received.message.iter_attachments())
        assert pdf.get_content_type() == "application/pdf"
        assert pdf.get_content() == b"%PDF-1.4 test"


class TestBrevo(BackendContract):
    channel = "sms"
    fake: FakeBrevo

    @pytest.fixture(autouse=True)
    def _brevo(self, brevo: FakeBrevo) -> None:
        self.fake = brevo

    def make_backend(self) -> Backend:
        return BrevoSMSBackend()

    def good_recipient(self) -> str:
        return GOOD_MOBILE

    def arrange_permanent_failure(self) -> str:
        # A well-formed mobile number that the provider knows is not attributed.
        self.fake.invalid_numbers.add("33644444444")
        return "+33644444444"

    def arrange_temporary_failure(self) -> str:
        self.fake.mode = "down"
        return GOOD_MOBILE

    def received(self, copy: OutgoingCopy) -> int:
        return sum(1 for s in self.fake.sent if s["tag"] == str(copy.delivery_id))

    def test_it_posts_what_brevo_documents(self) -> None:
        copy = self.copy(GOOD_MOBILE)
        copy.callback_url = "http://127.0.0.1:1/delivery/callback/x/y/"
        with self.make_backend() as backend:
            result = backend.send(copy)
        (request,) = self.fake.requests
        assert request["path"] == "/v3/transactionalSMS/send"
        assert request["headers"]["api-key"] == FakeBrevo.API_KEY
        (sent,) = self.fake.sent
        assert sent["recipient"] == "33612345678"
        assert sent["type"] == "transactional"
        assert sent["content"] == copy.text
        assert sent["webUrl"] == copy.callback_url
        assert sent["unicodeEnabled"] is False
        assert result.provider_id == str(sent["messageId"])

    @pytest.mark.parametrize(
        ("mode", "words"),
        [
            ("no_credits", "Crédit SMS Brevo épuisé"),
            ("rate_limited", "limite le débit"),
            ("down", "indisponible"),
        ],
    )
    def test_it_retries_on_account_and_server_errors(self, mode: str, words: str) -> None:
        self.fake.mode = mode
        with pytest.raises(DeliveryError) as caught, self.make_backend() as backend:
            backend.send(self.copy(GOOD_MOBILE))
        assert caught.value.permanent is False
        assert words in caught.value.reason

    def test_it_retries_with_a_clear_reason_when_the_key_is_wrong(self, settings: Any) -> None:
        settings.BREVO_API_KEY = "wrong"
        with pytest.raises(DeliveryError) as caught, self.make_backend() as backend:
            backend.send(self.copy(GOOD_MOBILE))
        assert caught.value.permanent is False
        assert "401 unauthorized" in caught.value.reason
        assert "BREVO_API_KEY" in caught.value.reason

    def test_it_explains_an_invalid_number_in_french(self) -> None:
        copy = self.copy(self.arrange_permanent_failure())
        with pytest.raises(DeliveryError) as caught, self.make_backend() as backend:
            backend.send(copy)
        assert caught.value.reason == (
            "Numéro refusé par le fournisseur SMS Brevo "
            "(400 invalid_parameter : Invalid phone number)."
        )

    def test_it_finds_an_sms_brevo_already_has(self) -> None:
        copy = self.copy(GOOD_MOBILE)
        with self.make_backend() as backend:
            sent = backend.send(copy)
            assert backend.lookup(copy) == sent

    def test_it_does_not_resend_blind_when_the_lookup_fails(self) -> None:
        copy = self.copy(GOOD_MOBILE)
        self.fake.mode = "down"
        self.fake.stop()
        with pytest.raises(DeliveryError) as caught, self.make_backend() as backend:
            backend.lookup(copy)
        assert caught.value.permanent is False
        assert caught.value.in_doubt is True
