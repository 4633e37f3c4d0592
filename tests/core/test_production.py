"""The production launch (`manage.py relais_serve`): gunicorn with config/gunicorn.conf.py and
the delivery workers, DEBUG off, behind a TLS proxy."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from bench.common import children, free_port
from tests.delivery.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]


def test_it_refuses_to_start_with_debug_on() -> None:
    with override_settings(DEBUG=True), pytest.raises(CommandError, match="DEBUG=0"):
        call_command("relais_serve")


def get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def body(port: int, path: str, **headers: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers)
    text = conn.getresponse().read().decode()
    conn.close()
    return text


@pytest.mark.django_db(transaction=True)
def test_it_serves_the_pages_and_static_files_behind_the_tls_proxy(tmp_path: Path) -> None:
    port, events_port = free_port(), free_port()
    # The browser tests' set-up allows async-unsafe calls in this process; a deployment must
    # not inherit that (check --deploy refuses it).
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "STATIC_ROOT": str(tmp_path / "static"),
        "RELAIS_DATA_DIR": str(tmp_path),
        "RELAIS_ERROR_LOG": str(tmp_path / "gunicorn.log"),
    }
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [
            *(sys.executable, "manage.py", "relais_serve", "--bind", f"127.0.0.1:{port}"),
            *("--web-workers", "2", "--delivery-workers", "1"),
            *("--events-bind", f"127.0.0.1:{events_port}"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proxy = {"X-Forwarded-Proto": "https"}
    try:
        deadline = time.time() + 60
        while True:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                first = get(port, "/connexion/", **proxy)
                break
            except OSError:
                assert time.time() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)
        # Behind the proxy: the page, with HSTS and secure cookies.
        assert first.status == 200
        assert "max-age=31536000" in (first.getheader("Strict-Transport-Security") or "")
        assert "Secure" in (first.getheader("Set-Cookie") or "")
        # Plain HTTP that did not come through the proxy goes to HTTPS.
        plain = get(port, "/connexion/")
        assert plain.status == 301
        assert (plain.getheader("Location") or "").startswith("https://")
        # Static files: the hashed names collectstatic made, served with a long cache.
        page = body(port, "/connexion/", **proxy)
        css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page)
        assert css, page[:500]
        asset = get(port, css.group(1), **proxy, **{"Accept-Encoding": "gzip"})
        assert asset.status == 200
        assert "max-age=315360000" in (asset.getheader("Cache-Control") or "")
        # gunicorn's workers and a delivery worker run under the launch.
        names = []
        for pid in children(serve.pid):
            names.append(Path(f"/proc/{pid}/cmdline").read_bytes())
        assert any(b"gunicorn" in n for n in names)
        assert any(b"relais_worker" in n for n in names)
        # The live event streams have their own ASGI server (uvicorn).
        assert any(b"uvicorn" in n for n in names)
        deadline = time.time() + 30
        while True:
            try:
                stream = get(events_port, "/events", **proxy)
                break
            except OSError:
                assert time.time() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.3)
        assert stream.status == 401
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
        log.close()
    # SIGTERM stopped everything it started.
    assert serve.returncode == 0
