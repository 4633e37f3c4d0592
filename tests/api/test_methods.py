"""A method a path does not take: 405 in the API's error shape, with Allow."""

from __future__ import annotations

from tests.conftest import World, api_client


def test_it_answers_a_wrong_method_in_french_with_allow(world: World) -> None:
    http = api_client(world.operateur_a)
    response = http.delete("/api/v1/me")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert response["Allow"] == "GET"
    assert response.json()["detail"].startswith("Méthode HTTP non acceptée")
    assert response.json()["errors"] == {}


def test_it_lists_every_method_the_path_takes(world: World) -> None:
    http = api_client(world.operateur_a)
    response = http.put(f"/api/v1/clients/{world.client_a.id}/messages")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert "GET ou POST" in response.json()["detail"]
