"""Message types in a real Chromium: tasks made, done and cancelled; a day task in the envelope
of its date; the Urgent list emptying as it is read; a client remark only the superviseur sees."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from relais.messaging.models import HistoryEvent, Message
from relais.messaging.services import SendInput, message_mark_read, message_send
from relais.tenancy import permissions as perms
from relais.ui.views.tasks import day_short
from tests import factories
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
POLL = 12_000  # the menu counts are polled every 5 s


@pytest.fixture
def azur(db: None) -> dict[str, Any]:
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    doctor = azur_doctor(perm)
    plumber = f.ClientFactory(permanence=perm, name="Plomberie Durand", trade="Plombier")
    f.ContactFactory(client=doctor, name="Hélène Durand", phone="+33612345678")
    return {
        "perm": perm,
        "doctor": doctor,
        "plumber": plumber,
        "operator": azur_operator(perm),
        "other_operator": f.StaffFactory(
            permanence=perm,
            role_kind=perms.OPERATEUR,
            email="marc@azur.test",
            first_name="Marc",
            last_name="Petit",
        ),
        "supervisor": azur_supervisor(perm),
        "client_user": azur_client_user(doctor),
    }


def write(azur: dict[str, Any], subject: str, **options: Any) -> Message:
    message, _ = message_send(
        author=azur["other_operator"],
        client=options.pop("client", azur["doctor"]),
        data=SendInput(subject=subject, body=f"{subject} : merci de rappeler.", **options),
    )
    return message


def menu_count(page: Any, entry: str) -> Any:
    return page.locator(f"#menu-counts a[data-menu={entry}] .count")


def test_it_makes_a_task_marks_it_done_and_cancels_another(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    first = write(azur, "Rappel Mme Durand")
    second = write(azur, "Demande d'ordonnance")
    write(azur, "Fuite sous l'évier", client=azur["plumber"], is_task=True, is_vad=True)
    page.set_viewport_size(SMALL)
    log_in(page, live_server, "operateur@azur.test")
    expect(menu_count(page, "tasks")).to_have_text("1")

    # Make the first message a task from its thread.
    page.goto(f"{live_server.url}/messages/{first.id}/")
    page.get_by_role("button", name="Passer en tâche à faire").click()
    title = page.locator(".thread-title")
    expect(title.locator(".badge.task")).to_have_text("Tâche")
    expect(menu_count(page, "tasks")).to_have_text("2", timeout=POLL)

    # Then mark it done: the stamp appears under the title.
    page.get_by_role("button", name="Passer à Tâche faite").click()
    stamp = page.locator(".done-line")
    expect(stamp).to_have_text(re.compile(r"^Fait par LÉA le \d\d/\d\d/\d{4} à \d\d:\d\d$"))
    expect(title.locator(".badge.done")).to_have_text("Fait")
    expect(page.locator("#thread-history")).to_contain_text("Passé à tâche faite par Léa")
    screenshot("task-01-done-stamp", full_page=False)
    first.refresh_from_db()
    assert first.status == Message.STATUS_DONE and first.done_by == azur["operator"]
    local = timezone.localtime(first.done_at)
    expect(stamp).to_have_text(f"Fait par LÉA le {local:%d/%m/%Y} à {local:%H:%M}")

    # The second becomes a task by replying with « Valider + Tâche à faire », then is cancelled.
    page.goto(f"{live_server.url}/messages/{second.id}/")
    page.get_by_label("Répondre").fill("Je m'en occupe cet après-midi.")
    page.get_by_role("button", name="Valider + Tâche à faire").click()
    expect(page.locator(".thread-title .badge.task")).to_have_text("Tâche")
    page.get_by_role("link", name=re.compile("^Tâche à faire")).click()
    expect(page.get_by_role("heading", name="Tâche à faire", exact=True)).to_be_visible()
    rows = page.locator("#task-results .thread-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Demande d'ordonnance")
    expect(rows.nth(1)).to_contain_text("Plomberie Durand")
    screenshot("task-02-task-list", full_page=False)
    page.get_by_label("VAD").check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Fuite sous l'évier")
    expect(page).to_have_url(re.compile(r"vad=1"))
    page.get_by_label("VAD").uncheck()
    expect(rows).to_have_count(2)
    rows.first.click()
    page.get_by_role("button", name="Annuler la tâche à faire").click()
    expect(page.locator(".thread-title .badge")).to_have_count(0)
    expect(page.get_by_role("button", name="Passer en tâche à faire")).to_be_visible()
    expect(page.locator("#thread-history")).to_contain_text("Tâche annulée par Léa")
    screenshot("task-03-cancelled", full_page=False)
    second.refresh_from_db()
    assert second.status == Message.STATUS_NORMAL
    kinds = list(second.history.values_list("kind", flat=True))
    assert kinds.count(HistoryEvent.TASK_TODO) == 1 and kinds.count(HistoryEvent.TASK_CANCEL) == 1
    expect(menu_count(page, "tasks")).to_have_text("1", timeout=POLL)


def test_it_counts_a_day_task_in_the_envelope_of_its_date(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    write(azur, "Rappel des résultats", is_task=True, due_date=today, is_urgent=True)
    page.set_viewport_size(SMALL)
    log_in(page, live_server, "operateur@azur.test")
    doctor = azur["doctor"]
    page.goto(f"{live_server.url}/clients/{doctor.id}/")
    bar = page.locator("#daybar")
    expect(bar.locator(".day-label")).to_have_text(day_short(today))
    expect(bar.locator(".envelope .bubble")).to_have_text("1")

    # A day task for tomorrow, written in the composer.
    page.get_by_role("link", name="Nouveau message").click()
    dialog = page.locator("dialog#composer")
    dialog.get_by_label("Tâche").check()
    dialog.locator("#due-date").fill(tomorrow.isoformat())
    dialog.get_by_label("VAD").check()
    dialog.locator("#subject").fill("Visite à domicile de M. Petit")
    dialog.locator("#body").fill("M. Petit ne peut pas se déplacer.")
    dialog.get_by_role("button", name="Envoyer").click()
    expect(dialog).to_be_hidden()

    # Today's envelope still counts one; the next day's counts the new one.
    expect(bar.locator(".envelope .bubble")).to_have_text("1")
    bar.get_by_role("link", name=re.compile("^Jour suivant")).click()
    expect(bar.locator(".day-label")).to_have_text(day_short(tomorrow))
    expect(bar.locator(".envelope .bubble")).to_have_text("1")
    expect(bar.get_by_role("link", name="Aujourd'hui")).to_be_visible()
    screenshot("task-04-client-file-daybar", full_page=False)
    bar.locator(".envelope").click()
    popup = page.locator("dialog#panel")
    expect(popup).to_be_visible()
    expect(popup.get_by_role("heading")).to_contain_text("Tâches du jour — ")
    expect(popup.locator(".thread-row")).to_have_count(1)
    expect(popup.locator(".thread-row")).to_contain_text("Visite à domicile de M. Petit")
    expect(popup.locator(".thread-row")).to_contain_text("VAD")
    screenshot("task-05-day-tasks-popup", full_page=False)
    page.keyboard.press("Escape")
    expect(popup).to_be_hidden()

    # Two days on: nothing; back to the day after: one again.
    bar.get_by_role("link", name=re.compile("^Jour suivant")).click()
    expect(bar.locator(".day-label")).to_have_text(day_short(tomorrow + dt.timedelta(days=1)))
    expect(bar.locator(".envelope .bubble")).to_have_count(0)
    bar.get_by_role("link", name=re.compile("^Jour précédent")).click()
    expect(bar.locator(".envelope .bubble")).to_have_text("1")

    # The staff home counts the whole permanence's day tasks of the day.
    write(azur, "Devis chaudière", client=azur["plumber"], is_task=True, due_date=tomorrow)
    page.get_by_role("link", name="Accueil").click()
    home_bar = page.locator("#daybar")
    expect(home_bar.locator(".envelope .bubble")).to_have_text("1")
    home_bar.get_by_role("link", name=re.compile("^Jour suivant")).click()
    expect(home_bar.locator(".envelope .bubble")).to_have_text("2")
    screenshot("task-06-home-daybar", full_page=False)

    # « Suivi des tâches »: the permanence's open tasks, day tasks first, with filters.
    page.locator("#menu-counts a[data-menu=follow]").click()
    expect(popup).to_be_visible()
    rows = popup.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Rappel des résultats")
    expect(rows.nth(0)).to_contain_text("Aujourd'hui")
    expect(popup.locator(".summary")).to_contain_text("3 tâches ouvertes")
    screenshot("task-07-follow-popup", full_page=False)
    popup.get_by_label("VAD").check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Visite à domicile de M. Petit")
    popup.get_by_label("VAD").uncheck()
    popup.get_by_label("A faire le").fill(today.isoformat())
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Rappel des résultats")
    popup.get_by_role("button", name="Fermer (Échap)").click()
    expect(popup).to_be_hidden()


def test_it_empties_the_urgent_list_as_the_user_reads(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    first = write(azur, "Douleur thoracique", is_urgent=True)
    second = write(azur, "Dégât des eaux", is_urgent=True, client=azur["plumber"])
    write(azur, "Demande de RDV")
    page.set_viewport_size(SMALL)
    log_in(page, live_server, "operateur@azur.test")
    urgent = menu_count(page, "urgent")
    expect(urgent).to_have_text("2")
    expect(urgent).to_have_class(re.compile(r"\balert\b"))
    page.locator("#menu-counts a[data-menu=urgent]").click()
    rows = page.locator("#urgent-results .thread-row")
    expect(rows).to_have_count(2)
    screenshot("task-08-urgent-list", full_page=False)

    page.locator("#urgent-results .thread-row", has_text="Douleur thoracique").click()
    expect(page.get_by_role("heading", name="Douleur thoracique")).to_be_visible()
    page.go_back()
    page.reload()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Dégât des eaux")
    expect(urgent).to_have_text("1")

    # Another user reading does not change my list; my own reading does.
    message_mark_read(user=azur["supervisor"], message=second)
    page.reload()
    expect(rows).to_have_count(1)
    rows.first.click()
    page.get_by_role("link", name=re.compile("^Urgent")).click()
    expect(page.locator("#urgent-results .empty")).to_have_text("Aucun message urgent non lu.")
    expect(urgent).to_have_text("0")
    screenshot("task-09-urgent-empty", full_page=False)

    # « Marquer non lu » brings a message back into the list.
    page.goto(f"{live_server.url}/messages/{first.id}/")
    page.get_by_role("button", name="Marquer non lu").click()
    page.goto(f"{live_server.url}/urgent/")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Douleur thoracique")


def test_it_shows_a_client_remark_to_the_superviseur_and_not_to_the_operator(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any], browser: Any
) -> None:
    write(azur, "Demande de RDV")
    page.set_viewport_size({"width": 390, "height": 844})  # the client writes from a phone
    log_in(page, live_server, "client@azur.test")
    page.get_by_role("link", name="Écrire à la permanence").click()
    dialog = page.locator("dialog#composer")
    expect(dialog.locator("#subject")).to_be_focused()
    expect(dialog.get_by_label("Tâche")).to_have_count(0)
    expect(dialog.get_by_label("Copie cercle compagnie")).to_have_count(0)
    dialog.get_by_label("Remarque client").check()
    dialog.locator("#subject").fill("Accueil téléphonique")
    dialog.locator("#body").fill("Une patiente a attendu dix minutes avant qu'on lui réponde.")
    screenshot("task-10-portal-remark-composer", full_page=False)
    dialog.get_by_role("button", name="Envoyer").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#threads")).to_contain_text("Accueil téléphonique")
    remark = Message.objects.get(subject="Accueil téléphonique")
    assert remark.is_client_remark and remark.author == azur["client_user"]
    assert not remark.deliveries.exists() and not remark.recipients.exists()  # type: ignore[attr-defined]

    # The superviseur sees it under « Remarques clients », counted until read.
    sup_context = browser.new_context(viewport=SMALL, locale="fr-FR")
    sup = sup_context.new_page()
    log_in(sup, live_server, "superviseur@azur.test")
    expect(menu_count(sup, "remarks")).to_have_text("1")
    sup.locator("#menu-counts a[data-menu=remarks]").click()
    row = sup.locator("#remark-results .thread-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Accueil téléphonique")
    expect(row).to_contain_text("Remarque client")
    sup.screenshot(path=str(_artifact("task-11-remarks")))
    row.click()
    expect(sup.locator(".body-text")).to_contain_text("attendu dix minutes")
    expect(menu_count(sup, "remarks")).to_have_text("0")
    sup_context.close()

    # The operator never sees it: no menu entry, not on the client file, 403 and 404.
    op_context = browser.new_context(viewport=SMALL, locale="fr-FR")
    op = op_context.new_page()
    log_in(op, live_server, "operateur@azur.test")
    expect(op.locator("#menu-counts a[data-menu=remarks]")).to_have_count(0)
    op.goto(f"{live_server.url}/clients/{azur['doctor'].id}/")
    expect(op.locator("#threads")).to_contain_text("Demande de RDV")
    expect(op.locator("body")).not_to_contain_text("Accueil téléphonique")
    op.screenshot(path=str(_artifact("task-12-operator-client-file")))
    response = op.goto(f"{live_server.url}/remarques/")
    assert response is not None and response.status == 403
    response = op.goto(f"{live_server.url}/messages/{remark.id}/")
    assert response is not None and response.status == 404
    op_context.close()


def _artifact(name: str) -> Any:
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
