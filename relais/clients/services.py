"""Writes on clients and contacts. Pages and API call these; nothing else saves them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relais.clients.models import Client, Contact
from relais.core.errors import ValidationFailed
from relais.core.phones import normalize_phone
from relais.core.validation import Errors, clean_email, clean_text
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right, require_staff
from relais.tenancy.models import User


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
    if user.is_staff_user:
        require_right(user, perms.CONTACTS_ADD)
    errors = Errors()
    values = {
        "name": _collect(
            errors,
            lambda: clean_text(name, field="name", label="Nom", max_length=160, required=True),
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
    require_staff(user)
    require_right(user, perms.CLIENTS_EDIT)
    errors = Errors()
    values = {
        "name": _collect(
            errors,
            lambda: clean_text(name, field="name", label="Nom", max_length=160, required=True),
        ),
        "trade": _collect(
            errors, lambda: clean_text(trade, field="trade", label="Activité", max_length=120)
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
) -> Client:
    """Paramètres du compte / Message."""
    require_staff(user)
    require_right(user, perms.CLIENTS_SETTINGS)
    client.message_info = clean_text(
        message_info, field="message_info", label="Message infos", max_length=80
    )
    client.default_copy_email = default_copy_email
    client.default_copy_sms = default_copy_sms
    client.default_copy_fax = default_copy_fax
    client.save(
        update_fields=[
            "message_info",
            "default_copy_email",
            "default_copy_sms",
            "default_copy_fax",
            "search_text",
        ]
    )
    return client
