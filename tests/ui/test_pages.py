from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import NoReverseMatch, reverse

from relais.messaging.models import Message
from relais.tenancy import permissions as perms
from relais.tenancy.models import Role
from tests import factories
from tests.conftest import World, login

f: Any = factories  # factory calls return model instances

pytestmark = pytest.mark.django_db


def test_it_refuses_an_oversized_body_with_a_400_page(world: World) -> None:
    http = login(world.operateur_a)
    response = http.post(
        reverse("ui:send", args=[world.client_a.id]),
        {"subject": "S", "body": "x" * (1024 * 1024 + 10)},
    )
    assert response.status_code == 400
    assert "Requête refusée" in response.content.decode()
    assert not Message.objects.exists()


def test_it_refuses_too_many_fields_with_a_400_page(world: World) -> None:
    http = login(world.gerant_a)
    data = {f"f{i}": "x" for i in range(600)}
    response = http.post("/roles/", data)
    assert response.status_code == 400


def test_it_shows_a_french_404_page(world: World) -> None:
    response = login(world.operateur_a).get("/clients/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_it_shows_a_french_403_page(world: World) -> None:
    response = login(world.operateur_a).get("/roles/")
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


class TestMenu:
    def test_it_shows_the_counts_and_remarks_only_with_the_right(self, world: World) -> None:
        f.MessageFactory(client=world.client_a, is_urgent=True, status="todo")
        f.MessageFactory(client=world.client_a, is_client_remark=True)
        html = login(world.gerant_a).get("/").content.decode()
        assert "Tâche à faire" in html
        assert "1 tâche à faire" in html
        assert "1 urgent non lu" in html
        assert "Remarques clients" in html
        assert "1 remarque non lue" in html
        html = login(world.operateur_a).get("/").content.decode()
        assert "Remarques clients" not in html
        assert "Rôles et droits" not in html

    def test_it_answers_the_counts_poll_with_a_fragment(self, world: World) -> None:
        f.MessageFactory(client=world.client_a, is_urgent=True)
        html = login(world.operateur_a).get("/menu/compteurs/").content.decode()
        assert html.startswith('<li id="menu-counts"')
        assert 'hx-trigger="every 5s, relais:sent from:body, relais:live from:body"' in html
        assert "1 urgent non lu" in html

    def test_it_hides_the_menu_from_client_users(self, world: World) -> None:
        html = login(world.client_user_a).get("/").content.decode()
        assert "Tâche à faire" not in html
        assert "Écrire à la permanence" in html


class TestRoles:
    def test_it_shows_the_matrix_of_rights_and_roles(self, world: World) -> None:
        html = login(world.gerant_a).get("/roles/").content.decode()
        for label in perms.CATALOGUE.values():
            assert label.replace("'", "&#x27;") in html
        for role in ["Opérateur", "Superviseur", "Gérant"]:
            assert role in html
        assert html.count('type="checkbox"') == 3 * len(perms.CATALOGUE)

    def test_it_saves_the_rights_of_the_three_roles(self, world: World) -> None:
        response = login(world.gerant_a).post(
            "/roles/",
            {
                "role-operateur": [perms.MESSAGES_READ, perms.CLIENTS_EDIT],
                "role-superviseur": [perms.MESSAGES_READ],
                "role-gerant": [perms.MESSAGES_READ],
            },
        )
        assert response.status_code == 302
        roles = {r.kind: r.permissions for r in Role.objects.filter(permanence=world.perm_a)}
        assert roles["operateur"] == [perms.MESSAGES_READ, perms.CLIENTS_EDIT]
        assert roles["superviseur"] == [perms.MESSAGES_READ]
        # The gérant keeps the roles page whatever is posted.
        assert set(roles["gerant"]) == {perms.MESSAGES_READ, perms.ROLES_EDIT}
        other = Role.objects.get(permanence=world.perm_b, kind="gerant")
        assert set(other.permissions) == set(perms.DEFAULT_ROLE_PERMISSIONS["gerant"])

    def test_it_refuses_an_unknown_right_and_saves_nothing(self, world: World) -> None:
        response = login(world.gerant_a).post(
            "/roles/", {"role-operateur": ["PIRATE / Tout"], "role-superviseur": []}
        )
        assert response.status_code == 422
        assert "Droit inconnu : PIRATE / Tout." in response.content.decode()
        role = Role.objects.get(permanence=world.perm_a, kind="superviseur")
        assert role.permissions == perms.DEFAULT_ROLE_PERMISSIONS["superviseur"]


def test_it_speaks_english_when_asked(world: World) -> None:
    http = HttpClient(headers={"Accept-Language": "en"})
    html = http.get("/connexion/").content.decode()
    assert "Password" in html
    assert "Log in" in html


def test_it_links_the_outbox_only_when_the_page_exists_and_is_allowed(world: World) -> None:
    try:
        reverse("delivery:outbox")
        mounted = True
    except NoReverseMatch:
        mounted = False
    html = login(world.gerant_a).get("/").content.decode()
    assert ("Boîte d&#x27;envoi" in html or "Boîte d'envoi" in html) == mounted
    html = login(world.operateur_a).get("/").content.decode()
    assert "Boîte d" not in html
