"""The PDFs of « Joindre »: a client's planning, or its activity (planning movements, messages
and replies) over a period.

A report is always built for a reader, and holds nothing that reader may not see (PRODUCT.md §7):

- the messages are those of `visibility_filter` for the reader, so private messages addressed to
  someone else never appear; client remarks never appear at all (they are about the service,
  not the client's file); instructions are never part of a report;
- the planning (appointments and their movements) is shown to the permanence's staff holding
  « Planning avec rendez-vous » and to the client's own users; anyone else (a user the client
  shares its messages with, a copy recipient from another client) reads that it is not
  communicated to them.

Who the reader is:
- downloading from a thread (or the client file's activity page): the downloading user;
- the copies that leave the building: the client itself (`Reader.of_client`: what the client's
  users see of their own file), and for a copy recipient's e-mail, the client's view narrowed to
  what that recipient may see (`Reader.of_client(c).narrowed(Reader.of_user(r, c))`).

A report attached to a message describes the file as it stood when the message was written:
activity up to the message (the message itself left out), appointments as they are now.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import slugify

from relais.clients.models import Client
from relais.core.phones import display_phone
from relais.exports.fax import fax_context
from relais.exports.pdf import Block, Printable, render_pdf
from relais.messaging.attachments import KINDS, clean_attach
from relais.messaging.models import Message, ReadState, Reply
from relais.messaging.visibility import visibility_filter
from relais.planning.formats import (
    date_fr,
    day_title,
    duration_fr,
    moment_fr,
    period_fr,
    time_fr,
)
from relais.planning.models import Movement
from relais.planning.selectors import appointments_between
from relais.tenancy import permissions as perms
from relais.tenancy.models import User

if TYPE_CHECKING:
    from relais.planning.models import Appointment

PLANNING = "planning"
MOVEMENTS_STAFF = "movements_staff"
MOVEMENTS_STAFF_UNREAD = "movements_staff_unread"
MOVEMENTS_ALL = "movements_all"

TITLES = {
    PLANNING: "Planning",
    MOVEMENTS_STAFF: "Mouvements et messages des collaborateurs",
    MOVEMENTS_STAFF_UNREAD: "Mouvements et messages des collaborateurs non lus",
    MOVEMENTS_ALL: "Mouvements et messages de tous les utilisateurs",
}
EMPTY = {
    PLANNING: "Aucun rendez-vous sur la période.",
    MOVEMENTS_STAFF: "Aucun mouvement ni message sur la période.",
    MOVEMENTS_STAFF_UNREAD: "Aucun mouvement ni message non lu sur la période.",
    MOVEMENTS_ALL: "Aucun mouvement ni message sur la période.",
}
# A year of a very busy file would make a PDF of hundreds of pages (a minute of rendering): past
# this many lines the document stops and says so.
MAX_LINES = 3000
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
PLANNING_HIDDEN = "Planning non communiqué : il est réservé au client et à la permanence."


# --- the reader ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """Whose eyes a report is built for: the messages it may show (one condition on Message)
    and whether it may show the client's planning."""

    messages: Q
    planning: bool
    label: str

    @classmethod
    def of_user(cls, user: User, client: Client) -> Reader:
        if user.permanence_id != client.permanence_id:
            return cls(messages=Q(pk__in=[]), planning=False, label=user.name)
        if user.is_staff_user:
            planning = user.has_right(perms.PLANNING_VIEW)
        else:
            planning = user.client_id == client.id
        return cls(messages=visibility_filter(user), planning=planning, label=user.name)

    @classmethod
    def of_client(cls, client: Client) -> Reader:
        """What the client's own users see of their file: all its messages, private ones
        included (the client is their recipient), remarks excepted."""
        return cls(
            messages=Q(permanence_id=client.permanence_id, client_id=client.id)
            & Q(is_client_remark=False),
            planning=True,
            label=client.name,
        )

    def narrowed(self, other: Reader) -> Reader:
        """Only what both readers may see."""
        return Reader(
            messages=self.messages & other.messages,
            planning=self.planning and other.planning,
            label=other.label,
        )


# --- what a report holds -------------------------------------------------------------------------


@dataclass
class AppointmentLine:
    key: str
    text: str  # "09:00 – 09:30 (30 min) · Première consultation · Marc Petit · 06 87 65 43 21"
    colour: str
    note: str
    colour_index: int = 0


@dataclass
class PlanningDay:
    date: dt.date
    title: str
    lines: list[AppointmentLine] = field(default_factory=list)


@dataclass
class Entry:
    """One line of the activity: a message, a reply or a planning movement."""

    key: str
    at: dt.datetime
    kind: str  # "message", "reply" or "movement"
    head: str  # "09:12 · Message · Léa Martin · URGENT — Rappel Mme Durand · Contact : …"
    text: str = ""
    # The message whose content the line shows (a message or a reply): its read is traced.
    message_id: Any = None

    @property
    def css(self) -> str:
        return {"message": "m", "reply": "r", "movement": "v"}[self.kind]


@dataclass
class ActivityDay:
    date: dt.date
    title: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Report:
    kind: str
    title: str
    permanence: str
    client_name: str
    client_trade: str
    start: dt.date
    end: dt.date
    generated_at: dt.datetime
    planning_days: list[PlanningDay] = field(default_factory=list)
    activity_days: list[ActivityDay] = field(default_factory=list)
    planning_hidden: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    colours: list[str] = field(default_factory=list)
    truncated: bool = False

    @property
    def truncated_text(self) -> str:
        return (
            f"Document limité aux {MAX_LINES:,} premiers éléments de la période ".replace(",", " ")
            + ": choisissez une période plus courte pour voir la suite."
        )

    @property
    def is_planning(self) -> bool:
        return self.kind == PLANNING

    @property
    def is_empty(self) -> bool:
        return not (self.planning_days if self.is_planning else self.activity_days)

    def message_ids(self) -> list[Any]:
        """The messages whose content the report shows (for the read trace)."""
        return list(
            dict.fromkeys(
                entry.message_id
                for day in self.activity_days
                for entry in day.entries
                if entry.message_id is not None
            )
        )

    @property
    def empty_text(self) -> str:
        return EMPTY[self.kind]

    @property
    def period(self) -> str:
        return period_fr(self.start, self.end)

    @property
    def edited(self) -> str:
        return f"Édité le {moment_fr(self.generated_at)}"

    @property
    def summary(self) -> str:
        c = self.counts
        if self.is_planning:
            return _plural(c.get("appointments", 0), "rendez-vous", "rendez-vous")
        parts = [
            _plural(c.get("messages", 0), "message", "messages"),
            _plural(c.get("replies", 0), "réponse", "réponses"),
        ]
        if not self.planning_hidden:
            parts.append(_plural(c.get("movements", 0), "mouvement", "mouvements"))
        return ", ".join(parts)

    @property
    def fingerprint(self) -> str:
        """Same content, same fingerprint: copies whose readers see the same things share one
        rendering."""
        keys = [self.kind, self.client_name, str(self.start), str(self.end)]
        keys += [str(self.planning_hidden), str(self.truncated)]
        keys += [line.key for day in self.planning_days for line in day.lines]
        keys += [entry.key for day in self.activity_days for entry in day.entries]
        return hashlib.sha256("|".join(keys).encode()).hexdigest()


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"


# --- building ------------------------------------------------------------------------------------


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) in Paris time."""
    first = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    after = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return first, after


class _Phones:
    """Numbers as displayed, each parsed once per report: parsing costs 0.1 ms, and a month's
    journal shows the same few contacts' numbers hundreds of times."""

    def __init__(self) -> None:
        self._shown: dict[str, str] = {}

    def __call__(self, *numbers: str) -> str:
        shown = []
        for number in numbers:
            if number:
                if number not in self._shown:
                    self._shown[number] = display_phone(number)
                shown.append(self._shown[number])
        return " · ".join(shown)


def _name(first_name: str | None, last_name: str | None) -> str:
    """User.name from its two columns (rows read without their model)."""
    return f"{first_name or ''} {last_name or ''}".strip()


def _appointment_line(appointment: Appointment, phones: _Phones) -> AppointmentLine:
    contact = appointment.contact
    parts = [
        f"{time_fr(appointment.start)} – {time_fr(appointment.end)} "
        f"({duration_fr(appointment.duration)})",
        appointment.type_name,
    ]
    if contact is not None:
        parts.append(contact.name)
        if shown := phones(contact.phone, contact.phone2):
            parts.append(shown)
    return AppointmentLine(
        key=f"a{appointment.id}:{appointment.updated_at.isoformat()}",
        text=" · ".join(parts),
        colour=appointment.colour,
        note=appointment.note,
    )


def _badges(message: Mapping[str, Any]) -> list[str]:
    out = []
    if message["is_urgent"]:
        out.append("URGENT")
    if message["status"] == Message.STATUS_TODO:
        due = message["due_date"]
        out.append(f"A faire le {date_fr(due)}" if due else "Tâche")
    elif message["status"] == Message.STATUS_DONE:
        out.append("Tâche faite")
    if message["is_vad"]:
        out.append("VAD")
    if message["is_private"]:
        out.append("Privé")
    return out


def _entry(
    key: str,
    at: dt.datetime,
    kind: str,
    parts: list[str],
    title: str,
    text: str = "",
    message_id: Any = None,
) -> Entry:
    local = timezone.localtime(at)
    head = " · ".join([f"{local:%H:%M}", *(p for p in parts if p)]) + f" — {title}"
    return Entry(key=key, at=local, kind=kind, head=head, text=text, message_id=message_id)


def report_build(
    *,
    client: Client,
    kind: str,
    start: dt.date,
    end: dt.date,
    reader: Reader,
    as_of: dt.datetime | None = None,
    exclude_message_id: Any = None,
    now: dt.datetime | None = None,
) -> Report:
    """The report's content, in a fixed handful of queries whatever the period holds.

    as_of: activity after that instant is left out (a message's attachment stops at the
    message); exclude_message_id: that message is left out (the one carrying the PDF)."""
    if kind not in TITLES:
        raise ValueError(f"unknown report kind {kind!r}")
    report = Report(
        kind=kind,
        title=TITLES[kind],
        permanence=client.permanence.name,
        client_name=client.name,
        client_trade=client.trade,
        start=start,
        end=end,
        generated_at=now or timezone.now(),
        planning_hidden=not reader.planning,
    )
    if kind == PLANNING:
        if reader.planning:
            _fill_planning(report, client)
        return report
    _fill_activity(
        report,
        client,
        reader=reader,
        staff_only=kind in (MOVEMENTS_STAFF, MOVEMENTS_STAFF_UNREAD),
        unread_only=kind == MOVEMENTS_STAFF_UNREAD,
        as_of=as_of,
        exclude_message_id=exclude_message_id,
    )
    return report


def _fill_planning(report: Report, client: Client) -> None:
    days: dict[dt.date, PlanningDay] = {}
    colours: dict[str, int] = {}
    count = 0
    phones = _Phones()
    rows = list(
        appointments_between(
            client=client, start=report.start, end=report.end, include_cancelled=False
        )[: MAX_LINES + 1]
    )
    report.truncated = len(rows) > MAX_LINES
    for appointment in rows[:MAX_LINES]:
        day = days.get(appointment.date)
        if day is None:
            day = days[appointment.date] = PlanningDay(
                date=appointment.date, title=day_title(appointment.date)
            )
        line = _appointment_line(appointment, phones)
        line.colour_index = colours.setdefault(line.colour, len(colours))
        day.lines.append(line)
        count += 1
    report.colours = list(colours)
    report.planning_days = list(days.values())
    report.counts = {"appointments": count}


def _activity_rows(
    client: Client,
    *,
    reader: Reader,
    report: Report,
    staff_only: bool,
    unread_only: bool,
    as_of: dt.datetime | None,
    exclude_message_id: Any,
) -> tuple[QuerySet[Message], QuerySet[Reply], QuerySet[Movement]]:
    """The messages, replies and movements of the report's period that the reader sees."""
    first, after = _bounds(report.start, report.end)
    threads = Message.objects.filter(reader.messages).filter(
        client_id=client.id, is_client_remark=False
    )
    if unread_only:
        # Unread by the client: no user of the client has read the thread.
        threads = threads.filter(
            ~Exists(
                ReadState.objects.filter(
                    message_id=OuterRef("pk"), user__kind=User.CLIENT, user__client_id=client.id
                )
            )
        )
    if exclude_message_id is not None:
        threads = threads.exclude(pk=exclude_message_id)
    messages = threads.filter(created_at__gte=first, created_at__lt=after)
    replies = Reply.objects.filter(
        message_id__in=threads.values("pk"), created_at__gte=first, created_at__lt=after
    )
    movements = Movement.objects.filter(client_id=client.id, at__gte=first, at__lt=after)
    if as_of is not None:
        messages = messages.filter(created_at__lte=as_of)
        replies = replies.filter(created_at__lte=as_of)
        movements = movements.filter(at__lte=as_of)
    if staff_only:
        messages = messages.filter(author__kind=User.STAFF)
        replies = replies.filter(author__kind=User.STAFF)
        movements = movements.filter(actor__kind=User.STAFF)
    return messages, replies, movements


_Entries = list[tuple[dt.datetime, int, Entry]]


def _message_entries(messages: QuerySet[Message], phones: _Phones, cap: int) -> _Entries:
    entries: _Entries = []
    message_rows = messages.order_by("created_at", "id").values(
        "id", "created_at", "subject", "body", "status", "due_date", "is_urgent", "is_vad",
        "is_private", "author__first_name", "author__last_name", "contact_id", "contact__name",
        "contact__phone",
    )  # fmt: skip
    for message in message_rows[:cap]:
        title = message["subject"]
        if message["contact_id"] is not None:
            title += " · Contact : " + " · ".join(
                p for p in (message["contact__name"], phones(message["contact__phone"])) if p
            )
        author = _name(message["author__first_name"], message["author__last_name"])
        entry = _entry(
            f"m{message['id']}",
            message["created_at"],
            "message",
            ["Message", author, *_badges(message)],
            title,
            message["body"],
            message_id=message["id"],
        )
        entries.append((message["created_at"], 0, entry))
    return entries


def _reply_entries(replies: QuerySet[Reply], cap: int) -> _Entries:
    entries: _Entries = []
    reply_rows = replies.order_by("created_at", "id").values(
        "id",
        "created_at",
        "body",
        "author__first_name",
        "author__last_name",
        "sender_contact__name",
        "sender_name",
        "via",
        "message__subject",
        "message_id",
    )
    vias = dict(Reply.VIAS)
    for reply in reply_rows[:cap]:
        # Who wrote it, as Reply.sender_label says it: a user, else the contact it came from
        # (a reply taken in by e-mail or SMS), else the address or number it came from.
        who = (
            _name(reply["author__first_name"], reply["author__last_name"])
            or reply["sender_contact__name"]
            or reply["sender_name"]
        )
        labels = ["Réponse", who]
        if reply["via"]:
            labels.append(vias[reply["via"]])
        entry = _entry(
            f"r{reply['id']}",
            reply["created_at"],
            "reply",
            labels,
            f"Re : {reply['message__subject']}",
            reply["body"],
            message_id=reply["message_id"],
        )
        entries.append((reply["created_at"], 1, entry))
    return entries


def _movement_entries(movements: QuerySet[Movement], cap: int) -> _Entries:
    entries: _Entries = []
    kind_labels = dict(Movement.KINDS)
    movement_rows = movements.order_by("at", "id").values(
        "id", "at", "kind", "summary", "detail", "actor__first_name", "actor__last_name"
    )
    for movement in movement_rows[:cap]:
        entry = _entry(
            f"v{movement['id']}",
            movement["at"],
            "movement",
            [
                kind_labels.get(movement["kind"], movement["kind"]),
                _name(movement["actor__first_name"], movement["actor__last_name"]),
            ],
            movement["summary"],
            movement["detail"],
        )
        entries.append((movement["at"], 2, entry))
    return entries


def _fill_activity(
    report: Report,
    client: Client,
    *,
    reader: Reader,
    staff_only: bool,
    unread_only: bool,
    as_of: dt.datetime | None,
    exclude_message_id: Any,
) -> None:
    messages, replies, movements = _activity_rows(
        client,
        reader=reader,
        report=report,
        staff_only=staff_only,
        unread_only=unread_only,
        as_of=as_of,
        exclude_message_id=exclude_message_id,
    )
    # Rows as dicts, not models: a busy month is a thousand of them.
    cap = MAX_LINES + 1
    entries = _message_entries(messages, _Phones(), cap) + _reply_entries(replies, cap)
    if reader.planning:
        entries += _movement_entries(movements, cap)
    entries.sort(key=lambda item: (item[0], item[1]))
    report.truncated = len(entries) > MAX_LINES
    del entries[MAX_LINES:]
    days: dict[dt.date, ActivityDay] = {}
    for _, _, entry in entries:
        date = entry.at.date()
        day = days.get(date)
        if day is None:
            day = days[date] = ActivityDay(date=date, title=day_title(date))
        day.entries.append(entry)
    report.activity_days = list(days.values())
    kinds = [e.kind for _, _, e in entries]
    report.counts = {
        "messages": kinds.count("message"),
        "replies": kinds.count("reply"),
        "movements": kinds.count("movement"),
    }


# --- rendering -----------------------------------------------------------------------------------


# Weights of the blocks (exports.pdf.Block): lines of text, about. A line of the journal holds
# about 110 characters; a day's items go in blocks of about RUN_WEIGHT lines, so a document
# rendered in parts can be cut inside a long day (the next part repeats the day's title).
LINE_CHARS = 110
RUN_WEIGHT = 40


def _text_weight(text: str) -> int:
    return sum(1 + len(line) // LINE_CHARS for line in text.split("\n"))


def _appointment_weight(line: AppointmentLine) -> int:
    return 1 + (_text_weight(line.note) if line.note else 0)


def _entry_weight(entry: Entry) -> int:
    return _text_weight(entry.head) + (_text_weight(entry.text) if entry.text else 0)


def _day_blocks(title: str, items: list[Any], weights: list[int], planning: bool) -> list[Block]:
    blocks = []
    start = 0
    while start < len(items):
        end, weight = start, 0
        while end < len(items) and (end == start or weight + weights[end] <= RUN_WEIGHT):
            weight += weights[end]
            end += 1
        first = start == 0
        html = render_to_string(
            "exports/_report_day.html",
            {"title": title if first else "", "items": items[start:end], "planning": planning},
        )
        lead = "" if first else format_html("<h2>{} (suite)</h2>\n", title)
        blocks.append(Block(html=html, weight=weight + (2 if first else 0), lead=lead))
        start = end
    return blocks


def report_blocks(report: Report, *, page_break: bool = False) -> list[Block]:
    """The report as blocks of a printed document: its head, then its days. page_break: the
    report starts on a new page (after the fax's message)."""
    intro = render_to_string(
        "exports/_report_intro.html",
        {"report": report, "hidden": PLANNING_HIDDEN, "break": page_break},
    )
    blocks = [Block(html=intro, weight=8)]
    if report.is_planning:
        for pday in report.planning_days:
            title = f"{pday.title} — {len(pday.lines)} rendez-vous"
            weights = [_appointment_weight(line) for line in pday.lines]
            blocks += _day_blocks(title, pday.lines, weights, planning=True)
    else:
        for aday in report.activity_days:
            weights = [_entry_weight(entry) for entry in aday.entries]
            blocks += _day_blocks(aday.title, aday.entries, weights, planning=False)
    if report.truncated:
        html = format_html('<p class="hidden-note">{}</p>\n', report.truncated_text)
        blocks.append(Block(html=html, weight=3))
    return blocks


def _style(report: Report | None) -> str:
    colours = report.colours if report is not None else []
    # Validated as #rrggbb when a motif is saved; checked again here, as it goes into CSS.
    return " ".join(
        f".c{i} {{ border-left-color: {c}; }}" for i, c in enumerate(colours) if _HEX.match(c)
    )


def report_printable(report: Report) -> Printable:
    return Printable(
        title=f"{report.title} — {report.client_name}",
        footer=f"{report.client_name} · {report.title} {report.period}",
        blocks=report_blocks(report),
        style=_style(report),
    )


def report_pdf(report: Report, *, parts: int | None = None) -> bytes:
    return render_pdf(report_printable(report), parts=parts)


def attachment_filename(client_name: str, kind: str, start: dt.date, end: dt.date) -> str:
    what = "planning" if kind == PLANNING else "mouvements"
    name = slugify(client_name)[:40] or "client"
    return f"{what}-{name}-{start:%Y-%m-%d}-{end:%Y-%m-%d}.pdf"


def attachment_label(attach: dict[str, Any]) -> str:
    """ "Planning (rendez-vous) du 01/12/2026 au 07/12/2026"."""
    start = dt.date.fromisoformat(attach["from"])
    end = dt.date.fromisoformat(attach["to"])
    return f"{KINDS.get(attach['kind'], attach['kind'])} {period_fr(start, end)}"


def message_report(*, message: Message, reader: Reader) -> Report | None:
    """The report a message asked for (its « Joindre »), as that reader sees it."""
    if not message.attach:
        return None
    attach = clean_attach(message.attach)
    return report_build(
        client=message.client,
        kind=attach["kind"],
        start=dt.date.fromisoformat(attach["from"]),
        end=dt.date.fromisoformat(attach["to"]),
        reader=reader,
        as_of=message.created_at,
        exclude_message_id=message.id,
    )


def message_attachment(
    *, message: Message, reader: Reader, seen: list[Any] | None = None
) -> tuple[str, bytes] | None:
    """(file name, PDF) of the message's attachment for that reader; None without one.
    seen, when given, receives the ids of the messages the PDF shows (for the read trace)."""
    report = message_report(message=message, reader=reader)
    if report is None:
        return None
    if seen is not None:
        seen.extend(report.message_ids())
    return (
        attachment_filename(message.client.name, report.kind, report.start, report.end),
        report_pdf(report),
    )


def fax_printable(message: Message, report: Report | None) -> Printable:
    """The fax copy: the message's page, then its attachment, in one document with one page
    count (the same renderer and layout as the e-mail's PDF)."""
    context = fax_context(message) | {"report": report}
    # The message weighs a page: a long attachment after it is rendered in parts all the same.
    blocks = [Block(html=render_to_string("exports/_fax_message.html", context), weight=40)]
    if report is not None:
        blocks += report_blocks(report, page_break=True)
    return Printable(
        title=message.subject,
        footer=f"{message.permanence.name} · message pour {message.client.name}",
        blocks=blocks,
        style=_style(report),
    )


def fax_pdf(message: Message, report: Report | None, *, parts: int | None = None) -> bytes:
    return render_pdf(fax_printable(message, report), parts=parts)


def copy_reader(message: Message, recipient: User | None) -> Reader:
    """Whose eyes a copy's PDF is built for: the client's, narrowed to what a copy recipient
    may see when the copy goes to one."""
    reader = Reader.of_client(message.client)
    if recipient is not None:
        reader = reader.narrowed(Reader.of_user(recipient, message.client))
    return reader


def copy_report(message: Message, recipient: User | None) -> Report | None:
    """The report attached to a copy of the message (None when it asked for none)."""
    return message_report(message=message, reader=copy_reader(message, recipient))
