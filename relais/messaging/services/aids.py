"""Writes on the gérant's message aids: templates (« Modèles de messages »), input-help phrases
(« Aide à la saisie ») and banners (« Bandeau message »).

Pages and the API call these; each checks the right itself, validates everything first
(French errors per field) and saves nothing on error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max, Q

from relais.clients.models import Client
from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.core.inputs import TEMPLATE_CLIENTS_MAX, check_list_size
from relais.core.text import fold
from relais.core.validation import Errors, clean_text
from relais.messaging import rules
from relais.messaging.models import Banner, InputPhrase, MessageTemplate
from relais.messaging.placeholders import placeholders_error
from relais.tenancy.access import parse_id
from relais.tenancy.models import User

NAME_MAX = 120
SUBJECT_MAX = 200
BODY_MAX = 20000
CONSIGNE_MAX = 1000
PHRASE_MAX = 300


def require_aids_right(user: User) -> None:
    """Templates, phrases and banners are managed with « TEMPLATE / Messages » (gérant)."""
    if not rules.manages_aids(user):
        raise PermissionDenied()


def _collect(errors: Errors, fn: Callable[[], Any], default: Any = "") -> Any:
    try:
        return fn()
    except ValidationFailed as exc:
        errors.capture(exc)
        return default


def _same_permanence(user: User, obj: Any) -> None:
    if obj.permanence_id != user.permanence_id:
        raise NotFound()


# --- templates ---------------------------------------------------------------------------------


def _template_values(
    *,
    user: User,
    name: str,
    subject: str,
    body: str,
    consigne: str,
    for_all: bool,
    clients: Sequence[Any],
) -> tuple[dict[str, Any], list[Client]]:
    errors = Errors()
    values: dict[str, Any] = {
        "name": _collect(
            errors,
            lambda: clean_text(
                name,
                field="name",
                label="Nom",
                max_length=NAME_MAX,
                required=True,
                one_line=True,
            ),
        ),
        "subject": _collect(
            errors,
            lambda: clean_text(
                subject, field="subject", label="Sujet", max_length=SUBJECT_MAX, one_line=True
            ),
        ),
        "consigne": _collect(
            errors,
            lambda: clean_text(
                consigne, field="consigne", label="Consigne", max_length=CONSIGNE_MAX
            ),
        ),
    }
    # The body keeps its inner line breaks and indentation; only the ends are trimmed.
    text = (body or "").strip("\n\r ")
    if len(text) > BODY_MAX:
        errors.add("body", f"Message : {BODY_MAX} caractères au maximum ({len(text)} saisis).")
    values["body"] = text
    for field, label in (("subject", "Sujet"), ("body", "Message")):
        problem = placeholders_error(values[field], label=label)
        if problem and field not in errors.fields:
            errors.add(field, problem)

    chosen: list[Client] = []
    if not for_all:
        ids = []
        check_list_size(
            clients, field="clients", cap=TEMPLATE_CLIENTS_MAX, label="Clients du modèle"
        )
        for raw in clients or []:
            try:
                ids.append(parse_id(raw))
            except NotFound:
                errors.add("clients", "Client introuvable.")
                break
        ids = list(dict.fromkeys(ids))
        if "clients" not in errors.fields:
            chosen = list(Client.objects.filter(permanence_id=user.permanence_id, id__in=ids))
            if len(chosen) != len(ids):
                errors.add("clients", "Client introuvable.")
            elif not chosen:
                errors.add(
                    "clients",
                    "Choisissez au moins un client, ou rendez le modèle disponible pour tous.",
                )
    errors.raise_if_any()
    return values, chosen


def template_create(
    *,
    user: User,
    name: str,
    subject: str = "",
    body: str = "",
    consigne: str = "",
    auto_vad: bool = False,
    auto_circle: bool = False,
    for_all: bool = True,
    clients: Sequence[Any] = (),
) -> MessageTemplate:
    """A new template, for every client of the permanence or for the chosen ones."""
    require_aids_right(user)
    values, chosen = _template_values(
        user=user,
        name=name,
        subject=subject,
        body=body,
        consigne=consigne,
        for_all=for_all,
        clients=clients,
    )
    with transaction.atomic():
        template = MessageTemplate.objects.create(
            permanence_id=user.permanence_id,
            auto_vad=bool(auto_vad),
            auto_circle=bool(auto_circle),
            **values,
        )
        if chosen:
            template.clients.set(chosen)
    return template


def template_update(
    *,
    user: User,
    template: MessageTemplate,
    name: str,
    subject: str = "",
    body: str = "",
    consigne: str = "",
    auto_vad: bool = False,
    auto_circle: bool = False,
    for_all: bool = True,
    clients: Sequence[Any] = (),
) -> MessageTemplate:
    """Changes a template. Clients it is no longer available to lose it as their default."""
    require_aids_right(user)
    _same_permanence(user, template)
    values, chosen = _template_values(
        user=user,
        name=name,
        subject=subject,
        body=body,
        consigne=consigne,
        for_all=for_all,
        clients=clients,
    )
    with transaction.atomic():
        for key, value in values.items():
            setattr(template, key, value)
        template.auto_vad = bool(auto_vad)
        template.auto_circle = bool(auto_circle)
        template.save()
        template.clients.set(chosen)
        if chosen:
            Client.objects.filter(default_template=template).exclude(
                id__in=[c.id for c in chosen]
            ).update(default_template=None)
    return template


def template_delete(*, user: User, template: MessageTemplate) -> None:
    """Deletes a template; clients using it as their default simply have none any more, and
    messages written with it keep their text."""
    require_aids_right(user)
    _same_permanence(user, template)
    template.delete()


def template_usable_for(template: MessageTemplate, client: Client) -> bool:
    """A template of the client's permanence, for every client or including this one."""
    if template.permanence_id != client.permanence_id:
        return False
    return MessageTemplate.objects.filter(
        Q(clients=None) | Q(clients=client), pk=template.pk
    ).exists()


# --- input-help phrases ------------------------------------------------------------------------


def _phrase_text(user: User, text: str, *, exclude: InputPhrase | None = None) -> str:
    value = clean_text(text, field="text", label="Phrase", max_length=PHRASE_MAX, required=True)
    others = InputPhrase.objects.filter(permanence_id=user.permanence_id)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    wanted = fold(value)
    if any(fold(t) == wanted for t in others.values_list("text", flat=True)):
        raise ValidationFailed.on("text", "Cette phrase existe déjà.")
    return value


def phrase_create(*, user: User, text: str) -> InputPhrase:
    """A new phrase, at the end of the list."""
    require_aids_right(user)
    value = _phrase_text(user, text)
    last = InputPhrase.objects.filter(permanence_id=user.permanence_id).aggregate(
        last=Max("position")
    )["last"]
    return InputPhrase.objects.create(
        permanence_id=user.permanence_id, text=value, position=(last or 0) + 1
    )


def phrase_update(*, user: User, phrase: InputPhrase, text: str) -> InputPhrase:
    require_aids_right(user)
    _same_permanence(user, phrase)
    phrase.text = _phrase_text(user, text, exclude=phrase)
    phrase.save(update_fields=["text"])
    return phrase


def phrase_move(*, user: User, phrase: InputPhrase, direction: str) -> InputPhrase:
    """Moves a phrase one place "up" or "down" in the list the composer shows."""
    require_aids_right(user)
    _same_permanence(user, phrase)
    if direction not in ("up", "down"):
        raise ValidationFailed.on("direction", "Sens inconnu : up ou down.")
    with transaction.atomic():
        rows = list(
            InputPhrase.objects.select_for_update()
            .filter(permanence_id=user.permanence_id)
            .order_by("position", "text", "id")
        )
        index = next(i for i, row in enumerate(rows) if row.pk == phrase.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(rows):
            rows[index], rows[other] = rows[other], rows[index]
        for position, row in enumerate(rows, start=1):
            row.position = position
        InputPhrase.objects.bulk_update(rows, ["position"])
    phrase.refresh_from_db()
    return phrase


def phrase_delete(*, user: User, phrase: InputPhrase) -> None:
    require_aids_right(user)
    _same_permanence(user, phrase)
    phrase.delete()


# --- banners -----------------------------------------------------------------------------------


def banner_create(*, user: User, text: str, place: str = Banner.HOME) -> Banner:
    """A short banner for the staff of the permanence (at most Banner.TEXT_MAX characters)."""
    require_aids_right(user)
    errors = Errors()
    value = _collect(
        errors,
        lambda: clean_text(
            text,
            field="text",
            label="Texte",
            max_length=Banner.TEXT_MAX,
            required=True,
            one_line=True,
        ),
    )
    if "\n" in value or "\r" in value:
        errors.add("text", "Texte : une seule ligne.")
    if place not in dict(Banner.PLACES):
        errors.add("place", "Emplacement inconnu : page d'accueil ou supervision.")
    errors.raise_if_any()
    return Banner.objects.create(
        permanence_id=user.permanence_id, text=value, place=place, created_by=user
    )


def banner_delete(*, user: User, banner: Banner) -> None:
    require_aids_right(user)
    _same_permanence(user, banner)
    banner.delete()
