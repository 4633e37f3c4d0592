"""What the messaging services share: limits, the history row, the due date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from relais.core.errors import ValidationFailed
from relais.messaging.models import HistoryEvent, Message
from relais.tenancy.models import User

SUBJECT_MAX = 200
BODY_MAX = 20000


def history_rows(
    message: Message, kind: str, *, actor: User | None, detail: str = "", at: dt.datetime
) -> HistoryEvent:
    return HistoryEvent(message=message, actor=actor, kind=kind, detail=detail[:300], at=at)


def parse_due_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationFailed.on("due_date", "Date invalide : utilisez le format jj/mm/aaaa.")
