"""Login lockout answer (django-axes calls it)."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    detail = "Trop d'échecs de connexion. Réessayez dans quelques minutes."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail, "errors": {}}, status=429)
    return render(request, "ui/login.html", {"locked": True, "error": detail}, status=429)
