"""PDF rendering (WeasyPrint): HTML in, PDF bytes out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.template.loader import render_to_string

if TYPE_CHECKING:
    from relais.messaging.models import Message


def html_to_pdf(html: str) -> bytes:
    # Imported here: loading WeasyPrint (pango, fonts) costs a second the web process rarely needs.
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())


def render_message_pdf(message: Message) -> bytes:
    """One message as a printable page: the fax copy."""
    from relais.delivery.content import fax_context

    return html_to_pdf(render_to_string("delivery/fax.html", fax_context(message)))
