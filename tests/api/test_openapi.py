"""The OpenAPI document and the browsable docs, which work without the internet."""

from __future__ import annotations

import re

from django.test import Client as HttpClient

from tests.conftest import World

DOCUMENTED = {
    "/api/v1/auth/token": {"post"},
    "/api/v1/me": {"get"},
    "/api/v1/clients": {"get"},
    "/api/v1/clients/{client_id}": {"get"},
    "/api/v1/clients/{client_id}/contacts": {"get", "post"},
    "/api/v1/clients/{client_id}/recipients": {"get"},
    "/api/v1/clients/{client_id}/messages": {"get", "post"},
    "/api/v1/messages/{message_id}": {"get"},
    "/api/v1/messages/{message_id}/replies": {"post"},
    "/api/v1/messages/{message_id}/task": {"post"},
    "/api/v1/messages/{message_id}/read": {"post", "delete"},
    "/api/v1/tasks": {"get"},
    "/api/v1/urgent": {"get"},
    "/api/v1/day-tasks": {"get"},
    "/api/v1/remarks": {"get"},
    "/api/v1/templates": {"get"},
}


def test_it_serves_an_openapi_document_naming_every_documented_path(db: None) -> None:
    response = HttpClient().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Relais API"
    for path, methods in DOCUMENTED.items():
        assert path in document["paths"], path
        assert methods <= set(document["paths"][path]), path
    assert not any("docs/assets" in path for path in document["paths"])


def test_it_documents_the_send_body_the_idempotency_key_and_the_error_shape(db: None) -> None:
    document = HttpClient().get("/api/v1/openapi.json").json()
    send = document["paths"]["/api/v1/clients/{client_id}/messages"]["post"]
    assert {"200", "201", "422", "404"} <= set(send["responses"])
    assert "Idempotency-Key" in [p["name"] for p in send["parameters"]]
    assert "200" in send["description"] and "201" in send["description"]
    schemas = document["components"]["schemas"]
    assert {"subject", "body", "cc", "attach", "copy_email"} <= set(schemas["SendIn"]["properties"])
    assert set(schemas["ErrorOut"]["properties"]) == {"detail", "errors"}
    security = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in security.values())


def test_it_serves_the_docs_page_with_local_assets_only(db: None) -> None:
    http = HttpClient()
    page = http.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    # No CDN address (the page's random CSRF token may spell "cdn" by chance: look at URLs).
    assert not re.search(r"//[^\s\"'<>]*cdn", html.lower())
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 4
    for url in assets:
        assert url.startswith("/api/v1/docs/assets/")
        response = http.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert '"url": "/api/v1/openapi.json"' in html


def test_it_refuses_unknown_doc_assets(world: World) -> None:
    http = HttpClient()
    assert http.get("/api/v1/docs/assets/..%2F..%2Fmain.py").status_code == 404
    assert http.get("/api/v1/docs/assets/redoc.standalone.js").status_code == 404


def test_it_documents_the_live_event_stream(db: None) -> None:
    document = HttpClient().get("/api/v1/openapi.json").json()
    events = document["paths"]["/api/v1/events"]["get"]
    assert "text/event-stream" in events["responses"]["200"]["content"]
    assert events["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }
    assert "ErrorOut" in document["components"]["schemas"]
    assert [p["name"] for p in events["parameters"]] == ["Last-Event-ID"]
    assert events["security"] == [{"BearerAuth": []}]


def test_no_two_schemas_share_a_name() -> None:
    """The document names each schema by its class: two classes of one name would leave one
    shape documented for both (a message's copy recipients were once documented as a notice's
    recipients)."""
    from ninja import Schema

    import relais.api.api  # noqa: F401  (every router and its schemas loaded)

    def all_schemas(cls: type) -> list[type]:
        found: list[type] = []
        sub: type
        for sub in cls.__subclasses__():
            found += [sub, *all_schemas(sub)]
        return found

    names: dict[str, set[str]] = {}
    for schema in all_schemas(Schema):
        if schema.__module__.startswith("relais."):
            names.setdefault(schema.__name__, set()).add(schema.__module__)
    assert {name: mods for name, mods in names.items() if len(mods) > 1} == {}


def test_a_message_documents_its_copy_recipients(world: World) -> None:
    http = HttpClient()
    http.force_login(world.gerant_a)
    schemas = http.get("/api/v1/openapi.json").json()["components"]["schemas"]
    recipient = schemas["MessageDetailOut"]["properties"]["recipients"]["items"]["$ref"]
    assert set(schemas[recipient.rsplit("/", 1)[1]]["properties"]) == {
        "id",
        "name",
        "kind",
        "reason",
        "read_at",
    }
