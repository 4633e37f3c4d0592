"""The "Joindre" choice of the composer: a kind and a period, checked before anything is saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from relais.core.errors import ValidationFailed

KINDS = {
    "planning": "Planning (rendez-vous)",
    "movements_staff": "Mouvements et messages des collaborateurs",
    "movements_staff_unread": "Mouvements et messages des collaborateurs non lus",
    "movements_all": "Mouvements et messages de tous les utilisateurs",
}
MAX_DAYS = 366


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationFailed.on(field, "Date invalide : utilisez le format jj/mm/aaaa.")


def clean_attach(value: dict[str, Any]) -> dict[str, str]:
    kind = value.get("kind")
    if kind not in KINDS:
        raise ValidationFailed.on("attach", "Pièce jointe inconnue.")
    # The composer's period is today by default; a start alone is that one day.
    start = _date(value.get("from") or timezone.localdate(), "attach")
    end = _date(value.get("to") or start, "attach")
    if end < start:
        raise ValidationFailed.on("attach", "La période se termine avant de commencer.")
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed.on("attach", "La période ne peut pas dépasser un an.")
    return {"kind": kind, "from": start.isoformat(), "to": end.isoformat()}
