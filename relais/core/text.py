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


# Titles that take the article « le » (le Dr Roche → du Dr Roche).
_MASCULINE_TITLES = {"dr", "docteur", "pr", "professeur"}
_VOWELS = "aeiouy"


def french_of(name: str) -> str:
    """« de » before a name, with the article its title calls for: « du Dr Antoine Roche »,
    « de la Pharmacie du Port » (La Pharmacie…), « de l'Atelier », « des Ambulances… »,
    « d'Alice Morel », « de Mme Durand »."""
    name = " ".join(name.split())
    first, _, rest = name.partition(" ")
    key = fold(first).rstrip(".")
    if key in _MASCULINE_TITLES:
        return f"du {name}"
    if rest and key == "le":
        return f"du {rest}"
    if rest and key == "la":
        return f"de la {rest}"
    if rest and key == "les":
        return f"des {rest}"
    if fold(name[:2]) in ("l'", "l’"):
        return f"de {name}"
    if fold(name[:1]) in _VOWELS and name[:1].isalpha():
        return f"d'{name}"
    return f"de {name}"
