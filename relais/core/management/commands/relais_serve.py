"""The production launch: gunicorn (config/gunicorn.conf.py) for the pages and the API,
uvicorn for the live event streams, and the delivery workers.

    DEBUG=0 SECRET_KEY=… DATABASE_URL=postgres://… ALLOWED_HOSTS=relais.example.fr \
        manage.py relais_serve [--bind 127.0.0.1:8000] [--web-workers 4] [--delivery-workers 1]
                               [--events-bind 127.0.0.1:8001]

The proxy sends `/events` and `/api/v1/events` to the events address (without buffering) and
everything else to the pages' address (README, "Production").

Before starting anything it runs `check --deploy` (a warning stops the launch) and
`collectstatic` (with DEBUG off, static files are served from their hashed, compressed copies by
WhiteNoise, and a page cannot render without the manifest). `--migrate` applies migrations
first; on several hosts, run `manage.py migrate` once, by hand, instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from relais.core.processes import asgi_command, asgi_env, delivery_commands, supervise


class Command(BaseCommand):
    help = "Production: checks, collectstatic, then gunicorn and the delivery workers."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--bind", default=os.environ.get("RELAIS_BIND", "127.0.0.1:8000"), help="host:port"
        )
        parser.add_argument(
            "--web-workers",
            type=int,
            default=None,
            help="gunicorn workers (WEB_CONCURRENCY; default: twice the cores)",
        )
        parser.add_argument(
            "--delivery-workers",
            type=int,
            default=int(os.environ.get("RELAIS_DELIVERY_WORKERS", "1")),
            help="relais_worker processes (default 1)",
        )
        parser.add_argument(
            "--events-bind",
            default=os.environ.get("RELAIS_EVENTS_BIND", "127.0.0.1:8001"),
            help="host:port of the live event streams (uvicorn); empty: none",
        )
        parser.add_argument("--migrate", action="store_true", help="apply migrations first")
        parser.add_argument(
            "--skip-checks-deploy",
            action="store_true",
            help="start even if `check --deploy` warns (never in production)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEBUG:
            raise CommandError(
                "DEBUG est activé : le lancement de production demande DEBUG=0 "
                "(et SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL). Pour la démo : make run."
            )
        if not options["skip_checks_deploy"]:
            call_command("check", deploy=True, fail_level="WARNING")
        if options["migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)

        env = dict(os.environ, RELAIS_BIND=options["bind"])
        if options["web_workers"]:
            env["WEB_CONCURRENCY"] = str(options["web_workers"])
        config = str(settings.BASE_DIR / "config" / "gunicorn.conf.py")
        processes = [
            (
                "serveur web",
                subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", config], env=env),
            )
        ]
        events_bind = options["events_bind"]
        if events_bind:
            host, _, port = events_bind.rpartition(":")
            processes.append(
                (
                    "serveur des événements",
                    subprocess.Popen(asgi_command(host or "127.0.0.1", int(port)), env=asgi_env()),
                )
            )
        processes += [
            ("worker d'envoi", subprocess.Popen(cmd))
            for cmd in delivery_commands(options["delivery_workers"])
        ]
        self.stdout.write(
            f"Relais (production) écoute sur {options['bind']} "
            f"(événements en direct : {events_bind or 'aucun'}) ; "
            f"{options['delivery_workers']} worker(s) d'envoi. Ctrl+C ou SIGTERM pour arrêter."
        )
        code = supervise(processes, self.stderr)
        if code:
            raise SystemExit(code)
