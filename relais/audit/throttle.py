"""Login throttling beyond django-axes' per-account count: per address across accounts.

django-axes counts failures per account (AXES_LOCKOUT_PARAMETERS: the e-mail alone, so from any
address, and the (e-mail, address) pair). Password spraying — one password tried on many
accounts from one address — never trips a per-account count; this backend, put in axes' place
first in AUTHENTICATION_BACKENDS, also refuses an address that failed on
RELAIS_LOGIN_ADDRESS_MAX_ACCOUNTS different accounts within axes' cool-off time. It reads axes'
own AccessAttempt rows (one per account and address): one indexed COUNT per login."""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest


def address_accounts_failed(request: HttpRequest) -> int:
    ip = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    if not ip:
        return 0
    qs = AccessAttempt.objects.filter(ip_address=ip)
    if settings.AXES_COOLOFF_TIME is not None:
        qs = qs.filter(attempt_time__gte=get_cool_off_threshold(request))
    return qs.values("username").distinct().count()


class AddressAwareAxesBackend(AxesStandaloneBackend):
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        limit = int(getattr(settings, "RELAIS_LOGIN_ADDRESS_MAX_ACCOUNTS", 5))
        if request is not None and limit and getattr(settings, "AXES_ENABLED", True):
            # The attributes axes reads (address, attempt time), as its own backend sets them.
            AxesProxyHandler.update_request(request)
        if (
            request is not None
            and limit
            and getattr(settings, "AXES_ENABLED", True)
            and address_accounts_failed(request) >= limit
        ):
            request.axes_locked_out = True  # type: ignore[attr-defined]
            raise AxesBackendPermissionDenied("Too many accounts failed from this address")
        return super().authenticate(request, username=username, password=password, **kwargs)  # type: ignore[no-any-return]
