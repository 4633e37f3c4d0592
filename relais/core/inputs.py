"""What any input may be, whatever path it comes by (pages, API): list sizes and text rules.

- Every list-valued input has a cap, checked before anything is looked up: an oversized list
  is refused with a French 422 at the cost of its length, never of a query per item.
- NUL bytes (PostgreSQL cannot store them) are removed from every form and query string by
  `relais.core.middleware.InputMiddleware`; the API refuses them (and lone UTF-16 surrogates)
  in its `Text` type.
- One-line fields (subjects, names) refuse control characters (CR, LF, tab…) and the bidi
  controls that can disguise a text (U+202A–U+202E, U+2066–U+2069).
- A text made only of spaces and invisible format characters (zero-width space, joiners, BOM)
  is empty.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sized

from relais.core.errors import ValidationFailed

# Caps of list-valued inputs (API and pages).
CC_MAX = 100  # copy recipients of one message
TEMPLATE_CLIENTS_MAX = 1000  # clients a template is limited to (more: make it for all)
VISIBILITY_MAX = 10  # places an instruction shows (three exist)

BIDI_CONTROLS = frozenset(
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_list_size(values: Sized | None, *, field: str, cap: int, label: str) -> None:
    """Refuses a list longer than cap (French 422 on field), before any lookup."""
    if values is not None and len(values) > cap:
        raise ValidationFailed.on(field, f"{label} : {cap} au maximum ({len(values)} envoyés).")


def is_blank(value: str | None) -> bool:
    """True when value holds nothing visible: only whitespace and format characters
    (zero-width space and joiners, word joiner, BOM, bidi marks)."""
    return all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in value or "")


def line_problem(value: str) -> str | None:
    """Why value cannot be a one-line field, or None."""
    for ch in value:
        if ch in BIDI_CONTROLS:
            return "caractère de contrôle de direction du texte interdit."
        if unicodedata.category(ch) == "Cc":
            if ch in "\r\n":
                return "une seule ligne."
            return "caractère de contrôle interdit."
    return None


def text_problem(value: str) -> str | None:
    """Why value cannot be stored as text at all (any field), or None."""
    if "\x00" in value:
        return "caractère nul interdit."
    if _SURROGATE.search(value):
        return "caractère invalide (UTF-16 incomplet)."
    return None


def strip_nul(value: str) -> str:
    return value.replace("\x00", "") if "\x00" in value else value
