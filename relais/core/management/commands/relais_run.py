"""Runs Relais for a newcomer: the web server and the delivery worker together."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Starts the web server and the delivery worker, and prints the URL and demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args: Any, **options: Any) -> None:
        from relais.demo import LOGINS, PASSWORD

        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        address = f"{options['host']}:{options['port']}"
        workers = [subprocess.Popen([*manage, "relais_worker"])]
        if getattr(settings, "TASKS_BACKEND", "db") == "rq":
            # Wake-ups come through Redis; relais_worker still sweeps retries and lost wake-ups.
            workers.append(
                subprocess.Popen(
                    [
                        *manage,
                        "rqworker",
                        settings.RELAIS_DELIVERY_QUEUE,
                        "--job-class",
                        "django_tasks_rq.backend.Job",
                    ]
                )
            )
        web = subprocess.Popen([*manage, "runserver", "--noreload", address])
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
        try:
            while True:
                for proc, name in [(web, "serveur web"), *((w, "worker d'envoi") for w in workers)]:
                    code = proc.poll()
                    if code is not None:
                        self.stderr.write(f"Le {name} s'est arrêté (code {code}).")
                        raise SystemExit(code or 1)
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            for proc in (web, *workers):
                if proc.poll() is None:
                    proc.terminate()
            for proc in (web, *workers):
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
