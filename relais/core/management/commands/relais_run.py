"""Runs Relais for a newcomer: the web server and the delivery worker together."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from typing import Any

from django.core.management.base import BaseCommand

from relais.core.processes import delivery_commands, manage, supervise
from relais.demo import LOGINS, PASSWORD


def run_environment(host: str, port: int, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the launched processes: links in copies (SITE_URL) point to the
    address being served, unless SITE_URL is set."""
    env = dict(environ)
    if not env.get("SITE_URL"):
        shown = "127.0.0.1" if host in ("0.0.0.0", "0", "") else host
        env["SITE_URL"] = f"http://{shown}:{port}"
    return env


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
        server = manage("relais_runserver", "--noreload", "--skip-checks", address)
        processes.append(("serveur web", subprocess.Popen(server, env=env)))
        lines = [
            "",
            f"  Relais tourne sur http://{address}/",
            f"  Liens des copies e-mail et SMS : {env['SITE_URL']}/",
            f"  Comptes de démonstration (mot de passe « {PASSWORD} ») :",
            *(f"    {email:<28} {label}" for email, label in LOGINS),
            "  Copies e-mail/SMS/fax : boîte d'envoi locale (menu « Boîte d'envoi »).",
            "  Ctrl+C pour arrêter.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        code = supervise(processes, self.stderr)
        if code:
            raise SystemExit(code)
