"""Runs Relais for a newcomer: the web server (uvicorn: the pages and the live event streams,
in one process) and the delivery worker together.

One ASGI process is what the demo needs: on SQLite the live events go from a write to the open
streams inside that process (relais.events), and on PostgreSQL its connections come from a
bounded pool (RELAIS_DB_POOL, 4), so idle or departed clients never pile up connections (the
threaded development server kept one per connection thread).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from typing import Any

from django.core.management.base import BaseCommand

from relais.core.processes import asgi_command, asgi_env, delivery_commands, supervise
from relais.demo import LOGINS, PASSWORD


def run_environment(host: str, port: int, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the launched processes: links in copies (SITE_URL) point to the
    address being served, unless SITE_URL is set."""
    env = dict(environ)
    if not env.get("SITE_URL"):
        shown = "127.0.0.1" if host in ("0.0.0.0", "0", "") else host
        env["SITE_URL"] = f"http://{shown}:{port}"
    return env


def demo_web(
    host: str, port: int, base: dict[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The demo's web server: its command line and environment (from `base`, by default
    this process's)."""
    return asgi_command(host, port, access_log=True), asgi_env(base)


class Command(BaseCommand):
    help = "Starts the web server and the delivery worker, and prints the URL and demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        env = run_environment(host, port, os.environ)
        address = f"{host}:{port}"
        processes = [
            ("worker d'envoi", subprocess.Popen(cmd, env=env)) for cmd in delivery_commands(1)
        ]
        web, web_env = demo_web(host, port, env)
        processes.append(("serveur web", subprocess.Popen(web, env=web_env)))
        lines = [
            "",
            f"  Relais tourne sur http://{address}/",
            f"  Liens des copies e-mail et SMS : {env['SITE_URL']}/",
            f"  Comptes de démonstration (mot de passe « {PASSWORD} ») :",
            *(f"    {email:<28} {label}" for email, label in LOGINS),
            "  Copies e-mail/SMS/fax : boîte d'envoi locale (menu « Boîte d'envoi »).",
            "  Un appel simulé (levée de fiche) :",
            "    .venv/bin/python manage.py relais_call --to '04 91 00 00 01' "
            "--from '06 71 23 45 89' --answer operateur@azur.example",
            "  Ctrl+C pour arrêter.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        code = supervise(processes, self.stderr)
        if code:
            raise SystemExit(code)
