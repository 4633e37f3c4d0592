"""Brevo's transactional SMS events: a reply becomes the SMS reply of the copy it answers,
through the one SMS service (`services.sms_ingest`); other events are that copy's receipts.

Brevo sends them to two places: each copy's own `webUrl` (our per-delivery callback, set by
the Brevo backend at send time) and, when the account has one, a transactional SMS webhook
(`POST https://api.brevo.com/v3/webhooks` with `{"type": "transactional", "channel": "sms",
"url", "events": [...]}`; `"batched": true` sends lists of events).

The fields read, as Brevo documents them:
- https://developers.brevo.com/docs/transactional-webhooks ("Transactional SMS"): `to`
  (mobile number of the recipient, international digits without "+"), `messageId` (integer,
  the id the send answered), `msg_status` (sent, delivered, soft_bounce, hard_bounce…),
  `date`, `type`, `reference`, `sms_count`, `credits_used`, `remaining_credit`, `id` (the
  webhook's id).
- GET /v3/transactionalSMS/statistics/events (the same events, read back): `event` (sent,
  accepted, delivered, replied, softBounce, hardBounce, subscribe, unsubscribe, skip,
  rejected), `phoneNumber`, `messageId`, `date`, `reason`, `reply` (the text answered) and
  `tag` (Relais tags each SMS with its delivery id).
A reply is `msg_status` or `event` "replied", its text in `reply`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from relais.core.errors import ValidationFailed
from relais.core.inputs import text_problem
from relais.delivery.models import Delivery
from relais.delivery.selectors import delivery_for_callback, sms_delivery_for_provider
from relais.delivery.services import delivery_status_apply, status_key
from relais.inbound.models import InboundItem
from relais.inbound.services import IngestResult, sms_ingest
from relais.tenancy.models import Permanence

MAX_EVENTS = 500
REPLIED = "replied"


@dataclass
class BrevoSmsEvent:
    status: str  # lower case, letters only: "replied", "delivered", "softbounce"…
    message_id: str
    number: str
    reply: str
    date: str
    reason: str
    tag: str

    @property
    def is_reply(self) -> bool:
        return self.status == REPLIED

    @property
    def dedupe_key(self) -> str:
        """The same reply event, posted twice or to both places, is one SMS."""
        raw = f"{self.message_id}|{self.date}|{self.reply.strip()}"
        return "brevo:" + hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class BrevoOutcome:
    event: str
    result: str  # "ack", "reply", "held", "receipt" or "ignored"
    message_id: uuid.UUID | None = None


def _text(value: Any, field: str, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationFailed.on(field, f"Événement Brevo : « {field} » doit être un texte.")
    text = str(value)
    if problem := text_problem(text):
        raise ValidationFailed.on(field, f"Événement Brevo : « {field} » : {problem}")
    return text.strip()[:limit]


def brevo_event(data: Any) -> BrevoSmsEvent:
    """One event as Brevo posts it, or a French ValidationFailed."""
    if not isinstance(data, dict):
        raise ValidationFailed.on("body", "Chaque événement Brevo doit être un objet JSON.")
    status = _text(data.get("msg_status") or data.get("event"), "msg_status", 40)
    status = status_key(status)
    if not status:
        raise ValidationFailed.on("msg_status", "Événement Brevo sans « msg_status ».")
    event = BrevoSmsEvent(
        status=status,
        message_id=_text(data.get("messageId"), "messageId", 120),
        number=_text(data.get("to") or data.get("phoneNumber"), "to", 40),
        reply=_text(data.get("reply"), "reply", 2000),
        date=_text(data.get("date"), "date", 60),
        reason=_text(data.get("reason"), "reason", 300),
        tag=_text(data.get("tag"), "tag", 120),
    )
    if event.is_reply and not event.reply:
        raise ValidationFailed.on("reply", "Réponse Brevo sans texte (« reply »).")
    return event


def brevo_events(data: Any) -> list[BrevoSmsEvent]:
    """One event or a list of them (a batched webhook)."""
    items = data if isinstance(data, list) else [data]
    if len(items) > MAX_EVENTS:
        raise ValidationFailed.on("body", f"Au plus {MAX_EVENTS} événements Brevo à la fois.")
    return [brevo_event(item) for item in items]


def brevo_copy_reply(*, delivery: Delivery, event: BrevoSmsEvent) -> IngestResult:
    """A reply event on the copy's own callback: the SMS reply of that copy, from the number
    it went to."""
    if delivery.channel != Delivery.SMS:
        raise ValidationFailed.on("msg_status", "Seule une copie SMS reçoit une réponse par SMS.")
    return sms_ingest(
        permanence=delivery.permanence,
        sender=delivery.to,
        to="",
        text=event.reply,
        delivery=delivery,
        key=event.dedupe_key,
        source=InboundItem.PROVIDER,
    )


def brevo_callback_reply(*, delivery_id: object, token: str, event: BrevoSmsEvent) -> IngestResult:
    """The per-delivery callback's reply event; unknown id or wrong token are NotFound."""
    delivery = delivery_for_callback(delivery_id=delivery_id, token=token)
    return brevo_copy_reply(delivery=delivery, event=event)


def brevo_account_events(*, permanence: Permanence, data: Any) -> list[BrevoOutcome]:
    """The account's transactional SMS webhook. Each event finds its copy by Brevo's message
    id (or the tag Relais gave it); a reply with no copy found follows the number's rule
    (48 h). Nothing is recorded when one event is malformed."""
    events = brevo_events(data)
    with transaction.atomic():
        return [_account_event(permanence, event) for event in events]


def _account_event(permanence: Permanence, event: BrevoSmsEvent) -> BrevoOutcome:
    delivery = _copy_of(permanence, event)
    if event.is_reply:
        if delivery is not None:
            outcome = brevo_copy_reply(delivery=delivery, event=event)
        else:
            outcome = sms_ingest(
                permanence=permanence,
                sender=_international(event.number),
                to="",
                text=event.reply,
                key=event.dedupe_key,
                source=InboundItem.PROVIDER,
            )
        return BrevoOutcome(event.status, outcome.sms_result, outcome.message_id)
    if delivery is None:
        return BrevoOutcome(event.status, "ignored")
    delivery_status_apply(delivery=delivery, status=event.status, reason=event.reason)
    return BrevoOutcome(event.status, "receipt", delivery.message_id)


def _copy_of(permanence: Permanence, event: BrevoSmsEvent) -> Delivery | None:
    return sms_delivery_for_provider(
        permanence_id=permanence.id, provider_id=event.message_id, tag=event.tag
    )


def _international(number: str) -> str:
    """Brevo writes numbers as international digits without "+" (33612345678)."""
    digits = number.replace(" ", "")
    if digits.isdigit() and not digits.startswith("0"):
        return "+" + digits
    return number
