"""A client's « Instructions » page: add, edit, delete, with a visibility; staff with
« COMPTES / Clients / Paramètres »; French errors, nothing saved on error."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from relais.clients.models import Instruction
from tests import factories
from tests.conftest import World, login

f: Any = factories

pytestmark = pytest.mark.django_db


def url(world: World) -> str:
    return reverse("ui:instructions", args=[world.client_a.id])


def test_it_adds_an_instruction_with_its_visibility(world: World) -> None:
    response = login(world.gerant_a).post(
        url(world), {"text": "Jamais de RDV le mercredi.", "visibility": ["message", "sheet"]}
    )
    assert response.status_code == 302
    assert response["Location"] == url(world)
    row = Instruction.objects.get()
    assert (row.client, row.permanence) == (world.client_a, world.perm_a)
    assert (row.show_message, row.show_agenda, row.show_sheet) == (True, False, True)
    html = login(world.gerant_a).get(url(world)).content.decode()
    assert "Jamais de RDV le mercredi." in html
    assert "Message" in html and "Levée de fiche" in html


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"text": "  ", "visibility": "message"}, "Instruction : ce champ est obligatoire."),
        (
            {"text": "Sans visibilité"},
            "Visibilité : cochez au moins « Message », « Agenda » ou « Levée de fiche ».",
        ),
        (
            {"text": "x" * 1001, "visibility": "message"},
            "Instruction : 1000 caractères au maximum (1001 saisis).",
        ),
    ],
)
def test_it_refuses_bad_input_in_french_and_saves_nothing(
    world: World, data: dict[str, Any], error: str
) -> None:
    response = login(world.gerant_a).post(url(world), data)
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not Instruction.objects.exists()


def test_it_edits_and_deletes_an_instruction(world: World) -> None:
    row = Instruction.objects.create(permanence=world.perm_a, client=world.client_a, text="Avant")
    http = login(world.gerant_a)
    edit = reverse("ui:instruction_edit", args=[world.client_a.id, row.id])
    html = http.get(edit).content.decode()
    assert "Modifier l&#x27;instruction" in html or "Modifier l'instruction" in html
    assert ">Avant</textarea>" in html
    response = http.post(edit, {"text": "Après", "visibility": ["agenda"]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.text, row.show_message, row.show_agenda) == ("Après", False, True)
    response = http.post(edit, {"text": "", "visibility": ["agenda"]})
    assert response.status_code == 422
    row.refresh_from_db()
    assert row.text == "Après"
    delete = reverse("ui:instruction_delete", args=[world.client_a.id, row.id])
    assert http.post(delete).status_code == 302
    assert not Instruction.objects.exists()


def test_it_links_the_instructions_from_the_client_settings(world: World) -> None:
    settings = reverse("ui:client_settings", args=[world.client_a.id])
    html = login(world.gerant_a).get(settings).content.decode()
    assert f'href="{url(world)}"' in html


def test_it_lists_only_that_clients_instructions(world: World) -> None:
    other = f.ClientFactory(permanence=world.perm_a)
    Instruction.objects.create(permanence=world.perm_a, client=other, text="Pas ici.")
    Instruction.objects.create(permanence=world.perm_a, client=world.client_a, text="Ici.")
    html = login(world.gerant_a).get(url(world)).content.decode()
    assert "Ici." in html and "Pas ici." not in html
