"""Search pages: the client file's history (search box, filter chips, « Plus anciens ») and the
staff's search across every client (the field in the top bar).

Reads only, through relais.messaging.search (visibility applied there). Request parameters:
q (words, "phrases"), du / au (YYYY-MM-DD or jj/mm/aaaa), the chips urgent, tache, vad,
prive, nonlu (ticked: "1"), and the keyset position of an older page: avant + id.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from relais.clients.models import Client
from relais.clients.selectors import access_client_by_id
from relais.core.errors import ValidationFailed
from relais.core.fts import SEARCH_MAX
from relais.messaging.models import Message
from relais.messaging.search import (
    COUNT_CAP,
    RESULT_FIELDS,
    SearchFilters,
    message_search,
    message_search_count,
    reply_excerpts,
    search_filters_check,
)
from relais.messaging.selectors import (
    CLIENT_THREADS_SHOWN,
    ROW_FIELDS,
    message_list_for_client,
    thread_rows_version,
)
from relais.ui.decorators import current_user, is_htmx, page

PAGE_SIZE = CLIENT_THREADS_SHOWN
CHIPS = ("urgent", "tache", "vad", "prive", "nonlu")
BAD_DAY = "Date invalide : utilisez le format jj/mm/aaaa."


@dataclass
class SearchForm:
    """The search box and chips as the request gives them, and their errors (French)."""

    q: str = ""
    du: str = ""
    au: str = ""
    chips: dict[str, bool] = field(default_factory=dict)
    start: dt.date | None = None
    end: dt.date | None = None
    before: dt.datetime | None = None
    before_id: uuid.UUID | None = None
    errors: list[str] = field(default_factory=list)

    def filters(self, client: Client | None) -> SearchFilters:
        def chip(name: str) -> bool | None:
            return True if self.chips.get(name) else None

        return SearchFilters(
            text=self.q,
            client=client,
            start=self.start,
            end=self.end,
            urgent=chip("urgent"),
            task=chip("tache"),
            vad=chip("vad"),
            private=chip("prive"),
            unread=chip("nonlu"),
        )

    @property
    def params(self) -> dict[str, str]:
        """The criteria as query parameters (for the pager's links)."""
        found = {"q": self.q, "du": self.du, "au": self.au}
        found.update({name: "1" for name, on in self.chips.items() if on})
        return {k: v for k, v in found.items() if v}


def parse_day(value: str) -> dt.date | None:
    """YYYY-MM-DD (what <input type=date> sends) or jj/mm/aaaa; ValueError when neither."""
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if dt.date(1900, 1, 1) <= day <= dt.date(2999, 12, 31):
            return day
    raise ValueError(text)


def search_form(request: HttpRequest) -> SearchForm:
    get = request.GET
    form = SearchForm(
        q=" ".join(get.get("q", "").split())[: SEARCH_MAX + 1],
        du=get.get("du", "")[:20],
        au=get.get("au", "")[:20],
        chips={name: get.get(name) in ("1", "on", "true") for name in CHIPS},
    )
    if len(form.q) > SEARCH_MAX:
        form.q = form.q[:SEARCH_MAX]
        form.errors.append(f"Recherche : {SEARCH_MAX} caractères au maximum.")
    for name in ("du", "au"):
        raw = getattr(form, name)
        if not raw:
            continue
        try:
            setattr(form, "start" if name == "du" else "end", parse_day(raw))
        except ValueError:
            form.errors.append(f"{'Du' if name == 'du' else 'Au'} : {BAD_DAY}")
    try:
        form.before = dt.datetime.fromisoformat(get.get("avant", "")[:40])
        form.before_id = uuid.UUID(get.get("id", "")[:40])
        if form.before.tzinfo is None:
            raise ValueError
    except ValueError:
        form.before = form.before_id = None
    return form


def _next_params(form: SearchForm, rows: list[Message], size: int) -> str | None:
    if len(rows) <= size:
        return None
    last = rows[size - 1]
    return urlencode(
        {**form.params, "avant": last.last_activity_at.isoformat(), "id": str(last.id)}
    )


def results_context(
    request: HttpRequest, *, client: Client | None, action: str
) -> tuple[dict[str, Any], int]:
    """The thread list (or the results) and its count, as the request asks; with the HTTP
    status: 422 when a criterion is invalid (shown in French, nothing searched)."""
    user = current_user(request)
    form = search_form(request)
    filters = form.filters(client)
    searching = filters.has_criteria
    context: dict[str, Any] = {
        "client": client,
        "form": form,
        "search_action": action,
        "searching": searching,
        "paged": form.before is not None,
        "count_cap": COUNT_CAP,
        "stems": filters.query.stems,
        "excerpts": {},
        "threads": [],
        "count": 0,
        "next_query": None,
    }
    if not form.errors:
        try:
            search_filters_check(filters)
        except ValidationFailed as exc:
            form.errors += [e for errors in exc.errors.values() for e in errors]
    if form.errors:
        return context, 422
    if client is None and not searching:
        # The search across every client starts from what is asked, not from everything.
        return context, 200
    context["count"] = message_search_count(user=user, filters=filters)
    if client is not None and not searching and form.before is None:
        # The file's first page: the rows its poll fingerprints (thread_list_version).
        rows = message_list_for_client(
            user=user, client=client, limit=PAGE_SIZE + 1, rows_only=True
        )
        context["threads_version"] = thread_rows_version(rows[:PAGE_SIZE])
        context["polled"] = True
    else:
        rows = message_search(
            user=user,
            filters=filters,
            before=form.before,
            before_id=form.before_id,
            limit=PAGE_SIZE + 1,
            fields=RESULT_FIELDS if searching else ROW_FIELDS,
        )
    context["threads"] = rows[:PAGE_SIZE]
    context["next_query"] = _next_params(form, rows, PAGE_SIZE)
    context["first_query"] = urlencode(form.params)
    if searching and not filters.query.is_empty:
        context["excerpts"] = reply_excerpts(context["threads"], filters.query)
    return context, 200


@page(staff_only=True)
def search_view(request: HttpRequest) -> HttpResponse:
    """« Recherche »: every client's threads visible to me (staff), labelled by client."""
    user = current_user(request)
    raw_client = request.GET.get("client", "")
    client = access_client_by_id(user, raw_client) if raw_client else None
    context, status = results_context(request, client=client, action=reverse("ui:search"))
    context.update(nav="search", global_search=True, global_q=context["form"].q)
    if is_htmx(request) and request.headers.get("HX-Target") == "threads":
        return render(request, "ui/partials/threads.html", context, status=status)
    return render(request, "ui/search.html", context, status=status)
