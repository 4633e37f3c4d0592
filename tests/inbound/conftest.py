"""Replies taken in: a copy really sent through SMTP, answered with a real MIME reply."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest

from relais.delivery.backends import memory
from relais.delivery.models import Delivery
from relais.delivery.worker import deliver_ids
from relais.messaging.models import Message
from relais.tenancy.models import IntegrationSecrets, Permanence
from tests.delivery.conftest import send, smtp, smtp_settings  # noqa: F401
from tests.delivery.servers import Received
from tests.inbound.imap_server import ImapServer, dovecot_available


@pytest.fixture(autouse=True)
def _memory_outbox() -> Iterator[None]:
    memory.reset()
    yield
    memory.reset()


def inbound_token(permanence: Permanence) -> str:
    secrets, _ = IntegrationSecrets.objects.get_or_create(
        permanence=permanence,
        defaults={
            "cti_token": IntegrationSecrets.new_token(),
            "inbound_token": IntegrationSecrets.new_token(),
        },
    )
    return secrets.inbound_token


def sent_copy(sink: Any, message: Message, address: str) -> tuple[Delivery, EmailMessage]:
    """Delivers the message's e-mail copy to `address` through the SMTP sink; the e-mail as
    the recipient's mail client received it."""
    delivery = Delivery.objects.get(message=message, channel=Delivery.EMAIL, to=address)
    if delivery.status == Delivery.QUEUED:
        deliver_ids([delivery.id])  # also sends the message's other due copies
    delivery.refresh_from_db()
    assert delivery.status == Delivery.SENT
    received: list[Received] = [r for r in sink.received if address in r.rcpt_tos]
    return delivery, received[-1].message


def answer(
    original: EmailMessage,
    *,
    sender: str,
    text: str = "Je la rappelle demain matin.",
    quote: bool = True,
    attachments: list[tuple[str, str, bytes]] | None = None,
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    """A reply as a mail client writes it: to the Reply-To, In-Reply-To and References, « Re : »
    subject (RFC 2047 on the wire), the quoted copy under an attribution line, a signature."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(original["Reply-To"] or original["From"])
    reply["Subject"] = f"Re: {original['Subject']}"
    reply["Message-ID"] = make_msgid(domain="cabinet-lemoine.example")
    reply["In-Reply-To"] = str(original["Message-ID"])
    reply["References"] = f"{original['References']} {original['Message-ID']}"
    for name, value in (extra_headers or {}).items():
        reply[name] = value
    body = text + "\n\n-- \nDr Cécile Lemoine\nCabinet médical, 06 12 34 56 78\n"
    if quote:
        quoted = original.get_body(("plain",))
        assert quoted is not None
        body += "\nLe lun. 7 déc. 2026 à 10:42, Permanence Azur a écrit :\n" + "".join(
            f"> {line}\n" for line in quoted.get_content().splitlines()
        )
    reply.set_content(body)
    for name, mime, data in attachments or []:
        maintype, subtype = mime.split("/")
        reply.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return reply.as_bytes()


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    if not dovecot_available():
        if os.environ.get("CI") or os.environ.get("RELAIS_REQUIRE_BROWSER") == "1":
            pytest.fail("dovecot-imapd is required here (apt-get install -y dovecot-imapd)")
        pytest.skip("dovecot-imapd is not installed (apt-get install -y dovecot-imapd)")
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
def imap(settings: Any, imap_server: ImapServer) -> Iterator[ImapServer]:
    """The worker's settings pointed at the test server, with an empty mailbox."""
    from imap_tools import AND, MailBoxUnencrypted

    from tests.inbound.imap_server import PASSWORD, USER

    settings.RELAIS_IMAP_HOST = "127.0.0.1"
    settings.RELAIS_IMAP_PORT = imap_server.port
    settings.RELAIS_IMAP_SSL = False
    settings.RELAIS_IMAP_USER = USER
    settings.RELAIS_IMAP_PASSWORD = PASSWORD
    settings.RELAIS_IMAP_FOLDER = "INBOX"
    settings.RELAIS_IMAP_DONE_FOLDER = "Relais-traites"
    with MailBoxUnencrypted("127.0.0.1", port=imap_server.port).login(USER, PASSWORD) as box:
        for folder in ("INBOX", "Relais-traites"):
            if box.folder.exists(folder):
                box.folder.set(folder)
                uids = box.uids(AND(all=True))
                if uids:
                    box.delete(uids)
    yield imap_server


def imap_append(server: ImapServer, raw: bytes, folder: str = "INBOX") -> None:
    from imap_tools import MailBoxUnencrypted

    from tests.inbound.imap_server import PASSWORD, USER

    with MailBoxUnencrypted("127.0.0.1", port=server.port).login(USER, PASSWORD) as box:
        box.append(raw, folder)


def imap_count(server: ImapServer, folder: str) -> int:
    from imap_tools import AND, MailBoxUnencrypted

    from tests.inbound.imap_server import PASSWORD, USER

    with MailBoxUnencrypted("127.0.0.1", port=server.port).login(USER, PASSWORD) as box:
        if not box.folder.exists(folder):
            return 0
        box.folder.set(folder)
        return len(box.uids(AND(all=True)))
