"""Phone numbers: stored in E.164 with France by default, shown the French way."""

from __future__ import annotations

import pytest

from relais.core.errors import ValidationFailed
from relais.core.phones import display_phone, normalize_phone, phone_search_digits


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("07 81 23 45 67", "+33781234567"),
        ("04 91 54 32 10", "+33491543210"),
        ("01 42 34 56 78", "+33142345678"),
        ("+44 20 7946 0958", "+442079460958"),
        ("  ", ""),
        ("", ""),
    ],
)
def test_it_normalises_to_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "06 12", "abc", "06 12 34 56 78 90 12", "+33 0"])
def test_it_refuses_an_invalid_number_in_french_on_the_field(raw: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        normalize_phone(raw, field="mobile")
    assert exc.value.errors == {"mobile": ["Numéro de téléphone invalide."]}
    assert exc.value.status == 422


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+33612345678", "06 12 34 56 78"),
        ("+33491543210", "04 91 54 32 10"),
        ("+442079460958", "+44 20 7946 0958"),
        ("", ""),
    ],
)
def test_it_shows_numbers_the_french_way(e164: str, shown: str) -> None:
    assert display_phone(e164) == shown


def test_it_indexes_both_national_and_international_digits() -> None:
    assert phone_search_digits("+33612345678") == "0612345678 33612345678"
    assert phone_search_digits("") == ""


def test_the_fast_french_display_matches_phonenumbers() -> None:
    import random

    from relais.core.phones import _display_parsed, display_phone

    rng = random.Random(7)
    for _ in range(5000):
        number = f"+33{rng.randint(1, 9)}{rng.randint(0, 99_999_999):08d}"
        assert display_phone(number) == _display_parsed.__wrapped__(number), number
