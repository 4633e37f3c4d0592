"""Staff sessions: the idle timeout, and the enrolment a permanence may require.

At login (user_logged_in) the session learns the permanence's idle timeout and whether the
account must still enrol a second factor; afterwards the middleware needs no query: it compares
the session's last activity with now, and moves it at most once a minute (so a page view does not
write the session every time). Polls and live streams are not activity: a screen left open
still times out."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode

from relais.audit.models import AuditEvent
from relais.audit.policy import policy_for
from relais.audit.services import audit_record
from relais.audit.totp import confirmed_device

IDLE_KEY = "relais_idle_s"
SEEN_KEY = "relais_seen"
ENROL_KEY = "relais_must_enrol"
TOUCH_EVERY_S = 60

# Requests a page makes by itself (polls, live events): they do not keep a session alive.
PASSIVE_PATHS = [
    re.compile(p)
    for p in getattr(
        settings,
        "RELAIS_SESSION_PASSIVE_PATHS",
        [r"^/menu/compteurs/$", r"^/clients/[^/]+/fils/$", r"^/messages/[^/]+/fil/$", r"^/jour/$"],
    )
]
PASSIVE_PATHS.append(re.compile(r"^/events"))


@receiver(user_logged_in, dispatch_uid="relais_session_rules")
def _session_rules(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """A staff page session gets its idle timeout (and, if need be, the enrolment to do)."""
    if request is None or not hasattr(request, "session") or request.path.startswith("/api/"):
        return
    if not getattr(user, "is_staff_user", False):
        return
    policy = policy_for(user.permanence_id)
    request.session[IDLE_KEY] = int(policy.session_idle_minutes) * 60
    request.session[SEEN_KEY] = int(time.time())
    if policy.totp_required and confirmed_device(user) is None:
        request.session[ENROL_KEY] = True
    else:
        request.session.pop(ENROL_KEY, None)


def _is_passive(request: HttpRequest) -> bool:
    return any(p.match(request.path) for p in PASSIVE_PATHS)


def _to_login(request: HttpRequest) -> HttpResponse:
    login = reverse("ui:login")
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Session expirée après une période d'inactivité.", "errors": {}},
            status=401,
        )
    target = request.get_full_path() if request.method == "GET" else ""
    if request.headers.get("HX-Request"):
        # A fragment: come back to the page it was asked from (same site only).
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        target = (current.path + (f"?{current.query}" if current.query else "")) or ""
        if not target.startswith("/") or target.startswith("//"):
            target = ""
    url = login + "?" + urlencode({"expire": "1", **({"next": target} if target else {})})
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class SessionGuardMiddleware:
    """After AuthenticationMiddleware. Only sessions marked at login are concerned."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        idle = session.get(IDLE_KEY) if session is not None else None
        if idle:
            assert session is not None
            now = int(time.time())
            seen = int(session.get(SEEN_KEY) or 0)
            if now - seen > int(idle):
                user = request.user
                if getattr(user, "is_authenticated", False):
                    audit_record(
                        permanence_id=user.permanence_id,  # type: ignore[union-attr]
                        actor=user,  # type: ignore[arg-type]
                        kind=AuditEvent.SESSION_EXPIRED,
                        target=f"user:{user.pk}",
                        detail={"idle_minutes": int(idle) // 60},
                        request=request,
                    )
                auth.logout(request)
                return _to_login(request)
            if now - seen >= TOUCH_EVERY_S and not _is_passive(request):
                session[SEEN_KEY] = now
            if session.get(ENROL_KEY) and not self._enrolment_allowed(request):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "detail": "Activez d'abord la double authentification.",
                            "errors": {},
                        },
                        status=403,
                    )
                return HttpResponseRedirect(reverse("ui:totp"))
        return self.get_response(request)

    @staticmethod
    def _enrolment_allowed(request: HttpRequest) -> bool:
        path = request.path
        return (
            path in (reverse("ui:totp"), reverse("ui:logout"), reverse("ui:login"))
            or path.startswith(settings.STATIC_URL)
            or _is_passive(request)
        )
