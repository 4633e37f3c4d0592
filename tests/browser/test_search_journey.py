"""The client file's search in a real Chromium: typing in the box and pressing Enter lists
the matching threads with the words found highlighted, a chip narrows them, « Plus anciens »
pages through the whole history, and the top bar searches every client."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from relais.messaging.models import Message
from tests import factories
from tests.browser.helpers import azur_doctor, azur_operator, log_in

f: Any = factories  # factory calls return model instances

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def azur(db: None) -> dict[str, Any]:
    perm = f.PermanenceFactory(name="Permanence Azur", slug="azur")
    doctor = azur_doctor(perm)
    operator = azur_operator(perm)
    durand = f.ContactFactory(client=doctor, name="Hélène Durand", phone="+33612345678")
    now = timezone.now()
    # A long history: 70 threads, so the first page (50) is not all of it.
    Message.objects.bulk_create(
        [
            Message(
                permanence=perm,
                client=doctor,
                author=operator,
                subject=f"Demande de rendez-vous {i}",
                body="Souhaite un créneau la semaine prochaine.",
                last_activity_at=now - dt.timedelta(days=2, minutes=i),
            )
            for i in range(70)
        ]
    )
    f.MessageFactory(
        client=doctor,
        author=operator,
        subject="Résultats d'analyses",
        body="Mme Durand demande qu'on la rappelle pour ses résultats.",
        contact=durand,
        is_urgent=True,
        last_activity_at=now - dt.timedelta(days=40),
    )
    f.MessageFactory(
        client=doctor,
        author=operator,
        subject="Rappel patient",
        body="Merci de RAPPELER M. Petit.",
        last_activity_at=now - dt.timedelta(days=30),
    )
    other = f.ClientFactory(permanence=perm, name="Plomberie Martin")
    f.MessageFactory(client=other, author=operator, subject="Rappel du plombier", body="Fuite.")
    return {"doctor": doctor}


def test_it_searches_the_client_file_and_pages_its_history(
    page: Any, live_server: Any, screenshot: Any, azur: dict[str, Any]
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, "operateur@azur.test")
    page.goto(f"{live_server.url}/clients/{azur['doctor'].id}/")
    threads = page.locator("#threads")
    expect(threads.locator(".thread-count")).to_have_text("72 fils")
    expect(threads.locator(".thread-row")).to_have_count(50)

    # « Plus anciens »: the rest of the history, the oldest threads included.
    threads.get_by_role("link", name="Plus anciens").click()
    expect(threads.get_by_text("Résultats d'analyses")).to_be_visible()
    expect(threads.locator(".thread-row")).to_have_count(22)
    threads.get_by_role("link", name="Plus récents").click()
    expect(threads.locator(".thread-row")).to_have_count(50)

    # « / » puts the cursor in the file's search box; « rappeler » finds « rappelle » and
    # « RAPPELER », accents and case aside.
    box = page.get_by_role("searchbox", name="Rechercher", exact=True)
    page.locator("body").press("/")
    expect(box).to_be_focused()
    page.keyboard.type("rappeler")
    expect(box).to_have_value("rappeler")
    box.press("Enter")
    expect(threads.locator(".thread-count")).to_have_text("2 résultats")
    expect(threads.locator(".thread-row")).to_have_count(2)
    expect(threads.locator("mark").first).to_be_visible()
    assert "q=rappeler" in page.url  # the address keeps the search (reload, back)
    screenshot("search_client_file_1280")

    # A chip narrows the results at once.
    page.locator("label.chip-toggle", has_text="Urgent").click()
    expect(threads.locator(".thread-row")).to_have_count(1)
    expect(threads.locator(".excerpt mark", has_text="rappelle")).to_be_visible()
    screenshot("search_client_file_urgent_1280")

    # The top bar searches every client, each result labelled with its client.
    page.get_by_role("searchbox", name="Rechercher dans tous les dossiers").fill("rappel")
    page.get_by_role("searchbox", name="Rechercher dans tous les dossiers").press("Enter")
    page.wait_for_url("**/recherche/?q=rappel")
    results = page.locator("#threads")
    expect(results.locator(".thread-row")).to_have_count(3)
    expect(results.locator(".client-name", has_text="Plomberie Martin")).to_be_visible()
    page.set_viewport_size({"width": 1920, "height": 1080})
    screenshot("search_global_1920")
