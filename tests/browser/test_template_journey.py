"""The message aids, in a real Chromium: a gérant prepares a template, a client's default
template and instructions, a phrase and a banner; an operator writes the message with them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from relais.clients.models import Instruction
from relais.messaging.models import Banner, InputPhrase, Message, MessageTemplate
from relais.messaging.placeholders import SLOT
from relais.tenancy import permissions as perms
from tests import factories
from tests.browser.helpers import azur_client_user, azur_doctor, azur_operator, log_in

f: Any = factories

pytestmark = pytest.mark.django_db(transaction=True)
SMALL = {"width": 1280, "height": 720}


@pytest.fixture
def azur(db: None) -> dict[str, Any]:
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    doctor = azur_doctor(
        perm,
        message_info="Absente jusqu'au 12/12",
    )
    f.ClientFactory(permanence=perm, name="Plomberie Durand", trade="Plombier")
    f.ContactFactory(client=doctor, name="Hélène Durand", phone="+33612345678")
    f.TemplateFactory(
        permanence=perm,
        name="Demande de rendez-vous",
        subject="Demande de RDV",
        body="{contact} souhaite un rendez-vous.",
        consigne="Proposer d'abord les créneaux libres.",
    )
    Instruction.objects.create(
        permanence=perm, client=doctor, text="Jamais de RDV le mercredi.", show_message=True
    )
    Instruction.objects.create(
        permanence=perm,
        client=doctor,
        text="Agenda : 20 minutes par consultation.",
        show_message=False,
        show_agenda=True,
    )
    for i, text in enumerate(
        ["Le patient rappellera.", "Merci de rappeler au plus vite.", "Résultats disponibles."]
    ):
        InputPhrase.objects.create(permanence=perm, text=text, position=i + 1)
    return {
        "perm": perm,
        "doctor": doctor,
        "gerant": f.StaffFactory(
            permanence=perm,
            role_kind=perms.GERANT,
            email="gerant@azur.test",
            first_name="Gérard",
            last_name="Blanc",
        ),
        "operator": azur_operator(perm),
        "client_user": azur_client_user(doctor),
    }


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state("networkidle")


def test_it_prepares_the_aids_and_writes_a_message_with_them(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    page.set_viewport_size(SMALL)
    doctor = azur["doctor"]
    today = timezone.localdate().strftime("%d/%m/%Y")

    # --- the gérant: a template with a consigne and VAD ticked --------------------------------
    log_in(page, live_server, "gerant@azur.test")
    page.get_by_role("link", name="Modèles de messages").click()
    expect(page.get_by_role("heading", name="Modèles de messages")).to_be_visible()
    screenshot("tpl-01-template-list")
    page.get_by_role("link", name="+ Nouveau modèle").click()
    page.get_by_label("Nom du modèle").fill("Rappel patient")
    page.get_by_label("Sujet").fill("Rappel de ")
    page.get_by_role("button", name="{contact}").click()  # inserted at the cursor
    expect(page.get_by_label("Sujet")).to_have_value("Rappel de {contact}")
    page.get_by_label("Message", exact=True).fill(
        "Bonjour, {contact} a appelé le {date} pour {client}.\n"
        "Merci de le rappeler avant {heure}.\n— {operateur}"
    )
    page.get_by_label("Consigne").fill("Demander la date de naissance.")
    page.get_by_label("Cocher « VAD » automatiquement").check()
    page.get_by_label("Les clients choisis").check()
    page.get_by_placeholder("Filtrer les clients…").fill("lemoine")
    expect(page.get_by_label("Plomberie Durand")).to_be_hidden()
    page.get_by_label("Dr Cécile Lemoine").check()
    page.get_by_role("button", name="Créer le modèle").click()
    # An unknown placeholder: a French error next to the body, nothing saved, nothing lost.
    expect(page.locator("#f-body-err")).to_contain_text("variable inconnue {heure}")
    expect(page.get_by_label("Consigne")).to_have_value("Demander la date de naissance.")
    assert not MessageTemplate.objects.filter(name="Rappel patient").exists()
    screenshot("tpl-02-template-form-error")
    page.get_by_label("Message", exact=True).fill(
        "Bonjour, {contact} a appelé le {date} pour {client}.\nMerci de le rappeler.\n— {operateur}"
    )
    page.get_by_role("button", name="Créer le modèle").click()
    expect(page.locator(".flash")).to_contain_text("Modèle « Rappel patient » créé.")
    expect(page.locator("table.list")).to_contain_text("Dr Cécile Lemoine")
    screenshot("tpl-03-template-list-filled")

    # --- its the doctor's default template ----------------------------------------------------
    page.goto(f"{live_server.url}/clients/{doctor.id}/")
    page.get_by_text("MESSAGES ▾").click()
    page.get_by_role("menuitem", name="Paramètres du compte / Message").click()
    page.get_by_label("Modèle de message par défaut").select_option(label="Rappel patient")
    screenshot("tpl-04-client-settings")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash")).to_contain_text("Paramètres du compte enregistrés.")
    doctor.refresh_from_db()
    assert doctor.default_template is not None
    assert doctor.default_template.name == "Rappel patient"

    # --- an instruction for the composer ------------------------------------------------------
    page.goto(f"{live_server.url}/clients/{doctor.id}/parametres/")
    page.get_by_role("link", name="Instructions").click()
    page.get_by_label("Instruction", exact=True).fill("Urgences : prévenir le Dr par SMS.")
    page.get_by_role("button", name="+ Ajouter l'instruction").click()
    expect(page.locator(".instruction-admin")).to_contain_text("Urgences : prévenir le Dr")
    screenshot("tpl-05-instructions")

    # --- a phrase, and a banner (too long first) ----------------------------------------------
    page.get_by_role("link", name="Aide à la saisie").click()
    page.get_by_label("Phrase", exact=True).fill("Rappeler entre 12h et 14h.")
    page.get_by_role("button", name="+ Ajouter la phrase").click()
    expect(page.locator(".phrase-admin")).to_contain_text("Rappeler entre 12h et 14h.")
    screenshot("tpl-06-phrases")
    page.get_by_role("link", name="Bandeau message").click()
    page.get_by_label("Texte").fill("Formation jeudi 14h — salle B. " * 8)
    expect(page.locator("[data-counter-for]")).to_contain_text("trop long")
    page.get_by_role("button", name="+ Ajouter le bandeau").click()
    expect(page.locator("#f-text-err")).to_contain_text("200 caractères au maximum")
    assert not Banner.objects.exists()
    screenshot("tpl-07-banner-error")
    page.get_by_label("Texte").fill("Formation jeudi 14h — salle B")
    page.get_by_role("button", name="+ Ajouter le bandeau").click()
    expect(page.locator(".banner-admin")).to_contain_text("Formation jeudi 14h — salle B")
    screenshot("tpl-08-banners")
    log_out(page)

    # --- the operator: the banner on his home page --------------------------------------------
    log_in(page, live_server, "operateur@azur.test")
    banner = page.locator(".banner")
    expect(banner).to_contain_text("Formation jeudi 14h — salle B")
    expect(banner.get_by_role("button", name="Retirer ce bandeau")).to_have_count(0)
    expect(page.get_by_role("link", name="Modèles de messages")).to_have_count(0)
    screenshot("tpl-09-home-banner")

    # --- the composer opens with the default template -----------------------------------------
    page.goto(f"{live_server.url}/clients/{doctor.id}/")
    page.get_by_role("link", name="Nouveau message").click()
    dialog = page.locator("dialog#composer")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#composer-title")).to_contain_text("« Absente jusqu'au 12/12 »")
    # {contact} is an empty, marked slot until a contact is chosen: never template syntax.
    expect(dialog.locator("#subject")).to_have_value(f"Rappel de {SLOT}")
    expect(dialog.locator("#subject")).to_have_class(re.compile(r"\bhas-slot\b"))
    expect(dialog.locator("[data-slot-note]")).to_be_visible()
    body = dialog.locator("#body")
    expect(body).to_have_value(
        f"Bonjour, {SLOT} a appelé le {today} pour Dr Cécile Lemoine.\nMerci de le rappeler.\n— Léa"
    )
    expect(dialog).not_to_contain_text("{contact}")
    expect(dialog.get_by_label("VAD")).to_be_checked()
    expect(dialog.locator(".postit")).to_contain_text("Demander la date de naissance.")
    side = dialog.locator("[data-instructions]")
    expect(side).to_contain_text("Jamais de RDV le mercredi.")
    expect(side).to_contain_text("Urgences : prévenir le Dr par SMS.")
    expect(side).not_to_contain_text("20 minutes")

    # Choosing the contact fills {contact} in the template's (untouched) text.
    dialog.locator("#contact-q").fill("hél")
    dialog.locator("#contact-results").get_by_role("button", name="Hélène Durand").click()
    expect(dialog.locator("#subject")).to_have_value("Rappel de Hélène Durand")
    expect(dialog.locator("[data-slot-note]")).to_be_hidden()
    expect(body).to_have_value(
        f"Bonjour, Hélène Durand a appelé le {today} pour Dr Cécile Lemoine.\n"
        "Merci de le rappeler.\n— Léa"
    )
    screenshot("tpl-10-composer-default-template", full_page=False)

    # --- a phrase at the cursor: with the keyboard, then with one click ------------------------
    body.click()
    body.press("Control+End")
    body.press("Enter")
    dialog.get_by_role("button", name="Aide à la saisie").click()
    search = dialog.get_by_placeholder("Rechercher une phrase…")
    expect(search).to_be_focused()
    search.fill("rappel")
    options = dialog.locator("#phrases-list [data-phrase]:visible")
    expect(options).to_have_count(3)  # « rappellera », « rappeler au plus vite », « 12h et 14h »
    screenshot("tpl-11-composer-phrases", full_page=False)
    search.press("ArrowDown")
    search.press("Enter")
    expect(body).to_be_focused()
    expect(body).to_have_value(
        f"Bonjour, Hélène Durand a appelé le {today} pour Dr Cécile Lemoine.\n"
        "Merci de le rappeler.\n— Léa\nMerci de rappeler au plus vite."
    )
    # Esc closes the list only, not the popup; Alt+A opens it again.
    body.press("Alt+a")
    expect(search).to_be_focused()
    search.press("Escape")
    expect(dialog.locator("#phrases-pop")).to_be_hidden()
    expect(dialog).to_be_visible()
    expect(body).to_be_focused()
    body.press("Alt+a")
    expect(search).to_be_focused()
    dialog.locator("#phrases-list").get_by_text("Résultats disponibles.").click()
    expect(body).to_have_value(
        f"Bonjour, Hélène Durand a appelé le {today} pour Dr Cécile Lemoine.\n"
        "Merci de le rappeler.\n— Léa\nMerci de rappeler au plus vite. Résultats disponibles."
    )

    # Another template now asks first; refusing keeps the text.
    page.once("dialog", lambda d: d.dismiss())
    dialog.get_by_label("Modèle").select_option(label="Demande de rendez-vous")
    expect(dialog.get_by_label("Modèle")).to_have_value(str(doctor.default_template_id))
    expect(body).to_have_value(re.compile(r"Résultats disponibles\.$"))
    screenshot("tpl-12-composer-ready", full_page=False)

    dialog.get_by_role("button", name="Envoyer").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".toast")).to_contain_text("Message « Rappel de Hélène Durand » envoyé.")
    message = Message.objects.get()
    assert message.is_vad
    assert message.template_id == doctor.default_template_id
    assert message.contact is not None and message.contact.name == "Hélène Durand"
    assert message.body.endswith("Merci de rappeler au plus vite. Résultats disponibles.")
    log_out(page)

    # --- the client user: no banner, no consigne, no instruction ------------------------------
    log_in(page, live_server, "client@azur.test")
    expect(page.locator("body")).not_to_contain_text("Formation jeudi")
    page.get_by_role("link", name="+ Écrire à la permanence").click()
    dialog = page.locator("dialog#composer")
    expect(dialog.locator("#subject")).to_be_visible()
    expect(dialog).not_to_contain_text("Demander la date de naissance")
    expect(dialog).not_to_contain_text("Jamais de RDV")
    expect(dialog.locator("[data-composer-side]")).to_be_hidden()
    screenshot("tpl-13-client-composer", full_page=False)


def test_it_lets_a_gerant_remove_the_banner_from_the_home_page(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    page.set_viewport_size(SMALL)
    Banner.objects.create(
        permanence=azur["perm"], text="Pic d'appels attendu lundi", created_by=azur["gerant"]
    )
    log_in(page, live_server, "gerant@azur.test")
    banner = page.locator(".banner")
    expect(banner).to_contain_text("Pic d'appels attendu lundi")
    screenshot("tpl-14-home-banner-gerant")
    page.once("dialog", lambda d: d.accept())
    banner.get_by_role("button", name="Retirer ce bandeau").click()
    expect(page.locator(".flash")).to_contain_text("Bandeau retiré.")
    expect(page.locator(".banner")).to_have_count(0)
    assert not Banner.objects.exists()


def test_it_lets_a_gerant_edit_and_delete_a_template_and_an_instruction(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    page.set_viewport_size(SMALL)
    doctor = azur["doctor"]
    template = MessageTemplate.objects.get(name="Demande de rendez-vous")
    doctor.default_template = template
    doctor.save()
    log_in(page, live_server, "gerant@azur.test")
    page.get_by_role("link", name="Modèles de messages").click()
    page.get_by_role("link", name="Demande de rendez-vous").click()
    expect(page.get_by_label("Nom du modèle")).to_have_value("Demande de rendez-vous")
    expect(page.get_by_label("Tous les clients de la permanence")).to_be_checked()
    screenshot("tpl-15-template-edit")
    page.get_by_label("Nom du modèle").fill("")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#f-name-err")).to_contain_text("Nom : ce champ est obligatoire.")
    expect(page.get_by_label("Nom du modèle")).to_be_focused()
    page.get_by_label("Nom du modèle").fill("Demande de RDV")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash")).to_contain_text("Modèle « Demande de RDV » enregistré.")

    page.get_by_role("row", name="Demande de RDV").get_by_role("link", name="Supprimer").click()
    expect(page.locator("form.panel")).to_contain_text("C'est le modèle par défaut de")
    screenshot("tpl-16-template-delete")
    page.get_by_role("button", name="Supprimer").click()
    expect(page.locator(".flash")).to_contain_text("Modèle « Demande de RDV » supprimé.")
    assert not MessageTemplate.objects.exists()

    page.goto(f"{live_server.url}/clients/{doctor.id}/instructions/")
    row = page.locator(".instruction-admin li", has_text="Jamais de RDV")
    row.get_by_role("link", name="Modifier").click()
    page.get_by_label("Instruction", exact=True).fill("Jamais de RDV le mercredi ni le samedi.")
    page.get_by_label("Agenda").check()
    screenshot("tpl-17-instruction-edit")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".instruction-admin")).to_contain_text("ni le samedi")
    page.once("dialog", lambda d: d.accept())
    page.locator(".instruction-admin li", has_text="ni le samedi").get_by_role(
        "button", name="Supprimer"
    ).click()
    expect(page.locator(".flash")).to_contain_text("Instruction supprimée.")
    assert Instruction.objects.count() == 1
