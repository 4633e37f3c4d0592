"""The left menu's counts, polled every few seconds (one aggregate query)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from relais.ui.decorators import page

# The menu entries a page can highlight (aria-current) when the poll redraws the counts.
MENU_ENTRIES = {"tasks", "follow", "urgent", "remarks", "failed"}


@page(staff_only=True)
@require_GET
def menu_counts_view(request: HttpRequest) -> HttpResponse:
    nav = request.GET.get("nav", "")
    context = {"nav": nav if nav in MENU_ENTRIES else ""}
    return render(request, "ui/partials/menu_counts.html", context)
