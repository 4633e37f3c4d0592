"""The REST API v1 (API.md). Endpoints only: no models, no business rules.

Every endpoint authenticates (bearer token or the pages' session), fetches through an access
helper, validates its input, and calls one service; errors come out in one shape (errors.py).
"""

from typing import Any

from ninja import NinjaAPI

from relais.api import (
    aids,
    audit,
    auth,
    calls,
    clients,
    docs,
    errors,
    escalation,
    inbound,
    messages,
    notices,
    planning,
)

DESCRIPTION = """
Everything a person can do in the Relais pages, with the same permissions.

**Authentication.** `POST /api/v1/auth/token` with `{"username": "<e-mail>", "password": "…"}`
returns `{"token": "…", "id", "expires_at"}` (90 days unless `expires_in_days` asks shorter; an
account with a second factor adds `"otp"`); send it as `Authorization: Bearer <token>`;
`DELETE /api/v1/auth/token` revokes the token it is sent with (204), `GET /api/v1/auth/tokens`
lists mine and `DELETE /api/v1/auth/tokens/{id}` revokes one. Repeated failures lock the e-mail
for a while, and an address that failed on several accounts (429).
Same-origin calls from the pages may use their session instead; unsafe methods then need the
`X-CSRFToken` header.

**Errors.** Always `{"detail": "<French sentence>", "errors": {"<field>": ["…"]}}`: 400 malformed
JSON, 401 not authenticated, 403 known object but missing right, 404 unknown or another
permanence's (indistinguishable), 409 conflict, 413 body too large, 422 invalid values (nothing
saved).

**Lists.** `{"items": [...], "next": "<cursor or null>"}`; pass `?cursor=<next>` for the next
page and `?limit=` (at most 200). Threads come newest activity first; clients, contacts and
recipients by name. Boolean parameters take `true` / `false`.

**Sending** accepts an `Idempotency-Key` header: the same key within 24 h creates nothing new
and answers 200 with the first message (and `Idempotent-Replayed: true`) instead of 201.

Ids are UUID strings, dates `YYYY-MM-DD`, instants ISO 8601 with offset (Europe/Paris).

**Live events.** `GET /api/v1/events` (Bearer; a `text/event-stream`, not JSON) streams
server-sent events: `id:` (increasing), `event:` (`call.ringing`,
`call.answered`, `call.ended`, `message.created`, `message.replied`, `message.task`,
`message.read`, `counts`) and `data:` (one line of JSON, always with `client`; with `message` for
messages; `call.answered` carries `screen_pop` for the answering operator). Only what the
caller may see. Reconnect with `Last-Event-ID` to get what was missed (the last hour); a comment
line comes at least every 25 s.
"""

# GET /api/v1/events is served outside django-ninja (an async view that streams for as long as
# the client stays: relais.events.stream.api_events); the document describes it all the same.
EVENTS_OPERATION: dict[str, Any] = {
    "operationId": "relais_events_stream_api_events",
    "summary": "Événements en direct (server-sent events)",
    "description": (
        "Un flux `text/event-stream` sans fin : `id:` croissant, `event:` (`call.ringing`, "
        "`call.answered`, `call.ended`, `message.created`, `message.replied`, `message.task`, "
        "`message.read`, `counts`), `data:` une ligne de JSON. Seul ce que l'appelant peut voir. "
        "Avec `Last-Event-ID`, ce qui a été manqué (la dernière heure) arrive d'abord. Une ligne "
        "de commentaire au moins toutes les 25 s."
    ),
    "parameters": [
        {
            "name": "Last-Event-ID",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "Le dernier `id:` reçu, pour reprendre sans rien perdre.",
        }
    ],
    "responses": {
        "200": {
            "description": "Le flux d'événements.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        "401": {
            "description": "Authentification requise.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        },
    },
    "security": [{"BearerAuth": []}],
}


class RelaisAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        schema["paths"]["/api/v1/events"] = {"get": EVENTS_OPERATION}
        return schema


api = RelaisAPI(
    title="Relais API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs=docs.OfflineSwagger(),
    docs_url="/docs",
    docs_decorator=docs.docs_login_required,
    openapi_url="/openapi.json",
    auth=[auth.BearerAuth(), auth.SessionAuth()],
    parser=errors.JsonObjectParser(),
)
errors.install(api)
api.add_router("/auth", auth.router)
api.add_router("", clients.router)
api.add_router("", messages.router)
api.add_router("", aids.router)
api.add_router("", planning.router)
api.add_router("", notices.router)
api.add_router("", escalation.router)
api.add_router("", audit.router)
api.add_router("", inbound.router)
api.add_router("", calls.router)
api.add_router("", docs.router)
api.add_router("", docs.fallback)
