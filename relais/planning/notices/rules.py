"""What a notice is: its kinds, limits, channels, placeholders and default texts; who may send
one; the client's notice settings."""

from __future__ import annotations

from typing import Any

from relais.clients.models import Client
from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.core.queries import first_or_none
from relais.core.validation import Errors
from relais.messaging.placeholders import TOKEN, placeholder_key
from relais.planning.models import Notice, NoticeSettings
from relais.tenancy import permissions as perms
from relais.tenancy.models import User

DELAY, ABSENCE = Notice.DELAY, Notice.ABSENCE
KIND_LABELS = dict(Notice.KINDS)
MINUTES_MIN, MINUTES_MAX = 5, 240
ABSENCE_MAX_DAYS = 31
TEXT_MAX = 1000
EXCLUDE_MAX = 1000

SMS, EMAIL, CALL = "sms", "email", "call"
CHANNEL_LABELS = {SMS: "SMS", EMAIL: "E-mail", CALL: "À appeler"}

# Name → what it becomes (shown under the text field).
PLACEHOLDERS: dict[str, str] = {
    "contact": "le nom du patient",
    "client": "le nom du client",
    "date": "la date du rendez-vous (jj/mm/aaaa)",
    "heure": "l'heure du rendez-vous",
    "retard": "le retard (« 40 min »)",
}

DEFAULT_TEXTS: dict[str, str] = {
    DELAY: (
        "Bonjour {contact}, {client} a environ {retard} de retard. Votre rendez-vous du "
        "{date} à {heure} est décalé d'autant. Merci de votre compréhension."
    ),
    ABSENCE: (
        "Bonjour {contact}, {client} sera absent le {date} et ne pourra pas assurer votre "
        "rendez-vous de {heure}. Merci de rappeler le cabinet."
    ),
}


def notice_settings_of(client: Client) -> NoticeSettings:
    """The client's settings (defaults when none were saved)."""
    found = first_or_none(NoticeSettings.objects.filter(client_id=client.id))
    return found or NoticeSettings(client_id=client.id)


def notice_allowed(user: User, client: Client, config: NoticeSettings) -> bool:
    """Staff holding « Possibilité de prévenir d'un retard ou d'une absence »; a client user
    for its own client, unless the permanence turned it off for that client."""
    if user.is_staff_user:
        return user.has_right(perms.PLANNING_NOTICE)
    return user.client_id == client.id and config.client_may_notify


def require_notice_right(user: User, client: Client) -> NoticeSettings:
    """NotFound across permanences (and for another client's user), PermissionDenied without
    the right; the client's settings otherwise."""
    if client.permanence_id != user.permanence_id:
        raise NotFound("Client introuvable.")
    if user.is_client_user and user.client_id != client.id:
        raise NotFound("Client introuvable.")
    config = notice_settings_of(client)
    if not notice_allowed(user, client, config):
        raise PermissionDenied()
    return config


def default_text(config: NoticeSettings, kind: str) -> str:
    own = config.delay_text if kind == DELAY else config.absence_text
    return own or DEFAULT_TEXTS[kind]


def placeholders_error(text: str) -> str | None:
    unknown: list[str] = []
    for match in TOKEN.finditer(text):
        if placeholder_key(match.group(1)) not in PLACEHOLDERS and match.group(0) not in unknown:
            unknown.append(match.group(0))
    if not unknown:
        return None
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    word = "variable inconnue" if len(unknown) == 1 else "variables inconnues"
    return f"Texte : {word} {', '.join(unknown)}. Variables possibles : {known}."


def clean_notice_text(value: Any, errors: Errors) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if not text:
        errors.add("text", "Texte : ce champ est obligatoire.")
    elif len(text) > TEXT_MAX:
        errors.add("text", f"Texte : {TEXT_MAX} caractères au maximum ({len(text)} saisis).")
    elif problem := placeholders_error(text):
        errors.add("text", problem)
    return text


def notice_settings_update(
    *, user: User, client: Client, kind: str, text: str | None = None, client_may_notify: Any = None
) -> NoticeSettings:
    """Saves the client's default text of that kind (empty: back to the permanence's wording);
    client_may_notify (staff with « Paramètres » of the client only) lets the client's users
    send notices themselves."""
    config = require_notice_right(user, client)
    if kind not in KIND_LABELS:
        raise ValidationFailed.on("kind", "Type d'avis invalide : retard ou absence.")
    errors = Errors()
    if text is not None:
        cleaned = str(text).replace("\r\n", "\n").strip()
        # The permanence's wording is kept as "" so that it follows later improvements.
        keep = bool(cleaned) and cleaned != DEFAULT_TEXTS[kind]
        cleaned = clean_notice_text(cleaned, errors) if keep else ""
        setattr(config, "delay_text" if kind == DELAY else "absence_text", cleaned)
    if client_may_notify is not None:
        if not user.has_right(perms.CLIENTS_SETTINGS):
            raise PermissionDenied()
        config.client_may_notify = bool(client_may_notify)
    errors.raise_if_any()
    config.save()
    return config
