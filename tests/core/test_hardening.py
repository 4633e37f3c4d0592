"""Browser hardening and the smaller defences (issue 19, points 7 and 11): headers, the docs
behind a login, TLS to a remote SMTP server, what a PDF may load, the dev server's static
files."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client as HttpClient
from django.test import RequestFactory

from relais.exports.fetcher import allowed
from relais.exports.pdf import html_to_pdf
from tests.conftest import World, api_client, login

ROOT = Path(__file__).resolve().parents[2]


# --- headers ---------------------------------------------------------------------------------


def test_it_sends_a_csp_without_inline_scripts_and_a_permissions_policy(db: None) -> None:
    response = HttpClient().get("/connexion/")
    csp = response["Content-Security-Policy"]
    scripts = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'self'" in scripts and "'nonce-" in scripts and "unsafe-inline" not in scripts
    assert "style-src 'self' 'unsafe-inline'" in csp  # inline style= attributes: see DECISIONS
    assert "geolocation=()" in response["Permissions-Policy"]


def test_it_marks_every_authenticated_answer_no_store(world: World) -> None:
    pages = login(world.operateur_a)
    for path in ("/", f"/clients/{world.client_a.id}/", "/taches/", "/api/v1/me"):
        response = pages.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
    api = api_client(world.operateur_a)
    for path in ("/api/v1/me", "/api/v1/messages", "/api/v1/clients/00000000-0000-0000-0000-0"):
        response = api.get(path)
        assert "no-store" in response["Cache-Control"], path
    # An error to an authenticated caller too; the docs' public assets keep their cache.
    assert api.get("/api/v1/nowhere").status_code == 404
    assert "no-store" in api.get("/api/v1/nowhere")["Cache-Control"]
    asset = pages.get("/api/v1/docs/assets/swagger-ui.css")
    assert asset["Cache-Control"] == "public, max-age=86400"


def test_it_keeps_the_docs_and_openapi_document_behind_a_login_in_production(
    world: World, settings: object
) -> None:
    settings.RELAIS_DOCS_PUBLIC = False  # type: ignore[attr-defined]
    anonymous = HttpClient()
    response = anonymous.get("/api/v1/openapi.json")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentification requise")
    response = anonymous.get("/api/v1/docs")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=/api/v1/docs")
    bad_token = HttpClient(headers={"Authorization": "Bearer nope"})
    assert bad_token.get("/api/v1/openapi.json").status_code == 401
    for caller in (api_client(world.client_user_a), login(world.operateur_a)):
        assert caller.get("/api/v1/openapi.json").status_code == 200
        assert caller.get("/api/v1/docs").status_code == 200


def test_the_docs_are_public_in_the_demo(db: None) -> None:
    assert settings.RELAIS_DOCS_PUBLIC is True  # DEBUG on: the demo's default
    assert HttpClient().get("/api/v1/openapi.json").status_code == 200


# --- e-mail over TLS -------------------------------------------------------------------------


def _setting(name: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    code = f"from django.conf import settings; print(settings.{name})"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_it_uses_tls_by_default_for_an_smtp_server_that_is_not_on_this_machine() -> None:
    assert _setting("EMAIL_USE_TLS", EMAIL_HOST="smtp.example.org") == "True"
    assert _setting("EMAIL_USE_TLS", EMAIL_HOST="127.0.0.1") == "False"
    assert _setting("EMAIL_USE_TLS", EMAIL_HOST="localhost") == "False"
    assert _setting("EMAIL_USE_TLS") == "False"  # no server: the local outbox
    # Said explicitly, it wins; implicit TLS (SSL) excludes STARTTLS.
    assert _setting("EMAIL_USE_TLS", EMAIL_HOST="smtp.example.org", EMAIL_USE_TLS="0") == "False"
    assert _setting("EMAIL_USE_TLS", EMAIL_HOST="smtp.example.org", EMAIL_USE_SSL="1") == "False"


# --- what a PDF may load ---------------------------------------------------------------------


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_a_pdf_loads_nothing_but_the_apps_static_files(
    http_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, hits = http_server
    secret = tmp_path / "secret.css"
    secret.write_text("body { background: red }")
    html = (
        f'<link rel="stylesheet" href="file://{secret}">'
        f'<img src="{url}/pixel.png"><p style="background: url({url}/bg.png)">Texte</p>'
    )
    assert html_to_pdf(html).startswith(b"%PDF")
    assert hits == []  # the server was never asked
    assert not allowed(f"file://{secret}")
    assert not allowed("file:///etc/passwd")
    assert not allowed(f"{url}/pixel.png")
    assert not allowed("ftp://127.0.0.1/x")
    favicon = ROOT / "relais" / "ui" / "static" / "ui" / "favicon.svg"
    assert allowed(f"file://{favicon}")
    assert not allowed(f"file://{favicon.parent}/../../../../config/settings.py")
    assert allowed("data:image/png;base64,iVBORw0KGgo=")


# --- the dev server's static files -----------------------------------------------------------


def test_the_dev_server_answers_404_to_a_static_path_leaving_the_static_folders(
    db: None,
) -> None:
    handler = StaticFilesHandler(WSGIHandler())  # what runserver and the live server use

    def status(path: str) -> str:
        environ = RequestFactory().get("/").environ
        environ["PATH_INFO"] = path
        seen: list[str] = []
        handler(environ, lambda s, h, *a: seen.append(s))  # type: ignore[arg-type,misc]
        return seen[0]

    assert status("/static/../config/settings.py") == "404 Not Found"
    assert status("/static/../../../../etc/passwd") == "404 Not Found"
    assert status("/static/ui/relais.css") == "200 OK"
