"""Queue entry points. They carry ids only; the outbox rows say what to do."""

from __future__ import annotations

from django_tasks import task


@task()
def send_deliveries(delivery_ids: list[str]) -> int:
    from relais.delivery.worker import deliver_ids

    return deliver_ids(delivery_ids)
