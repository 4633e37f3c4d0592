"""Writes on clients and contacts. Pages and API call these; nothing else saves them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from relais.audit.models import AuditEvent
from relais.audit.services import audit_record
from relais.clients.models import Client, Contact, Instruction
from relais.core.errors import NotFound, ValidationFailed
from relais.core.phones import normalize_phone
from relais.core.validation import Errors, clean_email, clean_text
from relais.messaging.models import MessageTemplate
from relais.messaging.services.aids import template_usable_for
from relais.tenancy import permissions as perms
from relais.tenancy.access import parse_id, require_right, require_staff
from relais.tenancy.models import User

# "Leave this setting as it is" (an argument that may also be None).
UNCHANGED: Any = object()


def _require_client_access(user: User, client: Client) -> None:
    """Services double-check what the access helpers already ensured: same permanence, and a
    client user only ever touches its own client."""
    if client.permanence_id != user.permanence_id or (
        user.is_client_user and user.client_id != client.id
    ):
        raise NotFound("Client introuvable.")


def _collect(errors: Errors, fn: Callable[[], Any], default: Any = "") -> Any:
    try:
        return fn()
    except ValidationFailed as exc:
        errors.capture(exc)
        return default


def contact_create(
    *,
    user: User,
    client: Client,
    name: str,
    phone: str = "",
    phone2: str = "",
    email: str = "",
    note: str = "",
) -> Contact:
    """Creates a contact in the client's book (staff with the right, or the client's own user)."""
    _require_client_access(user, client)
    if user.is_staff_user:
        require_right(user, perms.CONTACTS_ADD)
    errors = Errors()
    values = {
        "name": _collect(
            errors,
            lambda: clean_text(
                name, field="name", label="Nom", max_length=160, required=True, one_line=True
            ),
        ),
        "phone": _collect(errors, lambda: normalize_phone(phone, field="phone")),
        "phone2": _collect(errors, lambda: normalize_phone(phone2, field="phone2")),
        "email": _collect(errors, lambda: clean_email(email)),
        "note": _collect(
            errors, lambda: clean_text(note, field="note", label="Note", max_length=2000)
        ),
    }
    errors.raise_if_any()
    return Contact.objects.create(permanence_id=client.permanence_id, client=client, **values)


def client_update_coordinates(
    *,
    user: User,
    client: Client,
    name: str,
    trade: str = "",
    email: str = "",
    mobile: str = "",
    phone: str = "",
    fax: str = "",
    address: str = "",
) -> Client:
    _require_client_access(user, client)
    require_staff(user)
    require_right(user, perms.CLIENTS_EDIT)
    errors = Errors()
    values = {
        "name": _collect(
            errors,
            lambda: clean_text(
                name, field="name", label="Nom", max_length=160, required=True, one_line=True
            ),
        ),
        "trade": _collect(
            errors,
            lambda: clean_text(
                trade, field="trade", label="Activité", max_length=120, one_line=True
            ),
        ),
        "email": _collect(errors, lambda: clean_email(email)),
        "mobile": _collect(errors, lambda: normalize_phone(mobile, field="mobile")),
        "phone": _collect(errors, lambda: normalize_phone(phone, field="phone")),
        "fax": _collect(errors, lambda: normalize_phone(fax, field="fax")),
        "address": _collect(
            errors, lambda: clean_text(address, field="address", label="Adresse", max_length=255)
        ),
    }
    errors.raise_if_any()
    for key, value in values.items():
        setattr(client, key, value)
    client.save()
    return client


def client_update_message_settings(
    *,
    user: User,
    client: Client,
    default_copy_email: bool,
    default_copy_sms: bool,
    default_copy_fax: bool,
    message_info: str,
    default_template: Any = UNCHANGED,
) -> Client:
    """Paramètres du compte / Message. default_template: a template id usable for this
    client, or None / "" for none; left out, it stays as it is."""
    _require_client_access(user, client)
    require_staff(user)
    require_right(user, perms.CLIENTS_SETTINGS)
    errors = Errors()
    info = _collect(
        errors,
        lambda: clean_text(
            message_info, field="message_info", label="Message infos", max_length=80, one_line=True
        ),
    )
    fields = ["message_info", "default_copy_email", "default_copy_sms", "default_copy_fax"]
    if default_template is not UNCHANGED:
        template = _collect(errors, lambda: _default_template(client, default_template), None)
        fields.append("default_template")
    errors.raise_if_any()
    before = {f: str(getattr(client, f + "_id" if f == "default_template" else f)) for f in fields}
    client.message_info = info
    client.default_copy_email = default_copy_email
    client.default_copy_sms = default_copy_sms
    client.default_copy_fax = default_copy_fax
    if default_template is not UNCHANGED:
        client.default_template = template
    client.save(update_fields=[*fields, "search_text"])
    _settings_traced(user, client, before, fields)
    return client


def _settings_traced(user: User, client: Client, before: dict[str, str], fields: list[str]) -> None:
    """A change of a client's settings goes to the permanence's trace (old → new)."""
    changed = {}
    for name in fields:
        after = str(getattr(client, name + "_id" if name == "default_template" else name))
        if after != before[name]:
            changed[name] = [before[name], after]
    if changed:
        audit_record(
            permanence_id=user.permanence_id,
            actor=user,
            kind=AuditEvent.SETTINGS_CHANGED,
            target=f"client:{client.pk}",
            detail={"changed": changed},
        )


def _default_template(client: Client, value: Any) -> MessageTemplate | None:
    """The template a client's composer opens with: one usable for that client."""
    if value in (None, ""):
        return None
    template = None
    with contextlib.suppress(NotFound):
        template = MessageTemplate.objects.filter(
            permanence_id=client.permanence_id, id=parse_id(value)
        ).first()
    if template is None or not template_usable_for(template, client):
        raise ValidationFailed.on(
            "default_template", "Ce modèle de message n'est pas disponible pour ce client."
        )
    return template


# --- instructions ------------------------------------------------------------------------------

INSTRUCTION_MAX = 1000


def _instruction_values(
    *, text: str, show_message: bool, show_agenda: bool, show_sheet: bool
) -> dict[str, Any]:
    errors = Errors()
    value = _collect(
        errors,
        lambda: clean_text(
            text, field="text", label="Instruction", max_length=INSTRUCTION_MAX, required=True
        ),
    )
    if not (show_message or show_agenda or show_sheet):
        errors.add(
            "visibility",
            "Visibilité : cochez au moins « Message », « Agenda » ou « Levée de fiche ».",
        )
    errors.raise_if_any()
    return {
        "text": value,
        "show_message": bool(show_message),
        "show_agenda": bool(show_agenda),
        "show_sheet": bool(show_sheet),
    }


def _require_instructions_right(user: User, client: Client) -> None:
    _require_client_access(user, client)
    require_staff(user)
    require_right(user, perms.CLIENTS_SETTINGS)


def instruction_create(
    *,
    user: User,
    client: Client,
    text: str,
    show_message: bool = True,
    show_agenda: bool = False,
    show_sheet: bool = False,
) -> Instruction:
    """A standing instruction on the client's file (staff with « Paramètres » only)."""
    _require_instructions_right(user, client)
    values = _instruction_values(
        text=text, show_message=show_message, show_agenda=show_agenda, show_sheet=show_sheet
    )
    return Instruction.objects.create(permanence_id=client.permanence_id, client=client, **values)


def instruction_update(
    *,
    user: User,
    instruction: Instruction,
    text: str,
    show_message: bool = True,
    show_agenda: bool = False,
    show_sheet: bool = False,
) -> Instruction:
    _require_instructions_right(user, instruction.client)
    values = _instruction_values(
        text=text, show_message=show_message, show_agenda=show_agenda, show_sheet=show_sheet
    )
    for key, value in values.items():
        setattr(instruction, key, value)
    instruction.save(update_fields=list(values))
    return instruction


def instruction_delete(*, user: User, instruction: Instruction) -> None:
    _require_instructions_right(user, instruction.client)
    instruction.delete()
