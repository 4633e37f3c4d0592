"""Reads on the planning, always from the reader: staff of the permanence holding « Planning
avec rendez-vous »; client users have no planning pages (their planning reaches them as PDF)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from relais.clients.models import Client
from relais.core.errors import NotFound, PermissionDenied
from relais.planning.formats import day_short, monday_of
from relais.planning.models import Appointment, AppointmentType, Movement
from relais.tenancy import permissions as perms
from relais.tenancy.access import parse_id
from relais.tenancy.models import User

SLOT_MINUTES = 30
DAY_FIRST_HOUR = 8
DAY_LAST_HOUR = 19  # the last row starts at 18:30


def require_planning_reader(user: User) -> None:
    if not user.is_staff_user or not user.has_right(perms.PLANNING_VIEW):
        raise PermissionDenied()


def appointments_between(
    *, client: Client, start: dt.date, end: dt.date, include_cancelled: bool = True
) -> QuerySet[Appointment]:
    """The client's appointments from start to end included, by day and time (no right check:
    callers are the selectors below and the PDF reports, which check their reader)."""
    qs = Appointment.objects.filter(client=client, date__range=(start, end))
    if not include_cancelled:
        qs = qs.filter(status=Appointment.BOOKED)
    return qs.select_related("type", "contact").order_by("date", "start", "created_at")


def appointment_list(
    *,
    user: User,
    client: Client,
    start: dt.date,
    end: dt.date,
    include_cancelled: bool = True,
) -> list[Appointment]:
    require_planning_reader(user)
    return list(
        appointments_between(
            client=client, start=start, end=end, include_cancelled=include_cancelled
        )
    )


def access_appointment_by_id(
    user: User, appointment_id: Any, *, client: Client | None = None
) -> Appointment:
    """An appointment of the user's permanence (and of that client, when given). Another
    permanence's id is NotFound like an unknown one; the right is checked after the scope."""
    qs = Appointment.objects.filter(permanence_id=user.permanence_id, id=parse_id(appointment_id))
    if client is not None:
        qs = qs.filter(client=client)
    appointment = qs.select_related("client", "type", "contact", "created_by").first()
    if appointment is None:
        raise NotFound("Rendez-vous introuvable.")
    if user.is_client_user and appointment.client_id != user.client_id:
        raise NotFound("Rendez-vous introuvable.")
    require_planning_reader(user)
    return appointment


def movements_between(
    *, client: Client, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[Movement]:
    """The client's journal in [start, end), oldest first (no right check, as above)."""
    qs = Movement.objects.filter(client=client)
    if start is not None:
        qs = qs.filter(at__gte=start)
    if end is not None:
        qs = qs.filter(at__lt=end)
    return qs.select_related("actor").order_by("at", "id")


def movement_list(
    *,
    user: User,
    client: Client,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    before: tuple[dt.datetime, int] | None = None,
    limit: int = 50,
) -> list[Movement]:
    """The client's journal, newest first; before=(at, id) of the last line seen pages on."""
    require_planning_reader(user)
    qs = Movement.objects.filter(client=client)
    if start is not None:
        qs = qs.filter(at__gte=start)
    if end is not None:
        qs = qs.filter(at__lt=end)
    if before is not None:
        at, line = before
        qs = qs.filter(Q(at__lt=at) | Q(at=at, id__lt=line))
    return list(qs.select_related("actor").order_by("-at", "-id")[:limit])


def appointment_movements(*, user: User, appointment: Appointment) -> list[Movement]:
    require_planning_reader(user)
    return list(
        Movement.objects.filter(appointment=appointment).select_related("actor").order_by("id")
    )


def appointment_type_list(*, user: User, active_only: bool = False) -> list[AppointmentType]:
    """The permanence's motifs in their order (staff only)."""
    if not user.is_staff_user:
        raise PermissionDenied()
    qs = AppointmentType.objects.filter(permanence_id=user.permanence_id)
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("position", "name", "id"))


def access_appointment_type_by_id(user: User, type_id: Any) -> AppointmentType:
    if user.is_client_user:
        raise PermissionDenied()
    found = AppointmentType.objects.filter(
        permanence_id=user.permanence_id, id=parse_id(type_id)
    ).first()
    if found is None:
        raise NotFound("Motif de rendez-vous introuvable.")
    if not user.has_right(perms.PLANNING_TYPES):
        raise PermissionDenied()
    return found


# --- the week view -------------------------------------------------------------------------------


@dataclass
class Day:
    date: dt.date
    label: str
    is_today: bool
    count: int = 0


@dataclass
class Cell:
    day: Day
    time: dt.time
    appointments: list[Appointment] = field(default_factory=list)


@dataclass
class Row:
    time: dt.time
    cells: list[Cell]
    is_hour: bool


@dataclass
class Week:
    monday: dt.date
    sunday: dt.date
    days: list[Day]
    rows: list[Row]
    appointments: list[Appointment]
    previous: dt.date
    next: dt.date
    today: dt.date

    @property
    def contains_today(self) -> bool:
        return self.monday <= self.today <= self.sunday


def _slot_of(value: dt.time) -> int:
    minutes = value.hour * 60 + value.minute
    return minutes - minutes % SLOT_MINUTES


def week_view(*, user: User, client: Client, day: dt.date, today: dt.date) -> Week:
    """Monday to Sunday around day: half-hour rows from 08:00 to 19:00, widened to show every
    appointment of the week; each appointment sits in the cell of its start. One query."""
    monday = monday_of(day)
    sunday = monday + dt.timedelta(days=6)
    appointments = appointment_list(user=user, client=client, start=monday, end=sunday)
    days = [
        Day(date=d, label=day_short(d), is_today=d == today)
        for d in (monday + dt.timedelta(days=i) for i in range(7))
    ]
    first = DAY_FIRST_HOUR * 60
    last = DAY_LAST_HOUR * 60 - SLOT_MINUTES
    for appointment in appointments:
        slot = _slot_of(appointment.start)
        first, last = min(first, slot), max(last, slot)
    rows: list[Row] = []
    cells: dict[tuple[dt.date, int], Cell] = {}
    for minutes in range(first, last + SLOT_MINUTES, SLOT_MINUTES):
        time = dt.time(minutes // 60, minutes % 60)
        row = Row(time=time, cells=[], is_hour=minutes % 60 == 0)
        for d in days:
            cell = Cell(day=d, time=time)
            cells[(d.date, minutes)] = cell
            row.cells.append(cell)
        rows.append(row)
    for appointment in appointments:
        cells[(appointment.date, _slot_of(appointment.start))].appointments.append(appointment)
        if not appointment.is_cancelled:
            days[(appointment.date - monday).days].count += 1
    return Week(
        monday=monday,
        sunday=sunday,
        days=days,
        rows=rows,
        appointments=appointments,
        previous=monday - dt.timedelta(days=7),
        next=monday + dt.timedelta(days=7),
        today=today,
    )
