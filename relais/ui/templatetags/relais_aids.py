"""What the layout needs to know about the message aids (templates, phrases, banners)."""

from __future__ import annotations

from typing import Any

from django import template

from relais.messaging import rules
from relais.messaging.selectors import banner_list
from relais.tenancy import permissions as perms

register = template.Library()


@register.filter
def manages_aids(user: Any) -> bool:
    """Staff holding « TEMPLATE / Messages »: templates, input-help phrases and banners."""
    return bool(getattr(user, "is_authenticated", False) and rules.manages_aids(user))


@register.filter
def manages_instructions(user: Any) -> bool:
    """Staff holding « COMPTES / Clients / Paramètres »: a client's instructions."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_staff_user
        and user.has_right(perms.CLIENTS_SETTINGS)
    )


@register.simple_tag
def banners_for(user: Any, place: str) -> list[Any]:
    """The banners to show at the top of a staff page (none for a client user)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return banner_list(user=user, place=place)
