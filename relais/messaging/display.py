"""How a message reads outside the app (the e-mail and SMS copies, the fax page): its badges
in words, when it was taken, its contact's coordinates, the link to its thread.

Delivery (the copies) and exports (the fax page) both read these; neither owns them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from relais.core.phones import display_phone
from relais.messaging.models import Message

# The path of a thread. A constant, not reverse(): a worker forked per job (rqworker) would
# otherwise load the whole URLconf for every copy. The tests check it against the URLconf
# (ui:thread).
THREAD_PATH = "/messages/{message_id}/"


def thread_path(message_id: Any) -> str:
    return THREAD_PATH.format(message_id=message_id)


def thread_url(message_id: Any) -> str:
    return f"{settings.SITE_URL}{thread_path(message_id)}"


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


def local_time(value: dt.datetime) -> str:
    """« 28/11/2026 à 10:42 », Paris time."""
    local = timezone.localtime(value)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


def contact_lines(message: Message) -> list[str]:
    """The contact's name, phones and e-mail, for one line of text."""
    contact = message.contact
    if contact is None:
        return []
    parts = [contact.name]
    parts += [display_phone(p) for p in (contact.phone, contact.phone2) if p]
    if contact.email:
        parts.append(contact.email)
    return parts


def message_context(message: Message, *, as_copy: bool) -> dict[str, Any]:
    """The template context of a message's page outside the app (e-mail, fax)."""
    contact = message.contact
    phones = [display_phone(p) for p in (contact.phone, contact.phone2) if p] if contact else []
    return {
        "message": message,
        "permanence": message.permanence,
        "client": message.client,
        "author": message.author,
        "badges": badges(message),
        "contact": contact,
        "contact_phones": phones,
        "written_at": local_time(message.created_at),
        "thread_url": thread_url(message.id),
        "as_copy": as_copy,
    }
