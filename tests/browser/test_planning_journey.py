"""The planning journey in a real Chromium: the operator books an appointment on the week view
(contact searched, another created inline), moves it, writes a message with « Joindre :
planning », and the e-mail copy in the local outbox carries the PDF of that planning."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from relais.delivery.models import Delivery, OutboxCopy
from relais.delivery.worker import deliver_ids
from relais.messaging.models import Message
from relais.planning.formats import day_short, monday_of
from relais.planning.models import Appointment, Movement
from relais.planning.services import appointment_type_create
from relais.tenancy import permissions as perms
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import azur_operator, log_in
from tests.exports.helpers import in_order, pdf_text

f: Any = factories

pytestmark = pytest.mark.django_db(transaction=True)
SCREEN = {"width": 1366, "height": 800}


@pytest.fixture
def azur(db: None) -> dict[str, Any]:
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    doctor = f.ClientFactory(
        permanence=perm,
        name="Dr Cécile Lemoine",
        trade="Médecin généraliste",
        email="cecile.lemoine@cabinet.test",
        default_copy_email=True,
    )
    f.ContactFactory(client=doctor, name="Hélène Durand", phone="+33612345678")
    f.ContactFactory(client=doctor, name="Marc Petit", phone="+33687654321")
    gerant = f.StaffFactory(permanence=perm, role_kind=perms.GERANT, email="gerant@azur.test")
    appointment_type_create(user=gerant, name="Consultation", colour="#1d4ed8", duration=15)
    appointment_type_create(
        user=gerant, name="Première consultation", colour="#15803d", duration=30
    )
    operator = azur_operator(perm)
    f.ClientUserFactory(client=doctor, email="client@azur.test")
    return {"perm": perm, "doctor": doctor, "operator": operator}


def test_it_books_moves_and_sends_the_planning_as_a_pdf(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any], settings: Any
) -> None:
    # Copies go to the local outbox, as on a fresh install (no provider configured).
    settings.RELAIS_EMAIL_BACKEND = "outbox"
    today = timezone.localdate()
    monday = monday_of(today)
    doctor = azur["doctor"]
    page.set_viewport_size(SCREEN)
    log_in(page, live_server, "operateur@azur.test")
    page.goto(f"{live_server.url}/clients/{doctor.id}/")
    page.locator(".client-head").get_by_role("link", name="Planning").click()

    # The week view: Monday to Sunday in French, today highlighted.
    week = page.locator("table.week")
    expect(page.get_by_role("heading", name=f"Semaine du {day_short(monday)}")).to_be_visible()
    expect(week.locator("thead th[aria-current=date]")).to_have_text(day_short(today))
    screenshot("planning-01-week-empty", full_page=False)

    # A click on today's 10:00 slot opens the popup on that slot.
    week.locator(f'td.slot[data-date="{today.isoformat()}"][data-time="10:00"]').click()
    dialog = page.locator("dialog#planning-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#appt-date")).to_have_value(today.isoformat())
    expect(dialog.locator("#appt-start")).to_have_value("10:00")
    dialog.get_by_label("Type / motif").select_option(label="■ Première consultation (30 min)")
    expect(dialog.locator("#appt-duration")).to_have_value("30")
    dialog.locator("#contact-q").fill("dur")
    dialog.locator("#contact-results").get_by_role("button", name="Hélène Durand").click()
    expect(dialog.locator("#contact-chosen")).to_contain_text("Hélène Durand")
    dialog.get_by_label("Note").fill("Apporter l'ordonnance")
    screenshot("planning-02-popup", full_page=False)
    dialog.get_by_role("button", name="Enregistrer").click()

    expect(dialog).to_be_hidden()
    booked = week.locator(".appt", has_text="Hélène Durand")
    expect(booked).to_contain_text("10:00–10:30")
    expect(booked).to_contain_text("Première consultation")
    expect(page.locator(".planning-saved")).to_contain_text("Rendez-vous pris")
    expect(page.locator(".movements")).to_contain_text("Rendez-vous pris")

    # A second one, with a contact created inline, at 11:00 with the keyboard's Ctrl+Enter.
    week.locator(f'td.slot[data-date="{today.isoformat()}"][data-time="11:00"]').click()
    expect(dialog.locator("#appt-start")).to_have_value("11:00")
    dialog.get_by_role("button", name="+ nouveau").click()
    dialog.get_by_label("Nom du contact").fill("Paul Nouveau")
    dialog.locator("#cnp-phone").fill("06 11 22 33 44")
    dialog.get_by_role("button", name="Créer et choisir ce contact").click()
    expect(dialog.locator("#contact-chosen")).to_contain_text("Paul Nouveau")
    dialog.get_by_label("Type / motif").select_option(label="■ Consultation (15 min)")
    dialog.get_by_label("Note").press("Control+Enter")
    expect(dialog).to_be_hidden()
    expect(week.locator(".appt", has_text="Paul Nouveau")).to_contain_text("11:00–11:15")

    # Move the first one to 14:30: the journal says so.
    booked.click()
    expect(dialog).to_be_visible()
    expect(dialog.locator(".appt-history")).to_contain_text("Rendez-vous pris")
    dialog.locator("#appt-start").fill("14:30")
    dialog.get_by_role("button", name="Enregistrer").click()
    expect(dialog).to_be_hidden()
    expect(week.locator(".appt", has_text="Hélène Durand")).to_contain_text("14:30–15:00")
    moved = f"Déplacé du {today:%d/%m} 10:00 au {today:%d/%m} 14:30"
    expect(page.locator(".movements")).to_contain_text(moved)
    screenshot("planning-03-week-booked-and-moved", full_page=False)
    assert Appointment.objects.filter(client=doctor).count() == 2
    assert Movement.objects.filter(client=doctor).count() == 3

    # The composer: « Joindre : planning » for this week.
    page.locator(".client-head").get_by_role("link", name="Nouveau message").click()
    composer = page.locator("dialog#composer")
    expect(composer.locator("#subject")).to_be_focused()
    expect(composer.locator("input[name=copy_email]")).to_be_checked()
    composer.locator("#subject").fill("Votre planning de la semaine")
    composer.locator("#body").fill("Bonjour Docteur,\nvoici votre planning de la semaine.")
    composer.get_by_label("Joindre").select_option(label="Planning (rendez-vous)")
    composer.locator("#attach-from").fill(monday.isoformat())
    composer.locator("#attach-to").fill((monday + dt.timedelta(days=6)).isoformat())
    screenshot("planning-04-composer-joindre", full_page=False)
    composer.get_by_role("button", name="Envoyer").click()
    expect(composer).to_be_hidden()

    message = Message.objects.get(subject="Votre planning de la semaine")
    assert message.attach == {
        "kind": "planning",
        "from": monday.isoformat(),
        "to": (monday + dt.timedelta(days=6)).isoformat(),
    }
    # The delivery worker, in-process: the queued e-mail copy goes to the local outbox.
    ids = list(Delivery.objects.filter(message=message).values_list("id", flat=True))
    assert deliver_ids(ids) == 1
    copy = OutboxCopy.objects.get(message=message, channel="email")
    (attachment,) = copy.attachments.all()
    assert attachment.content_type == "application/pdf"
    assert attachment.filename.startswith("planning-dr-cecile-lemoine-")
    text = pdf_text(bytes(attachment.content))
    assert in_order(
        text,
        "Permanence Azur",
        "Planning",
        "Dr Cécile Lemoine",
        f"Période : du {monday:%d/%m/%Y} au {monday + dt.timedelta(days=6):%d/%m/%Y}",
        "2 rendez-vous",
        "11:00 – 11:15 (15 min) · Consultation · Paul Nouveau · 06 11 22 33 44",
        "14:30 – 15:00 (30 min) · Première consultation · Hélène Durand · 06 12 34 56 78",
        "Note : Apporter l'ordonnance",
        "Page 1 / 1",
    )
    pdf_path = ARTIFACTS / "planning-05-attached.pdf"
    pdf_path.write_bytes(bytes(attachment.content))

    # The thread shows the copy sent and offers the same PDF to download.
    page.goto(f"{live_server.url}/messages/{message.id}/")
    expect(page.locator(".delivery-list")).to_contain_text("Envoyée")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    download = download_info.value
    downloaded = Path(download.path()).read_bytes()
    assert "Paul Nouveau" in pdf_text(downloaded)
    screenshot("planning-06-thread-with-pdf", full_page=False)
