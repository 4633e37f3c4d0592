"""Reads on clients and contacts, always scoped to the reader."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from relais.clients.models import Client, Contact, Instruction
from relais.core.errors import NotFound
from relais.core.queries import first_or_none
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
    client = first_or_none(
        client_queryset_for_user(user)
        .select_related("company", "default_template")
        .filter(id=parse_id(client_id))
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
        # International forms ("+33 6 12", "0033 6 12", "+33 (0)6 12") match the E.164
        # digits that search_text holds next to the national ones.
        if not q.startswith("+") and number.startswith("00"):
            number = number[2:]
        if number.startswith("330") and (q.startswith("+") or digits(q).startswith("00")):
            number = "33" + number[3:]
        return Q(search_text__contains=number) if number else condition
    for word in fold(q).split():
        condition &= Q(search_text__contains=word)
    return condition


def client_list(*, user: User, search: str = "", limit: int = 200, offset: int = 0) -> list[Client]:
    qs = client_queryset_for_user(user).select_related("company").filter(search_filter(search))
    return list(qs.order_by("name", "id")[offset : offset + limit])


def contact_list(
    *, client: Client, search: str = "", limit: int = 50, offset: int = 0
) -> list[Contact]:
    qs = Contact.objects.filter(client=client).filter(search_filter(search))
    return list(qs.order_by("name", "id")[offset : offset + limit])


def access_contact_by_id(client: Client, contact_id: Any) -> Contact:
    contact = first_or_none(Contact.objects.filter(client=client, id=parse_id(contact_id)))
    if contact is None:
        raise NotFound("Contact introuvable.")
    return contact


def instruction_list(
    *, user: User, client: Client, message_only: bool = False
) -> list[Instruction]:
    """A client's standing instructions, oldest first: staff only, never a client user.

    message_only: those whose visibility includes « Message » (the composer's left panel)."""
    if not user.is_staff_user or client.permanence_id != user.permanence_id:
        return []
    qs = Instruction.objects.filter(client=client)
    if message_only:
        qs = qs.filter(show_message=True)
    return list(qs.order_by("created_at", "id"))


def access_instruction_by_id(user: User, client: Client, instruction_id: Any) -> Instruction:
    """One of that client's instructions (the client was fetched through access_client_by_id)."""
    instruction = Instruction.objects.filter(
        client=client, permanence_id=user.permanence_id, id=parse_id(instruction_id)
    ).first()
    if instruction is None:
        raise NotFound("Instruction introuvable.")
    return instruction
