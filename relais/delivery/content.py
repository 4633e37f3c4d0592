"""What a copy says, per channel: the e-mail (text + HTML), the SMS text, the fax PDF.

Rendering is done once per message and channel and shared by the copies of one batch.
"""

from __future__ import annotations

import functools
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.template.loader import render_to_string
from django.utils.html import escape

from relais.delivery.backends.base import Attachment, OutgoingCopy
from relais.delivery.models import Delivery
from relais.delivery.reply_address import reply_address
from relais.delivery.sms import sms_fit, sms_info
from relais.exports.fax import render_message_pdf
from relais.exports.reports import attachment_filename, copy_report, fax_pdf, report_pdf
from relais.messaging.display import THREAD_PATH as THREAD_PATH  # the links, beside the callback's
from relais.messaging.display import badges, contact_lines, local_time, message_context, thread_url
from relais.messaging.models import Message

# The callback's path. A constant, not reverse(): a worker forked per job (rqworker) would
# otherwise load the whole URLconf for every copy. The tests check it against the URLconf
# (delivery:callback under "delivery/"), and THREAD_PATH (relais.messaging.display) too.
CALLBACK_PATH = "/delivery/callback/{delivery_id}/{token}/"
# The e-mail copy's link says where it comes from: the thread page traces that read as "link"
# (relais.audit).
EMAIL_LINK_QUERY = "?lien=email"


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
    if delivery.text:
        # A notice's copy to a contact (planning.notices): its own text, as written. Told by
        # its text, not its contact (which may have been deleted since): such a copy must
        # never carry the summary message it is attached to.
        _notice_parts(copy, delivery, sender)
        return copy
    ack_link = _ack_link(delivery)
    if delivery.channel == Delivery.EMAIL:
        subject, text, html = cache.get(
            (message.id, "email", as_copy, ack_link),
            lambda: _email_parts(message, as_copy=as_copy, ack_link=ack_link),
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
        text = cache.get(
            (message.id, "sms", as_copy, ack_link),
            lambda: sms_text(message, as_copy=as_copy, ack_link=ack_link),
        )
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


def notice_email_subject(client_name: str) -> str:
    return f"Votre rendez-vous — {client_name}"


def _notice_parts(copy: OutgoingCopy, delivery: Delivery, sender: str) -> None:
    """A notice's copy: the text filled in for the contact, by SMS or by e-mail (plain text and
    the same text in HTML), from the permanence, without a link to the thread (the contact has
    no account)."""
    message = delivery.message
    copy.from_email = sender
    if delivery.channel == Delivery.SMS:
        copy.text = delivery.text
        copy.sms_unicode = sms_info(delivery.text).unicode
        return
    copy.subject = notice_email_subject(message.client.name)
    copy.text = delivery.text + "\n"
    paragraphs = [p for p in delivery.text.split("\n\n") if p.strip()]
    copy.html = "".join("<p>" + escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    reply_to = getattr(settings, "RELAIS_REPLY_TO_EMAIL", "") or _sender_address()
    copy.reply_to = formataddr((message.permanence.name, reply_to))
    copy.headers = {
        "Message-ID": email_message_id(delivery.id),
        "Auto-Submitted": "auto-generated",
        "X-Relais-Delivery": str(delivery.id),
    }


def email_subject(message: Message) -> str:
    prefix = "URGENT – " if message.is_urgent else ""
    return f"{prefix}{message.subject} — {message.client.name}"


def _ack_link(delivery: Delivery) -> str:
    """The copy's personal « Pris en compte » link (relais.escalation), or ""."""
    try:
        request = delivery.ack_request  # loaded with the claimed rows
    except ObjectDoesNotExist:
        return ""
    # Imported here: relais.escalation builds on delivery's outbox rows, not the reverse.
    from relais.escalation.services import ack_url

    return ack_url(request)


def _email_parts(message: Message, *, as_copy: bool, ack_link: str = "") -> tuple[str, str, str]:
    context = message_context(message, as_copy=as_copy)
    context["ack_link"] = ack_link
    # The link says it comes from an e-mail copy: the thread page traces that read as "link".
    context["thread_url"] = thread_url(message.id) + EMAIL_LINK_QUERY
    text = render_to_string("delivery/email/message.txt", context)
    html = render_to_string("delivery/email/message.html", context)
    return email_subject(message), text, html


def sms_text(message: Message, *, as_copy: bool, ack_link: str = "") -> str:
    """Who it is from and what it is about first, the body cut to fit, the link last."""
    first = " ".join(words for _, words in badges(message) if words != "Privé")
    head = f"{message.permanence.name} : "
    if as_copy:
        head += f"pour {message.client.name}, "
    head += f"{first + ' - ' if first else ''}{message.subject}\n"
    contact = contact_lines(message)
    if contact:
        head += "De : " + " ".join(contact) + "\n"
    tail = f"\n{thread_url(message.id)}"
    if ack_link:
        # The copy asks for acknowledgement: the personal link instead of the thread's.
        tail = f"\nPris en compte ? {ack_link}"
    return sms_fit(head, message.body, tail, max_segments=settings.RELAIS_SMS_MAX_SEGMENTS)


def _fax_parts(message: Message) -> tuple[str, str, bytes]:
    subject = f"Fax de {message.permanence.name} : {message.subject}"
    text = (
        f"{message.permanence.name} vous adresse par fax le message « {message.subject} » "
        f"pris pour {message.client.name} le {local_time(message.created_at)}."
    )
    if message.attach:
        # The « Joindre » PDF follows the message in the same document, by the same renderer
        # as the e-mail's, as the client sees it (the fax goes to the client's number).
        return subject, text, fax_pdf(message, copy_report(message, None))
    return subject, text, render_message_pdf(message)


def _report_attachments(delivery: Delivery, cache: ContentCache) -> list[Attachment]:
    """The « Joindre » PDF of an e-mail copy, built for its reader (relais.exports.reports):
    the client, or what both the client and the copy recipient may see. Copies whose readers
    see the same things share one rendering."""
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
