from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from relais.clients.models import Client, Contact
from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_send
from tests import factories
from tests.conftest import World

f: Any = factories  # factory calls return model instances


@dataclass
class Objects:
    """A's objects the permission matrix pokes at."""

    client: Client
    other_client: Client  # another client of A: not the client user's
    contact: Contact
    message: Message
    other_message: Message


@pytest.fixture
def objs(world: World) -> Objects:
    other = f.ClientFactory(permanence=world.perm_a, name="Plomberie Durand")
    message, _ = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=SendInput(subject="Rappel Mme Durand", body="Merci de rappeler."),
    )
    other_message, _ = message_send(
        author=world.operateur_a,
        client=other,
        data=SendInput(subject="Fuite", body="Fuite chez M. Petit."),
    )
    return Objects(
        client=world.client_a,
        other_client=other,
        contact=f.ContactFactory(client=world.client_a, name="Hélène Durand"),
        message=message,
        other_message=other_message,
    )
