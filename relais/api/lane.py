"""The API's own lane through the middleware: a call made with a bearer token and no cookie.

Such a call has no session, no CSRF token to check, no flash messages, no htmx and no login
form: it is authenticated by its token, in the API itself (relais.api.auth.BearerAuth). Django
would still run every page middleware on it; measured on the send, they cost about a tenth of
the API's CPU per call. `ApiLaneMiddleware`, placed right after the security headers, hands
such a call to a short chain of its own: the middleware that still means something for it
(`LANE`), then the view, exactly as Django's handler would call it.

What never takes the lane: a call with a cookie (the pages' session may authenticate it, and
then CSRF applies), the token endpoints (`/api/v1/auth/`: the login lockout), and the live
event stream (served by the ASGI server for as long as the client stays). A test checks that a
call answers the same through the lane as through the whole chain (tests/api/test_lane.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

API = "/api/v1/"
NEVER = ("/api/v1/auth/", "/api/v1/events")
# In the whole chain's order (config/settings.py MIDDLEWARE), the ones a bearer call needs:
# form bodies cleaned, the answer's language and its headers, Content-Length, framing refused,
# 405 in the API's shape. SecurityMiddleware and SecurityHeadersMiddleware come before the lane.
LANE = (
    "relais.core.middleware.InputMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "relais.api.errors.MethodNotAllowedMiddleware",
)


def takes_lane(request: HttpRequest) -> bool:
    path = request.path
    return (
        path.startswith(API)
        and not path.startswith(NEVER)
        and not request.META.get("HTTP_COOKIE")
        and request.META.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer "
    )


def _lane() -> Callable[[HttpRequest], HttpResponse]:
    """The view, as Django's handler calls it (URL resolution, ATOMIC_REQUESTS, the check
    that it answered), inside the LANE middleware. None of them hooks process_view,
    process_exception or process_template_response, which the handler would collect."""
    handler: Any = BaseHandler()  # its private parts, as load_middleware sets them
    handler._view_middleware = []
    handler._template_response_middleware = []
    handler._exception_middleware = []
    chain: Any = convert_exception_to_response(handler._get_response)
    for path in reversed(LANE):
        middleware = import_string(path)(chain)
        for hook in ("process_view", "process_exception", "process_template_response"):
            if hasattr(middleware, hook):
                raise ImproperlyConfigured(f"{path} has {hook}: it cannot take the API's lane")
        chain = convert_exception_to_response(middleware)
    return chain


class ApiLaneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.lane = _lane()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not takes_lane(request):
            return self.get_response(request)
        # Nobody, until the token says who (BearerAuth sets request.user).
        request.user = AnonymousUser()
        response = self.lane(request)
        # The same address with a cookie may answer otherwise (the session would have been read).
        patch_vary_headers(response, ("Cookie",))
        return response
