"""« Bandeau message »: added and removed by a gérant, shown at the top of the staff home
page, never to a client user."""

from __future__ import annotations

import pytest
from django.urls import reverse

from relais.messaging.models import Banner
from tests.conftest import World, login

pytestmark = pytest.mark.django_db


def test_it_adds_a_banner_shown_on_every_staff_home(world: World) -> None:
    response = login(world.gerant_a).post(
        reverse("ui:banners"), {"text": "Formation jeudi 14h — salle B", "place": "home"}
    )
    assert response.status_code == 302
    banner = Banner.objects.get()
    assert banner.created_by == world.gerant_a
    for user in (world.gerant_a, world.operateur_a, world.superviseur_a):
        html = login(user).get("/").content.decode()
        assert "Formation jeudi 14h — salle B" in html, user


def test_it_refuses_an_over_long_banner_in_french_and_keeps_the_text(world: World) -> None:
    text = "Réunion " + "x" * 200
    response = login(world.gerant_a).post(reverse("ui:banners"), {"text": text})
    html = response.content.decode()
    assert response.status_code == 422
    assert f"Texte : 200 caractères au maximum ({len(text)} saisis)." in html
    assert f'value="{text}"' in html
    assert not Banner.objects.exists()


def test_it_shows_the_supervision_banners_on_the_home_page_too(world: World) -> None:
    """There is no supervision page yet: the home page is where its banners show."""
    Banner.objects.create(permanence=world.perm_a, text="Pic d'appels", place=Banner.SUPERVISION)
    assert "Pic d&#x27;appels" in login(world.operateur_a).get("/").content.decode()


def test_it_never_shows_a_banner_to_a_client_user_or_another_permanence(world: World) -> None:
    Banner.objects.create(permanence=world.perm_a, text="Formation jeudi 14h")
    assert "Formation jeudi" not in login(world.client_user_a).get("/").content.decode()
    assert "Formation jeudi" not in login(world.gerant_b).get("/").content.decode()


def test_it_lets_only_a_gerant_remove_it_from_the_home_page(world: World) -> None:
    banner = Banner.objects.create(permanence=world.perm_a, text="Formation jeudi 14h")
    remove = reverse("ui:banner_delete", args=[banner.id])
    assert f'action="{remove}"' not in login(world.operateur_a).get("/").content.decode()
    http = login(world.gerant_a)
    assert f'action="{remove}"' in http.get("/").content.decode()
    response = http.post(remove, {"next": "home"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not Banner.objects.exists()
    assert "Formation jeudi" not in http.get("/").content.decode()


def test_it_lists_the_banners_on_the_settings_page(world: World) -> None:
    Banner.objects.create(
        permanence=world.perm_a, text="Formation jeudi 14h", created_by=world.gerant_a
    )
    html = login(world.gerant_a).get(reverse("ui:banners")).content.decode()
    assert "Formation jeudi 14h" in html
    assert "Gérard" in html
    assert "200 caractères au plus" in html
