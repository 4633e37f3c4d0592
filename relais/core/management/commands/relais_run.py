"""Runs Relais for a newcomer: the web server and the delivery worker together."""

from __future__ import annotations

import os
import subprocess
from typing import Any

from django.core.management.base import BaseCommand

from relais.core.processes import delivery_commands, manage, supervise


class Command(BaseCommand):
    help = "Starts the web server and the delivery worker, and prints the URL and demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported here: the demo's data only when the demo is launched.
        from relais.demo import LOGINS, PASSWORD

        address = f"{options['host']}:{options['port']}"
        processes = [("worker d'envoi", subprocess.Popen(cmd)) for cmd in delivery_commands(1)]
        processes.append(
            ("serveur web", subprocess.Popen(manage("runserver", "--noreload", address)))
        )
        url = f"http://{address}/"
        lines = [
            "",
            f"  Relais tourne sur {url}",
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
