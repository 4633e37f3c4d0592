"""Reads of acknowledgement and escalation: a thread's state, the list badges, the operators'
alerts, who is on call now, the copy an SMS « OK » answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from relais.clients.models import Client
from relais.core.phones import display_phone
from relais.delivery.models import Delivery
from relais.escalation import policy
from relais.escalation.models import Escalation, EscalationStep
from relais.messaging.models import Message
from relais.messaging.selectors import visible_messages
from relais.tenancy.models import User


def escalation_for_message(*, message: Message) -> Escalation | None:
    return Escalation.objects.filter(message_id=message.pk).first()


def escalation_cached(message: Message) -> Escalation | None:
    """The message's escalation; no query for a message fresh from message_send (the send
    left it, or None, in the instance's cache)."""
    cache = message._state.fields_cache
    if "escalation" in cache:
        return cache["escalation"]  # type: ignore[no-any-return]
    found = escalation_for_message(message=message)
    cache["escalation"] = found
    return found


def escalations_for_messages(ids: Iterable[Any]) -> dict[Any, Escalation]:
    """The escalations of a page of messages, by message id (one query): the list badges."""
    wanted = list(ids)
    if not wanted:
        return {}
    return {e.message_id: e for e in Escalation.objects.filter(message_id__in=wanted)}


def escalation_json(escalation: Escalation | None) -> dict[str, Any] | None:
    """`escalation` of GET /api/v1/messages/{id}."""
    if escalation is None:
        return None
    # Nothing taken yet: no need to look.
    taken = (
        list(EscalationStep.objects.filter(escalation=escalation)) if escalation.next_step else []
    )
    return {
        "state": escalation.state,
        "next_step_at": escalation.next_step_at.isoformat() if escalation.next_step_at else None,
        "steps_taken": [
            {
                "at": s.at.isoformat(),
                "step": s.step + 1,
                "to": s.to,
                "channels": s.channels,
            }
            for s in taken
        ],
        "alert_at": escalation.alert_at.isoformat() if escalation.alert_at else None,
        "stopped_reason": escalation.stopped_reason or None,
    }


def acknowledgement_json(escalation: Escalation | None) -> dict[str, Any] | None:
    """`acknowledgement` of GET /api/v1/messages/{id}."""
    if escalation is None or escalation.ack_at is None:
        return None
    return {
        "at": escalation.ack_at.isoformat(),
        "by": {
            "kind": escalation.ack_by_kind,
            "id": str(escalation.ack_by_id) if escalation.ack_by_id else None,
            "name": escalation.ack_by_name,
        },
        "via": escalation.ack_via,
    }


def alerts_for_user(*, user: User, limit: int = 20) -> list[dict[str, Any]]:
    """« Urgence non prise en compte — appeler »: the permanence's urgent messages whose
    escalation ran out without acknowledgement, newest alert first, with the numbers to call
    (the client, the people the copies went to, the person on call). Staff only."""
    if not user.is_staff_user:
        return []
    visible = visible_messages(user).values("pk")
    rows = list(
        Escalation.objects.filter(
            permanence_id=user.permanence_id,
            state=Escalation.EXHAUSTED,
            alert_at__isnull=False,
            ack_at__isnull=True,
            message_id__in=visible,
        )
        .select_related("message", "client")
        .order_by("-alert_at")[:limit]
    )
    out = []
    now = timezone.now()
    for escalation in rows:
        out.append(
            {
                "message": escalation.message,
                "client": escalation.client,
                "alert_at": escalation.alert_at,
                "numbers": numbers_to_call(escalation, now=now),
            }
        )
    return out


def numbers_to_call(escalation: Escalation, *, now: dt.datetime) -> list[dict[str, str]]:
    """[{name, phone}]: the client, then the people reached, then who is on call now."""
    client = escalation.client
    seen: set[str] = set()
    out: list[dict[str, str]] = []

    def add(name: str, *phones: str) -> None:
        for phone in phones:
            if phone and phone not in seen:
                seen.add(phone)
                out.append({"name": name, "phone": display_phone(phone), "e164": phone})

    add(client.name, client.mobile, client.phone)
    refs = list(escalation.first_to)
    for step in EscalationStep.objects.filter(escalation=escalation):
        refs += step.to
    who, _until = policy.on_call_at(client, now)
    if who:
        refs.append(who)
    for ref in refs:
        person = policy.person_resolve(client, ref.get("kind"), ref.get("id"))
        if person is not None:
            add(person.name, person.mobile)
    return out


def on_call_now(*, client: Client, at: dt.datetime | None = None) -> dict[str, Any]:
    """`GET /api/v1/clients/{id}/on-call/now`: {who: {kind, id, name} or null, until}."""
    at = at or timezone.now()
    who, until = policy.on_call_at(client, at)
    person = policy.person_resolve(client, who.get("kind"), who.get("id")) if who else None
    return {
        "who": person.ref() if person else None,
        "until": until.isoformat() if until and person else None,
        "until_local": until.astimezone(policy.PARIS) if until and person else None,
        "person": person,
    }


def ack_pending_delivery_for_phone(
    *, permanence_id: Any, phone_e164: str, within: dt.timedelta = dt.timedelta(hours=48)
) -> Any:
    """The latest SMS copy sent to that number, within `within`, that asked for an
    acknowledgement not given yet — what an SMS « OK » from that number answers — or None."""
    if not phone_e164:
        return None
    since = timezone.now() - within
    return (
        Delivery.objects.filter(
            permanence_id=permanence_id,
            channel=Delivery.SMS,
            to=phone_e164,
            created_at__gte=since,
            ack_request__isnull=False,
            message__escalation__ack_at__isnull=True,
        )
        .exclude(status=Delivery.FAILED)
        .select_related("message", "ack_request")
        .order_by("-created_at")
        .first()
    )
