"""« Copies en échec »: the failed copies of the messages the user wrote, flagged in red."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from relais.delivery.selectors import failed_deliveries_for_author
from relais.messaging.selectors import FAILED_COPIES_WINDOW
from relais.tenancy.models import User
from relais.ui.decorators import page

PAGE_SIZE = 100


@page(staff_only=True)
@require_GET
def failed_copies_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    failed = failed_deliveries_for_author(user=user, since=FAILED_COPIES_WINDOW)
    rows = list(failed.select_related("message__client")[:PAGE_SIZE])
    return render(
        request,
        "ui/copies_failed.html",
        {"rows": rows, "nav": "failed", "days": FAILED_COPIES_WINDOW.days},
    )
