"""The rights of relais.messaging.rules, for templates: a template asks, never decides."""

from __future__ import annotations

from typing import Any

from django import template

from relais.messaging import rules

register = template.Library()


@register.filter
def sees_copy_addresses(user: Any) -> bool:
    """{{ event|history_line:addresses }} with addresses = me|sees_copy_addresses."""
    return rules.sees_copy_addresses(user)


@register.filter
def may_see_copy(user: Any, delivery: Any) -> bool:
    """{% if me|may_see_copy:d %}: this copy's line is shown to this user."""
    return rules.may_see_copy(user, recipient_id=delivery.recipient_id)
