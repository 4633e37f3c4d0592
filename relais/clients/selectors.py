"""Reads on clients and contacts, always scoped to the reader."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from relais.clients.models import Client, Contact
from relais.core.errors import NotFound
from relais.core.text import digits, fold
from relais.tenancy.access import parse_id
from relais.tenancy.models import User


def client_queryset_for_user(user: User) -> QuerySet[Client]:
    """Clients a user may open: all of the permanence for staff, its own for a client user."""
    qs = Client.objects.filter(permanence_id=user.permanence_id)
    if user.is_client_user:
        qs = qs.filter(pk=user.client_id) if user.client_id else qs.none()
    return qs


def access_client_by_id(user: User, client_id: Any) -> Client:
    client = (
        client_queryset_for_user(user)
        .select_related("company", "default_template")
        .filter(id=parse_id(client_id))
        .first()
    )
    if client is None:
        raise NotFound("Client introuvable.")
    return client


def search_filter(q: str) -> Q:
    """Every word of q must appear in search_text; a number matches phone digits anywhere."""
    q = (q or "").strip()
    condition = Q()
    if not q:
        return condition
    if all(ch.isdigit() or ch in " +.-()" for ch in q):
        number = digits(q)
        if number.startswith("33") and len(number) > 2 and q.lstrip().startswith("+"):
            number = number[2:]
        return Q(search_text__contains=number) if number else condition
    for word in fold(q).split():
        condition &= Q(search_text__contains=word)
    return condition


def client_list(*, user: User, search: str = "", limit: int = 200) -> list[Client]:
    qs = client_queryset_for_user(user).select_related("company").filter(search_filter(search))
    return list(qs.order_by("name")[:limit])


def contact_list(*, client: Client, search: str = "", limit: int = 50) -> list[Contact]:
    qs = Contact.objects.filter(client=client).filter(search_filter(search))
    return list(qs.order_by("name")[:limit])


def access_contact_by_id(client: Client, contact_id: Any) -> Contact:
    contact = Contact.objects.filter(client=client, id=parse_id(contact_id)).first()
    if contact is None:
        raise NotFound("Contact introuvable.")
    return contact
