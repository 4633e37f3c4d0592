"""Planning copies at send time: one outbox row per copy, written with the message."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from relais.delivery.models import Delivery

if TYPE_CHECKING:
    from relais.clients.models import Client
    from relais.messaging.models import Message
    from relais.tenancy.models import User


def deliveries_plan(
    *,
    message: Message,
    client: Client,
    cc_users: Sequence[User],
    circle_users: Sequence[User],
) -> list[Delivery]:
    """Rows for the client's copies (+EMAIL, +SMS, +FAX) and, by e-mail and SMS, for copy
    recipients and the circle at their own address and number. Written in bulk."""
    now = timezone.now()
    rows: list[Delivery] = []
    seen: set[tuple[str, str]] = set()

    def add(channel: str, to: str, name: str, recipient: User | None) -> None:
        if not to or (channel, to) in seen:
            return
        seen.add((channel, to))
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
    for user in [*cc_users, *circle_users]:
        if message.copy_email:
            add(Delivery.EMAIL, user.email, user.name, user)
        if message.copy_sms:
            add(Delivery.SMS, user.mobile, user.name, user)
    Delivery.objects.bulk_create(rows)
    return rows


def deliveries_enqueue_on_commit(ids: Sequence[uuid.UUID]) -> None:
    """Wakes a worker once the message is committed; ids only. The row stays the truth."""
    if not ids:
        return
    from relais.delivery.tasks import send_deliveries

    id_strings = [str(i) for i in ids]
    transaction.on_commit(lambda: send_deliveries.enqueue(id_strings))
