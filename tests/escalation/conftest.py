"""The escalation tests' world: client A with an on-call rota and escalation steps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from relais.clients.models import Client, Contact
from relais.delivery.backends import memory
from tests import factories as f
from tests.conftest import World


@pytest.fixture(autouse=True)
def _memory_outbox() -> Iterator[None]:
    memory.reset()
    yield
    memory.reset()


def girard(world: World) -> Contact:
    return f.ContactFactory.create(
        client=world.client_a, name="Dr Girard", phone="+33611111111", email="girard@garde.test"
    )


def configure(
    client: Client,
    *,
    night: Contact,
    day_staff: object,
    steps: list[dict[str, object]] | None = None,
    final_alert: bool = True,
    final_after: int = 30,
) -> None:
    """Dr Girard on call every night 20:00 → 03:00, the staff member 03:00 → 20:00."""
    who_night = {"kind": "contact", "id": str(night.id)}
    who_day = {"kind": "staff", "id": str(day_staff.id)}  # type: ignore[attr-defined]
    client.ack_required = "urgent"
    client.escalation = {
        "steps": steps
        if steps is not None
        else [
            {"after_minutes": 10, "to": "same", "channels": ["sms", "email"]},
            {"after_minutes": 100, "to": "on_call", "channels": ["sms"]},
        ],
        "final_alert": final_alert,
        "final_after_minutes": final_after,
    }
    client.on_call = {
        "weekly": [
            *({"weekday": d, "from": "20:00", "to": "03:00", "who": who_night} for d in range(7)),
            *({"weekday": d, "from": "03:00", "to": "20:00", "who": who_day} for d in range(7)),
        ],
        "exceptions": [],
    }
    client.save()
