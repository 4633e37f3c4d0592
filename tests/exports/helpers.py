"""Reading a PDF back as text, the way a person reads it: poppler's pdftotext."""

from __future__ import annotations

import re
import subprocess


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, pages in order, runs of spaces and line breaks as one space."""
    assert pdf.startswith(b"%PDF"), pdf[:20]
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return re.sub(r"\s+", " ", done.stdout.decode("utf-8")).strip()


def pages(pdf: bytes) -> int:
    done = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)", done.stdout.decode(), re.M)
    assert match
    return int(match.group(1))


def in_order(text: str, *parts: str) -> bool:
    """Each part appears in text, after the previous one."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        if found < 0:
            raise AssertionError(f"{part!r} not found after position {position} in:\n{text}")
        position = found + len(part)
    return True
