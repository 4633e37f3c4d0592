"""Helpers for API tests: JSON calls, a second client of A, a message on A's client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from relais.clients.models import Client
from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_send
from tests import factories as f
from tests.conftest import World

API = "/api/v1"


def call(http: HttpClient, method: str, path: str, body: Any = None, **headers: str) -> Any:
    """One API call; a dict or list body is sent as JSON, a str as is."""
    kwargs: dict[str, Any] = {"headers": headers} if headers else {}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(http, method.lower())(f"{API}{path}", **kwargs)


def send_body(**overrides: Any) -> dict[str, Any]:
    return {"subject": "Rappel patient", "body": "Merci de rappeler M. Durand.", **overrides}


@pytest.fixture
def client_a2(world: World) -> Client:
    """Another client of permanence A: not client_user_a's."""
    return f.ClientFactory.create(permanence=world.perm_a, name="Plomberie Azur")


@pytest.fixture
def message_a(world: World) -> Message:
    """A plain message on client_a, written by the gérant of A through the service."""
    message, _ = message_send(
        author=world.gerant_a,
        client=world.client_a,
        data=SendInput(subject="Appel de M. Durand", body="Merci de le rappeler."),
    )
    return message
