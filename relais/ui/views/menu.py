"""The left menu's counts, polled every few seconds (one aggregate query)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from relais.ui.decorators import page


@page(staff_only=True)
@require_GET
def menu_counts_view(request: HttpRequest) -> HttpResponse:
    return render(request, "ui/partials/menu_counts.html")
