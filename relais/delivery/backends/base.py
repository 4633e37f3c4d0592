"""What every channel backend receives and how it reports failure.

A backend gets an OutgoingCopy (plain data, already rendered: it never touches the ORM for
content) and either returns a SendResult or raises DeliveryError saying whether the failure is
permanent (fail the copy now) or temporary (retry later). The reason is a French sentence the
operator reads in the thread's history.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

EMAIL = "email"
SMS = "sms"
FAX = "fax"


@dataclass
class Attachment:
    filename: str
    content: bytes
    content_type: str


@dataclass
class OutgoingCopy:
    delivery_id: uuid.UUID
    permanence_id: uuid.UUID
    channel: str
    to: str
    to_name: str = ""
    message_id: uuid.UUID | None = None  # the thread (messaging.Message) it copies
    subject: str = ""
    text: str = ""  # the e-mail's text part, the SMS text, or the fax's cover note
    html: str = ""
    from_email: str = ""
    reply_to: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    sms_unicode: bool = False
    callback_url: str = ""


@dataclass
class SendResult:
    provider_id: str = ""


class DeliveryError(Exception):
    """A copy could not be handed over. permanent: never retry. backend_down: the provider is
    unreachable, so the worker stops trying this channel until its next pass. in_doubt: the
    request may have been accepted before the failure (a timeout after sending)."""

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool,
        backend_down: bool = False,
        in_doubt: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.backend_down = backend_down
        self.in_doubt = in_doubt


def permanent(reason: str) -> DeliveryError:
    return DeliveryError(reason, permanent=True)


def temporary(reason: str, *, backend_down: bool = False, in_doubt: bool = False) -> DeliveryError:
    return DeliveryError(reason, permanent=False, backend_down=backend_down, in_doubt=in_doubt)


class Backend:
    """One channel transport. Used as a context manager by the worker for one batch, so a
    connection (SMTP, HTTP keep-alive) can serve many copies."""

    name = "backend"

    def __init__(self, **options: Any) -> None:
        self.options = options

    def open(self) -> None:
        """Called before a batch. Must not raise: connection errors surface in send()."""

    def close(self) -> None:
        """Called after a batch, even after errors."""

    def send(self, copy: OutgoingCopy) -> SendResult:
        raise NotImplementedError

    def lookup(self, copy: OutgoingCopy) -> SendResult | None:
        """Whether the provider already has this copy (after an attempt whose outcome is
        unknown). None: it cannot tell, the worker sends again (same idempotency data)."""
        return None

    def __enter__(self) -> Backend:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Addresses were validated when they were typed; this only catches what can never be delivered
# (the mail server refuses the rest with a 5xx). Django's validate_email compiles a large regex
# on first use, which a worker forking per job would pay on every copy.
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]{2,}$")


def check_email_address(address: str) -> str:
    address = (address or "").strip()
    if not _ADDRESS.match(address):
        raise permanent(f"Adresse e-mail invalide : « {address or 'vide'} ».")
    return address


def parse_number(raw: str, *, mobile: bool) -> phonenumbers.PhoneNumber:
    """The number, checked before any provider is paid for a copy that cannot arrive."""
    raw = (raw or "").strip()
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        raise permanent(f"Numéro invalide : « {raw or 'vide'} ».") from None
    if not phonenumbers.is_valid_number(number):
        raise permanent(f"Numéro invalide : « {raw} ».")
    if mobile:
        kind = phonenumbers.number_type(number)
        if kind not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ):
            raise permanent(
                f"Le numéro {raw} n'est pas un mobile : il ne peut pas recevoir de SMS."
            )
    return number


def format_number(number: phonenumbers.PhoneNumber, style: str) -> str:
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if style == "e164":
        return e164
    if style == "national":
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return "".join(c for c in national if c.isdigit())
    return e164.lstrip("+")
