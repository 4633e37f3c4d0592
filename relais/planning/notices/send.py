"""The send: the notice, its summary message, one outbox row per copy, the cancellations and
the journal lines, in one transaction; idempotent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from relais.clients.models import Client
from relais.core.bulk import insert_together
from relais.core.errors import ValidationFailed
from relais.core.phones import display_phone
from relais.core.queries import first_or_none
from relais.delivery.models import Delivery
from relais.delivery.services import deliveries_enqueue_on_commit
from relais.messaging.models import Message
from relais.messaging.summaries import summary_message_build
from relais.planning.formats import day_long, duration_fr, period_fr, time_fr
from relais.planning.models import Appointment, Movement, Notice
from relais.planning.notices.preview import (
    NoticeInput,
    NoticePreview,
    NoticeRecipient,
    build_preview,
)
from relais.planning.notices.rules import (
    ABSENCE,
    DELAY,
    EMAIL,
    KIND_LABELS,
    SMS,
    require_notice_right,
)
from relais.planning.services import summary_of
from relais.tenancy.models import User


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


@dataclass(frozen=True)
class NoticeSent:
    """What a send answers: the notice, whether this call wrote it, and the copies it wrote
    (in the order they were made; None when an idempotency key replays the first notice)."""

    notice: Notice
    created: bool
    deliveries: list[Delivery] | None = None


def notice_send(
    *, author: User, client: Client, data: NoticeInput, idempotency_key: str = ""
) -> tuple[Notice, bool]:
    """Warns the contacts (see the module's doc); returns (notice, created). The same
    idempotency key answers with the first notice and writes nothing."""
    sent = notice_send_with_copies(
        author=author, client=client, data=data, idempotency_key=idempotency_key
    )
    return sent.notice, sent.created


def notice_send_with_copies(
    *, author: User, client: Client, data: NoticeInput, idempotency_key: str = ""
) -> NoticeSent:
    """notice_send, answering also with the copies just written (see NoticeSent)."""
    key = (idempotency_key or "").strip()[:120]
    config = require_notice_right(author, client)
    now = timezone.now()
    try:
        with transaction.atomic():
            preview = build_preview(
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
            notice, deliveries = _write(
                author=author, client=client, preview=preview, key=key, now=now
            )
    except ValidationFailed:
        # A retry after the first send (its appointments are cancelled now, say) answers
        # with the first notice.
        if existing := _existing_for_key(author, key):
            return NoticeSent(existing, False)
        raise
    except IntegrityError:
        if existing := _existing_for_key(author, key):
            return NoticeSent(existing, False)
        raise
    return NoticeSent(notice, True, deliveries)


def _notice_row(
    *,
    author: User,
    client: Client,
    preview: NoticePreview,
    message: Message,
    cancelled: list[Appointment],
    key: str,
) -> Notice:
    return Notice(
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
        message=message,
        recipient_count=len(preview.copies),
        to_call=[
            {"contact": str(r.contact.id), "name": r.contact.name, "phone": r.to}
            for r in preview.to_call
        ],
        cancelled=[str(a.id) for a in cancelled],
        idempotency_key=key,
    )


def _copies(
    client: Client, preview: NoticePreview, message: Message, now: dt.datetime
) -> list[Delivery]:
    """One outbox row per contact told, with its own text."""
    return [
        Delivery(
            permanence_id=client.permanence_id,
            message=message,
            channel=Delivery.SMS if r.channel == SMS else Delivery.EMAIL,
            to=r.to,
            to_name=r.contact.name[:160],
            contact=r.contact,
            text=r.text,
            next_attempt_at=now,
        )
        for r in preview.copies
    ]


def _movements(
    *,
    author: User,
    client: Client,
    preview: NoticePreview,
    notice: Notice,
    subject: str,
    cancelled: list[Appointment],
    now: dt.datetime,
) -> list[Movement]:
    """The journal lines: one per cancelled appointment (marked cancelled in memory), then the
    notice's own."""
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
    return movements


def _write(
    *, author: User, client: Client, preview: NoticePreview, key: str, now: dt.datetime
) -> tuple[Notice, list[Delivery]]:
    """Writes the notice and everything that goes with it; returns it and its copies."""
    cancelled = preview.appointments if preview.cancel_appointments else []
    subject = notice_subject(preview, len(cancelled))
    summary = summary_message_build(
        author=author,
        client=client,
        subject=subject,
        body=notice_body(preview, len(cancelled)),
        at=now,
    )
    notice = _notice_row(
        author=author,
        client=client,
        preview=preview,
        message=summary.message,
        cancelled=cancelled,
        key=key,
    )
    deliveries = _copies(client, preview, summary.message, now)
    events = [summary.created] + [
        summary.queued(f"{d.get_channel_display()} → {d.to_name} ({d.to})") for d in deliveries
    ]
    movements = _movements(
        author=author,
        client=client,
        preview=preview,
        notice=notice,
        subject=subject,
        cancelled=cancelled,
        now=now,
    )
    insert_together([[summary.message], [notice], [summary.read], deliveries, events, movements])
    if cancelled:
        Appointment.objects.filter(
            id__in=[a.id for a in cancelled], status=Appointment.BOOKED
        ).update(
            status=Appointment.CANCELLED, cancelled_at=now, cancelled_by=author, updated_at=now
        )
    deliveries_enqueue_on_commit([d.id for d in deliveries])
    return notice, deliveries


def notice_deliveries(notice: Notice, written: list[Delivery] | None = None) -> list[Delivery]:
    """The notice's copies, in the order they were made: `written` when a send just made them
    (NoticeSent.deliveries), else read back."""
    if written is not None:
        return list(written)
    if notice.message_id is None:
        return []
    return list(
        Delivery.objects.filter(message_id=notice.message_id)
        .exclude(text="")
        .order_by("created_at", "id")
    )
