"""The date bar, rendered where a page shows it: the staff home and the client header."""

from __future__ import annotations

from typing import Any

from django import template

from relais.clients.models import Client
from relais.tenancy import permissions as perms
from relais.ui.views.tasks import day_bar_for, parse_day

register = template.Library()


@register.inclusion_tag("ui/tasks/day_bar.html", takes_context=True)
def day_bar(context: template.Context, client: Client | None = None) -> dict[str, Any]:
    """◀ day ▶ and the envelope counting that day's open day tasks (the client's when given,
    else the permanence's). The day comes from ?jour=, today by default. One query."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated or not user.is_staff_user:
        return {"bar": None}
    if not user.has_right(perms.MESSAGES_READ):
        return {"bar": None}
    return {"bar": day_bar_for(user, parse_day(request.GET.get("jour")), client)}
