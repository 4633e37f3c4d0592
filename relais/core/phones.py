"""Phone numbers: stored in E.164, shown the French way, validated with France as default."""

from __future__ import annotations

import functools

import phonenumbers
from phonenumbers import PhoneNumberFormat

from relais.core.errors import ValidationFailed

DEFAULT_REGION = "FR"


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """Return the E.164 form of raw, or raise a French error. Empty stays empty."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationFailed.on(field, "Numéro de téléphone invalide.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed.on(field, "Numéro de téléphone invalide.")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """French numbers as "06 12 34 56 78", others internationally."""
    if not e164:
        return ""
    if len(e164) == 12 and e164.startswith("+33") and e164[3:].isdigit() and e164[3] in "1234567":
        # Geographic, mobile and 09 numbers: ten digits in pairs, exactly what phonenumbers
        # gives, without parsing (a list page shows dozens of them). 08 numbers differ.
        national = "0" + e164[3:]
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    return _display_parsed(e164)


@functools.lru_cache(maxsize=4096)
def _display_parsed(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 33:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def is_mobile(e164: str) -> bool:
    """A number that receives SMS: French 06 / 07 without parsing, others by their type."""
    if not e164:
        return False
    if e164.startswith("+33"):
        return len(e164) == 12 and e164[3] in "67"
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def phone_search_digits(e164: str) -> str:
    """Digits a search may match: the national form (0612…) and the international one."""
    if not e164:
        return ""
    national = display_phone(e164)
    return f"{''.join(c for c in national if c.isdigit())} {e164.lstrip('+')}"
