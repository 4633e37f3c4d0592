from typing import Any

from django.http import HttpRequest


def relais(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"me": user}
