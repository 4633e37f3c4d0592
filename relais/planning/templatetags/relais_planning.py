"""Planning helpers for templates: who sees the planning, and the « Joindre » download link."""

from __future__ import annotations

from typing import Any

from django import template

from relais.core.phones import display_phone
from relais.tenancy import permissions as perms

register = template.Library()


@register.filter
def sees_planning(user: Any) -> bool:
    """Staff holding « Planning avec rendez-vous » (client users have no planning pages)."""
    return bool(
        user is not None
        and getattr(user, "is_staff_user", False)
        and user.has_right(perms.PLANNING_VIEW)
    )


@register.filter
def manages_motifs(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_staff_user", False)
        and user.has_right(perms.PLANNING_TYPES)
    )


@register.filter
def phone(value: str) -> str:
    """A stored number the French way ("06 12 34 56 78")."""
    return display_phone(value or "")
