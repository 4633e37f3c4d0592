"""Django's development server with a French console (the demo launch, `relais_run`): the
address is announced by relais_run; Django's English banner is not printed."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.runserver import Command as RunServer


class Command(RunServer):
    help = "Django's runserver, announcing itself in French (used by relais_run)."

    def on_bind(self, server_port: Any) -> None:
        self.stdout.write(
            f"Serveur web à l'écoute sur {self.protocol}://{getattr(self, 'addr', '')}:"
            f"{server_port}/ "
            "(serveur de développement : jamais en production)."
        )
