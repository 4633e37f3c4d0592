"""A call comes in (UI.md): two operators in two browser contexts, the telephone simulator,
the screen pop that keeps the other composer's text, and a colleague's screen kept live.

The pages are served by the demo's ASGI server (uvicorn, as `make run` starts it) against the
test database: the live event stream needs an ASGI server (the test live server is WSGI)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from relais.calls.models import Call
from relais.messaging.models import Message
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import azur_doctor, azur_operator, azur_supervisor, log_in
from tests.events.servers import web_process

f: Any = factories

pytestmark = pytest.mark.django_db(transaction=True)
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def server(tmp_path: Path) -> Any:
    # The test settings: the factories' password hasher, the in-memory copy backends.
    with web_process(tmp_path, DJANGO_SETTINGS_MODULE="config.test_settings") as port:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}")


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_it_raises_the_file_of_a_call_answered_by_the_simulator_and_keeps_colleagues_live(
    browser: Any, server: Any
):
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    doctor = azur_doctor(perm)
    f.ClientNumberFactory(client=doctor, number="+33491000001")
    helene = f.ContactFactory(client=doctor, name="Hélène Moreau", phone="+33671234589")
    girard = f.ClientFactory(permanence=perm, name="Dr Thomas Girard", trade="Médecin remplaçant")
    lea = azur_operator(perm)
    lea.extension = "201"
    lea.save()
    azur_supervisor(perm)

    lea_context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris")
    sophie_context = browser.new_context(
        viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris"
    )
    page = lea_context.new_page()
    other = sophie_context.new_page()
    errors: list[str] = []
    for p in (page, other):
        p.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(page, server, "operateur@azur.test")
        log_in(other, server, "superviseur@azur.test")

        # Léa writes on Dr Girard's file and has not sent it yet.
        page.goto(f"{server.url}/clients/{girard.id}/")
        page.get_by_role("link", name="Nouveau message").click()
        page.get_by_label("Sujet").fill("Ordonnance à renouveler")
        page.get_by_label("Message", exact=True).fill("Texte pas encore envoyé")
        # Sophie watches Dr Lemoine's file.
        other.goto(f"{server.url}/clients/{doctor.id}/")
        expect(other.locator("html[data-live=on]")).to_have_count(1)
        expect(page.locator("html[data-live=on]")).to_have_count(1)

        # The phone rings: both see the strip, the waiting time ticking.
        call_command(
            "relais_call",
            to="04 91 00 00 01",
            caller="06 71 23 45 89",
            url=server.url,
            call_id="pbx-1",
        )
        strip = other.locator("#call-strip .call-line")
        expect(strip).to_contain_text("Dr Cécile Lemoine · Hélène Moreau (06 71 23 45 89)")
        expect(strip.get_by_role("button", name="Prendre")).to_be_visible()
        expect(page.locator("#call-strip .call-line")).to_have_count(1)
        shot(other, "call-strip")

        # The PBX says Léa answered (extension 201): her screen raises Dr Lemoine's file.
        call_command(
            "relais_call",
            to="04 91 00 00 01",
            caller="06 71 23 45 89",
            url=server.url,
            call_id="pbx-1",
            answer="201",
            ring=0,
        )
        # Sophie's strip says who took it, then the call leaves it.
        expect(strip).to_contain_text("Pris par Léa")
        expect(other.locator("#call-strip .call-line")).to_have_count(0)
        page.wait_for_url(f"{server.url}/clients/{doctor.id}/", timeout=5000)
        composer = page.locator("form[data-composer]")
        expect(composer).to_be_visible()
        expect(composer.locator(".cc-contact")).to_contain_text("Hélène Moreau")
        expect(composer.locator("[data-call-note]")).to_contain_text("Appel de")
        shot(page, "call-screen-pop")

        # Léa writes the message of the call; Sophie sees it and her counts move, no reload.
        composer.get_by_label("Sujet").fill("Résultats de prise de sang")
        composer.get_by_label("Message", exact=True).fill("Mme Moreau souhaite être rappelée.")
        composer.get_by_label("Urgent").check()
        composer.get_by_role("button", name="Envoyer").click()
        expect(other.locator("#threads")).to_contain_text(
            "Résultats de prise de sang", timeout=2000
        )
        expect(other.locator("[data-menu=urgent] .count")).to_have_text("1", timeout=2000)
        message = Message.objects.get(subject="Résultats de prise de sang")
        call = Call.objects.get(call_id="pbx-1")
        assert message.call_id == call.id and message.contact_id == helene.id
        assert call.answered_by_id == lea.id

        # Back on Dr Girard's file, the unsent text is there (« brouillon »).
        page.go_back()
        page.wait_for_url(f"{server.url}/clients/{girard.id}/")
        page.locator("[data-draft-restore]").click()
        draft = page.locator("form[data-composer]")
        expect(draft.get_by_label("Sujet")).to_have_value("Ordonnance à renouveler")
        expect(draft.get_by_label("Message", exact=True)).to_have_value("Texte pas encore envoyé")

        # The thread shows its call; the journal links back.
        call_command(
            "relais_call",
            to="04 91 00 00 01",
            caller="06 71 23 45 89",
            url=server.url,
            call_id="pbx-1",
            hangup_after=0,
        )
        other.goto(f"{server.url}/messages/{message.id}/")
        expect(other.locator(".call-line-thread")).to_contain_text("pris par Léa")
        shot(other, "call-thread")
        other.locator(".call-line-thread a").click()
        expect(other.locator(".call-facts")).to_contain_text("Résultats de prise de sang")
        shot(other, "call-page")
        other.goto(f"{server.url}/clients/{doctor.id}/coordonnees/")
        expect(other.get_by_label("Numéros dédiés")).to_have_value("04 91 00 00 01")
        shot(other, "client-numbers")
        other.goto(f"{server.url}/appels/")
        row = other.locator("table.calls-table tbody tr").first
        expect(row).to_contain_text("Hélène Moreau")
        expect(row).to_contain_text("Terminé")
        expect(row).to_contain_text("Résultats de prise de sang")
        shot(other, "call-journal")
        assert errors == []
    finally:
        lea_context.close()
        sophie_context.close()
