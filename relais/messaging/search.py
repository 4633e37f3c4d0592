"""Reads: the search of threads (the client file's history, the staff's search across every
client, `GET /api/v1/messages`).

Every result and every count starts from `visible_messages(user)` (selectors.visibility_filter):
a private message or a client remark is never found, nor counted, by who may not see it. The
text is matched by the database's full-text index (search_sql): PostgreSQL's `french`
configuration over unaccented text, SQLite's FTS5 over text analysed by relais.core.fts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Exists, Expression, OuterRef, Q, QuerySet
from django.utils import timezone

from relais.clients.models import Client
from relais.core.errors import PermissionDenied, ValidationFailed
from relais.core.fts import SEARCH_MAX, SearchQuery, first_match, parse_query
from relais.messaging.models import Message, ReadState, Reply
from relais.messaging.selectors import ROW_FIELDS, page_with_unread, visible_messages
from relais.tenancy import permissions as perms
from relais.tenancy.models import User

# Counts stop here (« 1 000+ »): a count costs the same for a client with a thousand threads
# or fifty thousand, and a search for a common word stays fast.
COUNT_CAP = 1000

# What a search result row shows: a row of the thread list, and the body for its excerpt.
RESULT_FIELDS = [*ROW_FIELDS, "body"]


@dataclass(frozen=True)
class SearchFilters:
    """What to look for. text: words and "phrases" (accent- and case-insensitive, French
    stems); start / end: the day the thread was written (Europe/Paris), both included; the
    flags: only threads with (True) or without (False) it; unread: for the reader."""

    text: str = ""
    client: Client | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    urgent: bool | None = None
    task: bool | None = None
    vad: bool | None = None
    private: bool | None = None
    unread: bool | None = None

    @property
    def query(self) -> SearchQuery:
        return parse_query(self.text)

    @property
    def has_criteria(self) -> bool:
        """Anything beyond the client: a search or a filter."""
        flags = (self.urgent, self.task, self.vad, self.private, self.unread)
        return bool(
            self.text.strip() or self.start or self.end or any(f is not None for f in flags)
        )


def search_filters_check(filters: SearchFilters) -> None:
    """French errors for what cannot be searched (the API's 422, the pages' message)."""
    if len(filters.text) > SEARCH_MAX:
        raise ValidationFailed.on(
            "search", f"Recherche : {SEARCH_MAX} caractères au maximum ({len(filters.text)})."
        )
    if filters.start and filters.end and filters.start > filters.end:
        raise ValidationFailed.on("to", "La date de fin précède la date de début.")


class TextMatch(Expression):
    """`the message matches the query`, for the backend in use. It names the query's own
    table alias, so it works in the subqueries Django builds (page_with_unread)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, query: SearchQuery) -> None:
        super().__init__()
        self.search = query

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        if connection.vendor == "postgresql":
            parts = []
            params: list[Any] = []
            if self.search.words:
                parts.append("plainto_tsquery('pg_catalog.french', relais_search_fold(%s))")
                params.append(" ".join(self.search.words))
            for phrase in self.search.phrases:
                parts.append("phraseto_tsquery('pg_catalog.french', relais_search_fold(%s))")
                params.append(" ".join(phrase))
            return f"{alias}.search_vector @@ ({' && '.join(parts)})", params
        # SQLite: the FTS5 index, through its content table (one row per message).
        return (
            f"{alias}.id IN (SELECT s.message_id FROM messaging_message_search s"
            " WHERE s.id IN (SELECT rowid FROM messaging_message_fts"
            " WHERE messaging_message_fts MATCH %s))",
            [self.search.fts5()],
        )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search_queryset(*, user: User, filters: SearchFilters) -> QuerySet[Message]:
    """The threads visible to the user that match the filters (unordered)."""
    if user.is_staff_user and not user.has_right(perms.MESSAGES_READ):
        raise PermissionDenied()
    search_filters_check(filters)
    qs = visible_messages(user)
    if filters.client is not None:
        qs = qs.filter(client_id=filters.client.id)
    query = filters.query
    if not query.is_empty:
        qs = qs.filter(TextMatch(query))
    elif filters.text.strip():
        # Only stop words (« de la ») or punctuation: nothing can match.
        return qs.none()
    if filters.start:
        since = _day_start(filters.start)
        # A thread's last activity is never before it was written: the same bound on
        # last_activity_at lets the newest-first index scans stop at the start day.
        qs = qs.filter(created_at__gte=since, last_activity_at__gte=since)
    if filters.end:
        qs = qs.filter(created_at__lt=_day_start(filters.end + dt.timedelta(days=1)))
    if filters.urgent is not None:
        qs = qs.filter(is_urgent=filters.urgent)
    if filters.task is not None:
        is_task = Q(status=Message.STATUS_TODO)
        qs = qs.filter(is_task if filters.task else ~is_task)
    if filters.vad is not None:
        qs = qs.filter(is_vad=filters.vad)
    if filters.private is not None:
        qs = qs.filter(is_private=filters.private)
    if filters.unread is not None:
        read = Exists(ReadState.objects.filter(message_id=OuterRef("pk"), user_id=user.id))
        qs = qs.filter(~read if filters.unread else read)
    return qs


def message_search(
    *,
    user: User,
    filters: SearchFilters,
    before: dt.datetime | None = None,
    before_id: Any = None,
    limit: int = 50,
    fields: list[str] | None = RESULT_FIELDS,
) -> list[Message]:
    """One page of results, newest activity first, keyset-paged on (last activity, id): only
    threads older than (before, before_id). Ask limit + 1 to know whether more follow.
    fields: what to load (None: the whole message and what the API shows of it)."""
    qs = search_queryset(user=user, filters=filters)
    if before is not None:
        older = Q(last_activity_at__lt=before)
        if before_id is not None:
            older |= Q(last_activity_at=before, id__lt=before_id)
        qs = qs.filter(older)
    page = page_with_unread(qs, user, limit=limit)
    if fields is None:
        return list(page.select_related("author", "contact", "client", "done_by", "template"))
    return list(page.select_related("client", "author", "contact").only(*fields))


def message_search_count(*, user: User, filters: SearchFilters, cap: int = COUNT_CAP) -> int:
    """How many threads match, counting stops past cap (then cap + 1: « 1 000+ »)."""
    qs = search_queryset(user=user, filters=filters)
    return qs.order_by().values("pk")[: cap + 1].count()


def reply_excerpts(messages: list[Message], query: SearchQuery) -> dict[Any, str]:
    """For results whose subject, body and contact hold none of the query's words: the text
    of their first reply that does (one query for the page)."""
    stems = query.stems
    if not stems:
        return {}
    missing = [
        m.id
        for m in messages
        if first_match(m.subject, stems) is None
        and first_match(m.body, stems) is None
        and (m.contact is None or first_match(m.contact.name, stems) is None)
    ]
    if not missing:
        return {}
    found: dict[Any, str] = {}
    rows = Reply.objects.filter(message_id__in=missing).order_by("created_at", "id")
    for message_id, body in rows.values_list("message_id", "body"):
        if message_id not in found and first_match(body, stems) is not None:
            found[message_id] = body
    return found
