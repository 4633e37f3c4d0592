"""Messages: a client's threads, sending, a thread, replies, tasks, read state, and the
permanence-wide lists behind the left menu (tasks, urgent, day tasks, remarks, templates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Header, Query, Router, Status

from relais.api.auth import current_user
from relais.api.errors import ERROR_RESPONSES, ErrorOut
from relais.api.pagination import (
    Cursor,
    clamp_limit,
    cursor_query,
    read_thread_cursor,
    thread_cursor,
)
from relais.api.schemas import (
    MessageDetailOut,
    MessageKind,
    MessagePage,
    ReadOut,
    ReplyIn,
    ReplyOut,
    SendIn,
    TaskIn,
    TemplatePage,
    Text,
    message_detail_out,
    message_out,
    reply_out,
    template_out,
)
from relais.audit.models import MessageRead
from relais.audit.services import message_read_record
from relais.calls.selectors import call_for_send
from relais.clients.models import Client
from relais.clients.selectors import access_client_by_id
from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.core.queries import first_or_none
from relais.messaging import rules
from relais.messaging.models import Message
from relais.messaging.search import SearchFilters, message_search, search_queryset
from relais.messaging.selectors import (
    ThreadDetail,
    access_message_by_id,
    client_remarks,
    day_task_counts,
    filter_kind,
    list_prefetch,
    message_list_for_client,
    page_with_unread,
    task_follow,
    template_list_for_client,
    template_list_for_permanence,
    thread_detail,
    urgent_unread,
)
from relais.messaging.services import (
    SendInput,
    client_for_send,
    message_mark_read,
    message_mark_unread,
    message_send,
    reply_post,
    task_set,
)
from relais.tenancy import permissions as perms
from relais.tenancy.access import parse_id, require_right
from relais.tenancy.models import User

router = Router(tags=["Messages"])

LIMIT = Query(None, ge=1, description="At most 200; 50 by default.")
CURSOR = cursor_query()
DAY_TASKS_MAX_DAYS = 366
KIND = Query(None, description="Only threads of that kind.")
UNREAD = Query(None, description="true: unread for me; false: read.")
VAD = Query(None, description="true: VAD only; false: without VAD.")
URGENT = Query(None, description="true: urgent only; false: not urgent.")
DUE = Query(None, description="Day tasks due that day.")
FROM = Query(None, alias="from", description="YYYY-MM-DD; today by default.")
TO = Query(
    None,
    alias="to",
    description="YYYY-MM-DD, not before `from` (else 422), at most 366 days after it; "
    "31 days after `from` by default.",
)
CLIENT = Query(
    None,
    description="Client id: the templates usable for that client. Without it, staff get every "
    "template of the permanence; a client user, those usable for its own client.",
)
SEARCH = Query(
    None,
    max_length=200,
    description='Words and "phrases in quotes" found in the subject, body, replies or '
    "contact name; accent- and case-insensitive, French stems (« rappeler » finds « rappel »).",
)
SEARCH_CLIENT = Query(None, description="Client id: only that client's threads.")
SEARCH_FROM = Query(
    None, alias="from", description="Written on or after that day (YYYY-MM-DD, Europe/Paris)."
)
SEARCH_TO = Query(
    None,
    alias="to",
    description="Written on or before that day (YYYY-MM-DD, Europe/Paris); "
    "not before `from` (else 422).",
)
TASK = Query(None, description="true: open tasks only; false: no open task.")
PRIVATE = Query(None, description="true: private only; false: not private.")
DAY_CLIENT = Query(None, description="Client id: only that client's day tasks.")


def _next(rows: list[Message], size: int) -> str | None:
    """rows were fetched with size + 1: one more means there is an older page."""
    if len(rows) <= size:
        return None
    last = rows[size - 1]
    return thread_cursor(last.last_activity_at, last.id)


def _thread_page(
    user: User, qs: QuerySet[Message], *, cursor: str | None, limit: int | None
) -> dict[str, Any]:
    """Newest activity first, keyset-paged, with the unread flag: a fixed number of queries."""
    size = clamp_limit(limit)
    at, message_id = read_thread_cursor(cursor)
    if at is not None:
        qs = qs.filter(Q(last_activity_at__lt=at) | Q(last_activity_at=at, id__lt=message_id))
    rows = list(list_prefetch(page_with_unread(qs, user, limit=size + 1)))
    return {"items": [message_out(m) for m in rows[:size]], "next": _next(rows, size)}


def _detail(user: User, message: Message, sent: ThreadDetail | None = None) -> dict[str, Any]:
    detail = thread_detail(user=user, message=message, sent=sent)
    return message_detail_out(message, detail, unread=user.id not in detail["reads"])


# --- a client's threads ----------------------------------------------------------------------


@router.get("/clients/{client_id}/messages", response={200: MessagePage, **ERROR_RESPONSES})
def client_messages_list(
    request: HttpRequest,
    client_id: str,
    kind: MessageKind | None = KIND,
    unread: bool | None = UNREAD,
    limit: int | None = LIMIT,
    cursor: Cursor | None = CURSOR,
) -> Any:
    """The client file's threads visible to me, newest activity first."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    size = clamp_limit(limit)
    before, before_id = read_thread_cursor(cursor)
    rows = message_list_for_client(
        user=user,
        client=client,
        kind=kind,
        unread=unread,
        before=before,
        before_id=before_id,
        limit=size + 1,
    )
    return {"items": [message_out(m) for m in rows[:size]], "next": _next(rows, size)}


@router.post(
    "/clients/{client_id}/messages",
    response={200: MessageDetailOut, 201: MessageDetailOut, 409: ErrorOut, **ERROR_RESPONSES},
)
def client_messages_send(
    request: HttpRequest,
    response: HttpResponse,
    client_id: str,
    payload: SendIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        max_length=120,
        description="Any unique string per send (e.g. a UUID): a retry within 24 h with the "
        "same key returns the first message instead of sending again.",
    ),
) -> Any:
    """Writes a message on the client's file (« Envoyer »).

    Answers **201** with the message when it is created. When the `Idempotency-Key` was
    already used by me within 24 h, nothing is created: the answer is **200** with the first
    message, as it is now, and the header `Idempotent-Replayed: true`.

    Invalid values answer 422 with the errors on their fields, and nothing is saved.
    """
    user = current_user(request)
    fields = payload.dict(exclude={"attach"})
    attach = payload.attach.dict(by_alias=True) if payload.attach is not None else None
    data = SendInput(**fields, attach=attach)
    target = client_for_send(user, client_id, data)
    if data.call:
        data.call = call_for_send(user, data.call, target.client)
    sent = message_send(
        author=user,
        client=target,
        data=data,
        idempotency_key=idempotency_key or "",
    )
    if not sent.created:
        response["Idempotent-Replayed"] = "true"
    return _answer(
        request, response, 201 if sent.created else 200, _detail(user, sent.message, sent.detail)
    )


def _answer(
    request: HttpRequest, response: HttpResponse, status: int, body: dict[str, Any]
) -> HttpResponse:
    """The send's answer, rendered as django-ninja renders MessageDetailOut, without validating
    again what message_detail_out built in that very shape: that validation (a pydantic model
    over every nested dict) cost about a tenth of the API's CPU per send.
    tests/api/test_send.py::test_its_answer_is_the_documented_one checks the two are the same
    JSON."""
    from relais.api.api import api  # the API is built from this module: imported when used

    response.status_code = status
    return api.create_response(request, body, temporal_response=response)


# --- one thread ------------------------------------------------------------------------------


@router.get("/messages", response={200: MessagePage, **ERROR_RESPONSES})
def messages_list(
    request: HttpRequest,
    search: Text | None = SEARCH,
    client: Text | None = SEARCH_CLIENT,
    start: dt.date | None = SEARCH_FROM,
    end: dt.date | None = SEARCH_TO,
    urgent: bool | None = URGENT,
    task: bool | None = TASK,
    vad: bool | None = VAD,
    private: bool | None = PRIVATE,
    unread: bool | None = UNREAD,
    kind: MessageKind | None = KIND,
    limit: int | None = LIMIT,
    cursor: Cursor | None = CURSOR,
) -> Any:
    """Every thread visible to me, newest activity first — for a client user, its own
    client's plus those shared with it or received in copy — and the search of them.

    `search`: words (all required) and "phrases in quotes", looked up in the subject, the
    body, the replies and the contact's name; accent- and case-insensitive; a French word
    finds its other forms (« rappeler » finds « rappel »). `from` / `to`: the day the thread
    was written (Europe/Paris), both included; `to` before `from` answers 422. Private
    messages and client remarks are found only by those who may read them."""
    user = current_user(request)
    if user.is_staff_user:
        require_right(user, perms.MESSAGES_READ)
    size = clamp_limit(limit)
    before, before_id = read_thread_cursor(cursor)
    filters = SearchFilters(
        text=search or "",
        client=_search_client(user, client) if client else None,
        start=start,
        end=end,
        urgent=urgent,
        task=task,
        vad=vad,
        private=private,
        unread=unread,
    )
    if kind:
        qs = filter_kind(search_queryset(user=user, filters=filters), kind)
        return _thread_page(user, qs, cursor=cursor, limit=limit)
    rows = message_search(
        user=user,
        filters=filters,
        before=before,
        before_id=before_id,
        limit=size + 1,
        fields=None,
    )
    return {"items": [message_out(m) for m in rows[:size]], "next": _next(rows, size)}


def _search_client(user: User, raw: str) -> Client:
    """The client a search is limited to: one of my permanence (another permanence's id is
    unknown: 404); a client user's results stay within what it may see (visibility)."""
    if user.is_staff_user:
        return access_client_by_id(user, raw)
    found = first_or_none(Client.objects.filter(permanence_id=user.permanence_id, id=parse_id(raw)))
    if found is None:
        raise NotFound("Client introuvable.")
    return found


@router.get("/messages/{message_id}", response={200: MessageDetailOut, **ERROR_RESPONSES})
def message_detail(request: HttpRequest, message_id: str) -> Any:
    """The thread: the message, its copy recipients with their read time, replies, history
    and copies (deliveries). Reading it here does not mark it read: POST …/read does."""
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    message_read_record(user=user, message_id=message.id, via=MessageRead.API, request=request)
    return _detail(user, message)


@router.post("/messages/{message_id}/replies", response={201: ReplyOut, **ERROR_RESPONSES})
def message_reply(request: HttpRequest, message_id: str, payload: ReplyIn) -> Any:
    """Replies on the thread (« Valider »); `make_task` also makes it a task to do
    (« Valider + Tâche à faire »)."""
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    reply = reply_post(author=user, message=message, body=payload.body, make_task=payload.make_task)
    return Status(201, reply_out(reply))


@router.post("/messages/{message_id}/task", response={200: MessageDetailOut, **ERROR_RESPONSES})
def message_task(request: HttpRequest, message_id: str, payload: TaskIn) -> Any:
    """`todo` (optionally due on `due_date`), `done` (« Passer à Tâche faite ») or `cancel`
    (« Annuler la tâche à faire »). Returns the message."""
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    message = task_set(user=user, message=message, action=payload.action, due_date=payload.due_date)
    return _detail(user, message)


@router.post("/messages/{message_id}/read", response={200: ReadOut, **ERROR_RESPONSES})
def message_read(request: HttpRequest, message_id: str) -> Any:
    """Marks the thread read for me."""
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    changed = message_mark_read(user=user, message=message)
    return {"id": str(message.id), "unread": False, "changed": changed}


@router.delete("/messages/{message_id}/read", response={200: ReadOut, **ERROR_RESPONSES})
def message_unread(request: HttpRequest, message_id: str) -> Any:
    """Marks the thread unread for me (« Marquer non lu »)."""
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    changed = message_mark_unread(user=user, message=message)
    return {"id": str(message.id), "unread": True, "changed": changed}


# --- permanence-wide lists -------------------------------------------------------------------


@router.get("/tasks", response={200: MessagePage, **ERROR_RESPONSES})
def tasks_list(
    request: HttpRequest,
    vad: bool | None = VAD,
    urgent: bool | None = URGENT,
    date: dt.date | None = DUE,
    limit: int | None = LIMIT,
    cursor: Cursor | None = CURSOR,
) -> Any:
    """« Suivi des tâches »: the open tasks of my permanence, read or unread (staff with the
    right « Suivi des tâches »). Client remarks appear only for those who may read them."""
    user = current_user(request)
    qs = task_follow(user=user, vad=vad, urgent=urgent, due=date)
    return _thread_page(user, qs, cursor=cursor, limit=limit)


@router.get("/urgent", response={200: MessagePage, **ERROR_RESPONSES})
def urgent_list(
    request: HttpRequest, limit: int | None = LIMIT, cursor: Cursor | None = CURSOR
) -> Any:
    """« Urgent »: urgent messages (not done) I have not read yet."""
    user = current_user(request)
    return _thread_page(user, urgent_unread(user=user), cursor=cursor, limit=limit)


@router.get("/day-tasks", response={200: dict[str, int], **ERROR_RESPONSES})
def day_tasks_counts(
    request: HttpRequest,
    start: dt.date | None = FROM,
    end: dt.date | None = TO,
    client: Text | None = DAY_CLIENT,
) -> Any:
    """`{"YYYY-MM-DD": count}` of the open day tasks visible to me, per due date (days
    without any are left out), optionally for one client. At most 366 days at once."""
    user = current_user(request)
    start = start or timezone.localdate()
    end = end or start + dt.timedelta(days=31)
    if end < start:
        raise ValidationFailed.on("to", "La période se termine avant de commencer.")
    if (end - start).days > DAY_TASKS_MAX_DAYS:
        raise ValidationFailed.on("to", "La période ne peut pas dépasser un an.")
    target = access_client_by_id(user, client) if client else None
    counts = day_task_counts(user=user, start=start, end=end, client=target)
    return {day.isoformat(): n for day, n in counts.items()}


@router.get("/remarks", response={200: MessagePage, **ERROR_RESPONSES})
def remarks_list(
    request: HttpRequest, limit: int | None = LIMIT, cursor: Cursor | None = CURSOR
) -> Any:
    """« Remarques clients »: remarks written by client users about the service (gérants and
    superviseurs only)."""
    user = current_user(request)
    return _thread_page(user, client_remarks(user=user), cursor=cursor, limit=limit)


@router.get("/templates", response={200: TemplatePage, **ERROR_RESPONSES})
def templates_list(
    request: HttpRequest,
    client: Text | None = CLIENT,
) -> Any:
    """Message templates usable for that client (« Modèle de messages »), by name."""
    user = current_user(request)
    if not rules.may_write_messages(user):
        raise PermissionDenied()
    if user.is_staff_user and not client:
        templates = template_list_for_permanence(permanence_id=user.permanence_id)
    else:
        target = access_client_by_id(user, client or user.client_id)
        templates = template_list_for_client(client=target)
    items = [template_out(t) for t in templates]
    if not rules.sees_staff_aids(user):
        # A consigne is a note for the permanence's operators, never shown to a client.
        for item in items:
            item["consigne"] = ""
    return {"items": items, "next": None}
