"""Access helpers: every object that comes from a request is fetched through one of these.

They are scoped to the user's permanence: another permanence's id answers NotFound, exactly
like an unknown id.
"""

from __future__ import annotations

import uuid
from typing import Any

from relais.core.errors import NotFound, PermissionDenied
from relais.core.queries import first_or_none
from relais.tenancy.models import User


def parse_id(value: Any) -> uuid.UUID:
    """A public id from a URL or a payload; anything malformed is simply not found."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise NotFound() from None


def require_right(user: User, code: str) -> None:
    if not user.has_right(code):
        raise PermissionDenied()


def require_staff(user: User) -> None:
    if not user.is_staff_user:
        raise PermissionDenied()


def access_user_by_id(user: User, user_id: Any) -> User:
    target = first_or_none(
        User.objects.filter(id=parse_id(user_id), permanence_id=user.permanence_id, is_active=True)
    )
    if target is None:
        raise NotFound()
    return target
