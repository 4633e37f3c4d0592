"""The left menu's lists and the date bar (help-centre article C2, « Types de messages »).

« Tâche à faire » (a page), « Suivi des tâches » (a popup), « Urgent », « Remarques clients »
(pages), and the date bar of the staff home and the client file: ◀ day ▶ with the envelope
counting that day's open day tasks; a click on it lists them in the popup.

Reads only: every list comes from relais.messaging.selectors, which applies visibility.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET

from relais.clients.models import Client
from relais.clients.selectors import access_client_by_id
from relais.messaging.models import Message
from relais.messaging.selectors import (
    client_remarks,
    day_task_count,
    day_task_list,
    message_page,
    open_tasks,
    task_follow,
    task_follow_page,
    task_follow_summary,
    urgent_unread,
)
from relais.tenancy.models import User
from relais.ui.decorators import current_user, is_htmx, page

PAGE_SIZE = 50
# The popup shows the first day tasks at a glance; « Afficher les suivantes » loads more.
FOLLOW_PAGE_SIZE = 25
DAY_LIST_LIMIT = 50

# Short French weekday names, Monday first, as on the date bar: « ven. 28/11 ».
WEEKDAYS_SHORT = [
    gettext_noop("lun."),
    gettext_noop("mar."),
    gettext_noop("mer."),
    gettext_noop("jeu."),
    gettext_noop("ven."),
    gettext_noop("sam."),
    gettext_noop("dim."),
]
WEEKDAYS_LONG = [
    gettext_noop("lundi"),
    gettext_noop("mardi"),
    gettext_noop("mercredi"),
    gettext_noop("jeudi"),
    gettext_noop("vendredi"),
    gettext_noop("samedi"),
    gettext_noop("dimanche"),
]


# --- request parameters: never a 500 for bad input -----------------------------------------


def parse_day(value: str | None) -> dt.date | None:
    """YYYY-MM-DD (what <input type=date> sends) or jj/mm/aaaa; None when empty or invalid."""
    text = (value or "").strip()[:20]
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if dt.date(1900, 1, 1) <= day <= dt.date(2999, 12, 31):
            return day
    return None


def _checked(request: HttpRequest, name: str) -> bool | None:
    """A filter checkbox: ticked means "only those"; absent means no filter."""
    return True if request.GET.get(name) in ("1", "on", "true") else None


def _cursor(request: HttpRequest) -> tuple[dt.datetime | None, uuid.UUID | None]:
    """The keyset position of the next page (?avant=<instant>&id=<message id>)."""
    try:
        before = dt.datetime.fromisoformat(request.GET.get("avant", "")[:40])
        before_id = uuid.UUID(request.GET.get("id", "")[:40])
    except ValueError:
        return None, None
    if before.tzinfo is None:
        return None, None
    return before, before_id


def _next_query(request: HttpRequest, rows: list[Message], size: int, **extra: str) -> str | None:
    """The query string of the next (older) page, or None when this one is the last."""
    if len(rows) <= size:
        return None
    last = rows[size - 1]
    params = {k: str(v) for k, v in request.GET.items() if k not in ("avant", "id", "depuis")}
    params.update(avant=last.last_activity_at.isoformat(), id=str(last.id), **extra)
    return urlencode(params)


def _client_param(user: User, request: HttpRequest) -> Client | None:
    raw = request.GET.get("client", "")
    return access_client_by_id(user, raw) if raw else None


# --- the date bar ----------------------------------------------------------------------------


def day_short(day: dt.date) -> str:
    """« ven. 28/11 »"""
    return f"{_(WEEKDAYS_SHORT[day.weekday()])} {day:%d/%m}"


def day_long(day: dt.date) -> str:
    """« vendredi 28/11/2025 »"""
    return f"{_(WEEKDAYS_LONG[day.weekday()])} {day:%d/%m/%Y}"


@dataclass
class DayBar:
    """What the date bar shows: the day, its neighbours and its open day tasks."""

    day: dt.date
    today: dt.date
    count: int
    client: Client | None

    @property
    def is_today(self) -> bool:
        return self.day == self.today

    @property
    def prev(self) -> dt.date:
        return self.day - dt.timedelta(days=1)

    @property
    def next(self) -> dt.date:
        return self.day + dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return day_short(self.day)

    @property
    def long_label(self) -> str:
        return day_long(self.day)

    @property
    def prev_label(self) -> str:
        return day_long(self.prev)

    @property
    def next_label(self) -> str:
        return day_long(self.next)

    def _query(self, day: dt.date) -> str:
        params = {"jour": day.isoformat()}
        if self.client is not None:
            params["client"] = str(self.client.id)
        return urlencode(params)

    def page_url(self, day: dt.date) -> str:
        """Without JavaScript the arrows reload the page itself on that day."""
        if self.client is not None:
            return f"{reverse('ui:client', args=[self.client.id])}?jour={day.isoformat()}"
        return f"{reverse('ui:home')}?jour={day.isoformat()}"

    def bar_url(self, day: dt.date) -> str:
        return f"{reverse('ui:day_bar')}?{self._query(day)}"

    @property
    def prev_page_url(self) -> str:
        return self.page_url(self.prev)

    @property
    def next_page_url(self) -> str:
        return self.page_url(self.next)

    @property
    def today_page_url(self) -> str:
        return self.page_url(self.today)

    @property
    def url(self) -> str:
        return self.bar_url(self.day)

    @property
    def prev_url(self) -> str:
        return self.bar_url(self.prev)

    @property
    def next_url(self) -> str:
        return self.bar_url(self.next)

    @property
    def today_url(self) -> str:
        return self.bar_url(self.today)

    @property
    def list_url(self) -> str:
        """The popup listing that day's open day tasks."""
        return f"{reverse('ui:day_tasks')}?{self._query(self.day)}"

    @property
    def list_page_url(self) -> str:
        """The same list on the « Tâche à faire » page (without JavaScript)."""
        return f"{reverse('ui:tasks')}?{self._query(self.day)}"


def day_bar_for(user: User, day: dt.date | None, client: Client | None = None) -> DayBar:
    """The date bar of the staff home (the permanence's day tasks) or of a client file (that
    client's). One aggregate query."""
    today = timezone.localdate()
    shown = day or today
    return DayBar(
        day=shown,
        today=today,
        count=day_task_count(user=user, day=shown, client=client),
        client=client,
    )


@page(staff_only=True)
@require_GET
def day_bar_view(request: HttpRequest) -> HttpResponse:
    """The date bar fragment: previous / next day, and polled to keep the bubble live."""
    user = current_user(request)
    client = _client_param(user, request)
    bar = day_bar_for(user, parse_day(request.GET.get("jour")), client)
    return render(request, "ui/tasks/day_bar.html", {"bar": bar})


@page(staff_only=True)
@require_GET
def day_tasks_view(request: HttpRequest) -> HttpResponse:
    """The envelope's list: that day's open day tasks (popup; a page without htmx)."""
    user = current_user(request)
    client = _client_param(user, request)
    day = parse_day(request.GET.get("jour")) or timezone.localdate()
    rows = day_task_list(user=user, day=day, client=client, limit=DAY_LIST_LIMIT + 1)
    bar = DayBar(day=day, today=timezone.localdate(), count=len(rows), client=client)
    context = {
        "bar": bar,
        "client": client,
        "rows": rows[:DAY_LIST_LIMIT],
        "more": len(rows) > DAY_LIST_LIMIT,
        "nav": "tasks",
    }
    if is_htmx(request):
        return render(request, "ui/tasks/day_list.html", context)
    return render(request, "ui/tasks/panel_page.html", {**context, "panel": "day"})


# --- « Tâche à faire » ------------------------------------------------------------------------

TYPES = {"jour": True, "sans-date": False}


@page(staff_only=True)
@require_GET
def task_list_view(request: HttpRequest) -> HttpResponse:
    """The open tasks visible to me, newest activity first, with filters; htmx swaps the
    results only."""
    user = current_user(request)
    client = _client_param(user, request)
    raw_day = request.GET.get("jour", "")
    day = parse_day(raw_day)
    kind = request.GET.get("type", "")
    vad, urgent, unread = (_checked(request, n) for n in ("vad", "urgent", "non_lues"))
    dated = TYPES.get(kind)
    before, before_id = _cursor(request)
    qs = open_tasks(
        user=user, client=client, vad=vad, urgent=urgent, unread=unread, dated=dated, due=day
    )
    rows = message_page(qs, user=user, before=before, before_id=before_id, limit=PAGE_SIZE + 1)
    context = {
        "nav": "tasks",
        "rows": rows[:PAGE_SIZE],
        "next_query": _next_query(request, rows, PAGE_SIZE),
        "paged": before is not None,
        "client": client,
        "f": {
            "vad": vad,
            "urgent": urgent,
            "non_lues": unread,
            "type": kind if kind in TYPES else "",
            "jour": day.isoformat() if day else "",
        },
        "day_error": bool(raw_day) and day is None,
        "day_label": day_long(day) if day else "",
        "filtered": any(v is not None for v in (vad, urgent, unread, dated, day)),
    }
    if is_htmx(request):
        return render(request, "ui/tasks/list.html#results", context)
    return render(request, "ui/tasks/list.html", context)


# --- « Suivi des tâches » (popup) -------------------------------------------------------------


@page(staff_only=True)
@require_GET
def task_follow_view(request: HttpRequest) -> HttpResponse:
    """The permanence's open tasks and day tasks, read or unread, filtered by VAD, Urgent and
    date; day tasks first by due date. In the popup (htmx) or as a page."""
    user = current_user(request)
    raw_day = request.GET.get("jour", "")
    day = parse_day(raw_day)
    qs = task_follow(
        user=user, vad=_checked(request, "vad"), urgent=_checked(request, "urgent"), due=day
    )
    try:
        offset = max(0, min(int(request.GET.get("depuis", "0")[:7]), 1_000_000))
    except ValueError:
        offset = 0
    today = timezone.localdate()
    rows = task_follow_page(qs, user=user, offset=offset, limit=FOLLOW_PAGE_SIZE + 1)
    more = len(rows) > FOLLOW_PAGE_SIZE
    params = {k: str(v) for k, v in request.GET.items() if k != "depuis"}
    params["depuis"] = str(offset + FOLLOW_PAGE_SIZE)
    context: dict[str, Any] = {
        "nav": "follow",
        "rows": rows[:FOLLOW_PAGE_SIZE],
        "more_query": urlencode(params) if more else None,
        "today": today,
        "f": {
            "vad": _checked(request, "vad"),
            "urgent": _checked(request, "urgent"),
            "jour": day.isoformat() if day else "",
        },
        "day_error": bool(raw_day) and day is None,
    }
    if offset and is_htmx(request):
        # « Afficher les suivantes »: the next rows only, appended to the table.
        return render(request, "ui/tasks/follow.html#rows", context)
    context["summary"] = task_follow_summary(qs, today=today)
    if is_htmx(request) and request.GET.get("cible") == "resultats":
        return render(request, "ui/tasks/follow.html#results", context)
    if is_htmx(request):
        return render(request, "ui/tasks/follow.html", context)
    return render(request, "ui/tasks/panel_page.html", {**context, "panel": "follow"})


# --- « Urgent » and « Remarques clients » ------------------------------------------------------


@page(staff_only=True)
@require_GET
def urgent_view(request: HttpRequest) -> HttpResponse:
    """Urgent messages I have not read; polled, so it empties as I read them."""
    user = current_user(request)
    before, before_id = _cursor(request)
    rows = message_page(
        urgent_unread(user=user), user=user, before=before, before_id=before_id, limit=PAGE_SIZE + 1
    )
    context = {
        "nav": "urgent",
        "rows": rows[:PAGE_SIZE],
        "next_query": _next_query(request, rows, PAGE_SIZE),
        "paged": before is not None,
    }
    if is_htmx(request):
        return render(request, "ui/tasks/urgent.html#results", context)
    return render(request, "ui/tasks/urgent.html", context)


@page(staff_only=True)
@require_GET
def remarks_view(request: HttpRequest) -> HttpResponse:
    """Client remarks, newest first, unread in bold (gérants and superviseurs)."""
    user = current_user(request)
    before, before_id = _cursor(request)
    rows = message_page(
        client_remarks(user=user),
        user=user,
        before=before,
        before_id=before_id,
        limit=PAGE_SIZE + 1,
    )
    context = {
        "nav": "remarks",
        "rows": rows[:PAGE_SIZE],
        "next_query": _next_query(request, rows, PAGE_SIZE),
        "paged": before is not None,
    }
    if is_htmx(request):
        return render(request, "ui/tasks/remarks.html#results", context)
    return render(request, "ui/tasks/remarks.html", context)
