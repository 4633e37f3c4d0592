"""Queue entry points. They carry ids only; the outbox rows say what to do."""

from __future__ import annotations

from django_tasks import task

from relais.delivery.worker import deliver_ids


@task()
def send_deliveries(delivery_ids: list[str]) -> int:
    return deliver_ids(delivery_ids)
