"""Text helpers shared by searches: accent- and case-insensitive, phone digits."""

import re
import unicodedata

_NON_DIGIT = re.compile(r"\D+")


def fold(value: str) -> str:
    """Lower-case without accents: "Hélène" -> "helene"; "Œ" -> "oe"."""
    value = value.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def digits(value: str) -> str:
    return _NON_DIGIT.sub("", value)
