"""SMS text: GSM-7 or UCS-2, segment counting, and fitting a copy into a few segments.

An SMS is 140 bytes. In the GSM 03.38 alphabet (GSM-7) that is 160 characters, or 153 per
segment once the message is split; one character outside it and the whole SMS switches to UCS-2:
70 characters, 67 per segment. French text mostly fits GSM-7 (é, è, à, ù are in it) but typed
text is full of typographic quotes, dashes and non-breaking spaces that would silently double
the cost; they are replaced by their GSM-7 equivalent first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Sent as ESC + character: two septets each.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67

_REPLACEMENTS: dict[str, str] = {
    # Quotes and apostrophes.
    "’": "'",
    "‘": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "`": "'",
    "´": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "«": '"',
    "»": '"',
    "″": '"',
    # Dashes and bullets.
    "–": "-",
    "—": "-",
    "‒": "-",
    "−": "-",
    "‐": "-",
    "‑": "-",
    "•": "-",
    "·": "-",
    "…": "...",
    # Spaces: French typography puts narrow no-break spaces before « ; : ! ? ».
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2007": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u200a": " ",
    "\t": " ",
    "\u200b": "",
    "\ufeff": "",
    # Letters GSM-7 lacks, in the French alphabet.
    "œ": "oe",
    "Œ": "OE",
    "ç": "c",
    "È": "E",
    "Ê": "E",
    "Ë": "E",
    "À": "A",
    "Â": "A",
    "Î": "I",
    "Ï": "I",
    "Ô": "O",
    "Û": "U",
    "Ù": "U",
    "Ÿ": "Y",
    "ÿ": "y",
}


def _gsm7_equivalent(char: str) -> str | None:
    if char in GSM7_BASIC or char in GSM7_EXTENSION:
        return char
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    # ê → e, ô → o, ï → i …: drop the accent when the bare letter is in the alphabet.
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if bare and all(c in GSM7_BASIC for c in bare):
        return bare
    return None


# « guillemets » carry inner spaces that straight quotes do not: « oui » → "oui".
_GUILLEMETS = re.compile(r"«[ \u00a0\u202f]*|[ \u00a0\u202f]*»")


def gsm7_sanitize(text: str) -> str:
    """Replaces every character that would force UCS-2 by its GSM-7 equivalent, when one exists.
    Characters without one (emoji, other scripts) are kept: the SMS will then be UCS-2."""
    out = []
    text = _GUILLEMETS.sub('"', text.replace("\r\n", "\n"))
    for char in text:
        equivalent = _gsm7_equivalent(char)
        out.append(char if equivalent is None else equivalent)
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _units(text: str, gsm: bool) -> list[int]:
    if gsm:
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    # UCS-2 counts UTF-16 code units: a character beyond the BMP takes two.
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def _segments(units: list[int], single: int, multi: int) -> int:
    total = sum(units)
    if total == 0:
        return 0
    if total <= single:
        return 1
    # A two-unit character (ESC sequence, surrogate pair) is never split across segments.
    segments, used = 1, 0
    for size in units:
        if used + size > multi:
            segments += 1
            used = 0
        used += size
    return segments


@dataclass(frozen=True)
class SmsInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int

    @property
    def unicode(self) -> bool:
        return self.encoding == "UCS-2"


def sms_info(text: str) -> SmsInfo:
    gsm = is_gsm7(text)
    units = _units(text, gsm)
    if gsm:
        return SmsInfo("GSM-7", sum(units), _segments(units, GSM7_SINGLE, GSM7_MULTI))
    return SmsInfo("UCS-2", sum(units), _segments(units, UCS2_SINGLE, UCS2_MULTI))


def sms_fit(head: str, body: str, tail: str = "", *, max_segments: int) -> str:
    """head + body + tail, sanitized, with the body cut (ending in "...") so the whole SMS fits
    in max_segments. The head (who, what) and the tail (the link) are never cut."""
    max_segments = max(1, max_segments)
    head, body, tail = gsm7_sanitize(head), gsm7_sanitize(body), gsm7_sanitize(tail)
    full = head + body + tail
    if sms_info(full).segments <= max_segments:
        return full
    marker = "..." if is_gsm7(full) else "…"

    def fits(n: int) -> bool:
        return sms_info(head + body[:n].rstrip() + marker + tail).segments <= max_segments

    low, high = 0, len(body)
    while low < high:  # the longest prefix that fits
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    cut = body[:low]
    # Prefer to end on a word when one ends close enough.
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= 0 and low - space <= 20:
        cut = cut[:space]
    if not cut.strip() and not fits(0):
        # Even the head and tail alone are too long: cut the whole text instead.
        text = head + body + tail
        low, high = 0, len(text)
        while low < high:
            mid = (low + high + 1) // 2
            if sms_info(text[:mid] + marker).segments <= max_segments:
                low = mid
            else:
                high = mid - 1
        return text[:low] + marker
    return head + cut.rstrip() + marker + tail
