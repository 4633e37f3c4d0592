"""SMS copies through a fake Brevo on 127.0.0.1 that answers like Brevo's documented API, and
calls back the per-delivery receipt URL on a live server."""

from __future__ import annotations

import time
from typing import Any

import pytest

from relais.delivery.models import Delivery
from relais.delivery.worker import deliver_due
from relais.messaging.models import HistoryEvent
from tests import factories as f
from tests.conftest import World
from tests.delivery.conftest import send
from tests.delivery.servers import FakeBrevo


def wait_for_status(delivery: Delivery, status: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status == status:
            return
        time.sleep(0.05)
    raise AssertionError(f"{delivery} stayed {delivery.status}, never {status}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.delivery.urls")
def test_brevo_sends_the_sms_and_its_receipt_marks_it_delivered(
    world: World, brevo: FakeBrevo, live_server: Any, settings: Any
) -> None:
    settings.SITE_URL = live_server.url
    brevo.auto_receipt = "delivered"
    colleague = f.StaffFactory.create(permanence=world.perm_a, mobile="+33698765432")
    message = send(world.operateur_a, world.client_a, copy_sms=True, cc=[colleague.id])

    assert deliver_due(grace=0).sent == 2

    for delivery in Delivery.objects.all():
        wait_for_status(delivery, Delivery.DELIVERED)
        assert delivery.provider_id.isdigit()
        assert delivery.delivered_at is not None
    assert brevo.receipt_errors == []
    assert sorted(s["recipient"] for s in brevo.sent) == ["33612345678", "33698765432"]
    for sms in brevo.sent:
        delivery = Delivery.objects.get(id=sms["tag"])
        assert sms["webUrl"] == (
            f"{live_server.url}/delivery/callback/{delivery.id}/{delivery.callback_token}/"
        )
        assert sms["content"].startswith("Permanence Azur : ")
    kinds = list(message.history.values_list("kind", flat=True))
    assert kinds.count(HistoryEvent.COPY_SENT) == 2
    assert kinds.count(HistoryEvent.COPY_DELIVERED) == 2


@pytest.mark.django_db
def test_a_number_brevo_refuses_fails_at_once_with_a_readable_reason(
    world: World, brevo: FakeBrevo
) -> None:
    brevo.invalid_numbers.add("33644444444")
    world.client_a.mobile = "+33644444444"
    world.client_a.save()
    message = send(world.operateur_a, world.client_a, copy_sms=True)

    stats = deliver_due(grace=0)

    assert (stats.failed, stats.retried) == (1, 0)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.FAILED, 1)
    assert delivery.last_error == (
        "Numéro refusé par le fournisseur SMS Brevo (400 invalid_parameter : Invalid phone number)."
    )
    assert message.history.filter(kind=HistoryEvent.COPY_FAILED).count() == 1


@pytest.mark.django_db
def test_a_number_that_is_no_mobile_never_reaches_brevo(world: World, brevo: FakeBrevo) -> None:
    world.client_a.mobile = "0491000000"
    world.client_a.save()
    send(world.operateur_a, world.client_a, copy_sms=True)

    assert deliver_due(grace=0).failed == 1
    assert brevo.requests == []
    assert "n'est pas un mobile" in Delivery.objects.get().last_error


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["no_credits", "down", "rate_limited"])
def test_brevo_account_or_server_trouble_is_retried_then_sent(
    world: World, brevo: FakeBrevo, settings: Any, mode: str
) -> None:
    settings.RELAIS_DELIVERY_BACKOFF_BASE = 0
    brevo.mode = mode
    send(world.operateur_a, world.client_a, copy_sms=True)

    assert deliver_due(grace=0).retried == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.QUEUED and "Brevo" in delivery.last_error

    brevo.mode = ""
    assert deliver_due(grace=0).sent == 1
    assert len(brevo.sent) == 1
