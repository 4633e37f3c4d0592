"""« Prévenir » in a real Chromium: a delay of 40 minutes from 14:00 on a day of 8 appointments
(3 before 14:00), from the week view on a desktop and from the client portal on a 390×844 phone;
an absence over two days with its cancellations, sent with a double click."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from relais.delivery.models import Delivery
from relais.delivery.worker import deliver_ids
from relais.planning.formats import day_short
from relais.planning.models import Appointment, Movement, Notice
from relais.tenancy import permissions as perms
from tests import factories
from tests.browser.helpers import azur_client_user, azur_doctor, azur_operator, log_in
from tests.planning.notice_scene import AFTERNOON, build_day

f: Any = factories

pytestmark = pytest.mark.django_db(transaction=True)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def azur(db: None, settings: Any) -> dict[str, Any]:
    # Copies go to the local outbox, as on a fresh install (no provider configured).
    settings.RELAIS_EMAIL_BACKEND = "outbox"
    settings.RELAIS_SMS_BACKEND = "outbox"
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    doctor = azur_doctor(perm)
    operator = azur_operator(perm)
    f.StaffFactory(permanence=perm, role_kind=perms.SUPERVISEUR, email="superviseur@azur.test")
    azur_client_user(doctor)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    build_day(doctor, operator, tomorrow)
    return {"doctor": doctor, "day": tomorrow}


def send_queued() -> None:
    deliver_ids([d.id for d in Delivery.objects.all()])


def test_a_delay_from_the_week_view(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    doctor, day = azur["doctor"], azur["day"]
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "operateur@azur.test")
    page.goto(f"{live_server.url}/clients/{doctor.id}/planning/?semaine={day.isoformat()}")
    screenshot("notice-00-week", full_page=False)
    page.get_by_role("link", name=f"Prévenir les patients du {day_short(day)}").click()
    dialog = page.locator("dialog#planning-dialog")
    expect(
        dialog.get_by_role("heading", name="Prévenir les patients — Dr Cécile Lemoine")
    ).to_be_visible()
    expect(dialog.locator("#notice-date")).to_have_value(day.isoformat())
    # Absence fields stay hidden while « Retard » is chosen.
    expect(dialog.locator("#notice-to")).to_be_hidden()
    dialog.locator("#notice-from").fill("14:00")
    dialog.get_by_label("Retard (minutes)").fill("40")
    dialog.get_by_role("button", name="Aperçu").click()

    table = dialog.locator("table.notice-table")
    expect(dialog.get_by_role("heading", name="5 patients concernés")).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table.locator("td.who")).to_have_text(AFTERNOON)
    sophie = table.locator("tr", has_text="Sophie Fixe")
    expect(sophie.locator("td.channel")).to_contain_text("E-mail")
    expect(sophie.locator("td.channel")).to_contain_text("sophie@example.test")
    expect(table.locator("tr", has_text="Henri Sansrien")).to_contain_text(
        "Injoignable — à appeler"
    )
    durand = table.locator("tr", has_text="Hélène Durand")
    expect(durand).to_contain_text("Bonjour Hélène Durand, Dr Cécile Lemoine a environ 40 min")
    expect(dialog.locator("[data-notice-sms-total]")).to_have_text("3")
    # Unticking a contact lowers the total at once; ticking it again brings it back.
    petit = table.locator("tr", has_text="Marc Petit").locator("input[type=checkbox]")
    petit.uncheck()
    expect(dialog.locator("[data-notice-sms-total]")).to_have_text("2")
    petit.check()
    expect(dialog.locator("[data-notice-sms-total]")).to_have_text("3")
    screenshot("notice-01-preview-desktop", full_page=False)

    dialog.get_by_role("button", name="Envoyer").click()
    expect(dialog.get_by_text("Retard de 40 min signalé à 4 patients.")).to_be_visible()
    expect(dialog.locator(".notice-call")).to_contain_text("Henri Sansrien")
    screenshot("notice-02-sent-desktop", full_page=False)
    assert Notice.objects.count() == 1
    assert Movement.objects.filter(kind=Movement.NOTICE).count() == 1

    # The worker sends the four copies; the outbox shows them, each with its own text.
    send_queued()
    page.context.clear_cookies()
    log_in(page, live_server, "superviseur@azur.test")
    page.goto(f"{live_server.url}/delivery/boite-envoi/")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(4)
    for name in ("Hélène Durand", "Marc Petit", "Zoé Martin", "Sophie Fixe"):
        expect(page.locator("table.list")).to_contain_text(name)
    screenshot("notice-03-outbox", full_page=False)
    rows.filter(has_text="Marc Petit").get_by_role("link").click()
    expect(page.locator("body")).to_contain_text("Bonjour Marc Petit, Dr Cécile Lemoine")
    expect(page.locator("body")).to_contain_text("à 14:30")
    page.go_back()
    rows.filter(has_text="Sophie Fixe").get_by_role("link").click()
    expect(page.locator("body")).to_contain_text("Bonjour Sophie Fixe")
    expect(page.locator("body")).to_contain_text("à 16:00")

    # The client's file shows the summary message; its thread, each copy's status.
    page.goto(f"{live_server.url}/clients/{doctor.id}/")
    link = page.get_by_text("Retard de 40 min signalé à 4 patients").first
    expect(link).to_be_visible()
    screenshot("notice-04-client-file", full_page=False)


def test_a_delay_from_the_client_portal_on_a_phone(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    day = azur["day"]
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "client@azur.test")
    page.get_by_role("link", name="Prévenir mes patients").click()
    expect(
        page.get_by_role("heading", name="Prévenir les patients — Dr Cécile Lemoine")
    ).to_be_visible()
    page.locator("#notice-date").fill(day.isoformat())
    page.locator("#notice-from").fill("14:00")
    page.get_by_label("Retard (minutes)").fill("40")
    screenshot("notice-05-form-phone", full_page=False)
    page.get_by_role("button", name="Aperçu").click()
    expect(page.get_by_role("heading", name="5 patients concernés")).to_be_visible()
    cards = page.locator("table.notice-table tbody tr")
    expect(cards).to_have_count(5)
    # One column: nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = cards.first.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    expect(cards.filter(has_text="Henri Sansrien")).to_contain_text("Injoignable — à appeler")
    expect(cards.filter(has_text="Sophie Fixe")).to_contain_text("E-mail")
    screenshot("notice-06-preview-phone", full_page=True)
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text("Retard de 40 min signalé à 4 patients.")).to_be_visible()
    screenshot("notice-07-sent-phone", full_page=False)
    assert Delivery.objects.count() == 4
    send_queued()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    page.get_by_role("link", name="Voir le message sur le dossier").click()
    expect(page.locator("body")).to_contain_text("Retard de 40 min signalé à 4 patients")
    expect(page.locator("body")).to_contain_text("Hélène Durand")
    screenshot("notice-08-thread-phone", full_page=True)


def test_an_absence_over_two_days_sent_with_a_double_click(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    doctor, day = azur["doctor"], azur["day"]
    second = day + dt.timedelta(days=1)
    operator = Appointment.objects.first()
    assert operator is not None
    f.AppointmentFactory(
        client=doctor,
        contact=f.ContactFactory(client=doctor, name="Anne Lendemain", phone="+33655555555"),
        date=second,
        start=dt.time(9, 30),
        created_by=operator.created_by,
    )
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, "operateur@azur.test")
    page.goto(f"{live_server.url}/clients/{doctor.id}/planning/?semaine={day.isoformat()}")
    page.get_by_role("link", name=f"Prévenir les patients du {day_short(day)}").click()
    dialog = page.locator("dialog#planning-dialog")
    dialog.get_by_label("Absence").check()
    expect(dialog.locator("#notice-from")).to_be_hidden()
    expect(dialog.locator("#notice-text")).to_have_value(
        "Bonjour {contact}, {client} sera absent le {date} et ne pourra pas assurer votre "
        "rendez-vous de {heure}. Merci de rappeler le cabinet."
    )
    dialog.locator("#notice-to").fill(second.isoformat())
    dialog.get_by_label("Annuler les rendez-vous de la période").check()
    dialog.get_by_role("button", name="Aperçu").click()
    expect(dialog.get_by_role("heading", name="9 patients concernés")).to_be_visible()
    expect(dialog.locator(".notice-total")).to_contain_text("9 rendez-vous annulés")
    screenshot("notice-09-absence-preview", full_page=False)
    dialog.get_by_role("button", name="Envoyer").dblclick()
    expect(dialog.get_by_text("9 rendez-vous annulés (voir le journal")).to_be_visible()
    assert Notice.objects.count() == 1
    assert Delivery.objects.count() == 8  # 9 contacts, one of them to call
    assert Appointment.objects.filter(status=Appointment.CANCELLED).count() == 9
    assert Movement.objects.filter(kind=Movement.CANCELLED).count() == 9
    # Closing the popup shows the week again, with the appointments cancelled.
    dialog.get_by_role("button", name="Fermer (Échap)").click()
    expect(page.locator("table.week a.appt.cancelled").first).to_be_visible()
    page.goto(f"{live_server.url}/clients/{doctor.id}/planning/mouvements/")
    first = page.locator(".movement").first
    expect(first).to_contain_text("Patients prévenus")
    expect(first).to_contain_text("signalée à 8 patients, 9 rendez-vous annulés")
    screenshot("notice-10-journal", full_page=False)
