"""Every write on the planning: appointments (create, change, move, cancel) and their motifs.

Each appointment change writes its journal line (Movement) in the same transaction: who, when,
what the appointment is and what changed. Pages and the API call these functions; nothing else
saves an appointment.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from relais.clients.models import Client, Contact
from relais.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from relais.core.validation import Errors, clean_text
from relais.planning.formats import date_fr, day_long, duration_fr, time_fr
from relais.planning.models import Appointment, AppointmentType, Movement
from relais.tenancy import permissions as perms
from relais.tenancy.access import parse_id
from relais.tenancy.models import User

DURATION_MIN = 5
DURATION_MAX = 12 * 60
DEFAULT_DURATION = 15
NOTE_MAX = 1000
REASON_MAX = 200
FIELDS = ("date", "start", "duration", "type", "contact", "note")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_TIME = re.compile(r"^(\d{1,2})\s*[:hH]\s*(\d{2})?(?::\d{2})?$")


# --- checks ------------------------------------------------------------------------------------


def require_planner(user: User, client: Client) -> None:
    """Staff of the client's permanence holding « Ajout rendez-vous »."""
    if client.permanence_id != user.permanence_id:
        raise NotFound("Client introuvable.")
    if not user.is_staff_user or not user.has_right(perms.PLANNING_ADD):
        raise PermissionDenied()


def parse_date(value: Any, *, field: str = "date", label: str = "Date") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        raise ValidationFailed.on(field, f"{label} : ce champ est obligatoire.")
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not 2000 <= day.year <= 2100:
            break
        return day
    raise ValidationFailed.on(field, f"{label} invalide : utilisez le format jj/mm/aaaa.")


def parse_time(value: Any, *, field: str = "start") -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    text = str(value or "").strip()
    if not text:
        raise ValidationFailed.on(field, "Heure : ce champ est obligatoire.")
    match = _TIME.match(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise ValidationFailed.on(field, "Heure invalide : utilisez le format HH:MM.")


def parse_duration(value: Any) -> int:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed.on("duration", "Durée invalide : un nombre de minutes.") from None
    if not DURATION_MIN <= minutes <= DURATION_MAX:
        raise ValidationFailed.on(
            "duration", f"Durée : entre {DURATION_MIN} minutes et {DURATION_MAX // 60} heures."
        )
    return minutes


def _type_of(client: Client, value: Any, *, current: AppointmentType | None) -> Any:
    if value in (None, ""):
        return None
    try:
        wanted = parse_id(value)
    except NotFound:
        raise ValidationFailed.on("type", "Motif de rendez-vous introuvable.") from None
    if current is not None and current.id == wanted:
        return current  # an archived motif stays on the appointments that have it
    found = AppointmentType.objects.filter(
        permanence_id=client.permanence_id, id=wanted, is_active=True
    ).first()
    if found is None:
        raise ValidationFailed.on("type", "Motif de rendez-vous introuvable.")
    return found


def _contact_of(client: Client, value: Any) -> Contact | None:
    if value in (None, ""):
        return None
    try:
        wanted = parse_id(value)
    except NotFound:
        raise ValidationFailed.on("contact", "Contact introuvable pour ce client.") from None
    found = Contact.objects.filter(client=client, id=wanted).first()
    if found is None:
        raise ValidationFailed.on("contact", "Contact introuvable pour ce client.")
    return found


def _clean(client: Client, raw: Mapping[str, Any], current: Appointment | None) -> dict[str, Any]:
    """Every field of raw, checked together (all errors at once); nothing is saved here."""
    errors = Errors()
    out: dict[str, Any] = {}

    def collect(name: str, fn: Any) -> None:
        if name not in raw:
            return
        try:
            out[name] = fn(raw[name])
        except ValidationFailed as exc:
            errors.capture(exc)

    collect("date", lambda v: parse_date(v))
    collect("start", lambda v: parse_time(v))
    collect("type", lambda v: _type_of(client, v, current=current.type if current else None))

    def duration_of(value: Any) -> int:
        if value not in (None, ""):
            return parse_duration(value)
        chosen = out.get("type")
        return chosen.duration if chosen is not None else DEFAULT_DURATION

    collect("duration", duration_of)
    collect("contact", lambda v: _contact_of(client, v))
    collect(
        "note",
        lambda v: clean_text(v, field="note", label="Note", max_length=NOTE_MAX),
    )
    start = out.get("start", current.start if current else None)
    duration = out.get("duration", current.duration if current else None)
    if (
        start is not None
        and duration is not None
        and "duration" not in errors.fields
        and start.hour * 60 + start.minute + duration > 24 * 60
    ):
        errors.add("duration", "Le rendez-vous doit finir le jour même (avant minuit).")
    errors.raise_if_any()
    return out


# --- journal texts -----------------------------------------------------------------------------


def summary_of(appointment: Appointment) -> str:
    """ "lundi 30/11/2026 10:00 (15 min) · Consultation · Hélène Durand"."""
    parts = [
        f"{day_long(appointment.date)} {time_fr(appointment.start)} "
        f"({duration_fr(appointment.duration)})",
        appointment.type.name if appointment.type else "Rendez-vous",
    ]
    if appointment.contact is not None:
        parts.append(appointment.contact.name)
    return " · ".join(parts)


def _slot(day: dt.date, start: dt.time, *, with_year: bool) -> str:
    return f"{date_fr(day) if with_year else f'{day:%d/%m}'} {time_fr(start)}"


def _changes(before: Appointment, after: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What changed, as data (for the API) and as French phrases (for the journal)."""
    data: dict[str, Any] = {}
    words: list[str] = []
    new_date = after.get("date", before.date)
    new_start = after.get("start", before.start)
    if (new_date, new_start) != (before.date, before.start):
        with_year = new_date.year != before.date.year
        words.append(
            f"Déplacé du {_slot(before.date, before.start, with_year=with_year)} "
            f"au {_slot(new_date, new_start, with_year=with_year)}"
        )
        if new_date != before.date:
            data["date"] = [before.date.isoformat(), new_date.isoformat()]
        if new_start != before.start:
            data["start"] = [time_fr(before.start), time_fr(new_start)]
    if "duration" in after and after["duration"] != before.duration:
        data["duration"] = [before.duration, after["duration"]]
        words.append(f"durée {duration_fr(before.duration)} → {duration_fr(after['duration'])}")
    if "type" in after and after["type"] != before.type:
        old = before.type.name if before.type else "aucun"
        new = after["type"].name if after["type"] else "aucun"
        data["type"] = [old, new]
        words.append(f"motif {old} → {new}")
    if "contact" in after and after["contact"] != before.contact:
        old = before.contact.name if before.contact else "aucun"
        new = after["contact"].name if after["contact"] else "aucun"
        data["contact"] = [old, new]
        words.append(f"contact {old} → {new}")
    if "note" in after and after["note"] != before.note:
        data["note"] = [before.note, after["note"]]
        words.append("note modifiée" if after["note"] else "note effacée")
    return data, words


def _movement(
    appointment: Appointment,
    kind: str,
    *,
    actor: User,
    at: dt.datetime,
    detail: str = "",
    changes: dict[str, Any] | None = None,
) -> Movement:
    return Movement.objects.create(
        permanence_id=appointment.permanence_id,
        client_id=appointment.client_id,
        appointment=appointment,
        actor=actor,
        kind=kind,
        at=at,
        summary=summary_of(appointment)[:300],
        detail=detail[:500],
        changes=changes or {},
    )


# --- appointments ------------------------------------------------------------------------------


def appointment_create(*, user: User, client: Client, data: Mapping[str, Any]) -> Appointment:
    """Books an appointment on the client's planning. data: date, start (required), duration
    (the motif's default, else 15 min), type, contact, note."""
    require_planner(user, client)
    raw = {name: data.get(name) for name in FIELDS}
    raw["note"] = raw["note"] or ""
    values = _clean(client, raw, None)
    now = timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.create(
            permanence_id=client.permanence_id,
            client=client,
            created_by=user,
            updated_at=now,
            **values,
        )
        _movement(appointment, Movement.CREATED, actor=user, at=now)
    return appointment


def version_of(appointment: Appointment) -> str:
    """What the edit form sends back to detect a concurrent change."""
    return appointment.updated_at.isoformat()


def _locked(appointment: Appointment, expected_version: str | None) -> Appointment:
    """The row, locked for this transaction, as it is now; refuses stale or cancelled ones."""
    current = (
        Appointment.objects.select_for_update(of=("self",))
        .filter(pk=appointment.pk)
        .select_related("type", "contact")
        .first()
    )
    if current is None:
        raise NotFound("Rendez-vous introuvable.")
    if current.status == Appointment.CANCELLED:
        raise Conflict("Ce rendez-vous est annulé : il ne peut plus être changé.")
    if expected_version and expected_version != version_of(current):
        raise Conflict(
            "Ce rendez-vous vient d'être changé par quelqu'un d'autre : "
            "rouvrez-le pour voir la nouvelle version."
        )
    return current


def appointment_update(
    *,
    user: User,
    appointment: Appointment,
    data: Mapping[str, Any],
    expected_version: str | None = None,
) -> Appointment:
    """Changes some of date, start, duration, type, contact, note (those present in data).

    A new date or time is a move (« Déplacé du 30/11 10:00 au 01/12 14:30 »), anything else a
    modification; nothing changed writes nothing. expected_version (version_of, sent back by the
    form) refuses a change made on a stale copy with a Conflict."""
    client = appointment.client
    require_planner(user, client)
    raw = {name: data[name] for name in FIELDS if name in data}
    if "note" in raw:
        raw["note"] = raw["note"] or ""
    if "duration" in raw and raw["duration"] in (None, ""):
        raw.pop("duration")
    with transaction.atomic():
        current = _locked(appointment, expected_version)
        values = _clean(client, raw, current)
        changes, words = _changes(current, values)
        if not changes:
            return current
        moved = "date" in changes or "start" in changes
        now = timezone.now()
        for name, value in values.items():
            setattr(current, name, value)
        current.updated_at = now
        current.save(update_fields=[*values, "updated_at"])
        detail = " ; ".join(words)
        if not moved:
            detail = "Modifié : " + detail
        _movement(
            current,
            Movement.MOVED if moved else Movement.MODIFIED,
            actor=user,
            at=now,
            detail=detail,
            changes=changes,
        )
    return current


def appointment_move(
    *,
    user: User,
    appointment: Appointment,
    date: Any,
    start: Any,
    expected_version: str | None = None,
) -> Appointment:
    """Moves an appointment to another day and/or time (same duration)."""
    return appointment_update(
        user=user,
        appointment=appointment,
        data={"date": date, "start": start},
        expected_version=expected_version,
    )


def appointment_cancel(
    *,
    user: User,
    appointment: Appointment,
    reason: str = "",
    expected_version: str | None = None,
) -> Appointment:
    """Cancels an appointment: it stays on the planning as cancelled, the journal says who
    cancelled it and why."""
    require_planner(user, appointment.client)
    why = clean_text(reason, field="reason", label="Motif de l'annulation", max_length=REASON_MAX)
    with transaction.atomic():
        current = _locked(appointment, expected_version)
        now = timezone.now()
        current.status = Appointment.CANCELLED
        current.cancelled_at = now
        current.cancelled_by = user
        current.updated_at = now
        current.save(update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"])
        _movement(
            current,
            Movement.CANCELLED,
            actor=user,
            at=now,
            detail=f"Annulé : {why}" if why else "Annulé",
            changes={"status": [Appointment.BOOKED, Appointment.CANCELLED]},
        )
    return current


# --- motifs ------------------------------------------------------------------------------------


def _require_types_right(user: User) -> None:
    if not user.is_staff_user or not user.has_right(perms.PLANNING_TYPES):
        raise PermissionDenied()


def _type_values(
    *, permanence_id: Any, name: str, colour: str, duration: Any, exclude: Any = None
) -> dict[str, Any]:
    errors = Errors()
    values: dict[str, Any] = {}
    try:
        values["name"] = clean_text(
            name, field="name", label="Motif", max_length=80, required=True, one_line=True
        )
    except ValidationFailed as exc:
        errors.capture(exc)
    colour = (colour or "").strip()
    if not _COLOUR.match(colour):
        errors.add("colour", "Couleur invalide : choisissez-la dans la palette.")
    values["colour"] = colour.lower()
    try:
        values["duration"] = parse_duration(duration)
    except ValidationFailed as exc:
        errors.capture(exc)
    if "name" in values:
        same = AppointmentType.objects.filter(
            permanence_id=permanence_id, name__iexact=values["name"]
        )
        if exclude is not None:
            same = same.exclude(pk=exclude)
        if same.exists():
            errors.add("name", "Un motif porte déjà ce nom.")
    errors.raise_if_any()
    return values


def appointment_type_create(
    *, user: User, name: str, colour: str, duration: Any = DEFAULT_DURATION, is_active: bool = True
) -> AppointmentType:
    _require_types_right(user)
    values = _type_values(
        permanence_id=user.permanence_id, name=name, colour=colour, duration=duration
    )
    last = (
        AppointmentType.objects.filter(permanence_id=user.permanence_id)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return AppointmentType.objects.create(
        permanence_id=user.permanence_id,
        position=(last or 0) + 1,
        is_active=is_active,
        **values,
    )


def appointment_type_update(
    *,
    user: User,
    appointment_type: AppointmentType,
    name: str,
    colour: str,
    duration: Any,
    is_active: bool,
) -> AppointmentType:
    """A motif is never deleted (appointments keep it): is_active off stops offering it."""
    if appointment_type.permanence_id != user.permanence_id:
        raise NotFound("Motif de rendez-vous introuvable.")
    _require_types_right(user)
    values = _type_values(
        permanence_id=user.permanence_id,
        name=name,
        colour=colour,
        duration=duration,
        exclude=appointment_type.pk,
    )
    for key, value in values.items():
        setattr(appointment_type, key, value)
    appointment_type.is_active = bool(is_active)
    appointment_type.save(update_fields=[*values, "is_active"])
    return appointment_type
