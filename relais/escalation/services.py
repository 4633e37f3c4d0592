"""Writes of acknowledgement and escalation.

- `rows_for_send`: what message_send writes with a message that asks for « Pris en compte »
  (the Escalation row and one AckRequest per e-mail/SMS copy), in its single insert.
- `acknowledge`: the first acknowledgement wins (a conditional UPDATE on `ack_at IS NULL`).
- `escalation_take_due`: run by the delivery worker's sweep; each step is claimed by a
  conditional UPDATE of `next_step` and written with its copies in one transaction, so a step
  is taken once even with two workers, and a worker killed mid-step leaves nothing behind.
- `escalation_stop`: a message made private, a task cancelled or done: nothing more goes out.
- `escalation_settings_set`, `on_call_set`: the client's settings (right MESSAGES / Astreinte).
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from relais.core.errors import NotFound, PermissionDenied
from relais.delivery.models import Delivery
from relais.delivery.services import deliveries_enqueue_on_commit
from relais.escalation import policy
from relais.escalation.models import AckRequest, Escalation, EscalationStep
from relais.escalation.policy import Person
from relais.messaging.models import HistoryEvent
from relais.tenancy import permissions as perms
from relais.tenancy.models import User

if TYPE_CHECKING:
    from relais.clients.models import Client
    from relais.messaging.models import Message

ACK_PATH = "/ack/{token}"
VIA_LABELS = dict(Escalation.VIAS)
CHANNEL_LABELS = {"sms": "SMS", "email": "e-mail"}
# Steps one sweep takes at most (a backlog goes on at the next sweep, oldest due first).
SWEEP_LIMIT = 200


# --- the personal link ------------------------------------------------------------------------


def ack_token(request: AckRequest) -> str:
    """The link's token: the row's id (22 characters) then its secret."""
    head = base64.urlsafe_b64encode(request.id.bytes).decode().rstrip("=")
    return f"{head}{request.secret}"


def ack_url(request: AckRequest) -> str:
    return f"{settings.SITE_URL}{ACK_PATH.format(token=ack_token(request))}"


def ack_request_for_token(token: str, *, now: dt.datetime | None = None) -> AckRequest:
    """The copy's AckRequest for a token; NotFound alike for malformed, unknown, forged and
    expired tokens."""
    token = (token or "").strip()
    if len(token) < 23 or len(token) > 120:
        raise NotFound("Lien invalide ou expiré.")
    try:
        pk = uuid.UUID(bytes=base64.urlsafe_b64decode(token[:22] + "=="))
    except (ValueError, TypeError):
        raise NotFound("Lien invalide ou expiré.") from None
    found = (
        AckRequest.objects.filter(pk=pk)
        .select_related("message", "message__client", "message__permanence")
        .first()
    )
    now = now or timezone.now()
    # Compared even when the row is missing, so both take the same time.
    secret = found.secret if found is not None else "x" * 32
    same = hmac.compare_digest(secret.encode(), token[22:].encode())
    if found is None or not same or found.expires_at <= now:
        raise NotFound("Lien invalide ou expiré.")
    return found


# --- at send time -----------------------------------------------------------------------------


def _person_for_delivery(delivery: Delivery, client: Client) -> Person:
    if delivery.recipient is not None:
        return policy.person_of_user(delivery.recipient)
    return policy.person_of_client(client)


def _ack_request(delivery: Delivery, person: Person, now: dt.datetime) -> AckRequest:
    return AckRequest(
        permanence_id=delivery.permanence_id,
        message_id=delivery.message_id,
        delivery=delivery,
        person_kind=person.kind,
        person_id=person.id,
        person_name=person.name[:160],
        expires_at=now + dt.timedelta(days=AckRequest.LINK_DAYS),
    )


def _plan(
    steps: Sequence[dict[str, Any]], final_alert: bool, final_after: int, start: dt.datetime, k: int
) -> dt.datetime | None:
    """When step k is due: steps are planned from the send, each after_minutes after the
    previous one; index len(steps) is the final alert."""
    if k > len(steps) or (k == len(steps) and not final_alert):
        return None
    minutes = sum(int(s["after_minutes"]) for s in steps[: k + 1])
    if k == len(steps):
        minutes += final_after
    return start + dt.timedelta(minutes=minutes)


def rows_for_send(
    *,
    message: Message,
    client: Client,
    author: User,
    deliveries: Sequence[Delivery],
    now: dt.datetime,
) -> list[list[Any]]:
    """The rows message_send writes with a message that asks for acknowledgement (none
    otherwise): its Escalation and one AckRequest per e-mail and SMS copy. No query: the
    policy is read with the client."""
    # The thread's answer right after the send reads the escalation from here (no query).
    message._state.fields_cache["escalation"] = None
    if (
        not author.is_staff_user
        or message.is_client_remark
        or not policy.ack_needed(client, is_urgent=message.is_urgent)
    ):
        return []
    settings_ = policy.escalation_of(client)
    # A private message goes to its recipient only: it asks for acknowledgement, and is never
    # escalated to anyone else.
    steps = [] if message.is_private else settings_["steps"]
    final_alert = settings_["final_alert"] and not message.is_private
    requests: list[AckRequest] = []
    first_to: dict[tuple[str, str], dict[str, str]] = {}
    for delivery in deliveries:
        if delivery.channel not in (delivery.EMAIL, delivery.SMS):
            continue
        person = _person_for_delivery(delivery, client)
        requests.append(_ack_request(delivery, person, now))
        first_to.setdefault((person.kind, str(person.id)), person.ref())
    escalation = Escalation(
        message=message,
        permanence_id=message.permanence_id,
        client=client,
        steps=steps,
        final_alert=final_alert,
        final_after_minutes=settings_["final_after_minutes"],
        started_at=now,
        first_to=list(first_to.values()),
        next_step=0,
        next_step_at=_plan(steps, final_alert, settings_["final_after_minutes"], now, 0),
    )
    message._state.fields_cache["escalation"] = escalation
    return [[escalation], requests]


# --- acknowledging ----------------------------------------------------------------------------


def _person_name(message: Message, kind: str, person_id: Any) -> str:
    person = policy.person_resolve(message.client, kind, person_id)
    return person.name if person is not None else ""


def acknowledge(
    *,
    message: Message,
    via: str,
    person_kind: str,
    person_id: Any,
    delivery: Delivery | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """Records that the message was taken into account, by that person, that way ("link",
    "portal", "sms", "reply"). The first acknowledgement wins and is recorded once (one
    conditional UPDATE): returns whether this call was the one. Stops what is left of the
    escalation. Idempotent; False also for a message that asks for no acknowledgement."""
    if via not in VIA_LABELS:
        raise ValueError(f"unknown acknowledgement way: {via}")
    at = at or timezone.now()
    name = ""
    if delivery is not None:
        request = AckRequest.objects.filter(delivery_id=delivery.pk).first()
        if request is not None and request.person_kind == person_kind:
            name = request.person_name
    if not name:
        name = _person_name(message, person_kind, person_id)
    pk = policy._uuid(person_id)
    with transaction.atomic():
        won = Escalation.objects.filter(message_id=message.pk, ack_at__isnull=True).update(
            ack_at=at,
            ack_via=via,
            ack_by_kind=person_kind,
            ack_by_id=pk,
            ack_by_name=name[:160],
            state=Escalation.ACKNOWLEDGED,
            next_step_at=None,
        )
        if won:
            actor_id = (
                pk if person_kind in ("staff", "client") and pk != message.client_id else None
            )
            HistoryEvent.objects.create(
                message_id=message.pk,
                actor_id=actor_id,
                kind=HistoryEvent.ACKNOWLEDGED,
                detail=f"Pris en compte par {name or 'le destinataire'} ({VIA_LABELS[via]})"[:300],
                at=at,
            )
    return bool(won)


def acknowledge_by_link(*, token: str) -> tuple[AckRequest, bool]:
    """The POST of the link's page: acknowledges as the person the copy went to."""
    request = ack_request_for_token(token)
    won = acknowledge(
        message=request.message,
        via=Escalation.VIA_LINK,
        person_kind=request.person_kind,
        person_id=request.person_id,
        delivery=request.delivery,
    )
    return request, won


def acknowledge_in_portal(*, user: User, message: Message) -> bool:
    """A client user of the message's own client opening the thread in the portal."""
    if not user.is_client_user or user.client_id != message.client_id:
        return False
    return acknowledge(
        message=message, via=Escalation.VIA_PORTAL, person_kind="client", person_id=user.id
    )


# --- stopping ---------------------------------------------------------------------------------

STOP_LABELS = {
    "private": "message rendu privé",
    "task_cancel": "tâche annulée",
    "task_done": "tâche faite",
}


def escalation_stop(*, message: Message, reason: str, actor: User | None = None) -> bool:
    """Nothing more goes out for this message (made private, task cancelled or done); the
    acknowledgement stays possible. True when something was left."""
    now = timezone.now()
    with transaction.atomic():
        stopped = Escalation.objects.filter(
            message_id=message.pk, state__in=Escalation.OPEN, next_step_at__isnull=False
        ).update(state=Escalation.EXHAUSTED, next_step_at=None, stopped_reason=reason[:20])
        if stopped:
            HistoryEvent.objects.create(
                message_id=message.pk,
                actor=actor,
                kind=HistoryEvent.ESCALATION_STOP,
                detail=f"Escalade arrêtée : {STOP_LABELS.get(reason, reason)}"[:300],
                at=now,
            )
    return bool(stopped)


# --- the steps --------------------------------------------------------------------------------


def escalation_take_due(*, now: dt.datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Takes the steps that are due (the worker's sweep). Late steps of one message are taken
    in order, each once. Returns how many steps were taken."""
    now = now or timezone.now()
    due = list(
        Escalation.objects.filter(state__in=Escalation.OPEN, next_step_at__lte=now)
        .order_by("next_step_at")
        .values_list("pk", flat=True)[:limit]
    )
    taken = 0
    for pk in due:
        for _ in range(policy.MAX_STEPS + 1):
            if not _take_one(pk, now):
                break
            taken += 1
    return taken


def _targets(escalation: Escalation, step: dict[str, Any], due: dt.datetime) -> list[Person]:
    client = escalation.client
    to = step.get("to")
    refs: list[dict[str, Any]]
    if to == "same":
        refs = list(escalation.first_to) or [policy.person_of_client(client).ref()]
    elif to == "on_call":
        who, _until = policy.on_call_at(client, due)
        refs = [who] if who else []
    else:
        refs = [to] if isinstance(to, dict) else []
    people = []
    for ref in refs:
        person = policy.person_resolve(client, ref.get("kind"), ref.get("id"))
        if person is not None:
            people.append(person)
    return people


def _take_one(pk: Any, now: dt.datetime) -> bool:
    with transaction.atomic():
        escalation = (
            Escalation.objects.select_related("message", "client")
            .filter(pk=pk, state__in=Escalation.OPEN, next_step_at__lte=now)
            .first()
        )
        if escalation is None:
            return False
        message = escalation.message
        k, due = escalation.next_step, escalation.next_step_at
        assert due is not None
        if message.is_private:
            escalation_stop(message=message, reason="private")
            return False
        steps = escalation.steps
        final = k >= len(steps)
        upcoming = _plan(
            steps,
            escalation.final_alert,
            escalation.final_after_minutes,
            escalation.started_at,
            k + 1,
        )
        if final:
            changes: dict[str, Any] = {"state": Escalation.EXHAUSTED, "alert_at": now}
        else:
            state = Escalation.ESCALATED if upcoming else Escalation.EXHAUSTED
            changes = {"state": state}
        # The claim: one winner per step, whatever the number of workers. A worker killed
        # after it rolls the whole step back; the next sweep takes it.
        won = Escalation.objects.filter(
            pk=pk, next_step=k, state__in=Escalation.OPEN, ack_at__isnull=True
        ).update(next_step=k + 1, next_step_at=upcoming, **changes)
        if not won:
            return False
        if final:
            HistoryEvent.objects.create(
                message_id=message.pk,
                kind=HistoryEvent.ESCALATION_ALERT,
                detail="Urgence non prise en compte — appeler",
                at=now,
            )
            return True
        step = steps[k]
        people = _targets(escalation, step, due)
        rows, requests = _step_copies(message, step, people, now)
        _step_write(escalation, k, due, step, people, rows, requests, now)
    return True


def _step_copies(
    message: Message, step: dict[str, Any], people: list[Person], now: dt.datetime
) -> tuple[list[Delivery], list[AckRequest]]:
    """The copies of a step (one per person and channel, an address reached once) and the
    acknowledgement request of each, not saved yet."""
    rows: list[Delivery] = []
    requests: list[AckRequest] = []
    seen: set[tuple[str, str]] = set()
    users = {u.id: u for u in User.objects.filter(id__in=[p.user_id for p in people if p.user_id])}
    for person in people:
        for channel in step.get("channels") or []:
            address = person.email if channel == "email" else person.mobile
            if not address or (channel, address) in seen:
                continue
            seen.add((channel, address))
            delivery = Delivery(
                id=uuid.uuid4(),
                permanence_id=message.permanence_id,
                message=message,
                channel=Delivery.EMAIL if channel == "email" else Delivery.SMS,
                to=address,
                to_name=person.name[:160],
                recipient=users.get(person.user_id) if person.user_id else None,
                next_attempt_at=now,
            )
            rows.append(delivery)
            requests.append(_ack_request(delivery, person, now))
    return rows, requests


def _step_write(
    escalation: Escalation,
    k: int,
    due: dt.datetime,
    step: dict[str, Any],
    people: list[Person],
    rows: list[Delivery],
    requests: list[AckRequest],
    now: dt.datetime,
) -> None:
    """Saves a step taken: its trace, its copies and their requests, the message's history;
    the copies go to the outbox once the transaction commits."""
    message = escalation.message
    names = ", ".join(p.name for p in people) or "personne (aucune astreinte à cette heure)"
    channels = ", ".join(CHANNEL_LABELS[c] for c in step.get("channels") or [])
    EscalationStep.objects.create(
        escalation=escalation,
        step=k,
        due_at=due,
        at=now,
        to=[p.ref() for p in people],
        channels=list(step.get("channels") or []),
    )
    Delivery.objects.bulk_create(rows)
    AckRequest.objects.bulk_create(requests)
    HistoryEvent.objects.bulk_create(
        [
            HistoryEvent(
                message_id=message.pk,
                kind=HistoryEvent.ESCALATION_STEP,
                detail=f"Relance {k + 1} ({channels}) → {names}"[:300],
                at=now,
            ),
            *[
                HistoryEvent(
                    message_id=message.pk,
                    kind=HistoryEvent.COPY_QUEUED,
                    detail=f"{d.get_channel_display()} → {d.to}"[:300],
                    at=now,
                )
                for d in rows
            ],
        ]
    )
    deliveries_enqueue_on_commit([d.id for d in rows])


# --- the client's settings --------------------------------------------------------------------


def _require_on_call_right(user: User, client: Client) -> None:
    if client.permanence_id != user.permanence_id:
        raise NotFound("Client introuvable.")
    if not user.is_staff_user or not user.has_right(perms.MESSAGES_ON_CALL):
        raise PermissionDenied()


def escalation_settings_set(*, user: User, client: Client, data: Any) -> dict[str, Any]:
    """Replaces the client's acknowledgement and escalation settings. Running escalations keep
    the steps they started with."""
    _require_on_call_right(user, client)
    cleaned = policy.escalation_clean(client, data)
    client.ack_required = cleaned["ack_required"]
    client.escalation = {
        "steps": cleaned["steps"],
        "final_alert": cleaned["final_alert"],
        "final_after_minutes": cleaned["final_after_minutes"],
    }
    client.save(update_fields=["ack_required", "escalation"])
    return policy.escalation_of(client)


def on_call_set(*, user: User, client: Client, data: Any) -> dict[str, Any]:
    """Replaces the client's on-call rota."""
    _require_on_call_right(user, client)
    client.on_call = policy.rota_clean(client, data)
    client.save(update_fields=["on_call"])
    return policy.rota_of(client)
