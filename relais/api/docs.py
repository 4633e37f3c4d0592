"""/api/v1/docs without the internet: Swagger UI from the copy shipped inside django-ninja.

Ninja's own docs page takes its scripts from a CDN unless "ninja" is an installed app (and
then from collected static files). Here the page and its three assets are served by the API
itself, straight from the installed package, so the docs work offline and need no
collectstatic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ninja
from django.conf import settings as django_settings
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import escape
from ninja import Router
from ninja.openapi.docs import DocsBase

from relais.api.auth import BearerAuth
from relais.api.errors import UNAUTHORIZED, error_body
from relais.core.errors import NotFound

if TYPE_CHECKING:
    from ninja import NinjaAPI

ASSETS_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}

router = Router()


def docs_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The docs page and the OpenAPI document, in production (RELAIS_DOCS_PUBLIC off, the
    default when DEBUG is off): for a logged-in session or a valid bearer token only. The
    page sends the others to the login page; the document answers 401 in the API's shape."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if django_settings.RELAIS_DOCS_PUBLIC or _signed_in(request):
            return view(request, *args, **kwargs)
        if request.path.endswith("/openapi.json"):
            response = HttpResponse(
                json.dumps(error_body(UNAUTHORIZED)),
                status=401,
                content_type="application/json; charset=utf-8",
            )
            response["WWW-Authenticate"] = 'Bearer realm="relais"'
            return response
        return redirect_to_login(request.get_full_path())

    return wrapped


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        return True
    return BearerAuth()(request) is not None


@router.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs-asset")
def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in ASSETS:
        raise Http404(name)
    response = FileResponse((ASSETS_DIR / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="icon" type="image/png" href="{favicon}">
  <link rel="stylesheet" href="{css}">
</head>
<body data-csrf-token="{csrf}" data-api-csrf="true">
  <script type="application/json" id="swagger-settings">{settings}</script>
  <div id="swagger-ui"></div>
  <script src="{bundle}"></script>
  <script src="{init}"></script>
</body>
</html>
"""


class OfflineSwagger(DocsBase):
    settings: dict[str, Any] = {"layout": "BaseLayout", "deepLinking": True}

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        namespace = api.urls_namespace

        def asset(name: str) -> str:
            return reverse(f"{namespace}:docs-asset", kwargs={"name": name})

        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        html = PAGE.format(
            title=escape(api.title),
            favicon=asset("favicon.png"),
            css=asset("swagger-ui.css"),
            bundle=asset("swagger-ui-bundle.js"),
            init=asset("swagger-ui-init.js"),
            # Logged-in pages can try the API from the docs with their session.
            csrf=escape(get_token(request)),
            settings=json.dumps(settings).replace("<", "\\u003c"),
        )
        return HttpResponse(html)


# Registered last: any other path under /api/v1/ answers in the API's error shape.
fallback = Router()


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_path(request: HttpRequest, rest: str) -> HttpResponse:
    raise NotFound("Adresse inconnue dans l'API : voir /api/v1/docs.")
