"""The browser hardening headers on the production launch (`manage.py relais_serve`, DEBUG
off, gunicorn behind the TLS proxy): CSP without inline scripts, Permissions-Policy,
`Cache-Control: no-store` on authenticated pages and API answers, the API's docs and OpenAPI
document behind a login."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from bench.common import free_port
from relais.tenancy.models import ApiToken
from tests.conftest import World
from tests.delivery.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]
PROXY = {"X-Forwarded-Proto": "https"}


def fetch(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={**PROXY, **headers})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def script_src(csp: str) -> str:
    (directive,) = [d.strip() for d in csp.split(";") if d.strip().startswith("script-src")]
    return directive


@pytest.mark.django_db(transaction=True)
def test_the_production_launch_sends_the_hardening_headers(tmp_path: Path, world: World) -> None:
    token = ApiToken.issue(world.operateur_a)
    pages = HttpClient()
    pages.force_login(world.operateur_a, backend="relais.tenancy.backends.UserBackend")
    session = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={pages.session.session_key}"}
    bearer = {"Authorization": f"Bearer {token}"}

    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        # The test's own key: the session made here must hold there.
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "STATIC_ROOT": str(tmp_path / "static"),
        "RELAIS_DATA_DIR": str(tmp_path),
        "RELAIS_ERROR_LOG": str(tmp_path / "gunicorn.log"),
    }
    env.pop("RELAIS_DOCS_PUBLIC", None)
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [
            *(sys.executable, "manage.py", "relais_serve", "--bind", f"127.0.0.1:{port}"),
            *("--web-workers", "1", "--delivery-workers", "1"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 60
        while True:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                login_page = fetch(port, "/connexion/")
                break
            except OSError:
                assert time.time() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)

        # Every answer: a CSP whose scripts come from our files (or a nonce), never inline.
        csp = login_page.getheader("Content-Security-Policy") or ""
        scripts = script_src(csp)
        assert "'self'" in scripts and "'nonce-" in scripts
        assert "unsafe-inline" not in scripts and "unsafe-eval" not in scripts
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "camera=()" in (login_page.getheader("Permissions-Policy") or "")
        # Two answers, two nonces.
        assert (
            script_src(fetch(port, "/connexion/").getheader("Content-Security-Policy") or "")
            != scripts
        )

        # Authenticated pages and API answers are never stored.
        for path, headers in (
            ("/", session),
            (f"/clients/{world.client_a.id}/", session),
            ("/api/v1/me", bearer),
            ("/api/v1/me", session),
            ("/api/v1/messages", bearer),
        ):
            answer = fetch(port, path, **headers)
            assert answer.status == 200, path
            assert "no-store" in (answer.getheader("Cache-Control") or ""), path
            assert answer.getheader("Content-Security-Policy"), path

        # The docs and the OpenAPI document: behind a login with DEBUG off.
        anonymous = fetch(port, "/api/v1/openapi.json")
        assert anonymous.status == 401
        docs = fetch(port, "/api/v1/docs")
        assert docs.status == 302
        assert (docs.getheader("Location") or "").startswith("/connexion/")
        for headers in (bearer, session):
            assert fetch(port, "/api/v1/openapi.json", **headers).status == 200
            assert fetch(port, "/api/v1/docs", **headers).status == 200
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
        log.close()
