"""The local outbox: copies are kept in the database instead of leaving.

The default when no provider is configured (the demo, development): staff with the right
"MESSAGES / Boîte d'envoi" browse what would have been sent, attachments included. Addresses and
numbers are checked like the real transports do, so a wrong number fails here as well.
"""

from __future__ import annotations

from django.db import DatabaseError, transaction

from relais.delivery.backends.base import (
    Backend,
    OutgoingCopy,
    SendResult,
    check_email_address,
    parse_number,
    temporary,
)
from relais.delivery.models import OutboxAttachment, OutboxCopy


class OutboxBackend(Backend):
    name = "outbox"

    def send(self, copy: OutgoingCopy) -> SendResult:
        if copy.channel == "email":
            check_email_address(copy.to)
        else:
            parse_number(copy.to, mobile=copy.channel == "sms")
        try:
            with transaction.atomic():
                stored, created = OutboxCopy.objects.get_or_create(
                    delivery_id=copy.delivery_id,
                    defaults={
                        "permanence_id": copy.permanence_id,
                        "message_id": copy.message_id,
                        "channel": copy.channel,
                        "to": copy.to,
                        "to_name": copy.to_name[:160],
                        "subject": copy.subject[:300],
                        "text": copy.text,
                        "html": copy.html,
                        "headers": {
                            **copy.headers,
                            **({"From": copy.from_email} if copy.from_email else {}),
                            **({"Reply-To": copy.reply_to} if copy.reply_to else {}),
                        },
                    },
                )
                if created and copy.attachments:
                    OutboxAttachment.objects.bulk_create(
                        OutboxAttachment(
                            copy=stored,
                            filename=a.filename,
                            content_type=a.content_type,
                            content=a.content,
                            size=len(a.content),
                        )
                        for a in copy.attachments
                    )
        except DatabaseError as exc:
            raise temporary(
                f"Boîte d'envoi locale indisponible ({exc}).", backend_down=True
            ) from exc
        return SendResult(provider_id=str(stored.id))

    def lookup(self, copy: OutgoingCopy) -> SendResult | None:
        stored = OutboxCopy.objects.filter(delivery_id=copy.delivery_id).first()
        return SendResult(provider_id=str(stored.id)) if stored else None
