"""The three-user world on every page of the message aids (templates, phrases, banners, a
client's instructions): 404 across permanences, 403 without the right or to a client user,
login for anonymous users — and nothing changed by a refused request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from relais.clients.models import Client, Instruction
from relais.messaging.models import Banner, InputPhrase, MessageTemplate
from tests import factories
from tests.conftest import World, login

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
    template = f.TemplateFactory(permanence=world.perm_a, name="Rappel patient")
    return Aids(
        client=world.client_a,
        template=template,
        phrase=InputPhrase.objects.create(
            permanence=world.perm_a, text="Le patient rappellera.", position=1
        ),
        banner=Banner.objects.create(permanence=world.perm_a, text="Formation jeudi 14h"),
        instruction=Instruction.objects.create(
            permanence=world.perm_a, client=world.client_a, text="Jamais de RDV le mercredi."
        ),
    )


Url = Callable[[Aids], str]

# Pages that name one of A's objects.
OBJECT_GETS: list[tuple[str, Url]] = [
    ("template_edit", lambda a: reverse("ui:template_edit", args=[a.template.id])),
    ("template_delete", lambda a: reverse("ui:template_delete", args=[a.template.id])),
    ("instructions", lambda a: reverse("ui:instructions", args=[a.client.id])),
    (
        "instruction_edit",
        lambda a: reverse("ui:instruction_edit", args=[a.client.id, a.instruction.id]),
    ),
]
LIST_GETS: list[tuple[str, Url]] = [
    ("templates", lambda a: reverse("ui:templates")),
    ("template_new", lambda a: reverse("ui:template_new")),
    ("phrases", lambda a: reverse("ui:phrases")),
    ("banners", lambda a: reverse("ui:banners")),
]
GETS = OBJECT_GETS + LIST_GETS

PIRATE_TEMPLATE = {"name": "Pirate", "subject": "Pirate", "body": "Pirate", "for_all": "all"}
PIRATE_INSTRUCTION = {"text": "Pirate", "visibility": "message"}
OBJECT_POSTS: list[tuple[str, Url, dict[str, str]]] = [
    ("template_edit", lambda a: reverse("ui:template_edit", args=[a.template.id]), PIRATE_TEMPLATE),
    ("template_delete", lambda a: reverse("ui:template_delete", args=[a.template.id]), {}),
    ("phrase_edit", lambda a: reverse("ui:phrase_edit", args=[a.phrase.id]), {"text": "Pirate"}),
    (
        "phrase_move",
        lambda a: reverse("ui:phrase_move", args=[a.phrase.id]),
        {"direction": "down"},
    ),
    ("phrase_delete", lambda a: reverse("ui:phrase_delete", args=[a.phrase.id]), {}),
    ("banner_delete", lambda a: reverse("ui:banner_delete", args=[a.banner.id]), {}),
    (
        "instructions",
        lambda a: reverse("ui:instructions", args=[a.client.id]),
        PIRATE_INSTRUCTION,
    ),
    (
        "instruction_edit",
        lambda a: reverse("ui:instruction_edit", args=[a.client.id, a.instruction.id]),
        PIRATE_INSTRUCTION,
    ),
    (
        "instruction_delete",
        lambda a: reverse("ui:instruction_delete", args=[a.client.id, a.instruction.id]),
        {},
    ),
]
LIST_POSTS: list[tuple[str, Url, dict[str, str]]] = [
    ("template_new", lambda a: reverse("ui:template_new"), PIRATE_TEMPLATE),
    ("phrases", lambda a: reverse("ui:phrases"), {"text": "Pirate"}),
    ("banners", lambda a: reverse("ui:banners"), {"text": "Pirate", "place": "home"}),
]
POSTS = OBJECT_POSTS + LIST_POSTS


def snapshot() -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    return (
        sorted(MessageTemplate.objects.values_list("name", "subject", "body")),
        sorted(InputPhrase.objects.values_list("text", "position")),
        sorted(Banner.objects.values_list("text", flat=True)),
        sorted(Instruction.objects.values_list("text", "show_message")),
    )


def _ids(rows: list[Any]) -> list[str]:
    return [row[0] for row in rows]


@pytest.mark.parametrize(("name", "url"), GETS, ids=_ids(GETS))
def test_it_opens_every_page_for_the_gerant(world: World, aids: Aids, name: str, url: Url) -> None:
    assert login(world.gerant_a).get(url(aids)).status_code == 200


@pytest.mark.parametrize(("name", "url"), OBJECT_GETS, ids=_ids(OBJECT_GETS))
def test_it_answers_404_to_another_permanence(
    world: World, aids: Aids, name: str, url: Url
) -> None:
    assert login(world.gerant_b).get(url(aids)).status_code == 404


@pytest.mark.parametrize(("name", "url"), LIST_GETS, ids=_ids(LIST_GETS))
def test_it_never_lists_a_objects_to_another_permanence(
    world: World, aids: Aids, name: str, url: Url
) -> None:
    response = login(world.gerant_b).get(url(aids))
    html = response.content.decode()
    assert response.status_code == 200
    for secret in ["Rappel patient", "Le patient rappellera", "Formation jeudi", "Dr Cécile"]:
        assert secret not in html, secret


@pytest.mark.parametrize(("name", "url", "data"), OBJECT_POSTS, ids=_ids(OBJECT_POSTS))
def test_it_answers_404_to_posts_from_another_permanence_and_changes_nothing(
    world: World, aids: Aids, name: str, url: Url, data: dict[str, str]
) -> None:
    before = snapshot()
    assert login(world.gerant_b).post(url(aids), data).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(("name", "url"), GETS, ids=_ids(GETS))
def test_it_answers_403_to_an_operator(world: World, aids: Aids, name: str, url: Url) -> None:
    assert login(world.operateur_a).get(url(aids)).status_code == 403


@pytest.mark.parametrize(("name", "url", "data"), POSTS, ids=_ids(POSTS))
def test_it_answers_403_to_posts_from_an_operator_and_changes_nothing(
    world: World, aids: Aids, name: str, url: Url, data: dict[str, str]
) -> None:
    before = snapshot()
    assert login(world.operateur_a).post(url(aids), data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(("name", "url"), GETS, ids=_ids(GETS))
def test_it_answers_403_to_a_client_user(world: World, aids: Aids, name: str, url: Url) -> None:
    assert login(world.client_user_a).get(url(aids)).status_code == 403


@pytest.mark.parametrize(("name", "url", "data"), POSTS, ids=_ids(POSTS))
def test_it_answers_403_to_posts_from_a_client_user_and_changes_nothing(
    world: World, aids: Aids, name: str, url: Url, data: dict[str, str]
) -> None:
    before = snapshot()
    assert login(world.client_user_a).post(url(aids), data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(("name", "url"), GETS, ids=_ids(GETS))
def test_it_sends_anonymous_users_to_the_login_page(aids: Aids, name: str, url: Url) -> None:
    response = HttpClient().get(url(aids))
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=")


@pytest.mark.parametrize(("name", "url", "data"), POSTS, ids=_ids(POSTS))
def test_it_sends_anonymous_posts_to_the_login_page_and_changes_nothing(
    aids: Aids, name: str, url: Url, data: dict[str, str]
) -> None:
    before = snapshot()
    response = HttpClient().post(url(aids), data)
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/?next=")
    assert snapshot() == before


@pytest.mark.parametrize("bad", ["pas-un-id", "00000000-0000-0000-0000-000000000000"])
@pytest.mark.parametrize(("name", "url"), OBJECT_GETS, ids=_ids(OBJECT_GETS))
def test_it_answers_404_to_unknown_or_malformed_ids(
    world: World, aids: Aids, name: str, url: Url, bad: str
) -> None:
    path = url(aids)
    for obj in (aids.template, aids.instruction):
        path = path.replace(str(obj.id), bad)
    if path == url(aids):
        path = path.replace(str(aids.client.id), bad)
    assert login(world.gerant_a).get(path).status_code == 404


def test_it_answers_404_for_an_instruction_through_another_client(world: World, aids: Aids) -> None:
    """An instruction is reached only through its own client."""
    other = f.ClientFactory(permanence=world.perm_a)
    url = reverse("ui:instruction_edit", args=[other.id, aids.instruction.id])
    assert login(world.gerant_a).get(url).status_code == 404


def test_it_lets_a_superviseur_without_the_rights_in_nowhere(world: World, aids: Aids) -> None:
    """The superviseur holds neither « TEMPLATE / Messages » nor « Paramètres » by default."""
    http = login(world.superviseur_a)
    for _name, url in GETS:
        assert http.get(url(aids)).status_code == 403, url(aids)


def test_it_follows_the_rights_of_the_role_not_its_name(world: World, aids: Aids) -> None:
    from relais.tenancy import permissions as perms

    role = world.operateur_a.role
    assert role is not None
    role.permissions = [*role.permissions, perms.TEMPLATES, perms.CLIENTS_SETTINGS]
    role.save()
    http = login(world.operateur_a)
    for _name, url in GETS:
        assert http.get(url(aids)).status_code == 200, url(aids)
