"""/me, clients, contacts and copy-recipient candidates."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from relais.api import calls as calls_api
from relais.api.auth import current_user
from relais.api.errors import ERROR_RESPONSES
from relais.api.pagination import (
    Cursor,
    clamp_limit,
    cursor_query,
    offset_cursor,
    read_offset_cursor,
)
from relais.api.schemas import (
    CandidatePage,
    ClientDetailOut,
    ClientPage,
    ContactIn,
    ContactOut,
    ContactPage,
    MeOut,
    Text,
    candidate_out,
    client_detail_out,
    client_out,
    contact_out,
    me_out,
)
from relais.clients.selectors import access_client_by_id, client_list, contact_list
from relais.clients.services import contact_create
from relais.core.errors import PermissionDenied
from relais.messaging import rules
from relais.messaging.selectors import recipient_candidates

router = Router()

SEARCH = Query(
    "", max_length=100, description="Words of the name, accents and case ignored; or digits."
)
LIMIT = Query(None, ge=1, description="At most 200.")
CURSOR = cursor_query()


def _page(rows: list[Any], *, offset: int, limit: int) -> str | None:
    """rows were fetched with limit + 1: one more than asked means there is a next page."""
    return offset_cursor(offset + limit) if len(rows) > limit else None


@router.get("/me", response={200: MeOut, **ERROR_RESPONSES}, tags=["Compte"])
def me(request: HttpRequest) -> Any:
    """Who I am, my role and my rights."""
    return me_out(current_user(request))


@router.get("/clients", response={200: ClientPage, **ERROR_RESPONSES}, tags=["Clients"])
def clients_list(
    request: HttpRequest,
    search: Text = SEARCH,
    limit: int | None = LIMIT,
    cursor: Cursor | None = CURSOR,
) -> Any:
    """Clients visible to me, by name: every client of my permanence for staff, its own one
    for a client user."""
    user = current_user(request)
    size, offset = clamp_limit(limit, 200), read_offset_cursor(cursor)
    rows = client_list(user=user, search=search, limit=size + 1, offset=offset)
    return {
        "items": [client_out(c) for c in rows[:size]],
        "next": _page(rows, offset=offset, limit=size),
    }


@router.get(
    "/clients/{client_id}", response={200: ClientDetailOut, **ERROR_RESPONSES}, tags=["Clients"]
)
def client_detail(request: HttpRequest, client_id: str) -> Any:
    """One client, with its message settings (Paramètres du compte / Message)."""
    return client_detail_out(access_client_by_id(current_user(request), client_id))


# PATCH /clients/{id}: the dedicated numbers and « levée de fiche » (relais.api.calls).
router.patch(
    "/clients/{client_id}", response={200: ClientDetailOut, **ERROR_RESPONSES}, tags=["Clients"]
)(calls_api.client_patch)


@router.get(
    "/clients/{client_id}/contacts",
    response={200: ContactPage, **ERROR_RESPONSES},
    tags=["Contacts"],
)
def contacts_list(
    request: HttpRequest,
    client_id: str,
    search: Text = SEARCH,
    limit: int | None = LIMIT,
    cursor: Cursor | None = CURSOR,
) -> Any:
    """The client's contact book, by name; `search` matches a name part or phone digits."""
    client = access_client_by_id(current_user(request), client_id)
    size, offset = clamp_limit(limit, 50), read_offset_cursor(cursor)
    rows = contact_list(client=client, search=search, limit=size + 1, offset=offset)
    return {
        "items": [contact_out(c) for c in rows[:size]],
        "next": _page(rows, offset=offset, limit=size),
    }


@router.post(
    "/clients/{client_id}/contacts",
    response={201: ContactOut, **ERROR_RESPONSES},
    tags=["Contacts"],
)
def contacts_create(request: HttpRequest, client_id: str, payload: ContactIn) -> Any:
    """Adds a contact to the client's book (right « Ajout contact », or the client's own
    user). Phones are stored in E.164."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    contact = contact_create(user=user, client=client, **payload.dict())
    return Status(201, contact_out(contact))


@router.get(
    "/clients/{client_id}/recipients",
    response={200: CandidatePage, **ERROR_RESPONSES},
    tags=["Messages"],
)
def recipients_list(
    request: HttpRequest,
    client_id: str,
    search: Text = SEARCH,
    limit: int | None = LIMIT,
    cursor: Cursor | None = CURSOR,
) -> Any:
    """Who can be added in copy of a message on this client: the permanence's staff, client
    users of the same company, users the client shares its messages with. Staff who may
    write messages only."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    if not rules.may_pick_copies(user):
        raise PermissionDenied()
    size, offset = clamp_limit(limit, 20), read_offset_cursor(cursor)
    rows = recipient_candidates(
        user=user, client=client, search=search, limit=size + 1, offset=offset
    )
    return {
        "items": [candidate_out(u) for u in rows[:size]],
        "next": _page(rows, offset=offset, limit=size),
    }
