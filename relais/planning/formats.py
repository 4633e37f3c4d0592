"""French labels for days and times, independent of the active locale: the planning, its
journal and the PDFs always speak French ("lun. 30/11", "lundi 30/11/2026", "10:00")."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
DAYS_SHORT = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def day_short(day: dt.date) -> str:
    """ "lun. 30/11"."""
    return f"{DAYS_SHORT[day.weekday()]} {day:%d/%m}"


def day_long(day: dt.date) -> str:
    """ "lundi 30/11/2026"."""
    return f"{DAYS[day.weekday()]} {day:%d/%m/%Y}"


def day_title(day: dt.date) -> str:
    """ "Lundi 30 novembre 2026", "Mardi 1er décembre 2026"."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{DAYS[day.weekday()].capitalize()} {number} {MONTHS[day.month - 1]} {day.year}"


def date_fr(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def time_fr(value: dt.time) -> str:
    return f"{value:%H:%M}"


def moment_fr(value: dt.datetime) -> str:
    """ "28/11/2026 à 10:42", Paris time."""
    local = timezone.localtime(value)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


def duration_fr(minutes: int) -> str:
    """ "15 min", "1 h", "1 h 30"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest:02d}" if rest else "")


def period_fr(start: dt.date, end: dt.date) -> str:
    if start == end:
        return f"le {date_fr(start)}"
    return f"du {date_fr(start)} au {date_fr(end)}"


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
