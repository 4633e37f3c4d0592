"""The calls in the pages and the API: journal, one call, « Prendre », the composer of a call,
the client's numbers and levée de fiche, the telephone settings (three-user world)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone

from relais.calls.models import Call
from relais.clients.models import ClientNumber
from relais.messaging.models import Message
from tests import factories as f
from tests.conftest import World, api_client, login


@pytest.fixture
def call(world: World) -> Call:
    contact = f.ContactFactory.create(client=world.client_a, name="Hélène Moreau")
    return Call.objects.create(
        permanence=world.perm_a,
        call_id="pbx-1",
        from_raw="0612345678",
        from_number="+33612345678",
        to_raw="0491000001",
        to_number="+33491000001",
        client=world.client_a,
        contact=contact,
        started_at=timezone.now(),
    )


def missed(world: World, n: int) -> None:
    now = timezone.now()
    for i in range(n):
        Call.objects.create(permanence=world.perm_a, call_id=f"m{i}", started_at=now, ended_at=now)


class TestJournal:
    def test_it_shows_the_journal_to_staff_with_the_right_only(self, world: World, call: Call):
        assert login(world.superviseur_a).get("/appels/").status_code == 200
        assert login(world.operateur_a).get("/appels/").status_code == 403
        assert login(world.client_user_a).get("/appels/").status_code == 403
        assert login(world.gerant_b).get("/appels/").content.count(b"pbx-1") == 0
        # One client's calls: staff who read its messages; another permanence's: 404.
        page = login(world.operateur_a).get(f"/appels/?client={world.client_a.id}")
        assert page.status_code == 200 and "Hélène Moreau" in page.content.decode()
        assert login(world.gerant_b).get(f"/appels/?client={world.client_a.id}").status_code == 404

    def test_it_filters_missed_calls_and_counts_them_in_the_menu(self, world: World, call: Call):
        missed(world, 2)
        html = login(world.superviseur_a).get("/appels/?manques=1").content.decode()
        assert html.count("Manqué") == 2 and "Hélène Moreau" not in html
        assert "2 appels manqués aujourd’hui" in html
        assert "Journal des appels" not in login(world.operateur_a).get("/").content.decode()

    def test_it_answers_404_for_another_permanences_call(self, world: World, call: Call):
        assert login(world.gerant_a).get(f"/appels/{call.id}/").status_code == 200
        assert login(world.gerant_b).get(f"/appels/{call.id}/").status_code == 404
        assert api_client(world.gerant_b).get(f"/api/v1/calls/{call.id}").status_code == 404
        assert login(world.client_user_a).get(f"/appels/{call.id}/").status_code == 403


class TestTake:
    def test_it_gives_the_call_to_the_first_and_names_them_to_the_second(
        self, world: World, call: Call
    ):
        first = login(world.operateur_a).post(f"/appels/{call.id}/prendre/")
        assert first.status_code == 200
        assert first.json()["screen_pop"]["url"] == f"/clients/{world.client_a.id}/?appel={call.id}"
        second = login(world.superviseur_a).post(f"/appels/{call.id}/prendre/")
        assert second.status_code == 409
        assert second.json()["detail"] == "Appel déjà pris par Léa."
        assert login(world.gerant_b).post(f"/appels/{call.id}/prendre/").status_code == 404

    def test_it_lists_the_ringing_calls_for_the_strip(self, world: World, call: Call):
        rows = login(world.operateur_a).get("/appels/en-cours/").json()["calls"]
        assert [r["caller"] for r in rows] == ["Hélène Moreau"]
        assert login(world.gerant_b).get("/appels/en-cours/").json()["calls"] == []


class TestComposerOfACall:
    def test_it_opens_with_the_caller_and_links_the_message_to_the_call(
        self, world: World, call: Call
    ):
        http = login(world.operateur_a)
        html = http.get(f"/clients/{world.client_a.id}/ecrire/?appel={call.id}").content.decode()
        assert f'name="call" value="{call.id}"' in html
        assert f'name="contact" value="{call.contact_id}"' in html
        sent = http.post(
            f"/clients/{world.client_a.id}/messages/",
            {
                "subject": "Rappel",
                "body": "Rappeler.",
                "call": str(call.id),
                "idempotency_key": "k",
            },
        )
        assert sent.status_code == 302
        message = Message.objects.get(subject="Rappel")
        assert message.call_id == call.id
        thread = http.get(f"/messages/{message.id}/").content.decode()
        assert "Appel de" in thread and f"/appels/{call.id}/" in thread

    def test_it_prefills_a_new_contact_with_an_unknown_callers_number(
        self, world: World, call: Call
    ):
        Call.objects.filter(pk=call.pk).update(contact=None)
        html = (
            login(world.operateur_a)
            .get(f"/clients/{world.client_a.id}/ecrire/?appel={call.id}")
            .content.decode()
        )
        assert 'value="06 12 34 56 78"' in html

    def test_it_refuses_a_call_of_another_client_in_french(self, world: World, call: Call):
        other = f.ClientFactory.create(permanence=world.perm_a)
        api = api_client(world.operateur_a)
        answer = api.post(
            f"/api/v1/clients/{other.id}/messages",
            json.dumps({"subject": "S", "body": "B", "call": str(call.id)}),
            content_type="application/json",
        )
        assert answer.status_code == 422
        assert answer.json()["errors"]["call"] == ["Appel introuvable pour ce client."]
        ok = api.post(
            f"/api/v1/clients/{world.client_a.id}/messages",
            json.dumps({"subject": "S", "body": "B", "call": str(call.id)}),
            content_type="application/json",
        )
        assert ok.status_code == 201 and ok.json()["call"] == str(call.id)
        journal = api_client(world.gerant_a).get(f"/api/v1/calls?client={world.client_a.id}")
        item = journal.json()["items"][0]
        assert item["messages"] == [ok.json()["id"]]
        assert item["state"] == "ringing" and item["from"] == "+33612345678"


class TestClientNumbers:
    def test_it_edits_the_numbers_with_the_coordinates_unique_in_the_permanence(self, world: World):
        other = f.ClientFactory.create(permanence=world.perm_a, name="Dr Martin")
        f.ClientNumberFactory.create(client=other, number="+33491000009")
        f.ClientNumberFactory.create(client=world.client_b, number="+33491000001")
        http = login(world.gerant_a)
        data = {"name": world.client_a.name, "numbers": "04 91 00 00 01, 0033491000002"}
        assert http.post(f"/clients/{world.client_a.id}/coordonnees/", data).status_code == 302
        assert sorted(
            ClientNumber.objects.filter(client=world.client_a).values_list("number", flat=True)
        ) == ["+33491000001", "+33491000002"]
        taken = http.post(
            f"/clients/{world.client_a.id}/coordonnees/",
            {"name": "Nouveau nom", "numbers": "04 91 00 00 09"},
        )
        assert taken.status_code == 422
        assert "déjà celui du client « Dr Martin »" in taken.content.decode()
        world.client_a.refresh_from_db()
        assert world.client_a.name != "Nouveau nom"  # nothing saved

    def test_it_sets_numbers_and_levee_de_fiche_through_the_api(self, world: World):
        api = api_client(world.gerant_a)
        answer = api.patch(
            f"/api/v1/clients/{world.client_a.id}",
            json.dumps({"numbers": ["04 91 00 00 01"], "screen_pop": "planning"}),
            content_type="application/json",
        )
        assert answer.status_code == 200
        assert answer.json()["numbers"] == ["+33491000001"]
        assert answer.json()["settings"]["screen_pop"] == "planning"
        bad = api.patch(
            f"/api/v1/clients/{world.client_a.id}",
            json.dumps({"numbers": ["12"]}),
            content_type="application/json",
        )
        assert bad.status_code == 422
        forbidden = api_client(world.operateur_a).patch(
            f"/api/v1/clients/{world.client_a.id}",
            json.dumps({"numbers": []}),
            content_type="application/json",
        )
        assert forbidden.status_code == 403
        outsider = api_client(world.gerant_b).patch(
            f"/api/v1/clients/{world.client_a.id}",
            json.dumps({"numbers": []}),
            content_type="application/json",
        )
        assert outsider.status_code == 404

    def test_it_sets_the_levee_de_fiche_in_the_client_settings(self, world: World):
        http = login(world.gerant_a)
        answer = http.post(
            f"/clients/{world.client_a.id}/parametres/",
            {"screen_pop": "contacts", "message_info": ""},
        )
        assert answer.status_code == 302
        world.client_a.refresh_from_db()
        assert world.client_a.screen_pop == "contacts"


class TestTelephonySettings:
    def test_it_shows_and_regenerates_the_secrets_to_the_gerant_only(self, world: World):
        http = login(world.gerant_a)
        page = http.get("/standard/").content.decode()
        before = api_client(world.gerant_a).get("/api/v1/integrations").json()
        assert before["cti_url"] in page and before["inbound_email_url"] in page
        assert before["inbound_sms_url"].endswith(f"/api/v1/inbound/sms/{before['inbound_token']}")
        http.post("/standard/", {"regenerate": "inbound"})
        after = api_client(world.gerant_a).get("/api/v1/integrations").json()
        assert after["cti_token"] == before["cti_token"]
        assert after["inbound_token"] != before["inbound_token"]
        assert login(world.operateur_a).get("/standard/").status_code == 403
        assert api_client(world.operateur_a).get("/api/v1/integrations").status_code == 403
        other = api_client(world.gerant_b).get("/api/v1/integrations").json()
        assert other["cti_token"] != before["cti_token"]

    def test_it_records_the_operators_extensions(self, world: World):
        http = login(world.gerant_a)
        answer = http.post("/standard/", {f"extension-{world.operateur_a.id}": "201"})
        assert answer.status_code == 302
        world.operateur_a.refresh_from_db()
        assert world.operateur_a.extension == "201"
        too_long = http.post("/standard/", {f"extension-{world.operateur_a.id}": "9" * 41})
        assert too_long.status_code == 422


def test_it_gives_every_demo_client_a_number(db: Any):
    from relais.demo.seed import demo_seed

    demo_seed()
    from relais.clients.models import Client

    assert not Client.objects.filter(numbers__isnull=True).exists()
    lemoine = ClientNumber.objects.get(number="+33491000001").client
    assert lemoine.name == "Dr Cécile Lemoine"
