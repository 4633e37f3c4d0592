"""An Idempotency-Key makes a double click or a retried request create one message."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from relais.messaging.models import Message
from relais.messaging.services import message_send
from tests.conftest import World
from tests.messaging.conftest import rows, send_input


def test_it_creates_one_message_for_the_same_key(world: World) -> None:
    first, created = message_send(
        author=world.operateur_a, client=world.client_a, data=send_input(), idempotency_key="k-1"
    )
    assert created
    after_first = rows()
    again, created_again = message_send(
        author=world.operateur_a, client=world.client_a, data=send_input(), idempotency_key="k-1"
    )
    assert not created_again
    assert again.id == first.id
    assert rows() == after_first


def test_it_returns_the_first_result_even_if_the_retry_differs(world: World) -> None:
    first, _ = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=send_input(subject="Premier"),
        idempotency_key="k-2",
    )
    again, created = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=send_input(subject="Second", body=""),  # even invalid: the key answers first
        idempotency_key="k-2",
    )
    assert not created and again.id == first.id and again.subject == "Premier"
    assert Message.objects.count() == 1


def test_it_scopes_keys_to_their_author(world: World) -> None:
    a, _ = message_send(
        author=world.operateur_a, client=world.client_a, data=send_input(), idempotency_key="k"
    )
    b, created = message_send(
        author=world.gerant_a, client=world.client_a, data=send_input(), idempotency_key="k"
    )
    assert created and a.id != b.id


def test_it_creates_a_new_message_after_24_hours(world: World) -> None:
    first, _ = message_send(
        author=world.operateur_a, client=world.client_a, data=send_input(), idempotency_key="k-3"
    )
    with time_machine.travel(timezone.now() + dt.timedelta(hours=23, minutes=59)):
        _, created = message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=send_input(),
            idempotency_key="k-3",
        )
        assert not created
    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, minutes=1)):
        second, created = message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=send_input(),
            idempotency_key="k-3",
        )
        assert created and second.id != first.id
        # The new message now owns the key; the old one let it go.
        third, created_third = message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=send_input(),
            idempotency_key="k-3",
        )
        assert not created_third and third.id == second.id
    assert Message.objects.count() == 2
    first.refresh_from_db()
    assert first.idempotency_key == ""


def test_it_ignores_an_empty_key(world: World) -> None:
    for key in ("", "   "):
        message_send(
            author=world.operateur_a, client=world.client_a, data=send_input(), idempotency_key=key
        )
    assert Message.objects.count() == 2
