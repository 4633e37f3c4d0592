"""The fax copy's page: one message as a printable A4 page (its attachment, when it asks for
one, follows in relais.exports.reports.fax_printable)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from relais.exports.pdf import html_to_pdf
from relais.messaging.display import message_context
from relais.messaging.models import Message


def fax_context(message: Message) -> dict[str, Any]:
    """The fax page's context: the message as the client reads it (not as a copy)."""
    return message_context(message, as_copy=False)


def render_message_pdf(message: Message) -> bytes:
    """One message as a printable page: the fax copy."""
    return html_to_pdf(render_to_string("exports/fax.html", fax_context(message)))
