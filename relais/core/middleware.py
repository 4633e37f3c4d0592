"""Middleware that every request goes through: input cleaning and the browser's safety headers.

`InputMiddleware` (early: before the session, CSRF, login lockout and every view):
- a form body that cannot be parsed (multipart without a boundary…) answers 400, never 500;
- NUL characters, which PostgreSQL cannot store, are removed from every page's query string
  and every form body (field names and values), so that no page form, search or the login
  form can reach the database with one. The API's JSON bodies and query parameters are
  checked by its own `Text` type instead (422, as API.md documents).

`SecurityHeadersMiddleware` (outermost after Django's SecurityMiddleware):
- `Content-Security-Policy`: scripts from our own files only (plus a per-request nonce,
  `request.csp_nonce`, for a page that truly needs an inline script); styles may be inline
  (the templates use `style=` attributes; see docs/DECISIONS.md);
- `Permissions-Policy`: no camera, microphone, geolocation, payment…;
- `Cache-Control: no-store` on every answer to an authenticated request and on every API
  answer, unless the view said the answer is public (the docs' static assets).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

from relais.core.inputs import strip_nul

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
BAD_FORM = "Le corps de la requête est mal formé."


def _without_nul(data: QueryDict) -> QueryDict | None:
    """A copy of data with NUL characters removed, or None when it holds none."""
    if not any("\x00" in k or any("\x00" in v for v in vs) for k, vs in data.lists()):
        return None
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(strip_nul(key), [strip_nul(v) for v in values])
    cleaned._mutable = False
    return cleaned


def _bad_request(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return HttpResponse(
            json.dumps({"detail": BAD_FORM, "errors": {}}),
            status=400,
            content_type="application/json; charset=utf-8",
        )
    return render(request, "400.html", status=400)


class InputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The API's query parameters are its Text type's to refuse (422, as documented).
        if request.GET and not request.path.startswith("/api/"):
            cleaned = _without_nul(request.GET)
            if cleaned is not None:
                request.GET = cleaned  # type: ignore[assignment]
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.content_type in FORM_TYPES:
            try:
                # The raw body is kept (at most DATA_UPLOAD_MAX_MEMORY_SIZE: no page takes
                # file uploads) so that a view may still read request.body after this.
                request.body  # noqa: B018
                post = request.POST
            except MultiPartParserError:
                return _bad_request(request)
            cleaned = _without_nul(post)
            if cleaned is not None:
                request.POST = cleaned  # type: ignore[assignment]
        return self.get_response(request)


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy(nonce))
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        private = request.path.startswith("/api/") or _authenticated(request)
        if private and "public" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store, private"
        return response


def _authenticated(request: HttpRequest) -> bool:
    """A session user, or the API's caller (a bearer token sets request.auth)."""
    if getattr(request, "auth", None) is not None:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)
