"""The « Prévenir » pages: the icon in the week view, the form, its preview and the send."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from relais.delivery.models import Delivery
from relais.planning.models import Appointment, Notice, NoticeSettings
from relais.tenancy import permissions as perms
from tests.conftest import World, login
from tests.planning.notice_scene import NoticeDay, build_day

MONDAY = dt.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[None]:
    moment = timezone.make_aware(dt.datetime.combine(MONDAY, dt.time(8, 0)))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def day(world: World) -> NoticeDay:
    return build_day(world.client_a, world.operateur_a, MONDAY)


def url(world: World) -> str:
    return f"/clients/{world.client_a.id}/prevenir/"


def form(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "delay",
        "date": "2026-12-07",
        "from_time": "14:00",
        "minutes": "40",
        "to_date": "",
        "text": "",
        "key": "form-key-1",
        "action": "preview",
        **extra,
    }


def test_it_shows_the_icon_beside_each_day_to_come(world: World, day: NoticeDay) -> None:
    http = login(world.operateur_a)
    html = http.get(f"/clients/{world.client_a.id}/planning/?semaine=2026-12-07").content.decode()
    assert html.count("data-notice-open") == 8  # seven days and the header's button
    assert f"{url(world)}?date=2026-12-13" in html
    role = world.operateur_a.role
    assert role is not None
    role.permissions = [p for p in role.permissions if p != perms.PLANNING_NOTICE]
    role.save()
    html = http.get(f"/clients/{world.client_a.id}/planning/?semaine=2026-12-07").content.decode()
    assert "data-notice-open" not in html


def test_the_form_opens_with_a_key_and_the_default_text(world: World, day: NoticeDay) -> None:
    response = login(world.operateur_a).get(url(world) + "?date=2026-12-08")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="key" value="' in html
    assert 'value="2026-12-08"' in html
    assert "a environ {retard} de retard" in html


def test_the_preview_lists_the_contacts_and_the_send_sends_once(
    world: World, day: NoticeDay
) -> None:
    http = login(world.operateur_a)
    response = http.post(url(world), form())
    assert response.status_code == 200
    html = response.content.decode()
    assert "5 patients concernés" in html
    assert "Injoignable — à appeler" in html
    assert "sophie@example.test" in html
    assert html.count('name="shown"') == 5
    assert not Notice.objects.exists()
    ids = [str(c.id) for name, c in day.contacts.items() if name != "Jean Matin"]
    sent = http.post(url(world), form(action="send", shown=ids, contact=ids))
    assert sent.status_code == 201
    page = sent.content.decode()
    assert "Retard de 40 min signalé à 4 patients" in page
    assert "Henri Sansrien" in page
    again = http.post(url(world), form(action="send", shown=ids, contact=ids))
    assert again.status_code == 200
    assert "Déjà envoyé" in again.content.decode()
    assert Delivery.objects.count() == 4 and Notice.objects.count() == 1


def test_an_unticked_contact_gets_nothing(world: World, day: NoticeDay) -> None:
    http = login(world.operateur_a)
    petit = str(day.contacts["Marc Petit"].id)
    others = [str(c.id) for name, c in day.contacts.items() if name != "Marc Petit"]
    response = http.post(
        url(world), form(action="send", shown=[petit, *others], contact=others, key="k2")
    )
    assert response.status_code == 201
    assert not Delivery.objects.filter(contact_id=petit).exists()
    assert Delivery.objects.count() == 3


def test_bad_input_shows_the_french_error_and_sends_nothing(world: World, day: NoticeDay) -> None:
    http = login(world.operateur_a)
    response = http.post(url(world), form(action="send", minutes="1000"))
    assert response.status_code == 422
    assert "Retard : entre 5 minutes et 4 heures" in response.content.decode()
    response = http.post(url(world), form(action="send", date="2026-12-01"))
    assert response.status_code == 422
    assert "La date est passée" in response.content.decode()
    assert not Delivery.objects.exists() and not Notice.objects.exists()


def test_an_absence_from_the_page_cancels_the_period(world: World, day: NoticeDay) -> None:
    http = login(world.gerant_a)
    body = form(
        kind="absence",
        to_date="2026-12-08",
        cancel_appointments="on",
        action="send",
        key="abs",
    )
    response = http.post(url(world), body)
    assert response.status_code == 201
    assert "8 rendez-vous annulés" in response.content.decode()
    assert Appointment.objects.filter(status=Appointment.CANCELLED).count() == 8


def test_other_permanence_404_and_no_right_403(world: World, day: NoticeDay) -> None:
    assert login(world.gerant_b).get(url(world)).status_code == 404
    assert login(world.gerant_b).post(url(world), form(action="send")).status_code == 404
    role = world.operateur_a.role
    assert role is not None
    role.permissions = [p for p in role.permissions if p != perms.PLANNING_NOTICE]
    role.save()
    http = login(world.operateur_a)
    assert http.get(url(world)).status_code == 403
    assert http.post(url(world), form(action="send")).status_code == 403
    assert not Delivery.objects.exists()


def test_the_client_user_warns_from_its_portal(world: World, day: NoticeDay) -> None:
    http = login(world.client_user_a)
    portal = http.get("/").content.decode()
    assert url(world) in portal
    assert http.get(url(world)).status_code == 200
    response = http.post(url(world), form(action="send", key="cu"))
    assert response.status_code == 201
    NoticeSettings.objects.update_or_create(
        client=world.client_a, defaults={"client_may_notify": False}
    )
    assert url(world) not in http.get("/").content.decode()
    assert http.get(url(world)).status_code == 403


def test_the_default_text_is_saved_from_the_form(world: World, day: NoticeDay) -> None:
    http = login(world.operateur_a)
    response = http.post(url(world), form(action="save_text", text="{client} : {retard}."))
    assert response.status_code == 200
    assert "Texte enregistré" in response.content.decode()
    assert NoticeSettings.objects.get(client=world.client_a).delay_text == "{client} : {retard}."
    assert "{client} : {retard}." in http.get(url(world)).content.decode()


def test_a_gerant_turns_the_client_portal_s_notices_off_from_the_form(
    world: World, day: NoticeDay
) -> None:
    assert "client_may_notify" not in login(world.operateur_a).get(url(world)).content.decode()
    http = login(world.gerant_a)
    assert 'name="client_may_notify" checked' in http.get(url(world)).content.decode()
    response = http.post(url(world), form(action="client_may_notify"))
    assert response.status_code == 200
    assert not NoticeSettings.objects.get(client=world.client_a).client_may_notify
    assert login(world.client_user_a).get(url(world)).status_code == 403
    forbidden = login(world.operateur_a).post(
        url(world), form(action="client_may_notify", client_may_notify="on")
    )
    assert forbidden.status_code == 403
    assert not NoticeSettings.objects.get(client=world.client_a).client_may_notify
