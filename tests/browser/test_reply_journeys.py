"""Replies taken in, in a real Chromium: a doctor's e-mail answer appears in the operator's
open thread without reload; a superviseur attaches a held answer to its thread."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest
from django.test import Client as HttpClient
from playwright.sync_api import expect

from relais.delivery.backends import memory
from relais.delivery.models import Delivery
from relais.delivery.worker import deliver_ids
from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_send
from tests import factories
from tests.browser.helpers import azur_doctor, azur_operator, azur_supervisor, log_in
from tests.inbound.conftest import answer, inbound_token

f: Any = factories

pytestmark = pytest.mark.django_db(transaction=True)
POLL = 12_000  # the thread is polled every 5 s


@pytest.fixture
def azur(db: None) -> dict[str, Any]:
    memory.reset()
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    doctor = azur_doctor(perm)
    return {
        "perm": perm,
        "doctor": doctor,
        "operator": azur_operator(perm),
        "supervisor": azur_supervisor(perm),
    }


def copy_received(azur: dict[str, Any], subject: str) -> tuple[Message, EmailMessage]:
    """A message with an e-mail copy to the doctor, sent, as her mail client shows it."""
    message, _ = message_send(
        author=azur["operator"],
        client=azur["doctor"],
        data=SendInput(subject=subject, body="Merci de rappeler Mme Durand.", copy_email=True),
    )
    delivery = Delivery.objects.get(message=message, channel=Delivery.EMAIL)
    deliver_ids([delivery.id])
    (copy,) = memory.sent_to(azur["doctor"].email)
    received = EmailMessage()
    received["From"] = copy.from_email
    received["Reply-To"] = copy.reply_to
    received["Subject"] = copy.subject
    received["Message-ID"] = copy.headers["Message-ID"]
    received["References"] = copy.headers["References"]
    received.set_content(copy.text)
    return message, received


def post_email(azur: dict[str, Any], raw: bytes) -> dict[str, Any]:
    response = HttpClient().post(
        f"/api/v1/inbound/email/{inbound_token(azur['perm'])}",
        data=raw,
        content_type="message/rfc822",
    )
    assert response.status_code == 202, response.content
    return dict(response.json())


def test_an_email_answer_appears_in_the_open_thread(
    page: Any, live_server: Any, azur: dict[str, Any], screenshot: Any
):
    message, received = copy_received(azur, "Rappel Mme Durand")
    log_in(page, live_server, "operateur@azur.test")
    page.goto(f"{live_server.url}/messages/{message.id}/")
    expect(page.locator(".replies-list")).to_have_count(0)

    result = post_email(
        azur,
        answer(
            received,
            sender=f"Dr Cécile Lemoine <{azur['doctor'].email}>",
            text="Je la rappelle à 14 h.",
            attachments=[("ordonnance.pdf", "application/pdf", b"%PDF-1.4 ordonnance")],
        ),
    )

    assert result["result"] == "reply"
    reply = page.locator(".replies-list li").first
    expect(reply).to_contain_text("Je la rappelle à 14 h.", timeout=POLL)
    expect(reply).to_contain_text("par e-mail")
    expect(reply).not_to_contain_text("a écrit")
    expect(reply.get_by_role("link", name=re.compile("ordonnance.pdf"))).to_be_visible()
    screenshot("reply-by-email-in-thread")


def test_a_superviseur_attaches_a_held_answer(
    page: Any, live_server: Any, azur: dict[str, Any], screenshot: Any
):
    message, received = copy_received(azur, "Résultats labo Durand")
    raw = answer(
        received,
        sender="Secrétariat <secretariat@autre-cabinet.example>",
        text="Le docteur passera les prendre demain.",
    )
    assert post_email(azur, raw)["result"] == "held"
    log_in(page, live_server, "superviseur@azur.test")

    page.get_by_role("link", name="Réponses à vérifier").click()
    item = page.locator(".held-item").first
    expect(item).to_contain_text("secretariat@autre-cabinet.example")
    expect(item).to_contain_text("Le docteur passera les prendre demain.")
    item.get_by_label("Rattacher à…").fill("Durand")
    item.get_by_role("button", name="Chercher un fil").click()
    screenshot("held-replies-search")
    page.locator(".held-candidates li", has_text="Résultats labo Durand").get_by_role(
        "button", name="Rattacher"
    ).click()

    expect(page).to_have_url(re.compile(f"/messages/{message.id}/"))
    expect(page.locator(".replies-list li").first).to_contain_text(
        "Le docteur passera les prendre demain."
    )
    page.get_by_role("link", name="Réponses à vérifier").click()
    expect(page.locator(".empty")).to_contain_text("Rien à vérifier")
