"""« Prévenir d'une absence / d'un retard »: warn the contacts who have an appointment.

A delay (N minutes, from a time, on one day: the appointments from that time on) or an absence
(a day or a period, optionally cancelling the appointments). `notice_preview` says who would be
told, by which channel (SMS to a mobile, else e-mail, else « à appeler » for the operator), with
which text and how many SMS; `notice_send` writes, in one transaction:

- the Notice (who asked, kind, period, text), unique per (author, idempotency key): a double
  click or a retried request answers with the first notice and sends nothing more;
- the summary message on the client's file (relais.messaging.summaries), visible to the client;
- one outbox row (delivery.Delivery) per contact told, attached to that message with its own
  filled-in text: the delivery worker sends it like any copy (backends, retries, statuses), and
  the thread shows each copy's status;
- the cancellations (each appointment once, with its « Rendez-vous annulé » journal line) and
  one « Patients prévenus » line in the journal of movements.

Pages and the API call these two functions; the rules live here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from relais.clients.models import Client, Contact
from relais.core.bulk import insert_together
from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.core.phones import display_phone, is_mobile
from relais.core.queries import first_or_none
from relais.core.validation import Errors
from relais.delivery.models import Delivery
from relais.delivery.sms import gsm7_sanitize, sms_info
from relais.messaging.placeholders import TOKEN, placeholder_key, placeholders_fill
from relais.messaging.summaries import summary_message_build
from relais.planning.formats import date_fr, day_long, duration_fr, period_fr, time_fr
from relais.planning.models import Appointment, Movement, Notice, NoticeSettings
from relais.planning.services import parse_date, parse_time, summary_of
from relais.tenancy import permissions as perms
from relais.tenancy.access import parse_id
from relais.tenancy.models import User

DELAY, ABSENCE = Notice.DELAY, Notice.ABSENCE
KIND_LABELS = dict(Notice.KINDS)
MINUTES_MIN, MINUTES_MAX = 5, 240
ABSENCE_MAX_DAYS = 31
TEXT_MAX = 1000
EXCLUDE_MAX = 1000

SMS, EMAIL, CALL = "sms", "email", "call"
CHANNEL_LABELS = {SMS: "SMS", EMAIL: "E-mail", CALL: "À appeler"}

# Name → what it becomes (shown under the text field).
PLACEHOLDERS: dict[str, str] = {
    "contact": "le nom du patient",
    "client": "le nom du client",
    "date": "la date du rendez-vous (jj/mm/aaaa)",
    "heure": "l'heure du rendez-vous",
    "retard": "le retard (« 40 min »)",
}

DEFAULT_TEXTS: dict[str, str] = {
    DELAY: (
        "Bonjour {contact}, {client} a environ {retard} de retard. Votre rendez-vous du "
        "{date} à {heure} est décalé d'autant. Merci de votre compréhension."
    ),
    ABSENCE: (
        "Bonjour {contact}, {client} sera absent le {date} et ne pourra pas assurer votre "
        "rendez-vous de {heure}. Merci de rappeler le cabinet."
    ),
}


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


# --- rights and settings -----------------------------------------------------------------------


def notice_settings_of(client: Client) -> NoticeSettings:
    """The client's settings (defaults when none were saved)."""
    found = first_or_none(NoticeSettings.objects.filter(client_id=client.id))
    return found or NoticeSettings(client_id=client.id)


def notice_allowed(user: User, client: Client, config: NoticeSettings) -> bool:
    """Staff holding « Possibilité de prévenir d'un retard ou d'une absence »; a client user
    for its own client, unless the permanence turned it off for that client."""
    if user.is_staff_user:
        return user.has_right(perms.PLANNING_NOTICE)
    return user.client_id == client.id and config.client_may_notify


def require_notice_right(user: User, client: Client) -> NoticeSettings:
    """NotFound across permanences (and for another client's user), PermissionDenied without
    the right; the client's settings otherwise."""
    if client.permanence_id != user.permanence_id:
        raise NotFound("Client introuvable.")
    if user.is_client_user and user.client_id != client.id:
        raise NotFound("Client introuvable.")
    config = notice_settings_of(client)
    if not notice_allowed(user, client, config):
        raise PermissionDenied()
    return config


def default_text(config: NoticeSettings, kind: str) -> str:
    own = config.delay_text if kind == DELAY else config.absence_text
    return own or DEFAULT_TEXTS[kind]


def placeholders_error(text: str) -> str | None:
    unknown: list[str] = []
    for match in TOKEN.finditer(text):
        if placeholder_key(match.group(1)) not in PLACEHOLDERS and match.group(0) not in unknown:
            unknown.append(match.group(0))
    if not unknown:
        return None
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    word = "variable inconnue" if len(unknown) == 1 else "variables inconnues"
    return f"Texte : {word} {', '.join(unknown)}. Variables possibles : {known}."


def _clean_text(value: Any, errors: Errors) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if not text:
        errors.add("text", "Texte : ce champ est obligatoire.")
    elif len(text) > TEXT_MAX:
        errors.add("text", f"Texte : {TEXT_MAX} caractères au maximum ({len(text)} saisis).")
    elif problem := placeholders_error(text):
        errors.add("text", problem)
    return text


def notice_settings_update(
    *, user: User, client: Client, kind: str, text: str | None = None, client_may_notify: Any = None
) -> NoticeSettings:
    """Saves the client's default text of that kind (empty: back to the permanence's wording);
    client_may_notify (staff with « Paramètres » of the client only) lets the client's users
    send notices themselves."""
    config = require_notice_right(user, client)
    if kind not in KIND_LABELS:
        raise ValidationFailed.on("kind", "Type d'avis invalide : retard ou absence.")
    errors = Errors()
    if text is not None:
        cleaned = str(text).replace("\r\n", "\n").strip()
        # The permanence's wording is kept as "" so that it follows later improvements.
        keep = bool(cleaned) and cleaned != DEFAULT_TEXTS[kind]
        cleaned = _clean_text(cleaned, errors) if keep else ""
        setattr(config, "delay_text" if kind == DELAY else "absence_text", cleaned)
    if client_may_notify is not None:
        if not user.has_right(perms.CLIENTS_SETTINGS):
            raise PermissionDenied()
        config.client_may_notify = bool(client_may_notify)
    errors.raise_if_any()
    config.save()
    return config


# --- preview -----------------------------------------------------------------------------------


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


def _build(
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
    day: dt.date | None = None
    try:
        day = parse_date(data.date, field="date", label="Date")
    except ValidationFailed as exc:
        errors.capture(exc)
    if day is not None and day < today:
        errors.add("date", "La date est passée : on ne prévient que pour aujourd'hui ou après.")
    to_date = day
    from_time: dt.time | None = None
    minutes: int | None = None
    if kind == DELAY:
        try:
            from_time = parse_time(data.from_time, field="from_time")
        except ValidationFailed as exc:
            errors.capture(exc)
        try:
            minutes = _parse_minutes(data.minutes)
        except ValidationFailed as exc:
            errors.capture(exc)
    elif kind == ABSENCE and data.to_date not in (None, ""):
        try:
            to_date = parse_date(data.to_date, field="to_date", label="Date de fin")
        except ValidationFailed as exc:
            errors.capture(exc)
            to_date = None
        if day is not None and to_date is not None:
            if to_date < day:
                errors.add(
                    "to_date", "La période est vide : la date de fin précède la date de début."
                )
            elif (to_date - day).days >= ABSENCE_MAX_DAYS:
                errors.add(
                    "to_date", f"Une absence se prévient sur {ABSENCE_MAX_DAYS} jours au plus."
                )
    text = ""
    if kind in KIND_LABELS:
        typed = data.text if data.text not in (None, "") else default_text(config, kind)
        text = _clean_text(typed, errors)
    excluded = _excluded(data.exclude, errors)
    errors.raise_if_any()
    assert day is not None and to_date is not None

    qs = Appointment.objects.filter(
        client_id=client.id, status=Appointment.BOOKED, date__range=(day, to_date)
    )
    if from_time is not None:
        qs = qs.filter(start__gte=from_time)
    if lock:
        qs = qs.select_for_update(of=("self",))
    appointments = list(
        qs.select_related("contact", "type").order_by("date", "start", "created_at")
    )
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
    return _build(client=client, config=config, data=data, today=timezone.localdate())


# --- sending -----------------------------------------------------------------------------------


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def notice_subject(preview: NoticePreview, cancelled: int) -> str:
    told = _plural(len(preview.copies), "patient", "patients")
    if preview.kind == DELAY:
        assert preview.minutes is not None
        return f"Retard de {duration_fr(preview.minutes)} signalé à {told}"
    subject = f"Absence {period_fr(preview.date, preview.to_date)} signalée à {told}"
    if cancelled:
        subject += f", {_plural(cancelled, 'rendez-vous annulé', 'rendez-vous annulés')}"
    return subject


def _when(preview: NoticePreview) -> str:
    if preview.kind == DELAY:
        assert preview.from_time is not None
        return f"{day_long(preview.date)}, à partir de {time_fr(preview.from_time)}"
    if preview.date == preview.to_date:
        return day_long(preview.date)
    return f"du {day_long(preview.date)} au {day_long(preview.to_date)}"


def _slot(preview: NoticePreview, r: NoticeRecipient) -> str:
    """ "14:00", or "08/12 14:00" over several days."""
    time = time_fr(r.appointment.start)
    return time if preview.date == preview.to_date else f"{r.appointment.date:%d/%m} {time}"


def _address(r: NoticeRecipient) -> str:
    return r.to if r.channel == EMAIL else display_phone(r.to)


def notice_body(preview: NoticePreview, cancelled: int) -> str:
    lines = [f"{KIND_LABELS[preview.kind]} — {_when(preview)}."]
    if preview.copies:
        lines += ["", "Prévenus :"]
        lines += [
            f"- {_slot(preview, r)} {r.contact.name} ({r.channel_label} : {_address(r)})"
            for r in preview.copies
        ]
    if preview.to_call:
        lines += ["", "À appeler (ni mobile ni e-mail) :"]
        lines += [
            f"- {_slot(preview, r)} {r.contact.name}" + (f" ({_address(r)})" if r.to else "")
            for r in preview.to_call
        ]
    if cancelled:
        lines += ["", f"Rendez-vous annulés : {cancelled}."]
    lines += ["", "Texte envoyé :", preview.text]
    return "\n".join(lines)


def _existing_for_key(author: User, key: str) -> Notice | None:
    if not key:
        return None
    return first_or_none(Notice.objects.filter(author=author, idempotency_key=key))


def notice_send(
    *, author: User, client: Client, data: NoticeInput, idempotency_key: str = ""
) -> tuple[Notice, bool]:
    """Warns the contacts (see the module's doc); returns (notice, created). The same
    idempotency key answers with the first notice and writes nothing."""
    key = (idempotency_key or "").strip()[:120]
    config = require_notice_right(author, client)
    now = timezone.now()
    try:
        with transaction.atomic():
            preview = _build(
                client=client,
                config=config,
                data=data,
                today=timezone.localdate(now),
                lock=bool(data.cancel_appointments),
            )
            if not preview.told and not (preview.cancel_appointments and preview.appointments):
                raise ValidationFailed.on(
                    "date",
                    "Aucun patient à prévenir sur cette période."
                    if not preview.recipients
                    else "Aucun patient à prévenir : tous sont décochés.",
                )
            notice = _write(author=author, client=client, preview=preview, key=key, now=now)
    except ValidationFailed:
        # A retry after the first send (its appointments are cancelled now, say) answers
        # with the first notice.
        if existing := _existing_for_key(author, key):
            return existing, False
        raise
    except IntegrityError:
        if existing := _existing_for_key(author, key):
            return existing, False
        raise
    return notice, True


def _write(
    *, author: User, client: Client, preview: NoticePreview, key: str, now: dt.datetime
) -> Notice:
    from relais.delivery.services import deliveries_enqueue_on_commit

    cancelled = preview.appointments if preview.cancel_appointments else []
    subject = notice_subject(preview, len(cancelled))
    summary = summary_message_build(
        author=author,
        client=client,
        subject=subject,
        body=notice_body(preview, len(cancelled)),
        at=now,
    )
    notice = Notice(
        permanence_id=client.permanence_id,
        client=client,
        author=author,
        kind=preview.kind,
        date=preview.date,
        to_date=preview.to_date,
        from_time=preview.from_time,
        minutes=preview.minutes,
        cancel_appointments=preview.cancel_appointments,
        text=preview.text,
        message=summary.message,
        recipient_count=len(preview.copies),
        to_call=[
            {"contact": str(r.contact.id), "name": r.contact.name, "phone": r.to}
            for r in preview.to_call
        ],
        cancelled=[str(a.id) for a in cancelled],
        idempotency_key=key,
    )
    deliveries = [
        Delivery(
            permanence_id=client.permanence_id,
            message=summary.message,
            channel=Delivery.SMS if r.channel == SMS else Delivery.EMAIL,
            to=r.to,
            to_name=r.contact.name[:160],
            contact=r.contact,
            text=r.text,
            next_attempt_at=now,
        )
        for r in preview.copies
    ]
    events = [summary.created] + [
        summary.queued(f"{d.get_channel_display()} → {d.to_name} ({d.to})") for d in deliveries
    ]
    movements = []
    for appointment in cancelled:
        appointment.status = Appointment.CANCELLED
        movements.append(
            Movement(
                permanence_id=client.permanence_id,
                client=client,
                appointment=appointment,
                actor=author,
                kind=Movement.CANCELLED,
                at=now,
                summary=summary_of(appointment)[:300],
                detail=f"Annulé : {KIND_LABELS[ABSENCE].lower()} signalée aux patients",
                changes={"status": [Appointment.BOOKED, Appointment.CANCELLED]},
            )
        )
    # Written last: the journal, newest first, shows it above its cancellations.
    movements.append(
        Movement(
            permanence_id=client.permanence_id,
            client=client,
            appointment=None,
            notice=notice,
            actor=author,
            kind=Movement.NOTICE,
            at=now,
            summary=subject[:300],
            detail=f"{KIND_LABELS[preview.kind]} — {_when(preview)}"[:500],
        )
    )
    insert_together([[summary.message], [notice], [summary.read], deliveries, events, movements])
    if cancelled:
        Appointment.objects.filter(
            id__in=[a.id for a in cancelled], status=Appointment.BOOKED
        ).update(
            status=Appointment.CANCELLED, cancelled_at=now, cancelled_by=author, updated_at=now
        )
    deliveries_enqueue_on_commit([d.id for d in deliveries])
    notice.__dict__["written_deliveries"] = deliveries
    return notice


def notice_deliveries(notice: Notice) -> list[Delivery]:
    """The notice's copies (those just written, else read back), in the order they were made."""
    written = notice.__dict__.get("written_deliveries")
    if written is not None:
        return list(written)
    if notice.message_id is None:
        return []
    return list(
        Delivery.objects.filter(message_id=notice.message_id)
        .exclude(text="")
        .order_by("created_at", "id")
    )
