"""The copies a send builds: one per person and address, whatever the ways they are reached."""

from __future__ import annotations

from typing import Any

import pytest

from relais.delivery.models import Delivery
from relais.delivery.services import address_key
from relais.messaging.services import SendInput, message_send
from tests import factories
from tests.conftest import World

f: Any = factories

pytestmark = pytest.mark.django_db


def copies(world: World, **flags: Any) -> list[tuple[str, str]]:
    message, _ = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=SendInput(subject="Rappel", body="Rappeler Mme Durand.", **flags),
    )
    return sorted(Delivery.objects.filter(message=message).values_list("channel", "to"))


def test_a_client_in_its_own_companys_circle_gets_one_copy(world: World) -> None:
    company = f.CompanyFactory(permanence=world.perm_a, name="Cabinet dentaire des Calanques")
    client = world.client_a
    client.company = company
    client.email = "dr.roche@calanques-dentaire.example"
    client.mobile = "+33650123456"
    client.save()
    own = f.ClientUserFactory(client=client, email="dr.roche@azur.example", mobile="+33650123456")
    sibling = f.ClientFactory(permanence=world.perm_a, name="Dr Nguyen", company=company)
    other = f.ClientUserFactory(client=sibling, email="nguyen@azur.example", mobile="+33611111111")
    company.circle.add(own, other)

    sent = copies(world, copy_circle=True, copy_email=True, copy_sms=True)

    assert sent == [
        ("email", "dr.roche@calanques-dentaire.example"),
        ("email", "nguyen@azur.example"),
        ("sms", "+33611111111"),
        ("sms", "+33650123456"),
    ]


def test_one_address_written_two_ways_gets_one_copy(world: World) -> None:
    company = f.CompanyFactory(permanence=world.perm_a)
    client = world.client_a
    client.company = company
    client.email = "Cecile.Lemoine@Cabinet.test"
    client.save()
    sibling = f.ClientFactory(permanence=world.perm_a, company=company)
    twin = f.ClientUserFactory(client=sibling, email="cecile.lemoine@cabinet.test", mobile="")
    company.circle.add(twin)

    assert copies(world, copy_circle=True, copy_email=True) == [
        ("email", "Cecile.Lemoine@Cabinet.test")
    ]


def test_it_reads_numbers_by_their_digits() -> None:
    assert address_key("sms", "+33 6 50 12 34 56") == address_key("sms", "06 50 12 34 56")
    assert address_key("sms", "0033650123456") == "33650123456"
    assert address_key("email", " A@B.fr ") == "a@b.fr"
