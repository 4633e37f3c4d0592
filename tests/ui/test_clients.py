from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from relais.clients.models import Contact
from tests import factories
from tests.conftest import World, login

f: Any = factories  # factory calls return model instances

pytestmark = pytest.mark.django_db


def test_it_searches_clients_accent_and_case_insensitively(world: World) -> None:
    f.ClientFactory(permanence=world.perm_a, name="Maître Hélène Blanc", mobile="+33611223344")
    f.ClientFactory(permanence=world.perm_b, name="Hélène de Horizon")
    http = login(world.operateur_a)
    html = http.get("/?q=HELENE", headers={"HX-Request": "true"}).content.decode()
    assert "Maître Hélène Blanc" in html
    assert "Horizon" not in html
    assert "Dr Cécile Lemoine" not in html
    html = http.get("/clients/?q=0611", headers={"HX-Request": "true"}).content.decode()
    assert "Maître Hélène Blanc" in html
    assert "<html" not in html  # a fragment for htmx


def test_it_shows_the_client_file_with_french_phones(world: World) -> None:
    html = login(world.operateur_a).get(reverse("ui:client", args=[world.client_a.id]))
    text = html.content.decode()
    assert "06 12 34 56 78" in text
    assert "04 91 00 00 00" in text
    assert "MESSAGES" in text
    assert 'data-composer-url="' in text


def test_it_finds_contacts_by_partial_accentless_name_or_phone(world: World) -> None:
    f.ContactFactory(client=world.client_a, name="Hélène Durand", phone="+33612345678")
    f.ContactFactory(client=world.client_a, name="Marc Petit", phone="+33687654321")
    http = login(world.operateur_a)
    url = reverse("ui:contacts", args=[world.client_a.id])
    html = http.get(url, {"q": "helene"}).content.decode()
    assert "Hélène Durand" in html and "Marc Petit" not in html
    html = http.get(url, {"q": "0612"}).content.decode()
    assert "Hélène Durand" in html and "Marc Petit" not in html
    html = http.get(url, {"q": "06 87"}).content.decode()
    assert "Marc Petit" in html and "Hélène Durand" not in html


def test_it_creates_a_contact_inline(world: World) -> None:
    http = login(world.operateur_a)
    response = http.post(
        reverse("ui:contact_new", args=[world.client_a.id]),
        {"name": "Élodie Garnier", "phone": "06 99 88 77 66"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    contact = Contact.objects.get(name="Élodie Garnier")
    assert contact.client == world.client_a
    assert contact.phone == "+33699887766"
    assert "Contact « Élodie Garnier » créé." in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("email", "pas-un-email", "Adresse e-mail invalide."),
        ("phone", "12", "Numéro de téléphone invalide."),
        ("name", "", "Nom : ce champ est obligatoire."),
    ],
)
def test_it_refuses_a_bad_contact_with_a_french_error_and_keeps_the_values(
    world: World, field: str, value: str, error: str
) -> None:
    data = {"name": "Jean Moreau", "phone": "0612345678", "email": "jean@example.test"}
    data[field] = value
    response = login(world.operateur_a).post(
        reverse("ui:contact_new", args=[world.client_a.id]), data, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert error in html
    assert 'aria-invalid="true"' in html
    assert response["HX-Retarget"] == "#contact-new-panel"
    for typed in data.values():
        if typed:
            assert f'value="{typed}"' in html
    assert not Contact.objects.exists()


def test_it_refuses_a_bad_contact_in_the_composer_picker(world: World) -> None:
    response = login(world.operateur_a).post(
        reverse("ui:contact_new", args=[world.client_a.id]),
        {"mode": "pick", "contact_new-name": "Jean", "contact_new-phone": "abc"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Numéro de téléphone invalide." in response.content.decode()
    assert response["HX-Retarget"] == "#contact-new"
    assert not Contact.objects.exists()


def test_it_creates_and_picks_a_contact_from_the_composer(world: World) -> None:
    response = login(world.operateur_a).post(
        reverse("ui:contact_new", args=[world.client_a.id]),
        {"mode": "pick", "contact_new-name": "Jean Moreau", "subject": "ignored"},
        headers={"HX-Request": "true"},
    )
    contact = Contact.objects.get()
    html = response.content.decode()
    assert 'hx-swap-oob="true"' in html
    assert f'name="contact" value="{contact.id}"' in html


def test_it_lets_the_client_user_create_a_contact_of_its_own_client(world: World) -> None:
    response = login(world.client_user_a).post(
        reverse("ui:contact_new", args=[world.client_a.id]),
        {"name": "Patient Martin"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert Contact.objects.get().client == world.client_a


class TestEditCoordinates:
    def url(self, world: World) -> str:
        return reverse("ui:client_edit", args=[world.client_a.id])

    def test_it_saves_valid_coordinates(self, world: World) -> None:
        response = login(world.superviseur_a).post(
            self.url(world),
            {"name": "Dr Cécile Lemoine-Martin", "email": "C@Cabinet.test", "mobile": "0698765432"},
        )
        assert response.status_code == 302
        world.client_a.refresh_from_db()
        assert world.client_a.name == "Dr Cécile Lemoine-Martin"
        assert world.client_a.mobile == "+33698765432"
        assert world.client_a.email == "c@cabinet.test"

    def test_it_shows_the_current_values_the_french_way(self, world: World) -> None:
        html = login(world.gerant_a).get(self.url(world)).content.decode()
        assert 'value="06 12 34 56 78"' in html

    @pytest.mark.parametrize(
        ("field", "value", "error"),
        [
            ("email", "cecile@", "Adresse e-mail invalide."),
            ("mobile", "06 12", "Numéro de téléphone invalide."),
            ("fax", "not a number", "Numéro de téléphone invalide."),
            ("name", "   ", "Nom : ce champ est obligatoire."),
        ],
    )
    def test_it_refuses_bad_input_and_saves_nothing(
        self, world: World, field: str, value: str, error: str
    ) -> None:
        data = {"name": "Nouveau nom", "email": "new@cabinet.test", "mobile": "0698765432"}
        data[field] = value
        response = login(world.gerant_a).post(self.url(world), data)
        html = response.content.decode()
        assert response.status_code == 422
        assert error in html
        assert f'id="f-{field}-err"' in html
        assert "a été enregistré : corrigez les champs signalés" in html
        world.client_a.refresh_from_db()
        assert world.client_a.name == "Dr Cécile Lemoine"
        assert world.client_a.mobile == "+33612345678"


class TestMessageSettings:
    def url(self, world: World) -> str:
        return reverse("ui:client_settings", args=[world.client_a.id])

    def test_it_saves_the_defaults_and_message_info(self, world: World) -> None:
        response = login(world.gerant_a).post(
            self.url(world),
            {"default_copy_email": "on", "default_copy_sms": "on", "message_info": "Absente"},
        )
        assert response.status_code == 302
        world.client_a.refresh_from_db()
        assert world.client_a.default_copy_email and world.client_a.default_copy_sms
        assert not world.client_a.default_copy_fax
        assert world.client_a.message_info == "Absente"

    def test_it_refuses_a_too_long_message_info(self, world: World) -> None:
        response = login(world.gerant_a).post(
            self.url(world), {"default_copy_email": "on", "message_info": "x" * 81}
        )
        assert response.status_code == 422
        assert "Message infos : 80 caractères au maximum" in response.content.decode()
        world.client_a.refresh_from_db()
        assert world.client_a.message_info == ""
        assert not world.client_a.default_copy_email

    def test_it_forbids_the_superviseur(self, world: World) -> None:
        assert login(world.superviseur_a).get(self.url(world)).status_code == 403
