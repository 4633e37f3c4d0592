"""An operator's session expires while a message is being typed: after logging in again, the
composer gives the text back (issue 19, point 10)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from relais.audit.sessions import SEEN_KEY
from relais.messaging.models import Message
from tests.browser.helpers import azur_doctor, azur_operator, f, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_composers_text_survives_an_expired_session(
    page: Any, live_server: Any, screenshot: Any
) -> None:
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    doctor = azur_doctor(perm)
    azur_operator(perm)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "operateur@azur.test")
    page.goto(f"{live_server.url}/clients/{doctor.id}/")
    page.keyboard.press("n")
    dialog = page.locator("dialog#composer")
    expect(dialog).to_be_visible()
    dialog.locator("#subject").fill("Rappeler Mme Durand")
    dialog.locator("#body").fill("Elle attend les résultats.\nJoignable avant 18 h.")

    # The operator stayed away longer than the idle timeout.
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    session = SessionStore(session_key=cookie["value"])
    session[SEEN_KEY] = 0
    session.save()

    dialog.get_by_role("button", name="Envoyer").click()
    page.wait_for_url("**/connexion/**")
    expect(page.get_by_role("status")).to_contain_text("Votre session a expiré")
    assert not Message.objects.exists()
    screenshot("session-expired", full_page=False)

    page.get_by_label("E-mail").fill("operateur@azur.test")
    page.get_by_label("Mot de passe").fill("relais-test")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**/clients/{doctor.id}/")
    page.keyboard.press("n")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#subject")).to_have_value("Rappeler Mme Durand")
    expect(dialog.locator("#body")).to_have_value(
        "Elle attend les résultats.\nJoignable avant 18 h."
    )
    expect(dialog.locator(".draft-note")).to_contain_text("Brouillon restauré")
    screenshot("draft-restored", full_page=False)

    # Sent, the draft is gone: the next composer opens empty.
    dialog.locator("#body").press("Control+Enter")
    expect(dialog).to_be_hidden()
    assert Message.objects.filter(subject="Rappeler Mme Durand").exists()
    page.keyboard.press("n")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#subject")).to_have_value("")
    assert errors == []
