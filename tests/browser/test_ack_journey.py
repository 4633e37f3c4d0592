"""Journey: an operator sends an urgent message; the thread waits for « Pris en compte » with the
next step's time; the doctor opens the link of the e-mail copy (received by a real SMTP server
on 127.0.0.1) and confirms; the operator's thread turns to « Pris en compte par … » without a
reload. Screenshots of the settings page, both states of the thread and the link's page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from relais.delivery.worker import deliver_due
from relais.escalation.models import Escalation
from relais.messaging.models import Message
from relais.tenancy import permissions as perms
from tests import factories
from tests.browser.helpers import azur_doctor, azur_operator, log_in
from tests.delivery.servers import SmtpSink

f: Any = factories
VIEW = {"width": 1280, "height": 800}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp(settings: Any, live_server: Any) -> Any:
    sink = SmtpSink().start()
    settings.RELAIS_EMAIL_BACKEND = "smtp"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = live_server.url
    yield sink
    sink.stop()


def text_of(message: Any) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_content())
    raise AssertionError("no text part")


def test_it_asks_for_and_shows_the_acknowledgement_of_an_urgent_message(
    page: Any, live_server: Any, screenshot: Any, browser: Any, smtp: SmtpSink
) -> None:
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    doctor = azur_doctor(perm, default_copy_email=True)
    azur_operator(perm)
    f.StaffFactory(
        permanence=perm, role_kind=perms.GERANT, email="gerant@azur.test", first_name="Gérard"
    )
    girard = f.ContactFactory(
        client=doctor, name="Dr Girard", phone="+33611111111", email="girard@garde.test"
    )
    doctor.escalation = {
        "steps": [
            {"after_minutes": 10, "to": "same", "channels": ["sms", "email"]},
            {"after_minutes": 20, "to": "on_call", "channels": ["sms"]},
        ],
        "final_alert": True,
        "final_after_minutes": 15,
    }
    who = {"kind": "contact", "id": str(girard.id)}
    doctor.on_call = {
        "weekly": [
            *({"weekday": d, "from": "20:00", "to": "08:00", "who": who} for d in range(7)),
        ],
        "exceptions": [],
    }
    doctor.save()

    # The gérant's settings page.
    page.set_viewport_size(VIEW)
    log_in(page, live_server, "gerant@azur.test")
    page.goto(f"{live_server.url}/clients/{doctor.id}/astreinte/")
    expect(page.get_by_role("heading", name=re.compile("Astreinte et escalade"))).to_be_visible()
    expect(page.locator("#step-1-to")).to_have_value("on_call")
    screenshot("ack-01-settings", full_page=True)
    page.context.clear_cookies()

    # The operator sends an urgent message with its e-mail copy.
    log_in(page, live_server, "operateur@azur.test")
    page.goto(f"{live_server.url}/clients/{doctor.id}/")
    page.keyboard.press("n")
    dialog = page.locator("dialog#composer")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Urgent").check()
    dialog.locator("#subject").fill("Patient à rappeler d'urgence")
    dialog.locator("#body").fill("Mme Durand, douleur thoracique, rappeler au 06 71 23 45 89.")
    expect(dialog.locator("input[name=copy_email]")).to_be_checked()
    screenshot("ack-02-composer", full_page=False)
    dialog.locator("#body").press("Control+Enter")
    expect(dialog).to_be_hidden()
    message = Message.objects.get(subject="Patient à rappeler d'urgence")
    escalation = Escalation.objects.get(message=message)
    assert escalation.next_step_at is not None
    relance = f"{timezone.localtime(escalation.next_step_at):%H:%M}"
    row = page.locator("#threads .thread-row", has_text="Patient à rappeler")
    expect(row).to_contain_text(f"En attente · relance à {relance}")

    row.click()
    line = page.locator("#ack-line")
    expect(line).to_have_text(f"En attente de prise en compte — relance à {relance}")
    screenshot("ack-03-thread-waiting", full_page=False)

    # The worker sends the copy to the real SMTP server; its text carries the personal link.
    assert deliver_due(grace=0).sent == 1
    (received,) = smtp.wait_for(1)
    assert received.rcpt_tos == ["cecile.lemoine@cabinet.test"]
    found = re.search(r"(http://\S+/ack/\S+)", text_of(received.message))
    assert found, text_of(received.message)
    link = found.group(1)

    # The doctor opens it (no login): the page alone acknowledges nothing.
    doctor_context = browser.new_context(viewport=VIEW, locale="fr-FR")
    doctor_page = doctor_context.new_page()
    doctor_page.goto(link)
    expect(doctor_page.get_by_role("heading", name="Patient à rappeler d'urgence")).to_be_visible()
    doctor_page.screenshot(path=str(_artifact("ack-04-link-page")))
    assert Escalation.objects.get(message=message).ack_at is None
    doctor_page.get_by_role("button", name="J'ai pris connaissance").click()
    expect(doctor_page.locator(".ack-state")).to_contain_text("Merci")
    doctor_page.screenshot(path=str(_artifact("ack-05-link-confirmed")))
    doctor_context.close()

    # The operator's page turns without a reload (the thread polls every 5 s).
    escalation.refresh_from_db()
    at = timezone.localtime(escalation.ack_at)
    expect(line).to_have_text(
        f"Pris en compte par Dr Cécile Lemoine le {at:%d/%m/%Y} à {at:%H:%M} (lien)",
        timeout=15_000,
    )
    expect(page.locator(".history")).to_contain_text("Pris en compte par Dr Cécile Lemoine")
    screenshot("ack-06-thread-acknowledged", full_page=False)
    # Nothing more goes out, even long after.
    assert escalation.next_step_at is None
    assert deliver_due(grace=0).handled == 0


def _artifact(name: str) -> Any:
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def test_it_puts_an_unacknowledged_urgency_at_the_top_of_urgent_for_the_operators(
    page: Any, live_server: Any, screenshot: Any
) -> None:
    from relais.messaging.services import SendInput, message_send

    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    doctor = azur_doctor(perm)
    operator = azur_operator(perm)
    girard = f.ContactFactory(client=doctor, name="Dr Girard", phone="+33611111111")
    message, _ = message_send(
        author=operator,
        client=doctor,
        data=SendInput(subject="Douleur thoracique — Mme Durand", body="Rappeler.", is_urgent=True),
    )
    # Its escalation ran out an hour ago; Dr Girard was reached by its last step.
    Escalation.objects.filter(pk=message.pk).update(
        state=Escalation.EXHAUSTED,
        next_step_at=None,
        alert_at=timezone.now(),
        first_to=[{"kind": "contact", "id": str(girard.id), "name": "Dr Girard"}],
    )
    page.set_viewport_size(VIEW)
    log_in(page, live_server, "operateur@azur.test")
    page.goto(f"{live_server.url}/urgent/")
    alerts = page.locator(".escalation-alerts")
    expect(alerts).to_contain_text("Urgence non prise en compte — appeler")
    expect(alerts).to_contain_text("Douleur thoracique — Mme Durand")
    expect(alerts).to_contain_text("Dr Cécile Lemoine 06 12 34 56 78")
    expect(alerts).to_contain_text("Dr Girard 06 11 11 11 11")
    screenshot("ack-07-urgent-alert", full_page=False)
    page.goto(f"{live_server.url}/taches/suivi/")
    expect(page.locator(".escalation-alerts")).to_contain_text("Douleur thoracique")
