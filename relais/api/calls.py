"""Calls from the telephone system (the CTI webhook), the call journal, the client's numbers and
« levée de fiche », and the permanence's integration secrets (API.md, "Calls from the
telephone system")."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja import Field, Query, Router, Schema

from relais.api.auth import current_user
from relais.api.errors import ERROR_RESPONSES, ErrorOut
from relais.api.pagination import clamp_limit, offset_cursor, read_offset_cursor
from relais.api.schemas import Ref, Text, client_detail_out, local
from relais.calls.models import Call
from relais.calls.selectors import access_call_by_id, call_list
from relais.calls.services import (
    client_numbers_set,
    client_screen_pop_set,
    cti_event,
    cti_parse,
    integration_secret_regenerate,
    permanence_for_cti_token,
    require_integrations_right,
    secrets_for,
)
from relais.clients.selectors import access_client_by_id
from relais.core.errors import ValidationFailed
from relais.tenancy.access import access_user_by_id

router = Router(tags=["Appels"])


# --- the webhook -------------------------------------------------------------------------------


class CtiOut(Schema):
    ok: bool
    call: str
    client: str | None
    contact: str | None


def _cti_fields(request: HttpRequest) -> dict[str, list[Any]]:
    """The webhook's fields as lists of values, from JSON or from a form (repeated `user[]`)."""
    content_type = (request.content_type or "").lower()
    if content_type == "application/json" or (
        not content_type and request.body[:1] in (b"{", b"[")
    ):
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ValidationFailed("Le corps de la requête n'est pas un JSON valide.") from None
        if not isinstance(body, dict):
            raise ValidationFailed("Le corps de la requête doit être un objet JSON.")
        fields: dict[str, list[Any]] = {}
        for key, value in body.items():
            fields[key] = list(value) if isinstance(value, list) else [value]
        if "user" in fields and "user[]" not in fields:
            fields["user[]"] = fields.pop("user")
        return fields
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            return {key: request.POST.getlist(key) for key in request.POST}
        except MultiPartParserError:
            raise ValidationFailed("Le corps de la requête est mal formé.") from None
    raise ValidationFailed(
        "Type de contenu non pris en charge : JSON ou application/x-www-form-urlencoded."
    )


@router.post(
    "/cti/{token}",
    auth=None,
    response={200: CtiOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Événement du standard téléphonique (CTI)",
)
def cti_webhook(request: HttpRequest, token: str) -> Any:
    """The telephone system tells Relais about a call: `newCall`, `answer`, `hangup`, with the
    field names of Zammad's generic CTI API (`event`, `callId`, `from`, `to`, `direction`,
    `user[]`, `answeringNumber`, `cause`), as JSON or form-encoded. No bearer: the token in the
    path is the permanence's CTI secret; an unknown one answers 404 and records nothing.
    Events may repeat or come out of order: the call's final state does not depend on it."""
    permanence = permanence_for_cti_token(token)
    data = cti_parse(_cti_fields(request))
    call = cti_event(permanence=permanence, data=data)
    return {
        "ok": True,
        "call": str(call.id),
        "client": str(call.client_id) if call.client_id else None,
        "contact": str(call.contact_id) if call.contact_id else None,
    }


# --- the journal -------------------------------------------------------------------------------


class UserRefOut(Schema):
    id: str
    name: str


class CallOut(Schema):
    id: str
    call_id: str
    direction: Literal["in", "out"]
    from_: str = Field(alias="from")
    to: str
    client: Ref | None
    contact: Ref | None
    state: Literal["ringing", "answered", "missed", "ended"]
    answered_by: UserRefOut | None
    started_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    duration_s: int | None
    cause: str
    messages: list[str]


class CallPage(Schema):
    items: list[CallOut]
    next: str | None


def call_out(call: Call) -> dict[str, Any]:
    return {
        "id": str(call.id),
        "call_id": call.call_id,
        "direction": call.direction,
        "from": call.from_number or call.from_raw,
        "to": call.to_number or call.to_raw,
        "client": {"id": str(call.client.id), "name": call.client.name} if call.client else None,
        "contact": (
            {"id": str(call.contact.id), "name": call.contact.name} if call.contact else None
        ),
        "state": call.state,
        "answered_by": (
            {"id": str(call.answered_by.id), "name": call.answered_by.name}
            if call.answered_by
            else None
        ),
        "started_at": local(call.started_at),
        "answered_at": local(call.answered_at),
        "ended_at": local(call.ended_at),
        "duration_s": call.duration_s,
        "cause": call.cause,
        "messages": [str(m.id) for m in getattr(call, "messages_seen", [])],
    }


CLIENT = Query(None, description="A client's calls only (client id).")
DATE = Query(None, description="Calls started that day (Europe/Paris).")
MISSED = Query(None, description="true: missed calls only; false: the others.")
OPERATOR = Query(None, description="Calls answered by that staff user (id).")
LIMIT = Query(None, ge=1, description="At most 200.")
CURSOR = Query(None, max_length=200, description="The `next` of the previous page.")


@router.get("/calls", response={200: CallPage, **ERROR_RESPONSES}, by_alias=True)
def calls_list(
    request: HttpRequest,
    client: Text | None = CLIENT,
    date: dt.date | None = DATE,
    missed: bool | None = MISSED,
    operator: Text | None = OPERATOR,
    limit: int | None = LIMIT,
    cursor: Text | None = CURSOR,
) -> Any:
    """The call journal (« Journal des appels »), newest first. The whole permanence's needs
    the right « APPELS / Journal »; one client's, the right to read its messages."""
    user = current_user(request)
    size, offset = clamp_limit(limit, 50), read_offset_cursor(cursor)
    rows = call_list(
        user=user,
        client=access_client_by_id(user, client) if client else None,
        day=date,
        missed=missed,
        operator=access_user_by_id(user, operator) if operator else None,
        limit=size + 1,
        offset=offset,
    )
    return {
        "items": [call_out(c) for c in rows[:size]],
        "next": offset_cursor(offset + size) if len(rows) > size else None,
    }


@router.get("/calls/{call_id}", response={200: CallOut, **ERROR_RESPONSES}, by_alias=True)
def call_detail(request: HttpRequest, call_id: str) -> Any:
    """One call of the journal."""
    return call_out(access_call_by_id(current_user(request), call_id))


# --- the client's numbers and « levée de fiche » ------------------------------------------------


class ClientPatchIn(Schema):
    numbers: list[Text] | None = Field(
        None, description="The dedicated numbers (any French or international form)."
    )
    screen_pop: Literal["messages", "planning", "contacts", "instructions"] | None = None


def client_patch(request: HttpRequest, client_id: str, payload: ClientPatchIn) -> Any:
    """Changes the client's dedicated numbers (right « COMPTES / Clients / Modification ») or
    its « levée de fiche par défaut » (right « COMPTES / Clients / Paramètres »). Mounted on
    the clients router (relais.api.clients), beside GET on the same path."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    with transaction.atomic():
        if payload.numbers is not None:
            client_numbers_set(user=user, client=client, numbers=payload.numbers)
        if payload.screen_pop is not None:
            client_screen_pop_set(user=user, client=client, page=payload.screen_pop)
    return client_detail_out(client)


# --- integration secrets -------------------------------------------------------------------------


class IntegrationsOut(Schema):
    cti_url: str
    cti_token: str
    inbound_email_url: str
    inbound_sms_url: str
    inbound_token: str


class RegenerateIn(Schema):
    which: Literal["cti", "inbound"]


def integrations_out(permanence_id: Any) -> dict[str, Any]:
    found = secrets_for(permanence_id)
    base = settings.SITE_URL + "/api/v1"
    return {
        "cti_url": f"{base}/cti/{found.cti_token}",
        "cti_token": found.cti_token,
        "inbound_email_url": f"{base}/inbound/email/{found.inbound_token}",
        "inbound_sms_url": f"{base}/inbound/sms/{found.inbound_token}",
        "inbound_token": found.inbound_token,
    }


@router.get("/integrations", response={200: IntegrationsOut, **ERROR_RESPONSES})
def integrations(request: HttpRequest) -> Any:
    """The permanence's secrets for the telephone system and for replies taken in (gérant:
    right « COMPTES / Rôles / Modification »)."""
    user = current_user(request)
    require_integrations_right(user)
    return integrations_out(user.permanence_id)


@router.post("/integrations/regenerate", response={200: IntegrationsOut, **ERROR_RESPONSES})
def integrations_regenerate(request: HttpRequest, payload: RegenerateIn) -> Any:
    """A new secret (`which`: "cti" or "inbound"); the old one answers 404 from now on."""
    user = current_user(request)
    integration_secret_regenerate(user=user, which=payload.which)
    return integrations_out(user.permanence_id)
