"""Logins, failures and logouts, from Django's own signals (pages and API alike)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from relais.audit.models import AuditEvent
from relais.audit.services import audit_record
from relais.tenancy.models import User


@receiver(user_logged_in, dispatch_uid="relais_audit_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    via = "api" if request is not None and request.path.startswith("/api/") else "page"
    audit_record(
        permanence_id=user.permanence_id,
        actor=user,
        kind=AuditEvent.LOGIN,
        target=f"user:{user.pk}",
        detail={"via": via},
        request=request,
    )


@receiver(user_logged_out, dispatch_uid="relais_audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return
    audit_record(
        permanence_id=user.permanence_id,
        actor=user,
        kind=AuditEvent.LOGOUT,
        target=f"user:{user.pk}",
        request=request,
    )


@receiver(user_login_failed, dispatch_uid="relais_audit_login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    email = str(credentials.get("username") or credentials.get("email") or "")[:254]
    email = "".join(ch for ch in email if ch.isprintable())
    # The e-mail is kept as typed (never the password); the account, when it exists, gives
    # the permanence whose gérant sees the failure.
    known = User.objects.filter(email=email.strip().lower()).values_list("id", "permanence_id")
    found = known.first()
    audit_record(
        permanence_id=found[1] if found else None,
        kind=AuditEvent.LOGIN_FAILED,
        target=f"user:{found[0]}" if found else "",
        detail={"email": email[:120]},
        request=request,
    )
