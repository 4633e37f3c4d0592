"""Placeholders of message templates: {client}, {contact}, {date}, {operateur}.

A template is checked when it is saved (an unknown placeholder is refused) and filled by
placeholders_apply, the one function that fills them: the send path uses it for what the
composer could not fill yet.
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


def placeholders_fill(text: str, values: Mapping[str, str]) -> str:
    """text with every known placeholder that has a value replaced; the rest is untouched."""

    def replace(match: re.Match[str]) -> str:
        key = placeholder_key(match.group(1))
        return values[key] if key in values else match.group(0)

    return TOKEN.sub(replace, text or "")


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
