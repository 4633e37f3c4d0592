"""What every page's layout needs: the user, its permanence, the left menu and its counts.

The counts are computed lazily (one query, only when the layout shows them), so fragments
that don't render the menu cost nothing.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from relais.calls.selectors import missed_today_count
from relais.messaging import selectors
from relais.messaging.selectors import menu_counts
from relais.tenancy import permissions as perms
from relais.tenancy.models import User


class Menu:
    """The left menu of a staff user: which entries exist and their counts."""

    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def counts(self) -> dict[str, int]:
        if not self.user.is_staff_user:
            return {}
        return menu_counts(self.user)

    @property
    def count_cap(self) -> int:
        """Counts stop there (messaging.selectors.MENU_COUNT_CAP): the menu shows « 99+ »."""
        return selectors.MENU_COUNT_CAP

    @cached_property
    def can_read(self) -> bool:
        return self.user.has_right(perms.MESSAGES_READ)

    @cached_property
    def shows_remarks(self) -> bool:
        return self.user.has_right(perms.MESSAGES_REMARKS)

    @cached_property
    def calls_journal(self) -> bool:
        return self.user.is_staff_user and self.user.has_right(perms.CALLS_JOURNAL)

    @cached_property
    def missed_calls(self) -> int:
        """Missed calls of the day (only read when the menu shows the journal's entry)."""

        return missed_today_count(user=self.user)

    @cached_property
    def can_edit_roles(self) -> bool:
        return self.user.has_right(perms.ROLES_EDIT)

    @cached_property
    def can_read_traces(self) -> bool:
        return self.user.has_right(perms.AUDIT_READ)

    @cached_property
    def can_set_retention(self) -> bool:
        return self.user.has_right(perms.DATA_POLICY)

    @cached_property
    def can_check_replies(self) -> bool:
        return self.user.has_right(perms.MESSAGES_HELD_REPLIES)

    @cached_property
    def outbox_url(self) -> str:
        """The delivery outbox page, once it is mounted and for those with the right."""
        if not self.user.has_right(perms.DELIVERY_OUTBOX):
            return ""
        try:
            return reverse("delivery:outbox")
        except NoReverseMatch:
            return ""


def relais(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    layout = "ui/layout_staff.html" if user.is_staff_user else "ui/layout_portal.html"
    return {"me": user, "menu": Menu(user), "layout": layout, "thread_root": thread_root()}


def thread_root() -> str:
    """/messages/ : a thread's address is this plus its id and "/" (one reverse per page,
    not one per row of a list)."""
    return reverse("ui:thread", args=["0"]).removesuffix("0/")
