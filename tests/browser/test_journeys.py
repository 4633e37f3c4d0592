"""User journeys in a real Chromium (Playwright) against the live test server."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from relais.clients.models import Contact
from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_send
from relais.tenancy import permissions as perms
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import (
    azur_client_user,
    azur_doctor,
    azur_operator,
    azur_supervisor,
    log_in,
)

f: Any = factories  # factory calls return model instances

pytestmark = pytest.mark.django_db(transaction=True)
SMALL = {"width": 1280, "height": 720}


@pytest.fixture
def azur(db: None) -> dict[str, Any]:
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    other = f.PermanenceFactory(name="Permanence Horizon", slug="horizon")
    company = f.CompanyFactory(permanence=perm, name="Cabinet du Port")
    doctor = azur_doctor(
        perm,
        message_info="Absente jusqu'au 12/12",
        default_copy_email=True,
    )
    dentist = f.ClientFactory(permanence=perm, name="Dentiste Alice Morel", company=company)
    f.ClientFactory(permanence=perm, name="Plomberie Durand", trade="Plombier")
    f.ClientFactory(permanence=other, name="Dr Lemoine de Horizon")
    f.ContactFactory(client=doctor, name="Hélène Durand", phone="+33612345678")
    f.ContactFactory(client=doctor, name="Marc Petit", phone="+33687654321")
    f.TemplateFactory(
        permanence=perm,
        name="Rappel patient",
        subject="Rappel patient",
        body="Merci de rappeler le patient.",
        consigne="Demander la date de naissance.",
    )
    replacement = f.ClientUserFactory(
        client=dentist, email="remplacant@azur.test", first_name="Rémi", last_name="Remplaçant"
    )
    f.ClientShareFactory(client=doctor, user=replacement)
    return {
        "perm": perm,
        "doctor": doctor,
        "operator": azur_operator(perm),
        "supervisor": azur_supervisor(perm),
        "client_user": azur_client_user(doctor),
        "replacement": replacement,
    }


def test_it_lets_an_operator_find_a_client_and_a_contact(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    page.set_viewport_size(SMALL)
    page.goto(f"{live_server.url}/connexion/")
    screenshot("01-login")
    log_in(page, live_server, "operateur@azur.test")
    expect(page.get_by_role("heading", name="Bonjour Léa")).to_be_visible()
    page.get_by_placeholder("Rechercher un client").fill("lemoine")
    results = page.locator("#home-results")
    expect(results.get_by_role("link")).to_have_count(1)
    expect(results).not_to_contain_text("Horizon")
    screenshot("02-home-search")
    results.get_by_role("link", name="Dr Cécile Lemoine").click()
    expect(page.get_by_role("heading", name="Dr Cécile Lemoine")).to_be_visible()
    expect(page.locator(".client-head")).to_contain_text("06 12 34 56 78")
    page.get_by_placeholder("Nom ou téléphone…").fill("helene")
    contacts = page.locator("#contact-rows")
    expect(contacts).to_contain_text("Hélène Durand")
    expect(contacts).not_to_contain_text("Marc Petit")
    screenshot("03-client-file-contact-search")
    page.get_by_placeholder("Nom ou téléphone…").fill("0687")
    expect(contacts).to_contain_text("Marc Petit")
    expect(contacts).not_to_contain_text("Hélène Durand")
    page.get_by_role("link", name="Clients", exact=True).click()
    expect(page.locator("#client-rows tr")).to_have_count(3)
    screenshot("04-client-list")


def test_it_shows_a_client_user_only_its_own_client(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    message_send(
        author=azur["operator"],
        client=azur["doctor"],
        data=SendInput(subject="Demande de RDV", body="M. Petit voudrait un RDV."),
    )
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    log_in(page, live_server, "client@azur.test")
    expect(page.get_by_role("heading", name="Dr Cécile Lemoine")).to_be_visible()
    expect(page.locator("#threads")).to_contain_text("Demande de RDV")
    expect(page.locator("body")).not_to_contain_text("Plomberie Durand")
    expect(page.locator("body")).not_to_contain_text("Tâche à faire")
    screenshot("05-portal-phone")
    response = page.goto(f"{live_server.url}/clients/")
    assert response is not None and response.status == 403


def test_it_sends_a_message_from_the_composer_and_follows_the_thread(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any], browser: Any
) -> None:
    page.set_viewport_size(SMALL)
    log_in(page, live_server, "operateur@azur.test")
    page.goto(f"{live_server.url}/clients/{azur['doctor'].id}/")
    expect(page.get_by_role("heading", name="Dr Cécile Lemoine")).to_be_visible()

    # The shortcut opens the composer with the cursor in Sujet.
    page.keyboard.press("n")
    dialog = page.locator("dialog#composer")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#composer-title")).to_contain_text(
        "Nouveau message — Dr Cécile Lemoine · « Absente jusqu'au 12/12 »"
    )
    expect(dialog.locator("#subject")).to_be_focused()
    expect(dialog.locator("input[name=copy_email]")).to_be_checked()

    # A copy recipient, as a purple chip.
    dialog.get_by_role("button", name="Ajouter un destinataire en copie").click()
    dialog.locator("#cc-q").fill("soph")
    dialog.locator("#cc-results").get_by_role("button", name="Sophie Bernard").click()
    expect(dialog.locator(".chip.cc")).to_contain_text("Sophie Bernard")

    # A contact created inline.
    dialog.get_by_role("button", name="+ nouveau").click()
    dialog.get_by_label("Nom du contact").fill("Jean Moreau")
    dialog.locator("#cnp-phone").fill("06 11 22 33 44")
    dialog.get_by_role("button", name="Créer et choisir ce contact").click()
    expect(dialog.locator("#contact-chosen")).to_contain_text("Jean Moreau")

    # Tâche with a date, Urgent, subject and body; the template fills the post-it.
    dialog.get_by_label("Tâche").check()
    due = timezone.localdate() + dt.timedelta(days=2)
    dialog.locator("#due-date").fill(due.isoformat())
    dialog.get_by_label("Urgent").check()
    dialog.get_by_label("Modèle").select_option(label="Rappel patient")
    expect(dialog.locator(".postit")).to_contain_text("Demander la date de naissance.")
    dialog.locator("#subject").fill("Rappeler M. Moreau")
    dialog.locator("#body").fill("M. Moreau a appelé.\nIl attend un rappel avant midi.")
    screenshot("06-composer", full_page=False)
    dialog.locator("#body").press("Control+Enter")

    expect(dialog).to_be_hidden()
    row = page.locator("#threads .thread-row", has_text="Rappeler M. Moreau")
    expect(row).to_be_visible()
    expect(row).to_contain_text(f"A faire le {due:%d/%m/%Y}")
    expect(row).to_contain_text("Urgent")
    expect(row).to_contain_text("Jean Moreau")
    screenshot("07-client-file-after-send", full_page=False)
    message = Message.objects.get(subject="Rappeler M. Moreau")
    assert message.is_urgent and message.status == "todo" and message.due_date == due
    assert message.contact == Contact.objects.get(name="Jean Moreau")
    assert list(message.recipients.values_list("user__email", flat=True)) == [
        "superviseur@azur.test"
    ]

    # A private message, which the sharing target must never see.
    page.get_by_role("link", name="Nouveau message").click()
    expect(dialog.locator("#subject")).to_be_focused()
    dialog.get_by_label("Privé").check()
    expect(dialog.locator("[data-private-note]")).to_be_visible()
    expect(dialog.get_by_role("button", name="Ajouter un destinataire en copie")).to_be_disabled()
    dialog.locator("#subject").fill("Résultats confidentiels")
    dialog.locator("#body").fill("Les résultats sont arrivés.")
    dialog.get_by_role("button", name="Envoyer").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#threads")).to_contain_text("Résultats confidentiels")

    # The client user sees it unread, opens it and replies.
    client_context = browser.new_context(viewport=SMALL, locale="fr-FR")
    client_page = client_context.new_page()
    log_in(client_page, live_server, "client@azur.test")
    unread = client_page.locator(".thread-row.unread", has_text="Rappeler M. Moreau")
    expect(unread).to_be_visible()
    client_page.screenshot(path=str(ARTIFACTS / "08-portal-unread.png"))
    unread.click()
    expect(client_page.locator(".body-text")).to_contain_text("Il attend un rappel avant midi.")
    client_page.get_by_label("Répondre").fill("Je le rappelle à 11h.")
    client_page.get_by_role("button", name="Valider", exact=True).click()
    expect(client_page.locator(".replies-list")).to_contain_text("Je le rappelle à 11h.")
    expect(client_page.get_by_label("Répondre")).to_have_value("")
    client_page.screenshot(path=str(ARTIFACTS / "09-thread-client-reply.png"), full_page=True)
    client_context.close()

    # The operator sees the reply appear without reloading (polling).
    expect(row).to_contain_text("1 réponse", timeout=12_000)
    row.click()
    expect(page.locator(".replies-list")).to_contain_text("Je le rappelle à 11h.")
    expect(page.locator("#thread-history")).to_contain_text("Réponse de Cécile")
    screenshot("10-thread-operator")

    # The sharing target sees the shared message but never the private one.
    share_context = browser.new_context(viewport=SMALL, locale="fr-FR")
    share_page = share_context.new_page()
    log_in(share_page, live_server, "remplacant@azur.test")
    expect(share_page.locator("body")).to_contain_text("Rappeler M. Moreau")
    expect(share_page.locator("body")).not_to_contain_text("Résultats confidentiels")
    private = Message.objects.get(subject="Résultats confidentiels")
    response = share_page.goto(f"{live_server.url}/messages/{private.id}/")
    assert response is not None and response.status == 404
    share_context.close()


def test_it_lets_a_gerant_edit_settings_and_roles_and_keeps_typed_text_on_errors(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    f.StaffFactory(permanence=azur["perm"], role_kind=perms.GERANT, email="gerant@azur.test")
    page.set_viewport_size(SMALL)
    log_in(page, live_server, "gerant@azur.test")
    doctor = azur["doctor"]
    page.goto(f"{live_server.url}/clients/{doctor.id}/")

    # The composer keeps what was typed when the server refuses it.
    page.get_by_role("link", name="Nouveau message").click()
    dialog = page.locator("dialog#composer")
    dialog.locator("#body").fill("Texte à ne pas perdre.")
    dialog.get_by_role("button", name="Envoyer").click()
    expect(dialog.locator("#subject-err")).to_contain_text("Sujet : ce champ est obligatoire.")
    expect(dialog.locator("#body")).to_have_value("Texte à ne pas perdre.")
    expect(dialog.locator("#subject")).to_be_focused()
    screenshot("11-composer-errors", full_page=False)
    page.keyboard.press("Escape")
    dialog.get_by_role("alertdialog", name=re.compile("Abandonner ce message")).get_by_role(
        "button", name="Abandonner"
    ).click()
    expect(dialog).to_be_hidden()

    page.get_by_role("link", name="Coordonnées").click()
    page.get_by_label("Mobile").fill("06 12")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#f-mobile-err")).to_contain_text("Numéro de téléphone invalide.")
    screenshot("12-client-edit-error")
    page.get_by_label("Mobile").fill("06 98 76 54 32")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".client-head")).to_contain_text("06 98 76 54 32")

    page.locator("summary", has_text="MESSAGES").click()
    page.get_by_role("menuitem", name="Paramètres du compte / Message").click()
    page.get_by_label("Message infos").fill("Congés du 20 au 27/12")
    screenshot("13-client-settings")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash")).to_contain_text("Paramètres du compte enregistrés.")

    page.get_by_role("link", name="Rôles et droits").click()
    checkbox = page.get_by_label("Opérateur : Modifier les coordonnées d'un client")
    expect(checkbox).not_to_be_checked()
    checkbox.check()
    screenshot("14-roles")
    page.get_by_role("button", name="Enregistrer les droits").click()
    expect(page.locator(".flash")).to_contain_text("Droits des rôles enregistrés.")
    expect(page.get_by_label("Opérateur : Modifier les coordonnées d'un client")).to_be_checked()
