"""Log in with e-mail and password (django-axes counts failures); log out with a POST."""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request))
    context: dict[str, object] = {"next": request.POST.get("next") or request.GET.get("next", "")}
    if request.method == "POST":
        email = (request.POST.get("username") or "").strip().lower()[:254]
        password = request.POST.get("password") or ""
        context["email"] = email
        # request= lets django-axes count the failure and lock the pair after too many.
        user = auth.authenticate(request=request, username=email, password=password)
        if user is not None and user.is_active:
            auth.login(request, user)
            return redirect(_safe_next(request))
        context["error"] = _("E-mail ou mot de passe incorrect.")
        return render(request, "ui/login.html", context, status=400)
    return render(request, "ui/login.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)
