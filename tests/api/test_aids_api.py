"""The message aids through the API: templates (writes), a client's message settings and
instructions, input-help phrases, banners — with the three-user world on every endpoint, and a
client user who never sees an instruction, a consigne or a banner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as HttpClient

from relais.clients.models import Client, Instruction
from relais.messaging.models import Banner, InputPhrase, MessageTemplate
from tests import factories
from tests.api.conftest import call
from tests.conftest import World, api_client

f: Any = factories

pytestmark = pytest.mark.django_db


@dataclass
class Aids:
    client: Client
    template: MessageTemplate
    phrase: InputPhrase
    banner: Banner
    instruction: Instruction


@pytest.fixture
def aids(world: World) -> Aids:
    return Aids(
        client=world.client_a,
        template=f.TemplateFactory(
            permanence=world.perm_a, name="Rappel patient", consigne="Demander la date."
        ),
        phrase=InputPhrase.objects.create(permanence=world.perm_a, text="Le patient rappellera."),
        banner=Banner.objects.create(permanence=world.perm_a, text="Formation jeudi 14h"),
        instruction=Instruction.objects.create(
            permanence=world.perm_a, client=world.client_a, text="Jamais de RDV le mercredi."
        ),
    )


def path(template: str, a: Aids) -> str:
    return template.format(
        client=a.client.id,
        template=a.template.id,
        phrase=a.phrase.id,
        banner=a.banner.id,
        instruction=a.instruction.id,
    )


TEMPLATE_BODY = {"name": "Urgence", "subject": "Fuite chez {contact}", "body": "Le {date}."}
SETTINGS_BODY = {"default_copy_email": True, "message_info": "Absente", "default_template": None}
# (method, path, body, status for A's gérant). Paths name A's objects.
SCOPED: list[tuple[str, str, Any, int]] = [
    ("GET", "/templates/{template}", None, 200),
    ("PUT", "/templates/{template}", TEMPLATE_BODY, 200),
    ("DELETE", "/templates/{template}", None, 204),
    ("PUT", "/clients/{client}/settings", SETTINGS_BODY, 200),
    ("GET", "/clients/{client}/instructions", None, 200),
    ("POST", "/clients/{client}/instructions", {"text": "Urgences : SMS"}, 201),
    ("PUT", "/clients/{client}/instructions/{instruction}", {"text": "Changée"}, 200),
    ("DELETE", "/clients/{client}/instructions/{instruction}", None, 204),
    ("PUT", "/phrases/{phrase}", {"text": "Changée"}, 200),
    ("DELETE", "/phrases/{phrase}", None, 204),
    ("DELETE", "/banners/{banner}", None, 204),
]
GLOBAL: list[tuple[str, str, Any, int]] = [
    ("POST", "/templates", TEMPLATE_BODY, 201),
    ("GET", "/templates/all", None, 200),
    ("GET", "/phrases", None, 200),
    ("POST", "/phrases", {"text": "Merci de rappeler."}, 201),
    ("GET", "/banners", None, 200),
    ("POST", "/banners", {"text": "Pic d'appels ce matin"}, 201),
]
ALL = SCOPED + GLOBAL


def snapshot() -> tuple[Any, ...]:
    return (
        sorted(MessageTemplate.objects.values_list("name", "subject", "body")),
        sorted(InputPhrase.objects.values_list("text", flat=True)),
        sorted(Banner.objects.values_list("text", flat=True)),
        sorted(Instruction.objects.values_list("text", flat=True)),
        sorted(Client.objects.values_list("message_info", "default_copy_email")),
    )


def _ids(rows: list[Any]) -> list[str]:
    return [f"{r[0]} {r[1]}" for r in rows]


@pytest.mark.parametrize(("method", "url", "body", "ok"), ALL, ids=_ids(ALL))
def test_it_lets_the_gerant_use_every_endpoint(
    world: World, aids: Aids, method: str, url: str, body: Any, ok: int
) -> None:
    response = call(api_client(world.gerant_a), method, path(url, aids), body)
    assert response.status_code == ok, response.content


@pytest.mark.parametrize(("method", "url", "body", "ok"), ALL, ids=_ids(ALL))
def test_it_answers_401_to_anonymous_callers(
    aids: Aids, method: str, url: str, body: Any, ok: int
) -> None:
    before = snapshot()
    response = call(HttpClient(), method, path(url, aids), body)
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}
    assert snapshot() == before


@pytest.mark.parametrize(("method", "url", "body", "ok"), SCOPED, ids=_ids(SCOPED))
def test_it_answers_404_to_another_permanence_and_changes_nothing(
    world: World, aids: Aids, method: str, url: str, body: Any, ok: int
) -> None:
    before = snapshot()
    response = call(api_client(world.gerant_b), method, path(url, aids), body)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "url"), [("GET", "/templates/all"), ("GET", "/phrases"), ("GET", "/banners")]
)
def test_it_never_lists_a_objects_to_another_permanence(
    world: World, aids: Aids, method: str, url: str
) -> None:
    response = call(api_client(world.gerant_b), method, url)
    assert response.status_code == 200
    assert response.json()["items"] == []


WRITES = [row for row in ALL if row[0] != "GET"] + [
    ("GET", "/templates/{template}", None, 200),
    ("GET", "/templates/all", None, 200),
]


@pytest.mark.parametrize(("method", "url", "body", "ok"), WRITES, ids=_ids(WRITES))
def test_it_answers_403_to_an_operator_and_changes_nothing(
    world: World, aids: Aids, method: str, url: str, body: Any, ok: int
) -> None:
    before = snapshot()
    response = call(api_client(world.operateur_a), method, path(url, aids), body)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("url", ["/clients/{client}/instructions", "/phrases", "/banners"], ids=str)
def test_it_lets_an_operator_read_the_aids_he_uses(world: World, aids: Aids, url: str) -> None:
    response = call(api_client(world.operateur_a), "GET", path(url, aids))
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1


@pytest.mark.parametrize(("method", "url", "body", "ok"), ALL, ids=_ids(ALL))
def test_it_answers_403_to_a_client_user_and_changes_nothing(
    world: World, aids: Aids, method: str, url: str, body: Any, ok: int
) -> None:
    """Its own client included: instructions, phrases and banners are staff only."""
    before = snapshot()
    response = call(api_client(world.client_user_a), method, path(url, aids), body)
    assert response.status_code == 403, response.content
    assert snapshot() == before


def test_it_answers_404_to_a_client_user_for_another_client(world: World, aids: Aids) -> None:
    other = f.ClientFactory(permanence=world.perm_a)
    response = call(api_client(world.client_user_a), "GET", f"/clients/{other.id}/instructions")
    assert response.status_code == 404


class TestClientUserVisibility:
    def test_it_hides_consignes_from_a_client_user(self, world: World, aids: Aids) -> None:
        items = call(api_client(world.client_user_a), "GET", "/templates").json()["items"]
        assert [t["name"] for t in items] == ["Rappel patient"]
        assert items[0]["consigne"] == ""
        staff = call(
            api_client(world.operateur_a), "GET", f"/templates?client={world.client_a.id}"
        ).json()["items"]
        assert staff[0]["consigne"] == "Demander la date."

    def test_it_never_puts_instructions_in_the_client_detail(
        self, world: World, aids: Aids
    ) -> None:
        for user in (world.client_user_a, world.operateur_a):
            text = call(api_client(user), "GET", f"/clients/{world.client_a.id}").content
            assert b"Jamais de RDV" not in text


class TestBadInput:
    def test_it_refuses_an_empty_template_name(self, world: World) -> None:
        response = call(api_client(world.gerant_a), "POST", "/templates", {"name": " "})
        assert response.status_code == 422
        assert response.json() == {
            "detail": "Nom : ce champ est obligatoire.",
            "errors": {"name": ["Nom : ce champ est obligatoire."]},
        }
        assert not MessageTemplate.objects.exists()

    def test_it_refuses_an_unknown_placeholder(self, world: World) -> None:
        response = call(
            api_client(world.gerant_a), "POST", "/templates", {"name": "X", "body": "{patient}"}
        )
        assert response.status_code == 422
        assert "variable inconnue {patient}" in response.json()["errors"]["body"][0]
        assert not MessageTemplate.objects.exists()

    def test_it_refuses_an_over_long_banner(self, world: World) -> None:
        response = call(api_client(world.gerant_a), "POST", "/banners", {"text": "x" * 201})
        assert response.status_code == 422
        assert response.json()["errors"] == {
            "text": ["Texte : 200 caractères au maximum (201 saisis)."]
        }
        assert not Banner.objects.exists()

    def test_it_refuses_an_unknown_visibility(self, world: World) -> None:
        response = call(
            api_client(world.gerant_a),
            "POST",
            f"/clients/{world.client_a.id}/instructions",
            {"text": "X", "visibility": ["partout"]},
        )
        assert response.status_code == 422
        assert not Instruction.objects.exists()

    def test_it_refuses_a_default_template_not_usable_for_the_client(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_b)
        response = call(
            api_client(world.gerant_a),
            "PUT",
            f"/clients/{world.client_a.id}/settings",
            {**SETTINGS_BODY, "default_template": str(template.id)},
        )
        assert response.status_code == 422
        world.client_a.refresh_from_db()
        assert world.client_a.message_info == ""


class TestRoundTrips:
    def test_it_creates_a_template_for_chosen_clients_and_reads_it_back(self, world: World) -> None:
        http = api_client(world.gerant_a)
        created = call(
            http, "POST", "/templates", {**TEMPLATE_BODY, "clients": [str(world.client_a.id)]}
        ).json()
        assert created["clients"] == [str(world.client_a.id)]
        again = call(http, "GET", f"/templates/{created['id']}").json()
        assert again == created
        settings = call(
            http,
            "PUT",
            f"/clients/{world.client_a.id}/settings",
            {**SETTINGS_BODY, "default_template": created["id"]},
        ).json()
        assert settings["settings"]["default_template"] == created["id"]

    def test_it_lists_message_instructions_only_when_asked(self, world: World) -> None:
        http = api_client(world.gerant_a)
        url = f"/clients/{world.client_a.id}/instructions"
        call(http, "POST", url, {"text": "Message", "visibility": ["message"]})
        call(http, "POST", url, {"text": "Agenda", "visibility": ["agenda", "sheet"]})
        every = call(http, "GET", url).json()["items"]
        assert [(i["text"], i["visibility"]) for i in every] == [
            ("Message", ["message"]),
            ("Agenda", ["agenda", "sheet"]),
        ]
        only = call(http, "GET", url + "?visibility=message").json()["items"]
        assert [i["text"] for i in only] == ["Message"]
