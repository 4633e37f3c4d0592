"""Who may do what with messages: pure predicates, without a query.

Each right is decided here and only here; services enforce them, views and the API ask them
to show or hide a button, template tags ask them to render. They read only what is already
loaded: the user with its role (every way a request's user is read loads it), a client or a
message's own columns.
"""

from __future__ import annotations

from typing import Any

from relais.tenancy import permissions as perms
from relais.tenancy.models import User


def may_write_messages(user: User) -> bool:
    """« Envoyer », « Valider »: staff with the right to write messages, and client users."""
    return user.is_client_user or user.has_right(perms.MESSAGES_ADD)


def may_write_on_client(user: User, *, client_id: Any, permanence_id: Any) -> bool:
    """A message on this client's file: in the user's permanence, by staff who may write
    messages or by a client user of that very client."""
    if permanence_id != user.permanence_id:
        return False
    if user.is_client_user:
        return bool(user.client_id == client_id)
    return user.has_right(perms.MESSAGES_ADD)


def may_change_task(user: User, *, client_id: Any) -> bool:
    """Who may make a message a task, close it or cancel it (DECISIONS.md, "Tasks"): staff
    with the right to write messages, and the client users of the message's own client. Those
    who only see it through sharing or a copy may not."""
    if user.is_staff_user:
        return user.has_right(perms.MESSAGES_ADD)
    return user.client_id is not None and bool(client_id == user.client_id)


def sees_staff_aids(user: User) -> bool:
    """Templates and their consignes, instructions, input-help phrases are notes for the
    permanence's operators: a client user never sees them."""
    return user.is_staff_user


def may_send_copies(user: User) -> bool:
    """Copy recipients, the company circle, +EMAIL/+SMS/+FAX: staff only (a client user's
    message goes to the permanence, never in copy)."""
    return user.is_staff_user


def may_see_copy(user: User, *, recipient_id: Any) -> bool:
    """A copy's line on the thread page (its address, its status): staff see every copy; a
    client user sees the client's own copies and those sent to itself, never another person's
    address."""
    return user.is_staff_user or recipient_id is None or bool(recipient_id == user.id)


def sees_copy_addresses(user: User) -> bool:
    """Where each copy went (the history's « E-mail → address » details): staff only; a
    client user does not see other people's addresses and numbers."""
    return user.is_staff_user


def manages_aids(user: User) -> bool:
    """Templates, input-help phrases and banners are managed with « TEMPLATE / Messages »
    (the gérant's right; a client user holds no staff right)."""
    return user.is_staff_user and user.has_right(perms.TEMPLATES)


def may_pick_copies(user: User) -> bool:
    """Searching the copy recipients of a message being written: staff who may write."""
    return may_send_copies(user) and may_write_messages(user)
