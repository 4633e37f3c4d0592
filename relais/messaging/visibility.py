"""Who sees which message (PRODUCT.md §7) and who may be put in copy, as conditions on rows.

The selectors, the « Urgent » cursor (messaging.urgent), the send's lookup and the exports
read these; nothing else decides visibility.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Exists, OuterRef, Q

from relais.clients.models import Client, ClientShare
from relais.messaging.models import Message, Recipient
from relais.tenancy import permissions as perms
from relais.tenancy.models import User


def cc_eligibility_filter(client: Client) -> Q:
    """Users who may receive a copy of this client's messages."""
    return cc_eligibility_rule(
        permanence_id=client.permanence_id, client_id=client.id, company_id=client.company_id
    )


def cc_eligibility_rule(*, permanence_id: Any, client_id: Any, company_id: Any) -> Q:
    """Users who may receive a copy of a client's messages: the permanence's staff, users the
    client shares its messages with, and client users of the same company. company_id may be
    an expression (an OuterRef to the client row: NULL then matches nobody)."""
    # Exists rather than a join: one row per user, no DISTINCT needed.
    shares = ClientShare.objects.filter(user_id=OuterRef("pk"), client_id=client_id)
    condition: Any = Q(kind=User.STAFF) | Exists(shares)
    if company_id is not None:
        condition |= Q(kind=User.CLIENT, client__company_id=company_id)
    return cast(Q, Q(permanence_id=permanence_id) & condition)


def visibility_filter(user: User) -> Q:
    """The messages a user may see, as one condition.

    Staff with the reading right: every message of the permanence, private ones included;
    client remarks only with the remarks right. A client user: its own client's messages
    (private ones too: the client is their recipient), minus other people's remarks; plus
    the non-private messages of clients that share with it and those it received in copy.
    """
    base = Q(permanence_id=user.permanence_id)
    if user.is_staff_user:
        if not user.has_right(perms.MESSAGES_READ):
            return Q(pk__in=[])
        return staff_visibility(user.permanence_id, user.has_right(perms.MESSAGES_REMARKS))
    own = Q(client_id=user.client_id) & (Q(is_client_remark=False) | Q(author_id=user.id))
    shared = Q(is_private=False, is_client_remark=False) & (
        Exists(ClientShare.objects.filter(client_id=OuterRef("client_id"), user_id=user.id))
        | Exists(Recipient.objects.filter(message_id=OuterRef("pk"), user_id=user.id))
    )
    return base & (own | shared)


# What « Urgent » lists and counts: urgent messages not done (a done task has been dealt with).
URGENT_OPEN = Q(is_urgent=True, status__in=[Message.STATUS_NORMAL, Message.STATUS_TODO])


def staff_visibility(permanence_id: Any, sees_remarks: bool) -> Q:
    """What staff with the reading right see: every message of the permanence, client remarks
    only with the remarks right."""
    base = Q(permanence_id=permanence_id)
    return base if sees_remarks else base & Q(is_client_remark=False)
