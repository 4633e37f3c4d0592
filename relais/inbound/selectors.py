"""Reads of what came in: « Réponses à vérifier », the original of a reply, the permanence a
token opens."""

from __future__ import annotations

import hmac
from typing import Any

from django.db.models import QuerySet

from relais.core.errors import NotFound, PermissionDenied
from relais.inbound.models import InboundItem
from relais.tenancy import permissions as perms
from relais.tenancy.access import parse_id
from relais.tenancy.models import IntegrationSecrets, Permanence, User


def permanence_for_inbound_token(token: str) -> Permanence:
    """The permanence whose inbound secret this is; anything else is the same NotFound."""
    token = token or ""
    secrets = (
        IntegrationSecrets.objects.select_related("permanence").filter(inbound_token=token).first()
        if 16 <= len(token) <= 64
        else None
    )
    if secrets is None or not hmac.compare_digest(secrets.inbound_token, token):
        raise NotFound()
    return secrets.permanence


def held_list(*, user: User, limit: int = 100) -> QuerySet[InboundItem]:
    if not user.is_staff_user or not user.has_right(perms.MESSAGES_HELD_REPLIES):
        raise PermissionDenied()
    return InboundItem.objects.filter(
        permanence_id=user.permanence_id, result=InboundItem.HELD
    ).order_by("-created_at")[:limit]


def access_held_by_id(user: User, item_id: Any) -> InboundItem:
    if not user.is_staff_user or not user.has_right(perms.MESSAGES_HELD_REPLIES):
        raise PermissionDenied()
    item = InboundItem.objects.filter(
        permanence_id=user.permanence_id, id=parse_id(item_id)
    ).first()
    if item is None:
        raise NotFound("Réponse introuvable.")
    return item
