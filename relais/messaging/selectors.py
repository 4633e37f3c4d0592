"""Reads on messages. Visibility (PRODUCT.md §7) lives here and only here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet

from relais.clients.models import Client, ClientShare
from relais.core.errors import NotFound, PermissionDenied
from relais.messaging.models import (
    HistoryEvent,
    Message,
    MessageTemplate,
    ReadState,
    Recipient,
    Reply,
)
from relais.tenancy import permissions as perms
from relais.tenancy.access import parse_id
from relais.tenancy.models import User


def visibility_filter(user: User) -> Q:
    """The messages a user may see, as one condition.

    Staff with the reading right: every message of the permanence, private ones included;
    client remarks only with the remarks right. A client user: its own client's messages
    (private ones too: the client is their recipient), minus other people's remarks; plus
    the non-private messages of clients that share with it and those it received in copy.
    """
    base = Q(permanence_id=user.permanence_id)
    if user.is_staff_user:
        if not user.has_right(perms.MESSAGES_READ):
            return Q(pk__in=[])
        if user.has_right(perms.MESSAGES_REMARKS):
            return base
        return base & Q(is_client_remark=False)
    own = Q(client_id=user.client_id) & (Q(is_client_remark=False) | Q(author_id=user.id))
    shared = Q(is_private=False, is_client_remark=False) & (
        Exists(ClientShare.objects.filter(client_id=OuterRef("client_id"), user_id=user.id))
        | Exists(Recipient.objects.filter(message_id=OuterRef("pk"), user_id=user.id))
    )
    return base & (own | shared)


def visible_messages(user: User) -> QuerySet[Message]:
    return Message.objects.filter(visibility_filter(user))


def with_unread(qs: QuerySet[Message], user: User) -> QuerySet[Message]:
    return qs.annotate(
        is_read=Exists(ReadState.objects.filter(message_id=OuterRef("pk"), user_id=user.id))
    )


def access_message_by_id(user: User, message_id: Any) -> Message:
    if user.is_staff_user and not user.has_right(perms.MESSAGES_READ):
        raise PermissionDenied()
    message = (
        with_unread(visible_messages(user), user)
        .select_related("client", "author", "contact", "done_by", "template", "client__company")
        .filter(id=parse_id(message_id))
        .first()
    )
    if message is None:
        raise NotFound("Message introuvable.")
    return message


def list_prefetch(qs: QuerySet[Message]) -> QuerySet[Message]:
    return qs.select_related("author", "contact", "client", "done_by", "template")


def message_list_for_client(
    *,
    user: User,
    client: Client,
    kind: str | None = None,
    unread: bool | None = None,
    before: dt.datetime | None = None,
    before_id: Any = None,
    limit: int = 50,
) -> list[Message]:
    """The client file's threads visible to the user, newest activity first.

    before (and before_id, for threads of the same instant) pages on: only older threads."""
    if user.is_staff_user and not user.has_right(perms.MESSAGES_READ):
        raise PermissionDenied()
    qs = with_unread(visible_messages(user).filter(client=client), user)
    qs = filter_kind(qs, kind)
    if unread is not None:
        read = Exists(ReadState.objects.filter(message_id=OuterRef("pk"), user_id=user.id))
        qs = qs.filter(~read if unread else read)
    if before is not None:
        older = Q(last_activity_at__lt=before)
        if before_id is not None:
            older |= Q(last_activity_at=before, id__lt=before_id)
        qs = qs.filter(older)
    return list(list_prefetch(qs).order_by("-last_activity_at", "-id")[:limit])


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


def thread_detail(*, user: User, message: Message) -> dict[str, Any]:
    """Replies, history, copy recipients and deliveries of a thread, in a fixed few queries."""
    replies = list(Reply.objects.filter(message=message).select_related("author"))
    history = list(HistoryEvent.objects.filter(message=message).select_related("actor"))
    recipients = list(
        Recipient.objects.filter(message=message).select_related("user").order_by("id")
    )
    reads = dict(ReadState.objects.filter(message=message).values_list("user_id", "read_at"))
    deliveries = list(message.deliveries.all().order_by("created_at"))  # type: ignore[attr-defined]
    return {
        "replies": replies,
        "history": history,
        "recipients": recipients,
        "reads": reads,
        "deliveries": deliveries,
    }


def menu_counts(user: User) -> dict[str, int]:
    """The left menu's live counts, in one query."""
    visible = visible_messages(user)
    unread = ~Exists(ReadState.objects.filter(message_id=OuterRef("pk"), user_id=user.id))
    agg: dict[str, Any] = {
        "todo": Count("pk", filter=Q(status=Message.STATUS_TODO)),
        "urgent": Count("pk", filter=Q(is_urgent=True, status__in=["normal", "todo"]) & Q(unread)),
    }
    if user.has_right(perms.MESSAGES_REMARKS):
        agg["remarks"] = Count("pk", filter=Q(is_client_remark=True) & Q(unread))
    result = visible.aggregate(**agg)
    return {key: value or 0 for key, value in result.items()}


def recipient_candidates(
    *, user: User, client: Client, search: str = "", limit: int = 20, offset: int = 0
) -> list[User]:
    """Who can be added in copy: the permanence's staff, client users of the same company,
    and users the client shares its messages with."""
    from relais.core.text import fold
    from relais.messaging.services import cc_eligibility_filter

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


def thread_prefetch() -> Prefetch[Any]:
    return Prefetch("replies", queryset=Reply.objects.select_related("author"))


def template_list_for_client(*, client: Client) -> list[MessageTemplate]:
    """Templates of the client's permanence usable for it: those for every client (no client
    chosen) and those that include it."""
    return list(
        MessageTemplate.objects.filter(permanence_id=client.permanence_id)
        .filter(Q(clients=None) | Q(clients=client))
        .distinct()
        .order_by("name")
    )


def thread_list_version(*, user: User, client: Client) -> str:
    """A cheap fingerprint of the client file's thread list as the user sees it (one query):
    it moves with a new message, a reply, a task change or a read-state change."""
    unread = ~Exists(ReadState.objects.filter(message_id=OuterRef("pk"), user_id=user.id))
    agg = (
        visible_messages(user)
        .filter(client=client)
        .aggregate(
            latest=Max("last_activity_at"),
            n=Count("pk"),
            todo=Count("pk", filter=Q(status=Message.STATUS_TODO)),
            done=Count("pk", filter=Q(status=Message.STATUS_DONE)),
            unread=Count("pk", filter=Q(unread)),
        )
    )
    latest = agg["latest"].isoformat() if agg["latest"] else "-"
    return f"{latest}.{agg['n']}.{agg['todo']}.{agg['done']}.{agg['unread']}"


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
