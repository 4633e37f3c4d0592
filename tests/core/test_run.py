"""`make run`'s launch (relais_run): links in copies follow the port, the console speaks French."""

from __future__ import annotations

import re
import subprocess
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from relais.core.management.commands import relais_run
from relais.demo import LOGINS


class FakePopen:
    launched: list[tuple[list[str], dict[str, str]]] = []

    def __init__(self, cmd: list[str], env: dict[str, str] | None = None) -> None:
        FakePopen.launched.append((cmd, env or {}))


@pytest.fixture
def launch(monkeypatch: Any) -> Any:
    FakePopen.launched = []
    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    monkeypatch.setattr(relais_run, "supervise", lambda processes, err: 0)

    def run(*args: str) -> str:
        out = StringIO()
        call_command("relais_run", *args, stdout=out)
        return out.getvalue()

    return run


def test_it_points_the_copies_links_to_the_port_it_serves(launch: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setenv("PORT", "8101")
    out = launch("--port", "8101")
    assert [env["SITE_URL"] for _, env in FakePopen.launched] == ["http://127.0.0.1:8101"] * 2
    worker, server = (cmd for cmd, _ in FakePopen.launched)
    assert worker[-1] == "relais_worker"
    # The demo's web server is uvicorn (pages and live event streams), on that port.
    assert server[1:4] == ["-m", "uvicorn", "config.asgi:application"]
    assert server[server.index("--host") + 1] == "127.0.0.1"
    assert server[server.index("--port") + 1] == "8101"
    assert "Liens des copies e-mail et SMS : http://127.0.0.1:8101/" in out


def test_it_keeps_a_site_url_that_is_set(launch: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("SITE_URL", "https://relais.example.fr")
    launch("--port", "8101")
    assert {env["SITE_URL"] for _, env in FakePopen.launched} == {"https://relais.example.fr"}


def test_it_names_a_reachable_address_when_listening_everywhere() -> None:
    env = relais_run.run_environment("0.0.0.0", 8101, {})
    assert env["SITE_URL"] == "http://127.0.0.1:8101"


def test_it_prints_the_nine_logins_in_french(launch: Any) -> None:
    out = launch()
    for email, label in LOGINS:
        assert re.search(rf"^\s+{re.escape(email)}\s+{re.escape(label)}$", out, re.MULTILINE)
    assert len(LOGINS) == 9
    assert "Comptes de démonstration (mot de passe « relais-demo ») :" in out
    assert "Ctrl+C pour arrêter." in out
