"""What a copy says, per channel: the e-mail (text + HTML), the SMS text, the fax PDF.

Rendering is done once per message and channel and shared by the copies of one batch.
"""

from __future__ import annotations

import datetime as dt
import functools
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from relais.core.phones import display_phone
from relais.delivery.backends.base import Attachment, OutgoingCopy
from relais.delivery.models import Delivery
from relais.delivery.reply_address import reply_address
from relais.delivery.sms import sms_fit, sms_info
from relais.messaging.models import Message

# Paths of the pages a copy links to. Constants, not reverse(): a worker forked per job
# (rqworker) would otherwise load the whole URLconf for every copy. The tests check them
# against the URLconf (ui:thread, delivery:callback under "delivery/").
THREAD_PATH = "/messages/{message_id}/"
CALLBACK_PATH = "/delivery/callback/{delivery_id}/{token}/"


def thread_path(message_id: Any) -> str:
    return THREAD_PATH.format(message_id=message_id)


def thread_url(message_id: Any) -> str:
    return f"{settings.SITE_URL}{thread_path(message_id)}"


def callback_url(delivery: Delivery) -> str:
    path = CALLBACK_PATH.format(delivery_id=delivery.id, token=delivery.callback_token)
    return f"{settings.SITE_URL}{path}"


@functools.lru_cache(maxsize=8)
def _address_of(value: str) -> str:
    return parseaddr(value)[1] or "messages@relais.example"


def _sender_address() -> str:
    return _address_of(settings.DEFAULT_FROM_EMAIL)


def message_id_domain() -> str:
    configured = getattr(settings, "RELAIS_MESSAGE_ID_DOMAIN", "")
    return configured or _sender_address().rpartition("@")[2] or "relais.example"


def email_message_id(delivery_id: Any) -> str:
    """Stable across retries: a receiver that already has it can drop a second copy."""
    return f"<{delivery_id}@{message_id_domain()}>"


def badges(message: Message) -> list[tuple[str, str]]:
    """(kind, words): a badge always says what it means."""
    out: list[tuple[str, str]] = []
    if message.is_urgent:
        out.append(("urgent", "URGENT"))
    if message.status == Message.STATUS_TODO:
        if message.due_date:
            out.append(("task", f"A faire le {message.due_date:%d/%m/%Y}"))
        else:
            out.append(("task", "Tâche à faire"))
    elif message.status == Message.STATUS_DONE:
        out.append(("done", "Tâche faite"))
    if message.is_vad:
        out.append(("vad", "VAD"))
    if message.is_private:
        out.append(("private", "Privé"))
    return out


def _local(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


def _contact_lines(message: Message) -> list[str]:
    contact = message.contact
    if contact is None:
        return []
    parts = [contact.name]
    parts += [display_phone(p) for p in (contact.phone, contact.phone2) if p]
    if contact.email:
        parts.append(contact.email)
    return parts


def _context(message: Message, *, as_copy: bool) -> dict[str, Any]:
    return {
        "message": message,
        "permanence": message.permanence,
        "client": message.client,
        "author": message.author,
        "badges": badges(message),
        "contact": message.contact,
        "contact_phones": [
            display_phone(p) for p in (message.contact.phone, message.contact.phone2) if p
        ]
        if message.contact
        else [],
        "written_at": _local(message.created_at),
        "thread_url": thread_url(message.id),
        "as_copy": as_copy,
    }


class ContentCache:
    """Rendered parts per (message, channel, copy or not), for one batch."""

    def __init__(self) -> None:
        self._parts: dict[tuple[Any, ...], Any] = {}

    def get(self, key: tuple[Any, ...], build: Any) -> Any:
        if key not in self._parts:
            self._parts[key] = build()
        return self._parts[key]


def build_copy(delivery: Delivery, cache: ContentCache | None = None) -> OutgoingCopy:
    cache = cache or ContentCache()
    message = delivery.message
    as_copy = delivery.recipient_id is not None
    copy = OutgoingCopy(
        delivery_id=delivery.id,
        permanence_id=delivery.permanence_id,
        message_id=message.id,
        channel=delivery.channel,
        to=delivery.to,
        to_name=delivery.to_name,
        callback_url=callback_url(delivery),
    )
    sender = formataddr((message.permanence.name, _sender_address()))
    if delivery.channel == Delivery.EMAIL:
        subject, text, html = cache.get(
            (message.id, "email", as_copy), lambda: _email_parts(message, as_copy=as_copy)
        )
        copy.subject, copy.text, copy.html = subject, text, html
        copy.from_email = sender
        # Answers come back to an address of this copy (relais.inbound takes them in).
        # The bare address keeps the header on one line (the fast path of backends.email).
        copy.reply_to = reply_address(delivery.id)
        copy.headers = {
            "Message-ID": email_message_id(delivery.id),
            # Every copy of one thread shares a reference, so mail clients group them.
            "References": f"<thread-{message.id}@{message_id_domain()}>",
            # RFC 3834: vacation auto-replies must not answer a copy.
            "Auto-Submitted": "auto-generated",
            "X-Relais-Delivery": str(delivery.id),
        }
        if message.attach:
            copy.attachments = _report_attachments(delivery, cache)
    elif delivery.channel == Delivery.SMS:
        text = cache.get((message.id, "sms", as_copy), lambda: sms_text(message, as_copy=as_copy))
        copy.text = text
        copy.sms_unicode = sms_info(text).unicode
        copy.from_email = sender
    else:
        subject, text, pdf = cache.get((message.id, "fax"), lambda: _fax_parts(message))
        copy.subject, copy.text = subject, text
        copy.from_email = sender
        copy.attachments = [
            Attachment(f"message-{str(message.id)[:8]}.pdf", pdf, "application/pdf")
        ]
    return copy


def email_subject(message: Message) -> str:
    prefix = "URGENT – " if message.is_urgent else ""
    return f"{prefix}{message.subject} — {message.client.name}"


def _email_parts(message: Message, *, as_copy: bool) -> tuple[str, str, str]:
    context = _context(message, as_copy=as_copy)
    text = render_to_string("delivery/email/message.txt", context)
    html = render_to_string("delivery/email/message.html", context)
    return email_subject(message), text, html


def sms_text(message: Message, *, as_copy: bool) -> str:
    """Who it is from and what it is about first, the body cut to fit, the link last."""
    first = " ".join(words for _, words in badges(message) if words != "Privé")
    head = f"{message.permanence.name} : "
    if as_copy:
        head += f"pour {message.client.name}, "
    head += f"{first + ' - ' if first else ''}{message.subject}\n"
    contact = _contact_lines(message)
    if contact:
        head += "De : " + " ".join(contact) + "\n"
    tail = f"\n{thread_url(message.id)}"
    return sms_fit(head, message.body, tail, max_segments=settings.RELAIS_SMS_MAX_SEGMENTS)


def _fax_parts(message: Message) -> tuple[str, str, bytes]:
    from relais.exports.pdf import render_message_pdf

    subject = f"Fax de {message.permanence.name} : {message.subject}"
    text = (
        f"{message.permanence.name} vous adresse par fax le message « {message.subject} » "
        f"pris pour {message.client.name} le {_local(message.created_at)}."
    )
    if message.attach:
        # The « Joindre » PDF follows the message in the same document, by the same renderer
        # as the e-mail's, as the client sees it (the fax goes to the client's number).
        from relais.exports.reports import copy_report, fax_pdf

        return subject, text, fax_pdf(message, copy_report(message, None))
    return subject, text, render_message_pdf(message)


def _report_attachments(delivery: Delivery, cache: ContentCache) -> list[Attachment]:
    """The « Joindre » PDF of an e-mail copy, built for its reader (relais.exports.reports):
    the client, or what both the client and the copy recipient may see. Copies whose readers
    see the same things share one rendering."""
    from relais.exports.reports import attachment_filename, copy_report, report_pdf

    message = delivery.message
    report = cache.get(
        (message.id, "report", delivery.recipient_id),
        lambda: copy_report(message, delivery.recipient),
    )
    if report is None:
        return []
    pdf = cache.get(("report-pdf", message.id, report.fingerprint), lambda: report_pdf(report))
    name = attachment_filename(message.client.name, report.kind, report.start, report.end)
    return [Attachment(name, pdf, "application/pdf")]


def fax_context(message: Message) -> dict[str, Any]:
    return _context(message, as_copy=False)
