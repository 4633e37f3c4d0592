"""Log in with e-mail and password (django-axes counts failures); log out with a POST."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from relais.audit.totp import confirmed_device, device_verify
from relais.tenancy.models import User


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
            if getattr(user, "is_staff_user", False) and confirmed_device(user) is not None:
                # Password right: the code comes next, on its own page; not logged in yet.
                request.session.cycle_key()
                request.session[OTP_PENDING] = {
                    "user": str(user.pk),
                    "backend": getattr(user, "backend", ""),
                    "next": _safe_next(request),
                    "at": int(time.time()),
                    "tries": 0,
                }
                return redirect("ui:login_code")
            auth.login(request, user)
            return redirect(_safe_next(request))
        context["error"] = _("E-mail ou mot de passe incorrect.")
        return render(request, "ui/login.html", context, status=400)
    if request.GET.get("expire"):
        context["info"] = _(
            "Votre session a expiré après une période d'inactivité : reconnectez-vous. "
            "Le message en cours de saisie vous attend."
        )
    return render(request, "ui/login.html", context)


OTP_PENDING = "relais_otp_pending"
OTP_PENDING_S = 300
OTP_MAX_TRIES = 5


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_code_view(request: HttpRequest) -> HttpResponse:
    """The second step of a login with a second factor: the 6-digit code of the app."""
    pending = request.session.get(OTP_PENDING)
    if not pending or int(time.time()) - int(pending.get("at", 0)) > OTP_PENDING_S:
        request.session.pop(OTP_PENDING, None)
        return redirect("ui:login")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    device = confirmed_device(user) if user is not None else None
    if user is None or device is None:
        request.session.pop(OTP_PENDING, None)
        return redirect("ui:login")
    context: dict[str, object] = {}
    if request.method == "POST":
        if device_verify(
            user=user, device=device, code=request.POST.get("code", "")[:20], request=request
        ):
            request.session.pop(OTP_PENDING, None)
            user.backend = pending["backend"] or settings.AUTHENTICATION_BACKENDS[-1]
            auth.login(request, user)
            otp_login(request, device)
            return redirect(pending["next"])
        pending["tries"] = int(pending.get("tries", 0)) + 1
        if pending["tries"] >= OTP_MAX_TRIES:
            request.session.pop(OTP_PENDING, None)
            return redirect("ui:login")
        request.session[OTP_PENDING] = pending
        context["error"] = _(
            "Code incorrect : saisissez le code affiché maintenant par votre application."
        )
        return render(request, "ui/login_code.html", context, status=400)
    return render(request, "ui/login_code.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)
