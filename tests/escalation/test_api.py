"""The API of acknowledgement, escalation and on-call: contract names, rights, 404 across
permanences, French 422s."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from relais.escalation.services import acknowledge
from tests import factories as f
from tests.conftest import World, api_client
from tests.delivery.conftest import send

pytestmark = pytest.mark.django_db


def put(http: object, url: str, body: object) -> object:
    return http.put(url, data=json.dumps(body), content_type="application/json")  # type: ignore[attr-defined]


def test_it_sets_and_reads_the_escalation_and_the_rota(world: World) -> None:
    doctor = f.ContactFactory.create(client=world.client_a, name="Dr Girard", phone="+33611111111")
    http = api_client(world.gerant_a)
    url = f"/api/v1/clients/{world.client_a.id}"
    body = {
        "ack_required": "all",
        "steps": [
            {"after_minutes": 10, "to": "same", "channels": ["sms", "email"]},
            {"after_minutes": 20, "to": "on_call", "channels": ["sms"]},
            {
                "after_minutes": 30,
                "to": {"kind": "contact", "id": str(doctor.id)},
                "channels": ["sms"],
            },
        ],
        "final_alert": True,
    }
    answer = put(http, f"{url}/escalation", body)
    assert answer.status_code == 200, answer.content  # type: ignore[attr-defined]
    got = http.get(f"{url}/escalation").json()
    assert got["ack_required"] == "all" and got["final_alert"] is True
    assert got["steps"][2]["to"] == {"kind": "contact", "id": str(doctor.id)}

    who = {"kind": "contact", "id": str(doctor.id)}
    rota = {
        "weekly": [{"weekday": 0, "from": "20:00", "to": "08:00", "who": who}],
        "exceptions": [
            {"from": "2026-12-24T18:00:00+01:00", "to": "2026-12-26T08:00:00+01:00", "who": who}
        ],
    }
    assert put(http, f"{url}/on-call", rota).status_code == 200  # type: ignore[attr-defined]
    assert http.get(f"{url}/on-call").json()["weekly"][0]["to"] == "08:00"
    # Monday 7 December 2026, 21:00 Paris.
    with time_machine.travel(dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC), tick=False):
        now = http.get(f"{url}/on-call/now").json()
    assert now == {
        "who": {"kind": "contact", "id": str(doctor.id), "name": "Dr Girard"},
        "until": "2026-12-08T08:00:00+01:00",
    }


def test_it_refuses_bad_settings_in_french(world: World) -> None:
    http = api_client(world.gerant_a)
    url = f"/api/v1/clients/{world.client_a.id}"
    bad = {
        "ack_required": "souvent",
        "steps": [{"after_minutes": 0, "to": {"kind": "staff", "id": "nope"}, "channels": ["fax"]}],
    }
    answer = put(http, f"{url}/escalation", bad)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    errors = answer.json()["errors"]  # type: ignore[attr-defined]
    assert "ack_required" in errors and "steps.0" in errors
    assert any("1 à 1440" in e for e in errors["steps.0"])
    rota = {"weekly": [{"weekday": 9, "from": "25:00", "to": "08:00", "who": {}}]}
    answer = put(http, f"{url}/on-call", rota)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert "weekly.0" in answer.json()["errors"]  # type: ignore[attr-defined]
    # Another permanence's person is unknown here.
    other = f.StaffFactory.create(permanence=world.perm_b)
    step = {"after_minutes": 5, "to": {"kind": "staff", "id": str(other.id)}, "channels": ["sms"]}
    answer = put(http, f"{url}/escalation", {"steps": [step]})
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert http.get(f"{url}/escalation").json()["ack_required"] == "urgent"  # nothing saved


def test_it_answers_404_across_permanences_and_403_without_the_right(world: World) -> None:
    url = f"/api/v1/clients/{world.client_a.id}"
    outsider = api_client(world.gerant_b)
    for path in ("escalation", "on-call", "on-call/now"):
        assert outsider.get(f"{url}/{path}").status_code == 404
    assert put(outsider, f"{url}/escalation", {"steps": []}).status_code == 404  # type: ignore[attr-defined]
    operator = api_client(world.operateur_a)
    assert operator.get(f"{url}/on-call/now").status_code == 200
    assert put(operator, f"{url}/escalation", {"steps": []}).status_code == 403  # type: ignore[attr-defined]
    assert put(operator, f"{url}/on-call", {"weekly": []}).status_code == 403  # type: ignore[attr-defined]
    client = api_client(world.client_user_a)
    assert client.get(f"{url}/escalation").status_code in (403, 404)


def test_it_shows_the_acknowledgement_and_escalation_of_a_message(world: World) -> None:
    http = api_client(world.operateur_a)
    sent = http.post(
        f"/api/v1/clients/{world.client_a.id}/messages",
        data=json.dumps(
            {"subject": "Urgent", "body": "Rappeler", "is_urgent": True, "copy_email": True}
        ),
        content_type="application/json",
    ).json()
    assert sent["acknowledgement"] is None
    assert sent["escalation"] == {
        "state": "waiting",
        "next_step_at": None,
        "steps_taken": [],
        "alert_at": None,
        "stopped_reason": None,
    }
    message = send(world.operateur_a, world.client_a, copy_email=True)
    assert http.get(f"/api/v1/messages/{message.id}").json()["escalation"] is None
    from relais.messaging.models import Message

    urgent = Message.objects.get(pk=sent["id"])
    acknowledge(
        message=urgent, via="portal", person_kind="client", person_id=world.client_user_a.id
    )
    detail = http.get(f"/api/v1/messages/{urgent.id}").json()
    assert detail["acknowledgement"]["via"] == "portal"
    assert detail["acknowledgement"]["by"] == {
        "kind": "client",
        "id": str(world.client_user_a.id),
        "name": world.client_user_a.name,
    }
    assert detail["escalation"]["state"] == "acknowledged"
