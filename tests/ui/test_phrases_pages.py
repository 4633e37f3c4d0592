"""« Aide à la saisie »: the gérant's page of predefined phrases."""

from __future__ import annotations

import pytest
from django.urls import reverse

from relais.messaging.models import InputPhrase
from tests.conftest import World, login

pytestmark = pytest.mark.django_db


def texts() -> list[str]:
    return list(InputPhrase.objects.order_by("position").values_list("text", flat=True))


def test_it_adds_phrases_at_the_end_and_lists_them(world: World) -> None:
    http = login(world.gerant_a)
    for text in ["Le patient rappellera.", "Merci de rappeler au plus vite."]:
        response = http.post(reverse("ui:phrases"), {"text": text})
        assert response.status_code == 302
    assert texts() == ["Le patient rappellera.", "Merci de rappeler au plus vite."]
    html = http.get(reverse("ui:phrases")).content.decode()
    assert html.index("Le patient rappellera.") < html.index("Merci de rappeler au plus vite.")
    assert "2 phrases" in html


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Phrase : ce champ est obligatoire."),
        ("x" * 301, "Phrase : 300 caractères au maximum (301 saisis)."),
        ("LE PATIENT RAPPELLERA.", "Cette phrase existe déjà."),
    ],
)
def test_it_refuses_bad_phrases_in_french(world: World, text: str, error: str) -> None:
    InputPhrase.objects.create(permanence=world.perm_a, text="Le patient rappellera.")
    response = login(world.gerant_a).post(reverse("ui:phrases"), {"text": text})
    assert response.status_code == 422
    assert error in response.content.decode()
    assert texts() == ["Le patient rappellera."]


def test_it_moves_edits_and_deletes_phrases(world: World) -> None:
    http = login(world.gerant_a)
    for text in ["A", "B", "C"]:
        http.post(reverse("ui:phrases"), {"text": text})
    c = InputPhrase.objects.get(text="C")
    response = http.post(reverse("ui:phrase_move", args=[c.id]), {"direction": "up"})
    assert response.status_code == 302
    assert response["Location"] == f"/aide-a-la-saisie/#phrase-{c.id}"
    assert texts() == ["A", "C", "B"]
    a = InputPhrase.objects.get(text="A")
    assert (
        http.post(reverse("ui:phrase_edit", args=[a.id]), {"text": "A modifiée"}).status_code == 302
    )
    response = http.post(reverse("ui:phrase_edit", args=[a.id]), {"text": "C"})
    assert response.status_code == 422
    assert "Cette phrase existe déjà." in response.content.decode()
    assert http.post(reverse("ui:phrase_delete", args=[c.id])).status_code == 302
    assert texts() == ["A modifiée", "B"]
