"""Pages read at 1280 px: the planning week uncut and at AA contrast, an h1 on every page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from relais.clients.models import Instruction
from relais.planning.formats import monday_of
from relais.planning.services import appointment_cancel, appointment_create, appointment_type_create
from relais.tenancy import permissions as perms
from tests import factories
from tests.browser.helpers import log_in

f: Any = factories

pytestmark = pytest.mark.django_db(transaction=True)
SCREEN = {"width": 1280, "height": 800}

# WCAG 2 contrast of each text in `selector` against the background it is painted on, with
# the opacities of its ancestors (a colour made lighter by opacity fails like a lighter one).
CONTRASTS = """
(selector) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0) layers.push(c);
      if (c.a === 1) break;
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  return Array.from(document.querySelectorAll(selector)).map((el) => {
    let opacity = 1;
    for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
    const bg = background(el);
    const color = parse(getComputedStyle(el).color);
    const fg = over({ ...color, a: color.a * opacity }, bg);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    return [el.textContent.trim(), (l1 + 0.05) / (l2 + 0.05)];
  });
}
"""


@pytest.fixture
def week(db: None) -> dict[str, Any]:
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    dentist = f.ClientFactory(permanence=perm, name="Dr Antoine Roche", trade="Chirurgien-dentiste")
    Instruction.objects.create(
        permanence=perm, client=dentist, text="Pas de rendez-vous le mercredi.", show_agenda=True
    )
    gerant = f.StaffFactory(permanence=perm, role_kind=perms.GERANT, email="gerant@azur.test")
    care = appointment_type_create(
        user=gerant, name="Soins dentaires", colour="#7c3aed", duration=30
    )
    names = ["Jean-François Lambert", "Anaïs Ould-Ali", "Marie-Christine Delacroix-Vasseur"]
    contacts = [f.ContactFactory(client=dentist, name=name) for name in names]
    monday = monday_of(timezone.localdate())
    booked = []
    for day in range(5):
        for n, start in enumerate(["08:40", "09:10", "10:00", "11:20"]):
            booked.append(
                appointment_create(
                    user=gerant,
                    client=dentist,
                    data={
                        "date": (monday + dt.timedelta(days=day)).isoformat(),
                        "start": start,
                        "duration": 45,
                        "type": str(care.id),
                        "contact": str(contacts[(day + n) % 3].id),
                    },
                )
            )
    appointment_cancel(user=gerant, appointment=booked[1], reason="Empêchement")
    appointment_cancel(user=gerant, appointment=booked[6], reason="Empêchement")
    return {"dentist": dentist}


def test_the_planning_week_reads_whole_at_1280_px(
    page: Any, live_server: Any, week: dict[str, Any], screenshot: Any
) -> None:
    page.set_viewport_size(SCREEN)
    log_in(page, live_server, "gerant@azur.test")
    page.goto(f"{live_server.url}/clients/{week['dentist'].id}/planning/")
    table = page.locator("table.week")
    expect(table).to_be_visible()
    screenshot("planning-week-1280", full_page=False)

    # Each day's count stays inside its own header.
    overflow = table.evaluate(
        """t => Array.from(t.querySelectorAll("thead th .count")).map(c => {
             const th = c.closest("th").getBoundingClientRect(), b = c.getBoundingClientRect();
             return [c.closest("th").textContent.trim(), b.left >= th.left && b.right <= th.right];
           })"""
    )
    assert len(overflow) == 5 and all(inside for _, inside in overflow), overflow

    # Times, motifs and names are whole: nothing cut with « … ».
    cut = table.evaluate(
        """t => Array.from(t.querySelectorAll(".appt .t, .appt .k, .appt .who"))
             .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""
    )
    assert cut == []
    longest = table.locator(".appt .who", has_text="Marie-Christine Delacroix-Vasseur")
    expect(longest).to_have_count(6)

    # Half-hour labels and cancelled appointments: AA contrast (4.5:1 for their small text).
    for selector in [
        "th.time .half",
        ".appt.cancelled .t",
        ".appt.cancelled .k",
        ".appt.cancelled .who",
        ".appt.cancelled .x",
    ]:
        ratios = page.evaluate(CONTRASTS, selector)
        assert ratios, selector
        low = [(text, round(ratio, 2)) for text, ratio in ratios if ratio < 4.5]
        assert low == [], selector


def test_the_login_page_and_the_full_page_task_lists_have_an_h1(
    page: Any, live_server: Any, week: dict[str, Any]
) -> None:
    page.set_viewport_size(SCREEN)
    page.goto(f"{live_server.url}/connexion/")
    expect(page.locator("h1")).to_have_count(1)
    log_in(page, live_server, "gerant@azur.test")
    page.goto(f"{live_server.url}/taches/suivi/")
    expect(page.get_by_role("heading", level=1, name="Suivi des tâches")).to_be_visible()
    page.goto(f"{live_server.url}/taches/jour/")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)


def test_names_and_template_texts_get_the_room_the_row_has(
    page: Any, live_server: Any, week: dict[str, Any], screenshot: Any
) -> None:
    from relais.messaging.services import SendInput, message_send
    from relais.tenancy.models import User

    perm = week["dentist"].permanence
    gerant = User.objects.get(email="gerant@azur.test")
    lawyer = f.ClientFactory(permanence=perm, name="Maître Laurence Dufour-Aubert")
    vet = f.ClientFactory(permanence=perm, name="Clinique vétérinaire des Goudes")
    for client in (lawyer, vet):
        message_send(
            author=gerant, client=client, data=SendInput(subject="Appel", body="x", is_task=True)
        )
    f.TemplateFactory(
        permanence=perm,
        name="Rappel patient",
        subject="Rappel patient : {contact}",
        body="{contact} a appelé le {date} et demande à être rappelé(e). Motif de l'appel :",
        consigne="Noter le numéro de rappel et les heures où le patient est joignable.",
    )
    page.set_viewport_size(SCREEN)
    log_in(page, live_server, "gerant@azur.test")
    page.goto(f"{live_server.url}/taches/")
    names = page.locator(".thread-row .contact")
    expect(names).to_have_count(2)
    cut = names.evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"
    )
    assert cut == []
    screenshot("tasks-names-1280", full_page=False)

    page.goto(f"{live_server.url}/modeles/")
    text = page.locator(".aids-table td.tpl-text").first
    expect(text).to_contain_text("Rappel patient")
    assert text.evaluate("e => e.getBoundingClientRect().width") >= 280
    screenshot("templates-table-1280", full_page=False)
