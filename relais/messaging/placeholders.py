"""Placeholders of message templates: {client}, {contact}, {date}, {operateur}.

A template is checked when it is saved (an unknown placeholder is refused) and filled here,
on the server, and only here (`placeholders_apply`): the composer asks for its filled text
(`ui.views.composer.composer_text`) and `message_send` fills what is still open when it sends.

A placeholder whose value is not known yet (« {contact} » before a contact is chosen) is
shown in the composer as an empty, visibly marked slot (`SLOT`), never as template syntax;
the slot is filled like the placeholder once the value is known.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from django.utils import timezone

from relais.core.text import fold

# Name → what it becomes (shown on the template form).
PLACEHOLDERS: dict[str, str] = {
    "client": "le nom du client",
    "contact": "le nom du contact choisi",
    "date": "la date du jour (jj/mm/aaaa)",
    "operateur": "le prénom de l'opérateur",
}

# Anything between braces is meant as a placeholder: "{Client}", "{ date }" and "{opérateur}"
# are accepted (case, spaces and accents ignored); "{patient}" is refused.
TOKEN = re.compile(r"\{([^{}\n]{0,40})\}")

# The empty slot the composer shows where the contact's name will go. Only {contact} can be
# unknown while writing ({client}, {date} and {operateur} always are known).
SLOT = "⟦…⟧"
SLOT_FOR = "contact"


def placeholder_key(raw: str) -> str:
    return fold(raw).replace(" ", "")


def placeholders_unknown(text: str) -> list[str]:
    """The placeholders of text that are not known, as written, in order, without repeats."""
    unknown: list[str] = []
    for match in TOKEN.finditer(text or ""):
        if placeholder_key(match.group(1)) not in PLACEHOLDERS and match.group(0) not in unknown:
            unknown.append(match.group(0))
    return unknown


def placeholders_error(text: str, *, label: str) -> str | None:
    """A French sentence naming the unknown placeholders of text, or None."""
    unknown = placeholders_unknown(text)
    if not unknown:
        return None
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    names = ", ".join(unknown)
    if len(unknown) == 1:
        return f"{label} : variable inconnue {names}. Variables possibles : {known}."
    return f"{label} : variables inconnues {names}. Variables possibles : {known}."


def placeholder_values(
    *,
    client_name: str,
    operator_first_name: str,
    contact_name: str | None = None,
    today: dt.date | None = None,
) -> dict[str, str]:
    """What each placeholder becomes. Without a contact, {contact} is left as it is, so the
    composer can fill it when one is chosen."""
    day = today or timezone.localdate()
    values = {
        "client": client_name,
        "date": day.strftime("%d/%m/%Y"),
        "operateur": operator_first_name,
    }
    if contact_name is not None:
        values["contact"] = contact_name
    return values


def placeholders_fill(text: str, values: Mapping[str, str], *, slots: bool = False) -> str:
    """text with every known placeholder that has a value replaced, and the composer's empty
    slots too once the contact is known. A placeholder without a value stays as it is, or
    becomes the empty slot with slots=True (the text as the composer shows it)."""

    def replace(match: re.Match[str]) -> str:
        key = placeholder_key(match.group(1))
        if key in values:
            return values[key]
        if slots and key == SLOT_FOR:
            return SLOT
        return match.group(0)

    filled = TOKEN.sub(replace, text or "")
    if SLOT_FOR in values:
        filled = filled.replace(SLOT, values[SLOT_FOR])
    return filled


def placeholders_apply(
    text: str,
    *,
    client_name: str,
    operator_first_name: str,
    contact_name: str | None = None,
    today: dt.date | None = None,
) -> str:
    """text with its placeholders filled for this client, operator and contact (today's date
    unless given). Without a contact (None), {contact} stays for when one is chosen."""
    values = placeholder_values(
        client_name=client_name,
        operator_first_name=operator_first_name,
        contact_name=contact_name,
        today=today,
    )
    return placeholders_fill(text, values)
