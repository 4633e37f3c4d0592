"""A client's acknowledgement and escalation settings and its on-call rota (API.md,
"Acknowledgement and escalation"). Reading: the permanence's staff; changing: the right
MESSAGES / Astreinte."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Body, Router, Schema

from relais.api.auth import current_user
from relais.api.errors import ERROR_RESPONSES
from relais.api.escalation_schemas import PersonRef
from relais.clients.models import Client
from relais.clients.selectors import access_client_by_id
from relais.escalation import policy
from relais.escalation.selectors import on_call_now
from relais.escalation.services import escalation_settings_set, on_call_set
from relais.tenancy.access import require_staff
from relais.tenancy.models import User

router = Router(tags=["Prise en compte et astreinte"])
BODY = Body(...)


class EscalationOut(Schema):
    ack_required: str
    steps: list[dict[str, Any]]
    final_alert: bool
    final_after_minutes: int


class OnCallOut(Schema):
    weekly: list[dict[str, Any]]
    exceptions: list[dict[str, Any]]


class OnCallNowOut(Schema):
    who: PersonRef | None
    until: str | None


def _client(request: HttpRequest, client_id: str) -> tuple[User, Client]:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_staff(user)
    return user, client


@router.get("/clients/{client_id}/escalation", response={200: EscalationOut, **ERROR_RESPONSES})
def escalation_get(request: HttpRequest, client_id: str) -> Any:
    """Which messages ask for « Pris en compte » (`urgent`, `all`, `none`), the steps when
    nobody acknowledges, and the operators' final alert."""
    _user, client = _client(request, client_id)
    return policy.escalation_of(client)


@router.put("/clients/{client_id}/escalation", response={200: EscalationOut, **ERROR_RESPONSES})
def escalation_put(request: HttpRequest, client_id: str, payload: dict[str, Any] = BODY) -> Any:
    """Replaces the settings. Steps: `{after_minutes (1–1440), to: "same" | "on_call" |
    {kind, id}, channels: ["sms", "email"]}`, each after the previous one."""
    user, client = _client(request, client_id)
    return escalation_settings_set(user=user, client=client, data=payload)


@router.get("/clients/{client_id}/on-call", response={200: OnCallOut, **ERROR_RESPONSES})
def on_call_get(request: HttpRequest, client_id: str) -> Any:
    """The weekly rota (Europe/Paris wall-clock times; `to` ≤ `from` runs past midnight) and
    its dated exceptions."""
    _user, client = _client(request, client_id)
    return policy.rota_of(client)


@router.put("/clients/{client_id}/on-call", response={200: OnCallOut, **ERROR_RESPONSES})
def on_call_put(request: HttpRequest, client_id: str, payload: dict[str, Any] = BODY) -> Any:
    user, client = _client(request, client_id)
    return on_call_set(user=user, client=client, data=payload)


@router.get("/clients/{client_id}/on-call/now", response={200: OnCallNowOut, **ERROR_RESPONSES})
def on_call_now_get(request: HttpRequest, client_id: str) -> Any:
    """Who is on call now, and until when."""
    _user, client = _client(request, client_id)
    now = on_call_now(client=client)
    return {"who": now["who"], "until": now["until"]}
