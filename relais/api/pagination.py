"""Opaque list cursors: `{"items": [...], "next": "<cursor or null>"}`, `?cursor=` to go on.

Threads page on (last activity, id), so a new message never shifts a page; alphabetical
lists (clients, contacts, recipients) page on a position.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Annotated, Any

from ninja import Query
from pydantic import StringConstraints

from relais.core.errors import ValidationFailed

MAX_LIMIT = 200
BAD_CURSOR = "Curseur invalide : reprenez la liste depuis le début."
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"


Cursor = Annotated[str, StringConstraints(max_length=200, pattern=CURSOR_PATTERN)]


def cursor_query() -> Any:
    """The `?cursor=` parameter of every list (typed `Cursor`), as the OpenAPI document
    states it."""
    return Query(
        None,
        description="Opaque: the `next` of the previous page, as it was given (base64url "
        "text without padding, at most 200 characters). A cursor that was not given by "
        "this list answers 422.",
    )


def clamp_limit(limit: int | None, default: int = 50) -> int:
    if limit is None:
        return default
    return max(1, min(int(limit), MAX_LIMIT))


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeError):
        raise ValidationFailed.on("cursor", BAD_CURSOR) from None


def thread_cursor(at: dt.datetime, message_id: Any) -> str:
    return _encode(f"t|{at.isoformat()}|{message_id}")


def read_thread_cursor(cursor: str | None) -> tuple[dt.datetime | None, uuid.UUID | None]:
    if not cursor:
        return None, None
    parts = _decode(cursor).split("|")
    try:
        if len(parts) != 3 or parts[0] != "t":
            raise ValueError
        at = dt.datetime.fromisoformat(parts[1])
        if at.tzinfo is None:
            raise ValueError
        return at, uuid.UUID(parts[2])
    except ValueError:
        raise ValidationFailed.on("cursor", BAD_CURSOR) from None


def offset_cursor(offset: int) -> str:
    return _encode(f"o|{offset}")


def read_offset_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    parts = _decode(cursor).split("|")
    try:
        if len(parts) != 2 or parts[0] != "o":
            raise ValueError
        offset = int(parts[1])
        if offset < 0 or offset > 1_000_000:
            raise ValueError
        return offset
    except ValueError:
        raise ValidationFailed.on("cursor", BAD_CURSOR) from None
