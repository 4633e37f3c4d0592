"""Planning copies at send time: one outbox row per copy, written with the message."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from relais.delivery.models import Delivery
from relais.delivery.selectors import delivery_for_callback
from relais.delivery.tasks import send_deliveries
from relais.messaging.models import HistoryEvent

if TYPE_CHECKING:
    from relais.clients.models import Client
    from relais.messaging.models import Message
    from relais.tenancy.models import User


def deliveries_build(
    *,
    message: Message,
    client: Client,
    cc_users: Sequence[User],
    circle_users: Sequence[User],
) -> list[Delivery]:
    """Rows (not saved) for the client's copies (+EMAIL, +SMS, +FAX) and, by e-mail and SMS,
    for copy recipients and the circle at their own address and number."""
    now = timezone.now()
    rows: list[Delivery] = []
    seen: set[tuple[str, str]] = set()

    def add(channel: str, to: str, name: str, recipient: User | None) -> None:
        key = (channel, address_key(channel, to))
        if not to or key in seen:
            return
        seen.add(key)
        rows.append(
            Delivery(
                permanence_id=message.permanence_id,
                message=message,
                channel=channel,
                to=to,
                to_name=name,
                recipient=recipient,
                next_attempt_at=now,
            )
        )

    if message.copy_email:
        add(Delivery.EMAIL, client.email, client.name, None)
    if message.copy_sms:
        add(Delivery.SMS, client.mobile, client.name, None)
    if message.copy_fax:
        add(Delivery.FAX, client.fax, client.name, None)
    for user in cc_users:
        if message.copy_email:
            add(Delivery.EMAIL, user.email, user.name, user)
        if message.copy_sms:
            add(Delivery.SMS, user.mobile, user.name, user)
    for user in circle_users:
        # The client's own users are in its company's circle too: the client's copy by a
        # channel is theirs, so the circle does not send them a second one.
        own = user.client_id is not None and user.client_id == client.id
        if message.copy_email and not (own and client.email):
            add(Delivery.EMAIL, user.email, user.name, user)
        if message.copy_sms and not (own and client.mobile):
            add(Delivery.SMS, user.mobile, user.name, user)
    return rows


def address_key(channel: str, to: str) -> str:
    """One address written two ways is one address: e-mails without case, numbers by their
    digits in international form (06… and +336… alike)."""
    if channel == Delivery.EMAIL:
        return to.strip().casefold()
    number = "".join(ch for ch in to if ch.isdigit())
    if number.startswith("00"):
        return number[2:]
    if len(number) == 10 and number.startswith("0"):
        return "33" + number[1:]
    return number


def deliveries_enqueue_on_commit(ids: Sequence[uuid.UUID]) -> None:
    """Wakes a worker once the message is committed; ids only. The row stays the truth."""
    if not ids:
        return
    id_strings = [str(i) for i in ids]
    task = send_deliveries.using(queue_name=settings.RELAIS_DELIVERY_QUEUE)
    transaction.on_commit(lambda: task.enqueue(id_strings))


# Provider receipt statuses (Brevo's webhook "msg_status" and event names, and a generic
# "status" for gateways that call back), reduced to what the copy becomes.
_RECEIPT_DELIVERED = {"delivered", "delivrd"}
_RECEIPT_FAILED = {
    "hardbounce": "SMS non remis : numéro inexistant ou injoignable (refus de l'opérateur).",
    "softbounce": "SMS non remis : téléphone éteint ou hors réseau trop longtemps.",
    "rejected": "Copie refusée par le fournisseur.",
    "blocked": "Copie bloquée par le fournisseur (destinataire en liste noire).",
    "failed": "Le fournisseur n'a pas pu remettre la copie.",
    "undelivered": "Le fournisseur n'a pas pu remettre la copie.",
    "error": "Le fournisseur n'a pas pu remettre la copie.",
}


def status_key(status: str) -> str:
    """A provider's status or event name as the receipts compare it: lower case, letters only
    ("soft_bounce", "softBounce" → "softbounce")."""
    return "".join(c for c in (status or "").lower() if c.isalpha())


def delivery_receipt(*, delivery_id: object, token: str, status: str, reason: str = "") -> Delivery:
    """A provider's delivery receipt on the per-delivery callback URL. The token is the
    delivery's own secret: unknown id or wrong token are the same NotFound."""
    delivery = delivery_for_callback(delivery_id=delivery_id, token=token)
    return delivery_status_apply(delivery=delivery, status=status, reason=reason)


def delivery_status_apply(*, delivery: Delivery, status: str, reason: str = "") -> Delivery:
    """What a provider's status says the copy became: delivered, or failed for a reason in
    French. Other statuses (sent, accepted…) change nothing."""
    key = status_key(status)
    now = timezone.now()
    label = f"{delivery.get_channel_display()} → {delivery.to}"
    with transaction.atomic():
        if key in _RECEIPT_DELIVERED:
            # The provider's word wins, even over a retry we had scheduled after a timeout.
            changed = (
                Delivery.objects.filter(pk=delivery.pk)
                .exclude(status=Delivery.DELIVERED)
                .update(status=Delivery.DELIVERED, delivered_at=now, last_error="", in_doubt=False)
            )
            if changed:
                HistoryEvent.objects.create(
                    message_id=delivery.message_id,
                    kind=HistoryEvent.COPY_DELIVERED,
                    detail=label,
                    at=now,
                )
        elif key in _RECEIPT_FAILED:
            text = _RECEIPT_FAILED[key]
            if reason:
                text = f"{text} ({reason.strip()[:150]})"
            changed = Delivery.objects.filter(
                pk=delivery.pk, status__in=[Delivery.SENDING, Delivery.SENT]
            ).update(status=Delivery.FAILED, last_error=text[:500])
            if changed:
                HistoryEvent.objects.create(
                    message_id=delivery.message_id,
                    kind=HistoryEvent.COPY_FAILED,
                    detail=f"{label} : {text}"[:300],
                    at=now,
                )
    delivery.refresh_from_db()
    return delivery


def delivery_bounce(*, delivery: Delivery, reason: str) -> bool:
    """A delivery-status notification came back for an e-mail copy: it failed, for that
    reason (in French), even if it had been marked sent or delivered."""
    text = f"Avis de non-remise reçu : {reason.strip()}"[:500]
    now = timezone.now()
    with transaction.atomic():
        changed = Delivery.objects.filter(
            pk=delivery.pk, status__in=[Delivery.SENDING, Delivery.SENT, Delivery.DELIVERED]
        ).update(status=Delivery.FAILED, last_error=text)
        if changed:
            HistoryEvent.objects.create(
                message_id=delivery.message_id,
                kind=HistoryEvent.COPY_FAILED,
                detail=f"{delivery.get_channel_display()} → {delivery.to} : {text}"[:300],
                at=now,
            )
    return bool(changed)
