"""One error shape, the right status, never a 500 for bad input."""

from __future__ import annotations

from typing import Any

import pytest

from relais.clients.models import Contact
from relais.messaging.models import Message
from tests.api.conftest import call
from tests.conftest import World, api_client


def assert_error_shape(body: Any) -> None:
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ("{", "Le corps de la requête n'est pas un JSON valide."),
        ("sujet=Rappel", "Le corps de la requête n'est pas un JSON valide."),
        ("[1, 2]", "Le corps de la requête doit être un objet JSON."),
        ('"Rappel"', "Le corps de la requête doit être un objet JSON."),
        ("null", "Le corps de la requête doit être un objet JSON."),
        ("", "Le corps de la requête doit être un objet JSON."),
    ],
)
def test_it_answers_400_to_a_malformed_body(world: World, raw: str, detail: str) -> None:
    http = api_client(world.gerant_a)
    response = call(http, "POST", f"/clients/{world.client_a.id}/messages", raw)
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "errors": {}}
    assert not Message.objects.exists()


def test_it_answers_413_to_an_oversized_body(world: World) -> None:
    http = api_client(world.gerant_a)
    huge = {"subject": "x", "body": "x" * (2 * 1024 * 1024)}
    response = call(http, "POST", f"/clients/{world.client_a.id}/messages", huge)
    assert response.status_code == 413
    assert_error_shape(response.json())
    assert not Message.objects.exists()


def test_it_answers_422_with_french_messages_on_wrongly_typed_fields(world: World) -> None:
    http = api_client(world.gerant_a)
    response = call(
        http,
        "POST",
        f"/clients/{world.client_a.id}/contacts",
        {"name": ["Hélène"], "phone": 612345678},
    )
    assert response.status_code == 422
    body = response.json()
    assert_error_shape(body)
    assert body["errors"] == {"name": ["Texte attendu."], "phone": ["Texte attendu."]}
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("unread=peut-etre", "unread"),
        ("kind=inconnu", "kind"),
        ("limit=0", "limit"),
        ("limit=beaucoup", "limit"),
        ("cursor=%%%", "cursor"),
        ("cursor=bm9u", "cursor"),
    ],
)
def test_it_answers_422_to_bad_query_parameters(world: World, query: str, field: str) -> None:
    http = api_client(world.gerant_a)
    response = call(http, "GET", f"/clients/{world.client_a.id}/messages?{query}")
    assert response.status_code == 422
    assert_error_shape(response.json())
    assert field in response.json()["errors"]


@pytest.mark.parametrize("bad_id", ["inconnu", "12", "00000000-0000-0000-0000-000000000000"])
def test_it_answers_404_to_malformed_or_unknown_ids(world: World, bad_id: str) -> None:
    http = api_client(world.gerant_a)
    for path in (f"/clients/{bad_id}", f"/messages/{bad_id}", f"/clients/{bad_id}/messages"):
        response = call(http, "GET", path)
        assert response.status_code == 404, path
        assert_error_shape(response.json())


def test_it_answers_a_service_error_with_its_status_and_fields(world: World) -> None:
    http = api_client(world.gerant_a)
    response = call(
        http, "POST", f"/clients/{world.client_a.id}/contacts", {"name": "", "email": "pas-un-mail"}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["name"] == ["Nom : ce champ est obligatoire."]
    assert errors["email"] == ["Adresse e-mail invalide."]


def test_it_never_answers_500_to_odd_json_values(world: World) -> None:
    http = api_client(world.gerant_a)
    odd_values: list[Any] = [None, 1e308, -1, "", [], {}, "\u0000", "🙂" * 10, True]
    path = f"/clients/{world.client_a.id}/messages"
    for value in odd_values:
        for field in ("subject", "body", "cc", "due_date", "contact", "attach", "is_task"):
            response = call(http, "POST", path, {"subject": "S", "body": "B", field: value})
            assert response.status_code < 500, (field, value, response.content)


def test_it_refuses_nul_characters_which_postgresql_cannot_store(world: World) -> None:
    http = api_client(world.gerant_a)
    path = f"/clients/{world.client_a.id}/messages"
    response = call(http, "POST", path, {"subject": "Rap\u0000pel", "body": "B"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"subject": ["Caractère nul interdit."]}
    assert call(http, "GET", "/clients?search=a%00b").status_code == 422
    assert not Message.objects.exists()


def test_it_answers_unknown_api_paths_in_the_error_shape(world: World) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = call(api_client(world.gerant_a), method, "/inconnu/chemin")
        assert response.status_code == 404
        assert_error_shape(response.json())
