"""One error shape for the whole API: {"detail": "<French sentence>", "errors": {field: [...]}}.

Every exception an endpoint may raise is turned into that shape here, with the status API.md
names: 400 malformed, 401, 403, 404, 409, 413, 422 invalid values. Bad input never reaches a 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from relais.core.errors import RelaisError

logger = logging.getLogger(__name__)

UNAUTHORIZED = "Authentification requise : envoyez « Authorization: Bearer <jeton> »."
FORBIDDEN = "Vous n'avez pas le droit de faire cela."
NOT_FOUND = "Introuvable."
MALFORMED_JSON = "Le corps de la requête n'est pas un JSON valide."
BODY_NOT_OBJECT = "Le corps de la requête doit être un objet JSON."
INVALID_VALUES = "Certaines valeurs sont invalides."
TOO_BIG = "La requête est trop volumineuse."
NOT_JSON = "Le corps de la requête doit être envoyé en JSON (Content-Type: application/json)."
SERVER_ERROR = "Erreur interne : l'équipe technique a été prévenue."

STATUS_DETAILS = {
    400: "Requête mal formée.",
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: "Méthode non autorisée.",
    409: "Conflit avec l'état actuel.",
    413: TOO_BIG,
    415: NOT_JSON,
    422: INVALID_VALUES,
    429: "Trop de requêtes : réessayez dans quelques instants.",
}


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


# Declared on every operation so the OpenAPI document shows the error shape.
ERROR_RESPONSES: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
}


def error_body(detail: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or {}}


# --- pydantic errors, in French --------------------------------------------------------------


def _french_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "nul_character":
        return "Caractère nul interdit."
    if kind == "surrogate":
        return "Caractère invalide (UTF-16 incomplet)."
    if kind == "too_long":
        return f"{ctx.get('max_length')} éléments au maximum."
    if kind == "missing":
        return "Ce champ est obligatoire."
    if kind.startswith("bool"):
        return "Valeur attendue : true ou false."
    if kind.startswith(("date", "datetime")):
        return "Date invalide : utilisez le format AAAA-MM-JJ."
    if kind.startswith("uuid"):
        return "Identifiant invalide."
    if kind.startswith(("int", "float", "decimal")):
        return "Nombre attendu."
    if kind == "string_pattern_mismatch":
        return "Format invalide."
    if kind == "string_too_long":
        return f"{ctx.get('max_length')} caractères au maximum."
    if kind == "string_too_short":
        return "Ce champ est obligatoire."
    if kind.startswith("string") or kind == "str_type":
        return "Texte attendu."
    if kind in ("list_type", "tuple_type", "set_type"):
        return "Liste attendue."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "Objet JSON attendu."
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"Valeur inconnue : attendu {expected}." if expected else "Valeur inconnue."
    if kind == "greater_than_equal":
        return f"La valeur doit être au moins {ctx.get('ge')}."
    if kind == "greater_than":
        return f"La valeur doit être supérieure à {ctx.get('gt')}."
    if kind == "less_than_equal":
        return f"La valeur doit être au plus {ctx.get('le')}."
    if kind == "less_than":
        return f"La valeur doit être inférieure à {ctx.get('lt')}."
    return "Valeur invalide."


def _field_name(loc: Iterable[Any]) -> str:
    """("body", "payload", "attach", "from") -> "attach"; ("query", "limit") -> "limit"."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts:
        parts = parts[1:]
    names = [str(p) for p in parts if not isinstance(p, int)]
    return names[0] if names else "body"


def _is_body_shape_error(error: dict[str, Any]) -> bool:
    """The body as a whole is missing or is not a JSON object: malformed, not invalid."""
    loc = list(error.get("loc", ()))
    return bool(loc) and loc[0] == "body" and len(loc) <= 2


def validation_response(
    api: NinjaAPI, request: HttpRequest, exc: NinjaValidationError
) -> HttpResponse:
    if any(_is_body_shape_error(e) for e in exc.errors):
        return api.create_response(request, error_body(BODY_NOT_OBJECT), status=400)
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        message = _french_message(error)
        bucket = fields.setdefault(_field_name(error.get("loc", ())), [])
        if message not in bucket:
            bucket.append(message)
    if len(fields) == 1:
        (name, messages), *_ = fields.items()
        detail = f"Champ « {name} » : {messages[0][0].lower()}{messages[0][1:]}"
    else:
        detail = INVALID_VALUES
    return api.create_response(request, error_body(detail, fields), status=422)


def is_json_type(content_type: str) -> bool:
    """application/json, or a JSON dialect such as application/merge-patch+json."""
    content_type = (content_type or "").lower()
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


class JsonObjectParser(Parser):
    """A JSON body must be sent as JSON (else 415) and be an object; anything else is
    malformed (400), not invalid (422)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if not is_json_type(request.content_type or ""):
            request._relais_body_error = NOT_JSON  # type: ignore[attr-defined]
            request._relais_body_status = 415  # type: ignore[attr-defined]
            raise ValueError("not sent as JSON")
        try:
            data = json.loads(request.body)
        except RequestDataTooBig:
            raise
        except ValueError:
            request._relais_body_error = MALFORMED_JSON  # type: ignore[attr-defined]
            raise
        if not isinstance(data, dict):
            request._relais_body_error = BODY_NOT_OBJECT  # type: ignore[attr-defined]
            raise ValueError("not a JSON object")
        return data


# --- registration ----------------------------------------------------------------------------


def install(api: NinjaAPI) -> None:
    """Registers every handler on the API."""

    def respond(request: HttpRequest, status: int, detail: str, **kw: Any) -> HttpResponse:
        response = api.create_response(request, error_body(detail, kw.get("errors")), status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="relais"'
        return response

    def on_relais_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, exc.status, exc.detail, errors=exc.errors)

    def on_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return validation_response(api, request, exc)

    def on_authentication(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 401, UNAUTHORIZED)

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        status = exc.status_code
        if status == 400 and str(exc).startswith("Cannot parse request body"):
            reason = getattr(request, "_relais_body_error", MALFORMED_JSON)
            return respond(request, getattr(request, "_relais_body_status", 400), reason)
        return respond(request, status, STATUS_DETAILS.get(status, "Requête refusée."))

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 404, NOT_FOUND)

    def on_forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 403, FORBIDDEN)

    def on_too_big(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 413, TOO_BIG)

    def on_bad_request(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 400, STATUS_DETAILS[400])

    def on_django_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        # A model-level check the services did not anticipate: still the user's input.
        errors = {
            field: [str(m) for m in messages]
            for field, messages in getattr(exc, "message_dict", {"body": exc.messages}).items()
        }
        return respond(request, 422, INVALID_VALUES, errors=errors)

    def on_unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.exception("Unexpected API error on %s %s", request.method, request.path)
        return respond(request, 500, SERVER_ERROR)

    api.add_exception_handler(RelaisError, on_relais_error)
    api.add_exception_handler(NinjaValidationError, on_validation)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(ObjectDoesNotExist, on_not_found)
    api.add_exception_handler(DjangoPermissionDenied, on_forbidden)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(TooManyFieldsSent, on_bad_request)
    api.add_exception_handler(SuspiciousOperation, on_bad_request)
    api.add_exception_handler(BadRequest, on_bad_request)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(Exception, on_unexpected)


class MethodNotAllowedMiddleware:
    """A method an API path does not take answers 405 in the API's error shape, with `Allow`
    (django-ninja's own answer is a plain-text English line)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        if (
            response.status_code == 405
            and isinstance(response, HttpResponseNotAllowed)
            and request.path.startswith("/api/")
        ):
            allowed = sorted(m.strip() for m in response["Allow"].split(",") if m.strip())
            detail = (
                "Méthode HTTP non acceptée sur cette adresse : utilisez "
                + " ou ".join(allowed)
                + "."
            )
            response = HttpResponse(
                json.dumps(error_body(detail)),
                status=405,
                content_type="application/json; charset=utf-8",
            )
            response["Allow"] = ", ".join(allowed)
        return response
