from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse

from tests.conftest import World, login
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_shows_the_login_page_in_french() -> None:
    response = HttpClient().get("/connexion/")
    assert response.status_code == 200
    html = response.content.decode()
    assert ">E-mail<" in html
    assert ">Mot de passe<" in html
    assert "Se connecter" in html


def test_it_logs_in_with_email_and_password_and_goes_home(world: World) -> None:
    http = HttpClient()
    response = http.post("/connexion/", {"username": "OPERATEUR@a.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("ui:home")
    assert http.get(reverse("ui:home")).status_code == 200


def test_it_follows_a_safe_next_only(world: World) -> None:
    http = HttpClient()
    target = reverse("ui:clients")
    response = http.post(
        f"/connexion/?next={target}", {"username": "operateur@a.test", "password": PASSWORD}
    )
    assert response["Location"] == target
    http = HttpClient()
    response = http.post(
        "/connexion/",
        {"username": "operateur@a.test", "password": PASSWORD, "next": "https://evil.test/"},
    )
    assert response["Location"] == reverse("ui:home")


def test_it_refuses_a_wrong_password_with_a_french_error(world: World) -> None:
    response = HttpClient().post("/connexion/", {"username": "operateur@a.test", "password": "x"})
    assert response.status_code == 400
    assert "E-mail ou mot de passe incorrect." in response.content.decode()
    assert 'value="operateur@a.test"' in response.content.decode()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_it_locks_the_login_after_repeated_failures(world: World) -> None:
    http = HttpClient()
    for _ in range(3):
        http.post("/connexion/", {"username": "operateur@a.test", "password": "wrong"})
    response = http.post("/connexion/", {"username": "operateur@a.test", "password": PASSWORD})
    assert response.status_code == 429
    assert "Réessayez dans quelques minutes" in response.content.decode()
    assert "_auth_user_id" not in http.session


def test_it_logs_out_with_a_post_only(world: World) -> None:
    http = login(world.operateur_a)
    assert http.get("/deconnexion/").status_code == 405
    response = http.post("/deconnexion/")
    assert response.status_code == 302
    assert response["Location"] == reverse("ui:login")
    assert http.get(reverse("ui:home")).status_code == 302


def test_it_redirects_anonymous_users_to_the_login_page_with_next() -> None:
    response = HttpClient().get("/clients/")
    assert response.status_code == 302
    assert response["Location"] == "/connexion/?next=/clients/"


def test_it_asks_htmx_to_reload_the_login_page_for_an_anonymous_fragment() -> None:
    response = HttpClient().get("/menu/compteurs/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith("/connexion/?next=")
