"""Reads on copies: the local outbox staff browse, the copies of a thread, failed copies."""

from __future__ import annotations

import datetime as dt
import hmac
import uuid
from typing import Any

from django.db.models import Case, Count, QuerySet, Value, When
from django.db.models.functions import Substr
from django.utils import timezone

from relais.core.errors import NotFound
from relais.delivery.models import Delivery, OutboxAttachment, OutboxCopy
from relais.tenancy import permissions as perms
from relais.tenancy.access import parse_id, require_right, require_staff
from relais.tenancy.models import User

OUTBOX_PAGE = 50


def require_outbox_right(user: User) -> None:
    require_staff(user)
    require_right(user, perms.DELIVERY_OUTBOX)


# How much of an SMS's text its outbox row shows.
OUTBOX_PREVIEW = 140


def outbox_list(
    *, user: User, channel: str = "", offset: int = 0, limit: int = OUTBOX_PAGE
) -> list[OutboxCopy]:
    """The permanence's outbox, newest first, one page (limit + 1 rows tell if there is more)."""
    require_outbox_right(user)
    qs = (
        OutboxCopy.objects.filter(permanence_id=user.permanence_id)
        .defer("html", "text", "headers")
        .annotate(
            attachment_count=Count("attachments"),
            # An SMS has no subject: its row shows the start of its text instead.
            preview=Case(
                When(channel=Delivery.SMS, then=Substr("text", 1, OUTBOX_PREVIEW)),
                default=Value(""),
            ),
        )
        .order_by("-created_at", "-id")
    )
    if channel in {c for c, _ in Delivery.CHANNELS}:
        qs = qs.filter(channel=channel)
    return list(qs[offset : offset + limit + 1])


def access_outbox_copy_by_id(user: User, copy_id: Any) -> OutboxCopy:
    require_outbox_right(user)
    copy = OutboxCopy.objects.filter(id=parse_id(copy_id), permanence_id=user.permanence_id).first()
    if copy is None:
        raise NotFound()
    return copy


def outbox_attachments(copy: OutboxCopy) -> QuerySet[OutboxAttachment]:
    return copy.attachments.defer("content").order_by("id")


def access_outbox_attachment(user: User, copy_id: Any, attachment_id: Any) -> OutboxAttachment:
    copy = access_outbox_copy_by_id(user, copy_id)
    try:
        number = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    attachment = copy.attachments.filter(id=number).first()
    if attachment is None:
        raise NotFound()
    return attachment


def deliveries_for_message(*, message_id: Any) -> list[Delivery]:
    """The copies of one thread (the caller has already checked the thread is visible)."""
    return list(Delivery.objects.filter(message_id=message_id).order_by("created_at", "channel"))


def delivery_known_to(user: User, *, client_id: Any, delivery: Delivery) -> bool:
    """Whether user may know of this copy and its address: staff know every copy; a client
    user knows the copies sent to itself and, for its own client's messages, the client's
    own copies (e-mail, SMS, fax to the client) — never another recipient's address."""
    if user.is_staff_user:
        return True
    if delivery.recipient_id is not None:
        return bool(delivery.recipient_id == user.id)
    return bool(user.client_id is not None and user.client_id == client_id)


COPY_EVENTS = ("copy_queued", "copy_sent", "copy_delivered", "copy_failed", "copy_retry")


def copy_event_known_to(
    user: User, *, kind: str, detail: str, known: list[Delivery], hidden: list[Delivery]
) -> bool:
    """A history line about a copy names its address (« E-mail → x@y : reason »): a reader
    does not see the lines about copies it may not know of."""
    if user.is_staff_user or kind not in COPY_EVENTS or "→ " not in detail:
        return True
    address = detail.split("→ ", 1)[1].split(" : ", 1)[0].strip()
    return address in {d.to for d in known} or address not in {d.to for d in hidden}


def failed_deliveries_for_author(
    *, user: User, since: dt.timedelta | None = None
) -> QuerySet[Delivery]:
    """Failed copies of the messages this user wrote: flagged in red to the operator who sent
    them."""
    since_at = None if since is None else timezone.now() - since
    qs = failed_deliveries(permanence_id=user.permanence_id, author_id=user.id, since_at=since_at)
    return qs.select_related("message").order_by("-created_at")


def failed_deliveries(
    *, permanence_id: Any, author_id: Any, since_at: dt.datetime | None
) -> QuerySet[Delivery]:
    """The failed copies of one author's messages, created since since_at (or ever)."""
    qs = Delivery.objects.filter(
        permanence_id=permanence_id, message__author_id=author_id, status=Delivery.FAILED
    )
    if since_at is not None:
        qs = qs.filter(created_at__gte=since_at)
    return qs


def delivery_for_callback(*, delivery_id: object, token: str) -> Delivery:
    """The copy a provider's per-delivery callback names. The token is the delivery's own
    secret, compared in constant time: unknown id or wrong token are the same NotFound."""
    delivery = (
        Delivery.objects.select_related("permanence", "message", "message__client", "recipient")
        .filter(id=parse_id(delivery_id))
        .first()
    )
    if delivery is None or not hmac.compare_digest(
        delivery.callback_token.encode(), (token or "").encode()
    ):
        raise NotFound()
    return delivery


def sms_delivery_for_provider(
    *, permanence_id: Any, provider_id: str, tag: str = ""
) -> Delivery | None:
    """The SMS copy of this permanence the provider names, by its message id or else by the
    tag the copy was sent with (its delivery id) — what an account-wide webhook gives — or
    None."""
    copies = Delivery.objects.select_related(
        "permanence", "message", "message__client", "recipient"
    ).filter(permanence_id=permanence_id, channel=Delivery.SMS)
    if provider_id:
        found = copies.filter(provider_id=provider_id).order_by("-created_at").first()
        if found is not None:
            return found
    try:
        delivery_id = uuid.UUID(tag) if tag else None
    except ValueError:
        delivery_id = None
    return copies.filter(id=delivery_id).first() if delivery_id else None
