"""Every main page works under the Content-Security-Policy: visited in Chromium, none logs a
console error or a CSP violation (an inline script, an inline handler, an eval, a resource
from elsewhere would)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from relais.messaging.services import SendInput, message_send
from relais.planning.models import AppointmentType
from relais.tenancy import permissions as perms
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import azur_client_user, azur_doctor, log_in

f: Any = factories

pytestmark = pytest.mark.django_db(transaction=True)
SIZE = {"width": 1280, "height": 800}


def _watch(page: Any) -> list[str]:
    """Console errors, uncaught exceptions and CSP violations the page reports."""
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    return problems


def _visit(page: Any, url: str, problems: list[str], name: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    # CSP violations also fire a DOM event: count them from the page itself.
    violations = page.evaluate("window.__cspViolations || []")
    problems.extend(f"csp: {v}" for v in violations)
    page.screenshot(path=str(ARTIFACTS / f"csp-{name}.png"))
    assert problems == [], (url, problems)


def test_every_main_page_works_under_the_csp(page: Any, live_server: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    gerant = f.StaffFactory(
        permanence=perm, role_kind=perms.GERANT, email="gerant@azur.test", first_name="Gérard"
    )
    doctor = azur_doctor(perm)
    f.ContactFactory(client=doctor, name="Hélène Durand", phone="+33612345678")
    f.TemplateFactory(permanence=perm, name="Rappel patient", subject="Rappel", body="Rappeler")
    AppointmentType.objects.create(
        permanence=perm, name="Consultation", colour="#336699", duration=15
    )
    message, _ = message_send(
        author=gerant,
        client=doctor,
        data=SendInput(
            subject="Appel de Mme Durand",
            body="Merci de la rappeler.",
            is_task=True,
            due_date=timezone.localdate() + dt.timedelta(days=1),
            copy_email=True,
        ),
    )
    client_user = azur_client_user(doctor)

    page.set_viewport_size(SIZE)
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    problems = _watch(page)
    log_in(page, live_server, "gerant@azur.test")
    base = live_server.url
    staff_pages = {
        "home": "/",
        "clients": "/clients/",
        "client-file": f"/clients/{doctor.id}/",
        "composer": f"/clients/{doctor.id}/ecrire/",
        "thread": f"/messages/{message.id}/",
        "tasks": "/taches/",
        "follow": "/taches/suivi/",
        "urgent": "/urgent/",
        "planning": f"/clients/{doctor.id}/planning/",
        "journal": f"/clients/{doctor.id}/planning/mouvements/",
        "activity": f"/clients/{doctor.id}/activite/",
        "templates": "/modeles/",
        "phrases": "/aide-a-la-saisie/",
        "banners": "/bandeau/",
        "roles": "/roles/",
        "client-settings": f"/clients/{doctor.id}/parametres/",
        "outbox": "/delivery/boite-envoi/",
        "api-docs": "/api/v1/docs",
    }
    for name, path in staff_pages.items():
        _visit(page, base + path, problems, name)

    # The composer's scripts at work: a template and a copy recipient searched through htmx.
    _visit(page, f"{base}/clients/{doctor.id}/ecrire/", problems, "composer-again")
    page.get_by_label("Sujet").fill("Rappel")
    page.locator("#body").fill("Merci de rappeler.")
    page.get_by_role("button", name="Envoyer").first.click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("Rappel").first).to_be_visible()
    assert problems == [], problems

    # The planning's week: its script (planning.js) runs.
    _visit(page, f"{base}/clients/{doctor.id}/planning/", problems, "planning-again")

    # The client portal.
    page.context.clear_cookies()
    log_in(page, live_server, client_user.email)
    _visit(page, base + "/", problems, "portal")
    _visit(page, f"{base}/messages/{message.id}/", problems, "portal-thread")
    assert problems == [], problems
