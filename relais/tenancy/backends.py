"""The login backend: Django's ModelBackend, with the user read together with its role and
permanence. Every page checks rights (the role) and the layout names the permanence: one query
per request where the session's user cost three."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from relais.core.queries import first_or_none
from relais.tenancy.models import User


class UserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        user = first_or_none(
            User._default_manager.select_related("role", "permanence").filter(pk=user_id)
        )
        return user if user is not None and self.user_can_authenticate(user) else None
