"""What is new in an answer: the quoted previous message and the signature are cut off."""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"^\s*(le|on|am)\b.{0,300}?\b(a écrit|wrote|schrieb)\s*:\s*$", re.IGNORECASE | re.DOTALL
)
_SEPARATORS = [
    re.compile(r"^\s*-{2,}\s*(original message|message d'origine|message original)\s*-{2,}", re.I),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*-- ?$"),  # the signature separator
    re.compile(r"^\s*(envoyé de mon|sent from my|envoyé depuis)\b", re.IGNORECASE),
]
_HEADER_BLOCK = re.compile(r"^\s*(de|from)\s*:\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*(envoyé|sent|date|à|to|objet|subject)\s*:", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    lines = text.replace("\r\n", "\n").split("\n")
    end = len(lines)
    for i, line in enumerate(lines):
        if any(p.match(line) for p in _SEPARATORS):
            end = i
            break
        pair = line + " " + lines[i + 1] if i + 1 < len(lines) else line
        if _ATTRIBUTION.match(line) or (
            line.strip()
            and len(line) < 200
            and _ATTRIBUTION.match(pair)
            and re.match(r"^\s*(le|on|am)\b", line, re.IGNORECASE)
        ):
            end = i
            break
        if _HEADER_BLOCK.match(line) and i + 1 < len(lines) and _HEADER_NEXT.match(lines[i + 1]):
            end = i
            break
    kept = [line for line in lines[:end] if not line.lstrip().startswith(">")]
    return "\n".join(kept).strip()
