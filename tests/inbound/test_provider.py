"""A transactional provider's inbound webhook (django-anymail; Postmark's shape here): the
same service behind it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from relais.inbound.models import InboundItem
from relais.messaging.models import Reply
from tests.conftest import World
from tests.inbound.conftest import send, sent_copy

pytestmark = pytest.mark.django_db


def test_a_provider_webhook_reply_lands_in_its_thread(world: World, smtp_settings: Any):
    message = send(world.operateur_a, world.client_a, copy_email=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)
    payload = {
        "FromFull": {"Email": world.client_a.email, "Name": "Dr Cécile Lemoine"},
        "ToFull": [{"Email": str(received["Reply-To"]), "Name": ""}],
        "Subject": f"Re: {received['Subject']}",
        "MessageID": "8d6f1ab2-provider",
        "TextBody": "C'est noté.\n\nLe lun. 7 déc. 2026, Permanence Azur a écrit :\n> Rappel",
        "Headers": [
            {"Name": "Message-ID", "Value": "<provider-1@cabinet-lemoine.example>"},
            {"Name": "In-Reply-To", "Value": str(received["Message-ID"])},
        ],
        "Attachments": [],
    }
    auth = base64.b64encode(b"relais-test:inbound-secret").decode()

    response = HttpClient().post(
        "/anymail/postmark/inbound/",
        data=json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": f"Basic {auth}"},
    )

    assert response.status_code == 200, response.content
    reply = Reply.objects.get(message=message)
    assert reply.body == "C'est noté."
    assert InboundItem.objects.get(reply=reply).source == InboundItem.PROVIDER


def test_a_provider_webhook_without_the_secret_is_refused(world: World):
    response = HttpClient().post(
        "/anymail/postmark/inbound/", data="{}", content_type="application/json"
    )

    assert response.status_code in {400, 401, 403}
    assert not InboundItem.objects.exists()
