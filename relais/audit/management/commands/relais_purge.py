"""Removes now what is past its lifetime, for every permanence (the delivery worker does it once
a day by itself: this is for an operator who wants it at once).

    manage.py relais_purge
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from relais.audit.retention import purge_all


class Command(BaseCommand):
    help = "Remove what is past its lifetime (messages, outbox copies, history, traces)."

    def handle(self, *args: Any, **options: Any) -> None:
        results = purge_all()
        if not results:
            self.stdout.write("Rien à purger.")
        for permanence_id, removed in results.items():
            parts = ", ".join(f"{name}: {count}" for name, count in removed.items())
            self.stdout.write(f"{permanence_id}: {parts}")
