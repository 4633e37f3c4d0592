"""A failed copy is flagged in red to the operator who sent it: menu count and list."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from relais.delivery.models import Delivery
from relais.messaging.selectors import menu_counts
from relais.messaging.services import SendInput, message_send
from relais.tenancy.models import User
from tests.conftest import World, login


def send_with_failed_copy(world: World, author: User, subject: str = "Rappel") -> Delivery:
    message, _ = message_send(
        author=author,
        client=world.client_a,
        data=SendInput(subject=subject, body="Merci de rappeler.", copy_email=True),
    )
    delivery = Delivery.objects.get(message=message)
    delivery.status = Delivery.FAILED
    delivery.last_error = "Adresse refusée par le serveur du destinataire."
    delivery.save()
    return delivery


def test_it_counts_failed_copies_for_their_sender_only(world: World) -> None:
    send_with_failed_copy(world, world.operateur_a)
    assert menu_counts(world.operateur_a)["failed"] == 1
    assert menu_counts(world.gerant_a)["failed"] == 0
    assert menu_counts(world.gerant_b)["failed"] == 0


def test_it_shows_the_red_entry_in_the_menu_poll(world: World) -> None:
    http = login(world.operateur_a)
    assert "Copies en échec" not in http.get(reverse("ui:menu_counts")).content.decode()
    send_with_failed_copy(world, world.operateur_a)
    html = http.get(reverse("ui:menu_counts")).content.decode()
    assert "Copies en échec" in html
    assert 'class="count num alert"' in html


def test_it_lists_the_failed_copies_with_their_reason(world: World) -> None:
    delivery = send_with_failed_copy(world, world.operateur_a, subject="Résultats labo")
    html = login(world.operateur_a).get(reverse("ui:failed_copies")).content.decode()
    assert "Résultats labo" in html
    assert "Adresse refusée par le serveur du destinataire." in html
    assert delivery.to in html
    assert reverse("ui:thread", args=[delivery.message_id]) in html


def test_it_shows_nothing_of_another_operator_or_permanence(world: World) -> None:
    send_with_failed_copy(world, world.operateur_a, subject="Résultats labo")
    for user in (world.gerant_a, world.gerant_b):
        html = login(user).get(reverse("ui:failed_copies")).content.decode()
        assert "Résultats labo" not in html
        assert "Aucune copie en échec" in html


def test_it_keeps_the_page_to_staff(world: World, client: Any) -> None:
    url = reverse("ui:failed_copies")
    assert login(world.client_user_a).get(url).status_code == 403
    response = client.get(url)
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


def test_it_lists_in_pinned_queries(world: World, django_assert_num_queries: Any) -> None:
    http = login(world.operateur_a)
    url = reverse("ui:failed_copies")
    send_with_failed_copy(world, world.operateur_a)
    http.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        http.get(url)
    for n in range(20):
        send_with_failed_copy(world, world.operateur_a, subject=f"Sujet {n}")
    with django_assert_num_queries(len(few.captured_queries)):
        response = http.get(url)
    assert response.content.decode().count("status-failed") == 21
