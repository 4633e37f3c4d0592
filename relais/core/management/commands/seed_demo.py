"""manage.py seed_demo: creates the demo permanences; a second run changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from relais.demo import LOGINS, PASSWORD


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
            created = ", ".join(f"{count} {what}" for what, count in report.created.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data created: {created}."))
        else:
            self.stdout.write("Demo data already present: nothing to do.")
        if options["logins"]:
            self.stdout.write(f"Demo logins (password: {PASSWORD}):")
            for email, description in LOGINS:
                self.stdout.write(f"  {email:<42} {description}")
