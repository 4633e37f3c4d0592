"""Reads on messages. Visibility (PRODUCT.md §7) lives here and only here."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Collection, Sequence
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from relais.clients.models import Client
from relais.core.errors import NotFound, PermissionDenied
from relais.core.queries import Prepared, capped_count_sql, first_or_none
from relais.core.text import fold
from relais.delivery.selectors import (
    copy_event_known_to,
    deliveries_for_message,
    delivery_known_to,
    failed_deliveries,
)
from relais.messaging import rules, urgent
from relais.messaging.models import (
    Banner,
    HistoryEvent,
    InputPhrase,
    Message,
    MessageTemplate,
    ReadState,
    Recipient,
    Reply,
    ReplyAttachment,
)
from relais.messaging.visibility import (
    URGENT_OPEN,
    cc_eligibility_filter,
    staff_visibility,
    visibility_filter,
)
from relais.tenancy import permissions as perms
from relais.tenancy.access import parse_id
from relais.tenancy.models import Permanence, User

# A thread's rows beside its message, what the thread page and the API show: "replies",
# "history", "recipients" (lists of rows), "reads" ({user id: read at}), "deliveries".
ThreadDetail = dict[str, Any]


def visible_messages(user: User) -> QuerySet[Message]:
    return Message.objects.filter(visibility_filter(user))


def with_unread(qs: QuerySet[Message], user: User) -> QuerySet[Message]:
    return qs.annotate(
        is_read=Exists(ReadState.objects.filter(message_id=OuterRef("pk"), user_id=user.id))
    )


LIST_ORDER: tuple[Any, ...] = ("-last_activity_at", "-id")


def page_with_unread(
    qs: QuerySet[Message],
    user: User,
    *,
    limit: int,
    offset: int = 0,
    order: Sequence[Any] = LIST_ORDER,
) -> QuerySet[Message]:
    """Rows offset to offset + limit of qs in `order`, with the user's read flag (is_read).

    The flag is computed for those rows only: left in the listing query, its EXISTS lets
    PostgreSQL hash every read state of the user before the first row comes out (after a year
    of an operator's work, 40,000 of them: 25 ms on every list)."""
    ids = qs.order_by(*order).values("pk")[offset : offset + limit]
    return with_unread(Message.objects.filter(pk__in=Subquery(ids)), user).order_by(*order)


def access_message_by_id(user: User, message_id: Any) -> Message:
    if user.is_staff_user and not user.has_right(perms.MESSAGES_READ):
        raise PermissionDenied()
    message = first_or_none(
        with_unread(visible_messages(user), user)
        .select_related("client", "author", "contact", "done_by", "template", "client__company")
        .filter(id=parse_id(message_id))
    )
    if message is None:
        raise NotFound("Message introuvable.")
    return message


def list_prefetch(qs: QuerySet[Message]) -> QuerySet[Message]:
    # "escalation": the list's « Pris en compte » / « En attente » badge, in the same query.
    return qs.select_related("author", "contact", "client", "done_by", "template", "escalation")


def message_list_for_client(
    *,
    user: User,
    client: Client,
    kind: str | None = None,
    unread: bool | None = None,
    before: dt.datetime | None = None,
    before_id: Any = None,
    limit: int = 50,
    rows_only: bool = False,
) -> list[Message]:
    """The client file's threads visible to the user, newest activity first.

    before (and before_id, for threads of the same instant) pages on: only older threads.
    rows_only: load only what a row of the page's list shows (row_prefetch)."""
    if user.is_staff_user and not user.has_right(perms.MESSAGES_READ):
        raise PermissionDenied()
    qs = filter_kind(visible_messages(user).filter(client=client), kind)
    if unread is not None:
        read = Exists(ReadState.objects.filter(message_id=OuterRef("pk"), user_id=user.id))
        qs = qs.filter(~read if unread else read)
    if before is not None:
        older = Q(last_activity_at__lt=before)
        if before_id is not None:
            older |= Q(last_activity_at=before, id__lt=before_id)
        qs = qs.filter(older)
    prefetch = row_prefetch if rows_only else list_prefetch
    return list(prefetch(page_with_unread(qs, user, limit=limit)))


def filter_kind(qs: QuerySet[Message], kind: str | None) -> QuerySet[Message]:
    if not kind:
        return qs
    match kind:
        case "todo" | "task":
            return qs.filter(status=Message.STATUS_TODO)
        case "done":
            return qs.filter(status=Message.STATUS_DONE)
        case "day_task":
            return qs.filter(status=Message.STATUS_TODO, due_date__isnull=False)
        case "urgent":
            return qs.filter(is_urgent=True)
        case "vad":
            return qs.filter(is_vad=True)
        case "private":
            return qs.filter(is_private=True)
        case "remark":
            return qs.filter(is_client_remark=True)
        case "normal":
            return qs.filter(status=Message.STATUS_NORMAL)
    raise NotFound(f"Type de message inconnu : {kind}.")


def thread_detail(
    *, user: User, message: Message, sent: ThreadDetail | None = None
) -> ThreadDetail:
    """Replies, history, copy recipients and deliveries of a thread, in a fixed few queries.

    `sent`: what message_send just wrote (SendResult.detail) is the answer, with no query
    (the send's response is on the hot path), cut to what this reader may know of."""
    if sent is not None:
        return _copies_known_to(user, message, sent)
    replies = list(Reply.objects.filter(message=message).select_related("author", "sender_contact"))
    attachments: dict[Any, list[ReplyAttachment]] = {}
    if any(r.via for r in replies):
        for attachment in ReplyAttachment.objects.filter(reply__message=message):
            attachments.setdefault(attachment.reply_id, []).append(attachment)
    history = list(HistoryEvent.objects.filter(message=message).select_related("actor"))
    recipients = list(
        Recipient.objects.filter(message=message).select_related("user").order_by("id")
    )
    reads = dict(ReadState.objects.filter(message=message).values_list("user_id", "read_at"))
    detail: ThreadDetail = {
        "replies": replies,
        "attachments": attachments,
        "history": history,
        "recipients": recipients,
        "reads": reads,
        "deliveries": deliveries_for_message(message_id=message.pk),
    }
    return _copies_known_to(user, message, detail)


def _copies_known_to(user: User, message: Message, detail: ThreadDetail) -> ThreadDetail:
    """The thread's copies, and the history lines naming their addresses, that this reader
    may know of (delivery.selectors.delivery_known_to)."""
    if user.is_staff_user:
        return detail
    known: list[Any] = []
    hidden: list[Any] = []
    for d in detail["deliveries"]:
        (
            known if delivery_known_to(user, client_id=message.client_id, delivery=d) else hidden
        ).append(d)
    history = [
        e
        for e in detail["history"]
        if copy_event_known_to(user, kind=e.kind, detail=e.detail, known=known, hidden=hidden)
    ]
    return {**detail, "deliveries": known, "history": history}


# The menu shows « 99+ » beyond this: counting stops there, so a count costs the same with a
# hundred or a hundred thousand open tasks behind it. A menu count is a badge that says "there
# is work here"; the lists and the « Suivi des tâches » summary give the exact totals.
MENU_COUNT_CAP = 100


def _count(qs: QuerySet[Any]) -> RawSQL:
    """COUNT(*) of qs's first MENU_COUNT_CAP rows, as a scalar subquery. Each count reads its
    own partial index and stops at the cap: the unread ones probe the user's read states row
    by row instead of hashing all of them."""
    sql, params = count_sql(qs)
    return RawSQL(sql, params, output_field=IntegerField())


def count_sql(qs: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """_count's SQL and parameters."""
    return capped_count_sql(qs, MENU_COUNT_CAP)


# A failed copy stays flagged to its sender for a week.
FAILED_COPIES_WINDOW = dt.timedelta(days=7)


def _menu_counts_query(
    keys: tuple[str, ...],
    visible: QuerySet[Message],
    permanence_id: Any,
    user_id: Any,
    today: dt.date,
    failed_since: dt.datetime | None,
    urgent: dict[str, Any] | None = None,
) -> QuerySet[Any]:
    """One SELECT of scalar subqueries anchored on the user's permanence row: each count reads
    its own partial index (open tasks, open urgent messages, remarks) instead of one pass over
    every message of the permanence."""
    unread = ~Exists(ReadState.objects.filter(message_id=OuterRef("pk"), user_id=user_id))
    todo = visible.filter(status=Message.STATUS_TODO)
    counts: dict[str, Any] = {}
    if "todo" in keys:
        counts["todo"] = _count(todo)
    if "urgent" in keys:
        # Staff count from their cursor (the expressions given); others in full.
        counts.update(urgent or {"urgent": _count(visible.filter(URGENT_OPEN).filter(unread))})
    if "follow" in keys:
        counts["follow"] = _count(todo.filter(due_date__lte=today))
    if "remarks" in keys:
        counts["remarks"] = _count(visible.filter(is_client_remark=True).filter(unread))
    if failed_since is not None and "failed" in keys:
        failed = failed_deliveries(
            permanence_id=permanence_id, author_id=user_id, since_at=failed_since
        )
        counted = failed.order_by().values("permanence_id").annotate(n=Count("*")).values("n")
        counts["failed"] = Coalesce(Subquery(counted[:1]), 0)
    return Permanence.objects.filter(pk=permanence_id).values(**counts)


def _staff_menu_counts_query(
    keys: tuple[str, ...],
    sees_remarks: bool,
    cap: int,
    permanence_id: Any,
    user_id: Any,
    today: dt.date,
    failed_since: dt.datetime,
    urgent_stale_at: dt.datetime,
) -> QuerySet[Any]:
    visible = Message.objects.filter(staff_visibility(permanence_id, sees_remarks))
    # Staff count their unread urgent messages from their cursor (messaging.urgent).
    urgent_counts = urgent.count_expressions(
        permanence_id, user_id, sees_remarks, cap, urgent_stale_at
    )
    return _menu_counts_query(
        keys, visible, permanence_id, user_id, today, failed_since, urgent_counts
    )


def _staff_counts_unused(key: tuple[Any, ...]) -> set[int]:
    """The slots (permanence, user, day, failed_since, urgent_stale_at) a set of keys leaves
    out: a live recount asks only for what an event moved (relais.events.stream)."""
    keys = key[0]
    unused = set()
    if not {"urgent", "remarks", "failed"} & set(keys):
        unused.add(1)
    if "follow" not in keys:
        unused.add(2)
    if "failed" not in keys:
        unused.add(3)
    if "urgent" not in keys:
        unused.add(4)
    return unused


# A staff page and its 5-s poll read the counts: the query is compiled once per shape.
_STAFF_MENU_COUNTS = Prepared(
    _staff_menu_counts_query,
    slots=(uuid.UUID, uuid.UUID, dt.date, dt.datetime, dt.datetime),
    unused=_staff_counts_unused,
)


def menu_counts(
    user: User, *, today: dt.date | None = None, only: Collection[str] | None = None
) -> dict[str, int]:
    """The left menu's live counts, in one query, each capped at MENU_COUNT_CAP.

    todo: open tasks (« Tâche à faire »); follow (with the « Suivi des tâches » right): open day
    tasks due today or overdue; urgent: urgent messages not done that the user has not read;
    remarks (with the remarks right): unread client remarks; failed (staff): copies of the
    user's messages that failed in the last FAILED_COPIES_WINDOW. `only`: just those of these
    keys (what an event can have moved), the others are not computed."""
    keys = ["todo"]
    if user.has_right(perms.MESSAGES_TASKS_FOLLOW):
        keys.append("follow")
    keys.append("urgent")
    if user.has_right(perms.MESSAGES_REMARKS):
        keys.append("remarks")
    if user.is_staff_user and user.has_right(perms.MESSAGES_READ):
        keys.append("failed")
    if only is not None:
        keys = [key for key in keys if key in only]
    if not keys:
        return {}
    if user.is_staff_user and not user.has_right(perms.MESSAGES_READ):
        return dict.fromkeys(keys, 0)
    day = today or timezone.localdate()
    if user.is_staff_user:
        now = timezone.now()
        found = _STAFF_MENU_COUNTS.rows(
            (tuple(keys), user.has_right(perms.MESSAGES_REMARKS), MENU_COUNT_CAP),
            user.permanence_id,
            user.id,
            day,
            now - FAILED_COPIES_WINDOW,
            now - urgent.MARGIN,
        )
        if found and "urgent" in keys:
            found[0]["urgent"], stale = urgent.count_from(found[0], MENU_COUNT_CAP)
            if stale:
                # Urgent messages passed ten minutes ago: move the cursor past them for the
                # next count (this one is exact already).
                urgent.advance(user, MENU_COUNT_CAP)
    else:
        query = _menu_counts_query(
            tuple(keys), visible_messages(user), user.permanence_id, user.id, day, None
        )
        found = list(query)
    row: dict[str, Any] = found[0] if found else {}
    return {key: int(row.get(key) or 0) for key in keys}


def recipient_candidates(
    *, user: User, client: Client, search: str = "", limit: int = 20, offset: int = 0
) -> list[User]:
    """Who can be added in copy: the permanence's staff, client users of the same company,
    and users the client shares its messages with."""
    qs = User.objects.filter(cc_eligibility_filter(client), is_active=True).select_related(
        "client", "role"
    )
    users = list(qs.order_by("first_name", "last_name").distinct()[:500])
    if search:
        words = fold(search).split()
        users = [
            u
            for u in users
            if all(w in fold(f"{u.first_name} {u.last_name} {u.email}") for w in words)
        ]
    return users[offset : offset + limit]


def template_list_for_client(*, client: Client) -> list[MessageTemplate]:
    """Templates of the client's permanence usable for it: those for every client (no client
    chosen) and those that include it."""
    return list(
        MessageTemplate.objects.filter(permanence_id=client.permanence_id)
        .filter(Q(clients=None) | Q(clients=client))
        .distinct()
        .order_by("name")
    )


def template_list_for_permanence(*, permanence_id: Any) -> list[MessageTemplate]:
    """Every template of a permanence, by name (a staff member's list when no client is
    chosen yet)."""
    return list(MessageTemplate.objects.filter(permanence_id=permanence_id).order_by("name"))


# The client file shows this many threads, newest activity first; its poll fingerprints them.
CLIENT_THREADS_SHOWN = 50


# What the client file's fingerprint covers of each thread it shows.
_VERSION_FIELDS = ("id", "last_activity_at", "status", "due_date", "reply_count", "is_read")


def thread_list_version(*, user: User, client: Client) -> str:
    """A cheap fingerprint of the client file's thread list as the user sees it (one query
    over the CLIENT_THREADS_SHOWN threads it shows, however long the client's history): it
    moves with a new message, a reply, a task change or a read-state change among them."""
    rows = page_with_unread(
        visible_messages(user).filter(client=client), user, limit=CLIENT_THREADS_SHOWN
    ).values_list(*_VERSION_FIELDS)
    return _fingerprint(list(rows))


def thread_rows_version(threads: Sequence[Message]) -> str:
    """thread_list_version of the threads the file has just loaded (message_list_for_client
    with limit=CLIENT_THREADS_SHOWN), without asking the database again."""
    return _fingerprint([tuple(getattr(m, f) for f in _VERSION_FIELDS) for m in threads])


def _fingerprint(rows: list[tuple[Any, ...]]) -> str:
    return hashlib.blake2b(repr(rows).encode(), digest_size=12).hexdigest()


def thread_version(*, message: Message) -> str:
    """A cheap fingerprint of one thread (one query): every change of a thread — reply, task,
    read by someone, copy sent or failed — writes a history line."""
    last = HistoryEvent.objects.filter(message=message).aggregate(last=Max("id"))["last"]
    return f"{message.last_activity_at.isoformat()}.{message.status}.{last or 0}"


def message_list_shared_with(*, user: User, limit: int = 50) -> list[Message]:
    """A client user's threads of other clients: shared with it or received in copy
    (visibility already leaves private ones out)."""
    if not user.is_client_user or user.client_id is None:
        return []
    qs = with_unread(visible_messages(user).exclude(client_id=user.client_id), user)
    return list(list_prefetch(qs).order_by("-last_activity_at")[:limit])


# --- message types: tasks, day tasks, urgent, client remarks (the left menu's lists) ------------


def _require_reader(user: User) -> None:
    if user.is_staff_user and not user.has_right(perms.MESSAGES_READ):
        raise PermissionDenied()


def open_tasks(
    *,
    user: User,
    vad: bool | None = None,
    urgent: bool | None = None,
    due: dt.date | None = None,
    dated: bool | None = None,
    unread: bool | None = None,
    client: Client | None = None,
) -> QuerySet[Message]:
    """« Tâche à faire »: the open tasks visible to the user, with the unread flag (is_read).

    vad / urgent: only with (True) or without (False) the flag; due: day tasks due that day;
    dated: day tasks only (True) or undated tasks only (False); unread: unread for the user
    (True) or read (False); client: one client's only."""
    _require_reader(user)
    qs = with_unread(visible_messages(user).filter(status=Message.STATUS_TODO), user)
    if vad is not None:
        qs = qs.filter(is_vad=vad)
    if urgent is not None:
        qs = qs.filter(is_urgent=urgent)
    if due is not None:
        qs = qs.filter(due_date=due)
    if dated is not None:
        qs = qs.filter(due_date__isnull=not dated)
    if unread is not None:
        qs = qs.filter(is_read=not unread)  # type: ignore[misc]  # annotated by with_unread
    if client is not None:
        qs = qs.filter(client_id=client.id)
    return qs


def task_follow(
    *,
    user: User,
    vad: bool | None = None,
    urgent: bool | None = None,
    due: dt.date | None = None,
) -> QuerySet[Message]:
    """« Suivi des tâches »: the permanence's open tasks and day tasks, read or unread (staff
    with the right). Remarks stay out for those who may not read them (visibility)."""
    if not user.is_staff_user or not user.has_right(perms.MESSAGES_TASKS_FOLLOW):
        raise PermissionDenied()
    return open_tasks(user=user, vad=vad, urgent=urgent, due=due)


# « Suivi des tâches »: day tasks first by due date (the oldest, overdue ones on top), then
# undated tasks; newest activity first within a date. NULLS LAST is btree's own order: the
# open-tasks index serves it.
FOLLOW_ORDER: tuple[Any, ...] = (F("due_date").asc(nulls_last=True), "-last_activity_at", "-id")


def task_follow_page(
    qs: QuerySet[Message], *, user: User, offset: int, limit: int
) -> list[Message]:
    """One page of « Suivi des tâches » in FOLLOW_ORDER, with the read flag of
    its rows only (see page_with_unread)."""
    page = page_with_unread(qs, user, limit=limit, offset=offset, order=FOLLOW_ORDER)
    return list(page.select_related("client", "author").only(*FOLLOW_FIELDS))


# What a « Suivi des tâches » row shows: loading nothing else keeps a page of rows cheap.
FOLLOW_FIELDS = [
    "id",
    "subject",
    "status",
    "due_date",
    "is_urgent",
    "is_private",
    "is_vad",
    "is_client_remark",
    "last_activity_at",
    "client__id",
    "client__name",
    "author__id",
    "author__first_name",
]
ROW_FIELDS = [*FOLLOW_FIELDS, "reply_count", "contact__id", "contact__name"]


def task_follow_summary(qs: QuerySet[Message], *, today: dt.date) -> dict[str, int]:
    """How many open tasks, day tasks, and overdue day tasks the list holds (one aggregate)."""
    # Only indexed columns are counted (COUNT(due_date) counts the dated ones): the open-tasks
    # index answers alone, without reading the table.
    agg = qs.aggregate(
        total=Count("*"),
        dated=Count("due_date"),
        late=Count("due_date", filter=Q(due_date__lt=today)),
    )
    return {key: value or 0 for key, value in agg.items()}


def urgent_unread(*, user: User) -> QuerySet[Message]:
    """« Urgent »: urgent messages the user has not read yet, done tasks left out (someone has
    dealt with them). Opening a thread marks it read, so the list empties as the user reads."""
    _require_reader(user)
    qs = visible_messages(user).filter(URGENT_OPEN)
    if user.is_staff_user:
        qs = qs.filter(urgent.list_filter(user))  # long-read history skipped (its cursor)
    return with_unread(qs, user).filter(is_read=False)  # type: ignore[misc]  # annotated


def client_remarks(*, user: User) -> QuerySet[Message]:
    """« Remarques clients »: remarks written by client users about the service, for staff with
    the remarks right (gérants and superviseurs by default) and nobody else."""
    if not user.is_staff_user or not user.has_right(perms.MESSAGES_REMARKS):
        raise PermissionDenied()
    _require_reader(user)
    return with_unread(visible_messages(user).filter(is_client_remark=True), user)


def _day_tasks(user: User, client: Client | None) -> QuerySet[Message]:
    _require_reader(user)
    qs = visible_messages(user).filter(status=Message.STATUS_TODO, due_date__isnull=False)
    if client is not None:
        qs = qs.filter(client_id=client.id)
    return qs


def day_task_count(*, user: User, day: dt.date, client: Client | None = None) -> int:
    """The open day tasks due that day that the user may see (the envelope's red bubble)."""
    return int(_day_tasks(user, client).filter(due_date=day).aggregate(n=Count("*"))["n"] or 0)


def day_task_counts(
    *, user: User, start: dt.date, end: dt.date, client: Client | None = None
) -> dict[dt.date, int]:
    """{due date: open day tasks} between start and end included, days without any left out."""
    rows = (
        _day_tasks(user, client)
        .filter(due_date__range=(start, end))
        .values("due_date")
        .annotate(n=Count("*"))
        .order_by("due_date")
    )
    return {row["due_date"]: row["n"] for row in rows if row["due_date"] is not None}


def day_task_list(
    *, user: User, day: dt.date, client: Client | None = None, limit: int = 100
) -> list[Message]:
    """The open day tasks due that day, newest activity first (the envelope's list)."""
    qs = _day_tasks(user, client).filter(due_date=day)
    return list(row_prefetch(page_with_unread(qs, user, limit=limit)))


def message_page(
    qs: QuerySet[Message],
    *,
    user: User,
    before: dt.datetime | None = None,
    before_id: Any = None,
    limit: int = 50,
) -> list[Message]:
    """One page of a thread list, newest activity first, keyset-paged on (last activity, id):
    only threads older than (before, before_id). Fetch limit + 1 to know if there is more."""
    if before is not None:
        older = Q(last_activity_at__lt=before)
        if before_id is not None:
            older |= Q(last_activity_at=before, id__lt=before_id)
        qs = qs.filter(older)
    return list(row_prefetch(page_with_unread(qs, user, limit=limit)))


def row_prefetch(qs: QuerySet[Message]) -> QuerySet[Message]:
    """What a row of a page's thread list shows (subject, badges, client or contact, author,
    time), and nothing more: a page of 50 rows stays cheap to load and render."""
    # "escalation": the « Pris en compte » / « En attente » badge (relais.escalation).
    return qs.select_related("client", "author", "contact", "escalation").only(
        *ROW_FIELDS, *ESCALATION_ROW_FIELDS
    )


ESCALATION_ROW_FIELDS = [
    f"escalation__{name}"
    for name in ("ack_at", "ack_via", "ack_by_name", "alert_at", "next_step_at")
]


# --- the gérant's message aids: templates, input-help phrases, banners -------------------------


def template_list(*, user: User) -> list[MessageTemplate]:
    """Every template of the user's permanence, with the clients it is limited to, by name
    (« Modèles de messages »: those with the templates right)."""
    if not rules.manages_aids(user):
        raise PermissionDenied()
    return list(
        MessageTemplate.objects.filter(permanence_id=user.permanence_id)
        .prefetch_related(Prefetch("clients", queryset=Client.objects.order_by("name")))
        .order_by("name", "id")
    )


def access_template_by_id(user: User, template_id: Any) -> MessageTemplate:
    """A template of the user's permanence, for those who manage templates."""
    if user.is_client_user:
        raise PermissionDenied()
    # Scope first: another permanence's id answers 404 like an unknown one; the right after.
    template = (
        MessageTemplate.objects.filter(permanence_id=user.permanence_id, id=parse_id(template_id))
        .prefetch_related("clients")
        .first()
    )
    if template is None:
        raise NotFound("Modèle de message introuvable.")
    if not rules.manages_aids(user):
        raise PermissionDenied()
    return template


def phrase_list(*, user: User) -> list[InputPhrase]:
    """« Aide à la saisie »: the permanence's phrases in their order (staff only)."""
    if not user.is_staff_user:
        return []
    return list(
        InputPhrase.objects.filter(permanence_id=user.permanence_id).order_by(
            "position", "text", "id"
        )
    )


def access_phrase_by_id(user: User, phrase_id: Any) -> InputPhrase:
    if user.is_client_user:
        raise PermissionDenied()
    phrase = InputPhrase.objects.filter(
        permanence_id=user.permanence_id, id=parse_id(phrase_id)
    ).first()
    if phrase is None:
        raise NotFound("Phrase introuvable.")
    if not rules.manages_aids(user):
        raise PermissionDenied()
    return phrase


def banner_list(*, user: User, place: str | None = None) -> list[Banner]:
    """The permanence's banners, newest first, for staff only (never a client user).

    There is no supervision page yet: the home page shows the supervision banners too."""
    if not user.is_staff_user:
        return []
    qs = Banner.objects.filter(permanence_id=user.permanence_id).select_related("created_by")
    if place is not None and place != Banner.HOME:
        qs = qs.filter(place=place)
    return list(qs.order_by("-created_at", "-id"))


def access_banner_by_id(user: User, banner_id: Any) -> Banner:
    if user.is_client_user:
        raise PermissionDenied()
    banner = Banner.objects.filter(permanence_id=user.permanence_id, id=parse_id(banner_id)).first()
    if banner is None:
        raise NotFound("Bandeau introuvable.")
    if not rules.manages_aids(user):
        raise PermissionDenied()
    return banner
