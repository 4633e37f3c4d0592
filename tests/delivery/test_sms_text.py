"""GSM-7 / UCS-2: replacement of characters that force UCS-2, segment counting, fitting."""

from __future__ import annotations

import pytest

from relais.delivery.sms import gsm7_sanitize, is_gsm7, sms_fit, sms_info


def test_it_replaces_typographic_characters_by_their_gsm7_equivalent() -> None:
    text = "L’infirmière a dit « rappeler » — vite…\u00a0OK\u202f!"
    clean = gsm7_sanitize(text)
    assert clean == 'L\'infirmière a dit "rappeler" - vite... OK !'
    assert is_gsm7(clean)


def test_it_keeps_the_accents_gsm7_has_and_folds_the_others() -> None:
    assert gsm7_sanitize("é è à ù É Ç ì ò") == "é è à ù É Ç ì ò"
    assert gsm7_sanitize("fête, maïs, hôpital, cœur, reçu, ÊTRE") == (
        "fete, mais, hopital, coeur, recu, ETRE"
    )


def test_it_keeps_characters_without_equivalent_so_the_sms_goes_ucs2() -> None:
    clean = gsm7_sanitize("Rappel 📞 М. Иванов")
    assert "📞" in clean and "Иванов" in clean
    assert sms_info(clean).encoding == "UCS-2"


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters count two septets
        ("€" * 81, "GSM-7", 2),
        ("a" * 152 + "€", "GSM-7", 1),
        # 153 units in the first part would split the escape sequence: it moves to part two.
        ("a" * 152 + "€" + "a" * 10, "GSM-7", 2),
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 3),
        ("ê" * 70, "UCS-2", 1),
        ("ê" * 71, "UCS-2", 2),
        ("ê" * 134, "UCS-2", 2),
        ("ê" * 135, "UCS-2", 3),
        ("😀" * 35, "UCS-2", 1),  # beyond the BMP: two UTF-16 units each
        ("😀" * 36, "UCS-2", 2),
        ("", "GSM-7", 0),
    ],
)
def test_it_counts_segments(text: str, encoding: str, segments: int) -> None:
    info = sms_info(text)
    assert (info.encoding, info.segments) == (encoding, segments)


def test_it_counts_gsm7_extension_characters_as_two_units() -> None:
    assert sms_info("{[]}").units == 8
    assert sms_info("abc").units == 3


def test_it_leaves_a_short_sms_whole() -> None:
    assert sms_fit("Azur : ", "Rappeler Mme Durand", "\nhttps://x/1", max_segments=1) == (
        "Azur : Rappeler Mme Durand\nhttps://x/1"
    )


def test_it_cuts_the_body_to_the_segment_cap_and_keeps_head_and_link() -> None:
    body = "Le patient demande un rappel urgent concernant ses résultats. " * 20
    text = sms_fit("Azur : Résultats\n", body, "\nhttps://relais.example/m/1", max_segments=2)
    info = sms_info(text)
    assert info.encoding == "GSM-7"
    assert info.segments == 2
    assert info.units > 290  # the cap is used, not wasted
    assert text.startswith("Azur : Résultats\nLe patient")
    assert text.endswith("...\nhttps://relais.example/m/1")


def test_it_cuts_a_ucs2_body_with_an_ellipsis() -> None:
    text = sms_fit("Azur : ", "Иванов просит перезвонить " * 20, "", max_segments=2)
    info = sms_info(text)
    assert (info.encoding, info.segments) == ("UCS-2", 2)
    assert text.endswith("…")


@pytest.mark.parametrize("cap", [1, 2, 3, 5])
def test_it_never_exceeds_the_cap(cap: int) -> None:
    text = sms_fit("Tête : ", "« Rappel » — " * 200, "\nlien", max_segments=cap)
    assert sms_info(text).segments <= cap


def test_it_cuts_even_when_head_and_tail_alone_are_too_long() -> None:
    text = sms_fit("x" * 400, "body", "y" * 10, max_segments=1)
    assert sms_info(text).segments == 1
    assert text.endswith("...")
