"""The one wrapper every page goes through: login, then domain errors turned into HTTP answers.

Views fetch objects with the access helpers (access_client_by_id, access_message_by_id, …)
and call services; those raise RelaisError subclasses. Here NotFound becomes a 404 page,
PermissionDenied a 403 page, so no view repeats that translation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRedirect

from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.tenancy.models import User

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def forbidden(request: HttpRequest, detail: str = "") -> HttpResponse:
    return render(
        request,
        "403.html",
        {"detail": detail or "Vous n'avez pas le droit d'ouvrir cette page."},
        status=403,
    )


def page(*, staff_only: bool = False) -> Callable[[ViewFunc], ViewFunc]:
    """Login required (anonymous → /connexion/?next=…), then NotFound → 404, PermissionDenied → 403,
    ValidationFailed → 422.

    staff_only: client users get 403 (a known page they may not use).
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                if getattr(request, "htmx", False):
                    # A fragment must not swap the login page in place: reload the whole page.
                    return HttpResponseClientRedirect(
                        redirect_to_login(request.get_full_path())["Location"]
                    )
                return redirect_to_login(request.get_full_path())
            if staff_only and not user.is_staff_user:
                return forbidden(request)
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.detail) from None
            except PermissionDenied as exc:
                return forbidden(request, exc.detail)
            except ValidationFailed as exc:
                # Input a view did not show next to its fields (an oversized list…): still
                # the user's input, a French 422 rather than a 500.
                return render(request, "422.html", {"detail": exc.detail}, status=422)

        return cast(ViewFunc, wrapped)

    return decorator


def current_user(request: HttpRequest) -> User:
    """The logged-in user, typed (page() has already checked it is authenticated)."""
    return cast(User, request.user)


def is_htmx(request: HttpRequest) -> bool:
    """An htmx fragment request (a history restore wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request
