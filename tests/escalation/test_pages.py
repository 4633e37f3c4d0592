"""The « Astreinte et escalade » settings page, the ack link's page, the thread's line and the
composer's on-call line."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from relais.delivery.models import Delivery
from relais.escalation.models import AckRequest, Escalation
from relais.escalation.services import ack_token
from tests import factories as f
from tests.conftest import World, login
from tests.delivery.conftest import send

pytestmark = pytest.mark.django_db


def url(world: World) -> str:
    return f"/clients/{world.client_a.id}/astreinte/"


def test_it_saves_the_rota_and_the_steps_from_the_settings_page(world: World) -> None:
    doctor = f.ContactFactory.create(client=world.client_a, name="Dr Girard", phone="+33611111111")
    http = login(world.gerant_a)
    assert http.get(url(world)).status_code == 200
    form = {
        "ack_required": "all",
        "step-0-after": "10",
        "step-0-to": "same",
        "step-0-sms": "on",
        "step-1-after": "20",
        "step-1-to": "on_call",
        "step-1-sms": "on",
        "step-1-email": "on",
        "final_alert": "on",
        "final_after_minutes": "15",
        "slot-0-day": "0",
        "slot-0-from": "20:00",
        "slot-0-to": "08:00",
        "slot-0-who": f"contact:{doctor.id}",
        "exc-0-from": "2026-12-24T18:00",
        "exc-0-to": "2026-12-26T08:00",
        "exc-0-who": f"staff:{world.operateur_a.id}",
    }
    answer = http.post(url(world), form)
    assert answer.status_code == 302
    world.client_a.refresh_from_db()
    assert world.client_a.ack_required == "all"
    assert world.client_a.escalation["steps"][1] == {
        "after_minutes": 20,
        "to": "on_call",
        "channels": ["sms", "email"],
    }
    assert world.client_a.escalation["final_after_minutes"] == 15
    assert world.client_a.on_call["weekly"][0]["who"] == {"kind": "contact", "id": str(doctor.id)}
    assert world.client_a.on_call["exceptions"][0]["from"] == "2026-12-24T18:00:00+01:00"
    page = http.get(url(world)).content.decode()
    assert f'value="contact:{doctor.id}" selected' in page
    assert 'value="2026-12-24T18:00"' in page


def test_it_keeps_what_was_typed_and_explains_errors_in_french(world: World) -> None:
    http = login(world.gerant_a)
    answer = http.post(
        url(world),
        {
            "ack_required": "urgent",
            "step-0-after": "0",
            "step-0-to": "same",
            "slot-0-day": "1",
            "slot-0-from": "09:00",
            "slot-0-to": "09:00",
            "slot-0-who": "staff:nope",
        },
    )
    assert answer.status_code == 422
    body = answer.content.decode()
    assert "le délai doit être de 1 à 1440 minutes" in body
    assert "Rien n&#x27;a été enregistré" in body or "Rien n'a été enregistré" in body
    assert 'value="0"' in body
    world.client_a.refresh_from_db()
    assert world.client_a.escalation == {}


def test_it_needs_the_right_and_hides_other_permanences_clients(world: World) -> None:
    assert login(world.operateur_a).get(url(world)).status_code == 403
    assert login(world.gerant_b).get(url(world)).status_code == 404
    assert login(world.client_user_a).get(url(world)).status_code in (403, 404)


def _urgent_copy(world: World) -> tuple[Delivery, AckRequest]:
    message = send(
        world.operateur_a, world.client_a, is_urgent=True, copy_email=True, copy_sms=True
    )
    delivery = Delivery.objects.get(message=message, channel=Delivery.EMAIL)
    return delivery, AckRequest.objects.get(delivery=delivery)


def test_it_answers_the_same_for_forged_expired_and_other_copies_tokens(world: World) -> None:
    delivery, ack = _urgent_copy(world)
    other = AckRequest.objects.exclude(pk=ack.pk).get(message=delivery.message)
    http = login(world.gerant_a)
    http.logout()
    token = ack_token(ack)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    mixed = ack_token(ack)[:22] + other.secret  # this copy's id with another copy's secret
    invalid = [forged, mixed, "x", "A" * 54, token + "x"]
    for bad in invalid:
        for method in (http.get, http.post):
            answer = method(f"/ack/{bad}")
            assert answer.status_code == 404
            assert "Lien invalide ou expiré" in answer.content.decode()
    with time_machine.travel(ack.expires_at + dt.timedelta(seconds=1), tick=False):
        assert http.get(f"/ack/{token}").status_code == 404
        assert http.post(f"/ack/{token}").status_code == 404
    assert Escalation.objects.get(message=delivery.message).ack_at is None
    # The real one: GET shows, POST acknowledges, as the person that copy went to.
    page = http.get(f"/ack/{token}")
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    assert delivery.message.subject in page.content.decode()
    assert Escalation.objects.get(message=delivery.message).ack_at is None
    assert http.post(f"/ack/{token}").status_code == 200
    escalation = Escalation.objects.get(message=delivery.message)
    assert (escalation.ack_via, escalation.ack_by_kind) == ("link", "client")
    # Another copy's link afterwards: already taken into account, nothing changes.
    again = http.post(f"/ack/{ack_token(other)}")
    assert "déjà pris en compte" in again.content.decode()
    assert Escalation.objects.get(message=delivery.message).ack_at == escalation.ack_at


def test_it_shows_the_state_in_words_on_the_thread_and_the_list(world: World) -> None:
    world.client_a.escalation = {
        "steps": [{"after_minutes": 10, "to": "same", "channels": ["sms"]}],
        "final_alert": False,
    }
    world.client_a.save()
    with time_machine.travel(dt.datetime(2026, 12, 7, 9, 42, tzinfo=dt.UTC), tick=False):
        delivery, ack = _urgent_copy(world)
    http = login(world.operateur_a)
    thread = http.get(f"/messages/{delivery.message_id}/").content.decode()
    assert "En attente de prise en compte — relance à 10:52" in thread
    listing = http.get(f"/clients/{world.client_a.id}/").content.decode()
    assert "En attente · relance à 10:52" in listing
    login(world.gerant_a).logout()
    from django.test import Client as HttpClient

    HttpClient().post(f"/ack/{ack_token(ack)}")
    thread = http.get(f"/messages/{delivery.message_id}/").content.decode()
    assert f"Pris en compte par {world.client_a.name} le " in thread and "(lien)" in thread
    assert "Pris en compte · " in http.get(f"/clients/{world.client_a.id}/").content.decode()


def test_it_shows_who_is_on_call_in_the_composer(world: World) -> None:
    doctor = f.ContactFactory.create(client=world.client_a, name="Dr Girard", phone="+33611111111")
    world.client_a.on_call = {
        "weekly": [
            {
                "weekday": d,
                "from": "20:00",
                "to": "08:00",
                "who": {"kind": "contact", "id": str(doctor.id)},
            }
            for d in range(7)
        ],
        "exceptions": [],
    }
    world.client_a.save()
    with time_machine.travel(dt.datetime(2026, 12, 7, 22, 0, tzinfo=dt.UTC), tick=False):
        # Logged in at that hour: a session idle since the real now would have expired.
        http = login(world.operateur_a)
        page = http.get(f"/clients/{world.client_a.id}/ecrire/").content.decode()
    assert (
        "Astreinte : Dr Girard jusqu&#x27;à 08:00" in page
        or "Astreinte : Dr Girard jusqu'à 08:00" in page
    )
