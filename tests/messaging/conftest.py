"""Helpers for the messaging tests: a one-line send, and a snapshot of every written row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import models

from relais.clients.models import Client
from relais.delivery.models import Delivery
from relais.messaging.models import HistoryEvent, Message, ReadState, Recipient, Reply
from relais.messaging.services import SendInput, message_send
from relais.tenancy.models import User
from tests.conftest import World

WRITTEN: list[type[models.Model]] = [Message, Recipient, ReadState, Reply, HistoryEvent, Delivery]

Send = Callable[..., Message]


def rows() -> dict[str, int]:
    """How many rows a send, a reply or a task change may write."""
    return {m.__name__: m._default_manager.count() for m in WRITTEN}


def send_input(**fields: Any) -> SendInput:
    return SendInput(**{"subject": "Rappel patient", "body": "Merci de rappeler.", **fields})


@pytest.fixture
def send(world: World) -> Send:
    def _send(
        author: User | None = None, client: Client | None = None, key: str = "", **fields: Any
    ) -> Message:
        message, _created = message_send(
            author=author or world.operateur_a,
            client=client or world.client_a,
            data=send_input(**fields),
            idempotency_key=key,
        )
        return message

    return _send
