"""manage.py seed_demo: creates the demo permanences; a second run changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from relais.demo import LOGINS, PASSWORD

# What the seeding reports it created (relais.demo.seed), as the console says it.
CREATED_FR: dict[str, str] = {
    "permanences": "permanences",
    "companies": "compagnies",
    "staff users": "comptes du personnel",
    "clients": "clients",
    "client users": "comptes clients",
    "contacts": "contacts",
    "sharing rules": "règles de partage",
    "templates": "modèles de messages",
    "templates with placeholders": "modèles à variables",
    "instructions": "instructions",
    "phrases": "phrases d'aide à la saisie",
    "banners": "bandeaux",
    "messages": "messages",
    "appointment motifs": "motifs de rendez-vous",
    "appointments": "rendez-vous",
    "notice day appointments": "rendez-vous du jour à prévenir (« Prévenir »)",
    "dedicated numbers": "numéros dédiés",
}


class Command(BaseCommand):
    help = "Creates the demo data (Permanence Azur and Permanence Horizon). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--logins", action="store_true", help="Also print the demo logins and password."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported here: the demo's data (a large module) only when the command runs.
        from relais.demo.seed import demo_seed

        report = demo_seed()
        if report.changed:
            created = ", ".join(
                f"{count} {CREATED_FR.get(what, what)}" for what, count in report.created.items()
            )
            self.stdout.write(self.style.SUCCESS(f"Données de démonstration créées : {created}."))
        else:
            self.stdout.write("Données de démonstration déjà présentes : rien à faire.")
        if options["logins"]:
            self.stdout.write(f"Comptes de démonstration (mot de passe « {PASSWORD} ») :")
            for email, description in LOGINS:
                self.stdout.write(f"  {email:<28} {description}")
