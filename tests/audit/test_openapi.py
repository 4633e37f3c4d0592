"""The contract names of API.md « Traces, lifetime and tokens » are in the OpenAPI document."""

from __future__ import annotations

from django.test import Client as HttpClient

DOCUMENTED = {
    "/api/v1/messages/{message_id}/reads": {"get"},
    "/api/v1/audit": {"get"},
    "/api/v1/messages/{message_id}": {"get", "delete"},
    "/api/v1/contacts/{contact_id}/export": {"get"},
    "/api/v1/clients/{client_id}/export": {"get"},
    "/api/v1/auth/token": {"post", "delete"},
    "/api/v1/auth/tokens": {"get"},
    "/api/v1/auth/tokens/{token_id}": {"delete"},
}


def test_it_documents_the_traces_and_tokens_endpoints(db: None) -> None:
    document = HttpClient().get("/api/v1/openapi.json").json()
    for path, methods in DOCUMENTED.items():
        assert path in document["paths"], path
        assert methods <= set(document["paths"][path]), path
    schemas = document["components"]["schemas"]
    assert {"token", "id", "expires_at"} <= set(schemas["TokenOut"]["properties"])
    assert set(schemas["TokenItem"]["properties"]) == {
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
    }
    assert set(schemas["ReadItem"]["properties"]) == {"user", "at", "via", "ip"}
    assert schemas["ReadItem"]["properties"]["via"]["enum"] == [
        "page",
        "api",
        "pdf",
        "report",
        "outbox",
        "link",
    ]
    erase = document["paths"]["/api/v1/messages/{message_id}"]["delete"]
    assert "204" in erase["responses"]
