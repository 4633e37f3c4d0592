"""The planning through the API: same services, same rules, the API's error shape."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from relais.planning.models import Appointment, Movement
from relais.planning.services import appointment_create
from tests import factories as f
from tests.conftest import World, api_client
from tests.exports.helpers import in_order, pdf_text
from tests.planning.scene import Scene, build_scene, day, paris

pytestmark = pytest.mark.django_db
JSON = "application/json"
BACKWARDS = "La période se termine avant de commencer."
TOO_LONG = "La période ne peut pas dépasser un an."


@pytest.fixture
def scene(world: World) -> Scene:
    return build_scene(world)


def test_it_books_an_appointment_and_shows_its_journal(world: World) -> None:
    contact = f.ContactFactory.create(client=world.client_a, name="Hélène Durand")
    http = api_client(world.operateur_a)
    with time_machine.travel(paris(day(0), "08:00"), tick=False):
        response = http.post(
            f"/api/v1/clients/{world.client_a.id}/appointments",
            {"date": "2026-12-01", "start": "14:30", "contact": str(contact.id), "note": "RAS"},
            content_type=JSON,
        )
    assert response.status_code == 201
    body = response.json()
    assert body["date"] == "2026-12-01"
    assert (body["start"], body["end"], body["duration"]) == ("14:30", "14:45", 15)
    assert body["contact"]["name"] == "Hélène Durand"
    assert body["status"] == "booked"
    (movement,) = body["movements"]
    assert movement["kind"] == "created"
    assert movement["label"] == "Rendez-vous pris"
    assert movement["at"] == "2026-11-30T08:00:00+01:00"
    assert movement["summary"] == "mardi 01/12/2026 14:30 (15 min) · Rendez-vous · Hélène Durand"


def test_bad_values_answer_422_in_french_and_save_nothing(world: World) -> None:
    response = api_client(world.operateur_a).post(
        f"/api/v1/clients/{world.client_a.id}/appointments",
        {"date": "2026-12-01", "start": "99:99", "duration": 1},
        content_type=JSON,
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["start"] == ["Heure invalide : utilisez le format HH:MM."]
    assert errors["duration"] == ["Durée : entre 5 minutes et 12 heures."]
    assert not Appointment.objects.exists()


def test_a_patch_moves_it_and_a_stale_version_answers_409(world: World) -> None:
    appointment = appointment_create(
        user=world.operateur_a,
        client=world.client_a,
        data={"date": "2026-11-30", "start": "10:00"},
    )
    http = api_client(world.operateur_a)
    url = f"/api/v1/appointments/{appointment.id}"
    version = http.get(url).json()["version"]
    response = http.patch(
        url, {"date": "2026-12-01", "start": "14:30", "version": version}, content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["movements"][-1]["detail"] == "Déplacé du 30/11 10:00 au 01/12 14:30"
    assert response.json()["movements"][-1]["changes"]["start"] == ["10:00", "14:30"]
    stale = http.patch(url, {"note": "Trop tard", "version": version}, content_type=JSON)
    assert stale.status_code == 409
    assert "quelqu'un d'autre" in stale.json()["detail"]
    cancel = http.post(f"{url}/cancel", {"reason": "Patient malade"}, content_type=JSON)
    assert cancel.status_code == 200
    assert cancel.json()["status"] == "cancelled"
    again = http.post(f"{url}/cancel", {}, content_type=JSON)
    assert again.status_code == 409
    assert Movement.objects.filter(appointment=appointment).count() == 3


def test_it_lists_a_period_and_refuses_more_than_a_year(scene: Scene) -> None:
    world = scene.world
    http = api_client(world.gerant_a)
    base = f"/api/v1/clients/{world.client_a.id}/appointments"
    items = http.get(f"{base}?from=2026-11-30&to=2026-12-06").json()["items"]
    assert [(i["date"], i["start"], i["status"]) for i in items] == [
        ("2026-11-30", "09:00", "booked"),
        ("2026-11-30", "10:00", "booked"),
        ("2026-12-03", "16:00", "booked"),
        ("2026-12-04", "11:00", "cancelled"),
    ]
    booked = http.get(f"{base}?from=2026-11-30&to=2026-12-06&cancelled=false").json()["items"]
    assert len(booked) == 3
    too_long = http.get(f"{base}?from=2026-01-01&to=2027-06-01")
    assert too_long.status_code == 422
    assert too_long.json()["errors"]["to"] == ["La période ne peut pas dépasser un an."]
    backwards = http.get(f"{base}?from=2026-12-06&to=2026-11-30")
    assert backwards.json()["errors"]["to"] == ["La période se termine avant de commencer."]


def test_the_journal_pages_newest_first(scene: Scene) -> None:
    world = scene.world
    http = api_client(world.operateur_a)
    url = f"/api/v1/clients/{world.client_a.id}/movements?limit=3"
    first = http.get(url).json()
    assert [m["kind"] for m in first["items"]] == ["cancelled", "moved", "created"]
    seen, cursor = list(first["items"]), first["next"]
    while cursor:
        page = http.get(f"{url}&cursor={cursor}").json()
        seen += page["items"]
        cursor = page["next"]
    assert len(seen) == Movement.objects.filter(client=world.client_a).count() == 8
    assert [m["at"] for m in seen] == sorted((m["at"] for m in seen), reverse=True)
    assert http.get(f"{url}&cursor=nimportequoi").status_code == 422


def test_motifs_through_the_api(world: World) -> None:
    http = api_client(world.gerant_a)
    created = http.post(
        "/api/v1/appointment-types",
        {"name": "Visite", "colour": "#15803D", "duration": 45},
        content_type=JSON,
    )
    assert created.status_code == 201
    assert created.json()["colour"] == "#15803d"
    duplicate = http.post(
        "/api/v1/appointment-types", {"name": "visite", "colour": "#15803d"}, content_type=JSON
    )
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"]["name"] == ["Un motif porte déjà ce nom."]
    archived = http.patch(
        f"/api/v1/appointment-types/{created.json()['id']}",
        {"is_active": False},
        content_type=JSON,
    )
    assert archived.json()["is_active"] is False
    assert [t["name"] for t in http.get("/api/v1/appointment-types").json()] == ["Visite"]


class TestPdfs:
    def test_a_message_s_attachment_downloads_as_its_reader_sees_it(self, scene: Scene) -> None:
        world = scene.world
        with time_machine.travel(paris(day(3), "09:00"), tick=False):
            sent = api_client(world.operateur_a).post(
                f"/api/v1/clients/{world.client_a.id}/messages",
                {
                    "subject": "Vos mouvements",
                    "body": "Ci-joint.",
                    "attach": {"kind": "movements_all", "from": "2026-11-30", "to": "2026-12-06"},
                },
                content_type=JSON,
            )
        assert sent.status_code == 201
        response = api_client(world.client_user_a).get(
            f"/api/v1/messages/{sent.json()['id']}/attachment"
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        text = pdf_text(response.content)
        assert in_order(text, "Rappel Mme Durand", "Résultats confidentiels", "Livraison matériel")
        assert "Remarque sur l'accueil" not in text and "Vos mouvements" not in text

    def test_a_message_without_attachment_answers_404(self, world: World) -> None:
        sent = api_client(world.operateur_a).post(
            f"/api/v1/clients/{world.client_a.id}/messages",
            {"subject": "Rien", "body": "Rien."},
            content_type=JSON,
        )
        response = api_client(world.operateur_a).get(
            f"/api/v1/messages/{sent.json()['id']}/attachment"
        )
        assert response.status_code == 404
        assert response.json()["detail"] == "Ce message n'a pas de pièce jointe."

    @pytest.mark.parametrize(
        ("query", "error"),
        [
            ("kind=planning&from=2026-12-06&to=2026-11-30", BACKWARDS),
            ("kind=planning&from=2026-01-01&to=2027-01-03", TOO_LONG),
            ("kind=tout&from=2026-11-30&to=2026-12-06", "Pièce jointe inconnue."),
        ],
    )
    def test_a_report_for_a_bad_period_answers_422(
        self, world: World, query: str, error: str
    ) -> None:
        response = api_client(world.operateur_a).get(
            f"/api/v1/clients/{world.client_a.id}/report?{query}"
        )
        assert response.status_code == 422
        assert response.json()["errors"]["attach"] == [error]

    @pytest.mark.parametrize(
        ("attach", "error"),
        [
            ({"kind": "planning", "from": "2026-12-06", "to": "2026-11-30"}, BACKWARDS),
            ({"kind": "planning", "from": "2026-01-01", "to": "2027-01-03"}, TOO_LONG),
        ],
    )
    def test_sending_with_a_bad_period_answers_422_and_sends_nothing(
        self, world: World, attach: dict[str, Any], error: str
    ) -> None:
        response = api_client(world.operateur_a).post(
            f"/api/v1/clients/{world.client_a.id}/messages",
            {"subject": "Planning", "body": "Ci-joint.", "attach": attach},
            content_type=JSON,
        )
        assert response.status_code == 422
        assert response.json()["errors"]["attach"] == [error]
        from relais.messaging.models import Message

        assert not Message.objects.exists()
