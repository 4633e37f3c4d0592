"""The REST API v1 (API.md). Endpoints only: no models, no business rules."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Relais API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
