"""Field checks shared by services; each raises a French ValidationFailed on its field."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from relais.core.errors import ValidationFailed
from relais.core.inputs import is_blank, line_problem, text_problem


class Errors:
    """Collects every field error of one input, so the user sees them all at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def capture(self, exc: ValidationFailed) -> None:
        for field, messages in exc.errors.items():
            for message in messages:
                self.add(field, message)

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ValidationFailed(first, self.fields)


def clean_text(
    value: str | None,
    *,
    field: str,
    label: str,
    max_length: int,
    required: bool = False,
    one_line: bool = False,
) -> str:
    """A trimmed text; `one_line` refuses control characters (CR, LF…) and bidi controls.
    Only invisible characters (zero-width spaces…) count as empty."""
    value = (value or "").strip()
    if is_blank(value):
        value = ""
    if required and not value:
        raise ValidationFailed.on(field, f"{label} : ce champ est obligatoire.")
    problem = text_problem(value) or (line_problem(value) if one_line else None)
    if problem:
        raise ValidationFailed.on(field, f"{label} : {problem}")
    if len(value) > max_length:
        raise ValidationFailed.on(
            field, f"{label} : {max_length} caractères au maximum ({len(value)} saisis)."
        )
    return value


def clean_email(value: str | None, *, field: str = "email") -> str:
    value = (value or "").strip().lower()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationFailed.on(field, "Adresse e-mail invalide.") from None
    return value
