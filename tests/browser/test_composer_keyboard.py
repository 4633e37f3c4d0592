"""The composer used fast, with the keyboard: Enter acts on what was typed, Esc closes the
innermost thing and never throws work away unasked, pickers close after a pick."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from relais.clients.models import Contact
from relais.messaging.models import InputPhrase
from relais.messaging.placeholders import SLOT
from tests import factories
from tests.browser.helpers import azur_doctor, azur_operator, azur_supervisor, log_in

f: Any = factories

pytestmark = pytest.mark.django_db(transaction=True)
SCREEN = {"width": 1280, "height": 800}
DISCARD = "Abandonner ce message ? Ce qui a été saisi ou choisi sera perdu."


@pytest.fixture
def azur(db: None) -> dict[str, Any]:
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    doctor = azur_doctor(perm)
    # « Françoise Bézier » comes first in the full list; « Mor » means Hélène Moreau.
    for name, phone in [
        ("Françoise Bézier", "+33633215476"),
        ("Hélène Moreau", "+33671234589"),
        ("Jean-François Lambert", "+33612121212"),
        ("Marc Petit", "+33687654321"),
    ]:
        f.ContactFactory(client=doctor, name=name, phone=phone)
    for text in ["Le patient rappellera.", "Urgence : prévenir le médecin.", "RDV confirmé."]:
        InputPhrase.objects.create(permanence=perm, text=text)
    for first, last in [("Anne", "Aubert"), ("Bruno", "Barre"), ("Chloé", "Caron")]:
        f.StaffFactory(permanence=perm, first_name=first, last_name=last)
    return {
        "doctor": doctor,
        "operator": azur_operator(perm),
        "supervisor": azur_supervisor(perm),
    }


def open_composer(page: Any, live_server: Any, azur: dict[str, Any]) -> Any:
    page.set_viewport_size(SCREEN)
    log_in(page, live_server, "operateur@azur.test")
    page.goto(f"{live_server.url}/clients/{azur['doctor'].id}/")
    page.keyboard.press("n")
    dialog = page.locator("dialog#composer")
    expect(dialog.locator("#subject")).to_be_focused()
    return dialog


def test_it_picks_the_contact_typed_even_when_enter_comes_before_the_list(
    page: Any, live_server: Any, azur: dict[str, Any], screenshot: Any
) -> None:
    dialog = open_composer(page, live_server, azur)
    results = dialog.locator("#contact-results")
    chosen = dialog.locator("#contact-chosen")
    for attempt in range(5):
        # Focus lists every contact, Bézier first; « Mor » + Enter within ~50 ms.
        dialog.locator("#contact-q").focus()
        expect(results.get_by_role("button").first).to_contain_text("Françoise Bézier")
        page.keyboard.type("Mor", delay=10)
        page.keyboard.press("Enter")
        expect(chosen).to_contain_text("Hélène Moreau")
        expect(chosen).not_to_contain_text("Bézier")
        expect(dialog.locator("#subject")).to_be_focused()
        expect(results).to_be_hidden()
        expect(dialog.locator("#contact-q")).to_have_value("")
        if attempt == 0:
            screenshot("composer-contact-enter", full_page=False)
        chosen.get_by_role("button", name="Retirer le contact Hélène Moreau").click()
        expect(chosen).to_be_empty()
    # Enter on a list that is already the answer to what is typed acts at once.
    dialog.locator("#contact-q").fill("petit")
    expect(results.get_by_role("button")).to_have_count(1)
    dialog.locator("#contact-q").press("Enter")
    expect(chosen).to_contain_text("Marc Petit")


def test_its_fields_work_from_the_moment_it_takes_the_focus(
    page: Any, live_server: Any, azur: dict[str, Any], screenshot: Any
) -> None:
    # The operator goes to the contact search in the very instant the composer focuses its
    # subject (here: in the same task, which no hand can beat): the search must already be
    # wired, so its focus lists the contacts.
    page.set_viewport_size(SCREEN)
    log_in(page, live_server, "operateur@azur.test")
    page.goto(f"{live_server.url}/clients/{azur['doctor'].id}/")
    page.evaluate(
        """() => document.addEventListener("focusin", function once(ev) {
            if (ev.target.id !== "subject") return;
            document.removeEventListener("focusin", once);
            document.getElementById("contact-q").focus();
        })"""
    )
    page.keyboard.press("n")
    dialog = page.locator("dialog#composer")
    expect(dialog.locator("#contact-q")).to_be_focused()
    results = dialog.locator("#contact-results")
    expect(results.get_by_role("button").first).to_contain_text("Françoise Bézier")
    expect(results.get_by_role("button")).to_have_count(4)
    screenshot("composer-contact-list-at-once", full_page=False)


def test_it_adds_the_copy_recipient_typed_and_keeps_the_search_ready(
    page: Any, live_server: Any, azur: dict[str, Any], screenshot: Any
) -> None:
    dialog = open_composer(page, live_server, azur)
    dialog.get_by_role("button", name="Ajouter un destinataire en copie").click()
    q = dialog.locator("#cc-q")
    results = dialog.locator("#cc-results")
    expect(q).to_be_focused()
    expect(results.get_by_role("button").first).to_contain_text("Anne Aubert")
    page.keyboard.type("soph", delay=10)
    page.keyboard.press("Enter")
    chips = dialog.locator(".chip.cc")
    expect(chips).to_have_count(1)
    expect(chips).to_contain_text("Sophie Bernard")
    # The list closes after a pick; the field is empty and ready for another name.
    expect(results).to_be_hidden()
    expect(q).to_have_value("")
    expect(q).to_be_focused()
    page.wait_for_timeout(400)  # a late answer must not open the list again
    expect(results).to_be_hidden()
    q.press_sequentially("chlo", delay=10)
    results.get_by_role("button", name=re.compile("Chloé Caron")).click()
    expect(chips).to_have_count(2)
    expect(results).to_be_hidden()
    # At 1280×800 the composer needs no inner scrolling after the picks.
    sizes = dialog.evaluate("d => [d.scrollHeight, d.clientHeight]")
    screenshot("composer-cc-after-pick", full_page=False)
    assert sizes[0] <= sizes[1], sizes


def test_it_inserts_the_phrase_typed_on_enter(
    page: Any, live_server: Any, azur: dict[str, Any]
) -> None:
    dialog = open_composer(page, live_server, azur)
    body = dialog.locator("#body")
    body.click()
    body.press("Alt+a")
    expect(dialog.get_by_placeholder("Rechercher une phrase…")).to_be_focused()
    page.keyboard.type("urg", delay=5)
    page.keyboard.press("Enter")
    expect(body).to_have_value("Urgence : prévenir le médecin.")
    expect(body).to_be_focused()


def test_it_clears_the_search_when_a_contact_is_created_inline(
    page: Any, live_server: Any, azur: dict[str, Any], screenshot: Any
) -> None:
    dialog = open_composer(page, live_server, azur)
    q = dialog.locator("#contact-q")
    q.fill("Paulette Nouvelle")
    results = dialog.locator("#contact-results")
    expect(results).to_contain_text("Aucun contact ne correspond à « Paulette Nouvelle »")
    dialog.get_by_role("button", name="+ nouveau").click()
    expect(dialog.get_by_label("Nom du contact")).to_have_value("Paulette Nouvelle")
    dialog.locator("#cnp-phone").fill("06 11 22 33 44")
    dialog.get_by_role("button", name="Créer et choisir ce contact").click()
    expect(dialog.locator("#contact-chosen")).to_contain_text("Paulette Nouvelle")
    expect(q).to_have_value("")
    expect(results).to_be_hidden()
    expect(dialog).not_to_contain_text("Aucun contact ne correspond")
    screenshot("composer-contact-created", full_page=False)
    assert Contact.objects.filter(name="Paulette Nouvelle").count() == 1


def test_it_closes_an_open_list_on_esc_and_asks_before_dropping_changes(
    page: Any, live_server: Any, azur: dict[str, Any], screenshot: Any
) -> None:
    dialog = open_composer(page, live_server, azur)
    question = dialog.get_by_role("alertdialog", name=DISCARD)
    # No change yet: Esc closes at once, without a question.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.keyboard.press("n")
    expect(dialog.locator("#subject")).to_be_focused()
    # Only boxes, a copy recipient and a contact: no text typed.
    dialog.get_by_label("Urgent").check()
    dialog.get_by_label("Tâche").check()
    dialog.locator("#contact-q").fill("hél")
    dialog.locator("#contact-results").get_by_role("button", name=re.compile("Moreau")).click()
    dialog.get_by_role("button", name="Ajouter un destinataire en copie").click()
    dialog.locator("#cc-q").fill("soph")
    expect(dialog.locator("#cc-results")).to_contain_text("Sophie Bernard")
    # Esc in the copy-recipient search closes that list, not the composer.
    dialog.locator("#cc-q").press("Escape")
    expect(dialog.locator("#cc-q")).to_be_hidden()
    expect(dialog).to_be_visible()
    expect(question).to_be_hidden()
    # Esc in the contact list closes the list only.
    dialog.locator("#contact-q").focus()
    expect(dialog.locator("#contact-results")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog.locator("#contact-results")).to_be_hidden()
    expect(dialog).to_be_visible()
    expect(question).to_be_hidden()
    # Esc now: the changes are not thrown away unasked; the safe answer has the focus.
    page.keyboard.press("Escape")
    expect(question).to_be_visible()
    expect(question.get_by_role("button", name="Continuer la saisie")).to_be_focused()
    screenshot("composer-discard-question", full_page=False)
    # Esc again (no click between) keeps the message: it is never closed unasked.
    page.keyboard.press("Escape")
    expect(question).to_be_hidden()
    expect(dialog).to_be_visible()
    expect(dialog.locator("#contact-q")).to_be_focused()
    expect(dialog.get_by_label("Urgent")).to_be_checked()
    expect(dialog.locator("#contact-chosen")).to_contain_text("Hélène Moreau")
    # Asked again, « Continuer la saisie » keeps it too; « Abandonner » drops it.
    page.keyboard.press("Escape")
    question.get_by_role("button", name="Continuer la saisie").click()
    expect(question).to_be_hidden()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    question.get_by_role("button", name="Abandonner").click()
    expect(dialog).to_be_hidden()
    # Opened again: a fresh composer, no question left over.
    page.keyboard.press("n")
    expect(dialog.locator("#subject")).to_be_focused()
    expect(question).to_be_hidden()
    expect(dialog.get_by_label("Urgent")).not_to_be_checked()


def test_it_counts_a_template_chosen_as_a_change(
    page: Any, live_server: Any, azur: dict[str, Any]
) -> None:
    f.TemplateFactory(
        permanence=azur["doctor"].permanence, name="Rappel", subject="Rappel {contact}", body="x"
    )
    dialog = open_composer(page, live_server, azur)
    question = dialog.get_by_role("alertdialog", name=DISCARD)
    dialog.get_by_label("Modèle").select_option(label="Rappel")
    expect(dialog.locator("#subject")).to_have_value(re.compile("^Rappel "))
    dialog.locator("#subject").press("Escape")
    expect(question).to_be_visible()
    question.get_by_role("button", name="Continuer la saisie").click()
    expect(dialog).to_be_visible()
    # The template dropped: its empty slot goes (nothing would fill it at sending).
    expect(dialog.locator("#subject")).to_have_value(f"Rappel {SLOT}")
    dialog.get_by_label("Modèle").select_option(label="— Aucun modèle —")
    expect(dialog.locator("#subject")).to_have_value("Rappel ")
    expect(dialog.locator("[data-slot-note]")).to_be_hidden()
