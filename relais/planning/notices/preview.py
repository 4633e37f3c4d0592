"""The preview: every field checked, who is told, by which channel, with which text and how
many SMS. Nothing is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from relais.clients.models import Client, Contact
from relais.core.errors import NotFound, ValidationFailed
from relais.core.phones import is_mobile
from relais.core.validation import Errors
from relais.delivery.sms import gsm7_sanitize, sms_info
from relais.messaging.placeholders import placeholders_fill
from relais.planning.formats import date_fr, duration_fr, time_fr
from relais.planning.models import Appointment, NoticeSettings
from relais.planning.notices.rules import (
    ABSENCE,
    ABSENCE_MAX_DAYS,
    CALL,
    CHANNEL_LABELS,
    DELAY,
    EMAIL,
    EXCLUDE_MAX,
    KIND_LABELS,
    MINUTES_MAX,
    MINUTES_MIN,
    SMS,
    clean_notice_text,
    default_text,
    require_notice_right,
)
from relais.planning.services import parse_date, parse_time
from relais.tenancy.access import parse_id
from relais.tenancy.models import User


@dataclass
class NoticeInput:
    kind: Any = ""
    date: Any = None
    from_time: Any = None
    minutes: Any = None
    to_date: Any = None
    cancel_appointments: bool = False
    text: Any = None
    exclude: Sequence[Any] = ()


@dataclass
class NoticeRecipient:
    contact: Contact
    appointment: Appointment
    channel: str  # "sms", "email" or "call"
    to: str
    text: str
    sms_segments: int
    included: bool = True

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS[self.channel]


@dataclass
class NoticePreview:
    client: Client
    kind: str
    date: dt.date
    to_date: dt.date
    from_time: dt.time | None
    minutes: int | None
    cancel_appointments: bool
    text: str
    recipients: list[NoticeRecipient]
    # Every booked appointment of the period (those without a contact too): what a
    # cancellation cancels.
    appointments: list[Appointment] = field(default_factory=list)

    @property
    def told(self) -> list[NoticeRecipient]:
        return [r for r in self.recipients if r.included]

    @property
    def sms_total(self) -> int:
        return sum(r.sms_segments for r in self.told if r.channel == SMS)

    @property
    def copies(self) -> list[NoticeRecipient]:
        return [r for r in self.told if r.channel != CALL]

    @property
    def to_call(self) -> list[NoticeRecipient]:
        return [r for r in self.told if r.channel == CALL]


def _channel_of(contact: Contact) -> tuple[str, str]:
    for number in (contact.phone, contact.phone2):
        if number and is_mobile(number):
            return SMS, number
    if contact.email:
        return EMAIL, contact.email
    return CALL, contact.phone or contact.phone2


def _parse_minutes(value: Any) -> int:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed.on("minutes", "Retard : un nombre de minutes.") from None
    if not MINUTES_MIN <= minutes <= MINUTES_MAX:
        raise ValidationFailed.on(
            "minutes",
            f"Retard : entre {MINUTES_MIN} minutes et {MINUTES_MAX // 60} heures "
            f"({minutes} min saisies).",
        )
    return minutes


def _excluded(raw: Sequence[Any] | None, errors: Errors) -> set[Any]:
    out: set[Any] = set()
    values = list(raw or [])
    if len(values) > EXCLUDE_MAX:
        errors.add("exclude", "Trop de contacts à exclure.")
        return out
    for value in values:
        try:
            out.add(parse_id(value))
        except NotFound:
            errors.add("exclude", "Contact à exclure introuvable.")
            break
    return out


def _fill(text: str, *, client: Client, appointment: Appointment, minutes: int | None) -> str:
    contact = appointment.contact
    return placeholders_fill(
        text,
        {
            "contact": contact.name if contact else "",
            "client": client.name,
            "date": date_fr(appointment.date),
            "heure": time_fr(appointment.start),
            "retard": duration_fr(minutes) if minutes else "",
        },
    )


def _start_date(value: Any, today: dt.date, errors: Errors) -> dt.date | None:
    try:
        day = parse_date(value, field="date", label="Date")
    except ValidationFailed as exc:
        errors.capture(exc)
        return None
    if day < today:
        errors.add("date", "La date est passée : on ne prévient que pour aujourd'hui ou après.")
    return day


def _delay_fields(data: NoticeInput, errors: Errors) -> tuple[dt.time | None, int | None]:
    """A delay's start time and minutes (None where invalid, the error noted)."""
    from_time: dt.time | None = None
    minutes: int | None = None
    try:
        from_time = parse_time(data.from_time, field="from_time")
    except ValidationFailed as exc:
        errors.capture(exc)
    try:
        minutes = _parse_minutes(data.minutes)
    except ValidationFailed as exc:
        errors.capture(exc)
    return from_time, minutes


def _absence_end(value: Any, day: dt.date | None, errors: Errors) -> dt.date | None:
    """An absence's end date, checked against its start (None where invalid)."""
    try:
        to_date = parse_date(value, field="to_date", label="Date de fin")
    except ValidationFailed as exc:
        errors.capture(exc)
        return None
    if day is not None:
        if to_date < day:
            errors.add("to_date", "La période est vide : la date de fin précède la date de début.")
        elif (to_date - day).days >= ABSENCE_MAX_DAYS:
            errors.add("to_date", f"Une absence se prévient sur {ABSENCE_MAX_DAYS} jours au plus.")
    return to_date


def _booked(
    client: Client, day: dt.date, to_date: dt.date, from_time: dt.time | None, lock: bool
) -> list[Appointment]:
    """The period's booked appointments with their contacts, in order: one query (locked for
    the transaction when lock)."""
    qs = Appointment.objects.filter(
        client_id=client.id, status=Appointment.BOOKED, date__range=(day, to_date)
    )
    if from_time is not None:
        qs = qs.filter(start__gte=from_time)
    if lock:
        qs = qs.select_for_update(of=("self",))
    return list(qs.select_related("contact", "type").order_by("date", "start", "created_at"))


def _recipients(
    appointments: list[Appointment],
    *,
    client: Client,
    text: str,
    minutes: int | None,
    excluded: set[Any],
    errors: Errors,
) -> list[NoticeRecipient]:
    """Each contact once, of its first appointment, with its channel and filled text; an SMS
    over the segment cap is an error on `text`."""
    recipients: list[NoticeRecipient] = []
    seen: set[Any] = set()
    cap = settings.RELAIS_SMS_MAX_SEGMENTS
    for appointment in appointments:
        contact = appointment.contact
        if contact is None or contact.id in seen:
            continue  # a contact is told once, of its first appointment
        seen.add(contact.id)
        channel, to = _channel_of(contact)
        filled = _fill(text, client=client, appointment=appointment, minutes=minutes)
        segments = 0
        if channel == SMS:
            filled = gsm7_sanitize(filled)
            segments = sms_info(filled).segments
            if segments > cap and "text" not in errors.fields:
                errors.add(
                    "text",
                    f"Texte trop long : {segments} SMS pour {contact.name}, {cap} au plus. "
                    "Raccourcissez-le.",
                )
        recipients.append(
            NoticeRecipient(
                contact=contact,
                appointment=appointment,
                channel=channel,
                to=to,
                text=filled,
                sms_segments=segments,
                included=contact.id not in excluded,
            )
        )
    return recipients


def build_preview(
    *,
    client: Client,
    config: NoticeSettings,
    data: NoticeInput,
    today: dt.date,
    lock: bool = False,
) -> NoticePreview:
    """Checks everything (all errors at once, French, on their fields) and computes who is told
    what. Reads the period's booked appointments with their contacts: one query (locked for
    the transaction when lock)."""
    errors = Errors()
    kind = str(data.kind or "")
    if kind not in KIND_LABELS:
        errors.add("kind", "Type d'avis invalide : retard ou absence.")
    day = _start_date(data.date, today, errors)
    to_date = day
    from_time: dt.time | None = None
    minutes: int | None = None
    if kind == DELAY:
        from_time, minutes = _delay_fields(data, errors)
    elif kind == ABSENCE and data.to_date not in (None, ""):
        to_date = _absence_end(data.to_date, day, errors)
    text = ""
    if kind in KIND_LABELS:
        typed = data.text if data.text not in (None, "") else default_text(config, kind)
        text = clean_notice_text(typed, errors)
    excluded = _excluded(data.exclude, errors)
    errors.raise_if_any()
    assert day is not None and to_date is not None

    appointments = _booked(client, day, to_date, from_time, lock)
    recipients = _recipients(
        appointments, client=client, text=text, minutes=minutes, excluded=excluded, errors=errors
    )
    errors.raise_if_any()
    return NoticePreview(
        client=client,
        kind=kind,
        date=day,
        to_date=to_date,
        from_time=from_time,
        minutes=minutes,
        cancel_appointments=kind == ABSENCE and bool(data.cancel_appointments),
        text=text,
        recipients=recipients,
        appointments=appointments,
    )


def notice_preview(*, user: User, client: Client, data: NoticeInput) -> NoticePreview:
    """Who would be told, how and what; nothing is written."""
    config = require_notice_right(user, client)
    return build_preview(client=client, config=config, data=data, today=timezone.localdate())
