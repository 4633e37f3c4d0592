"""Query counts pinned on the hot pages: the same number with few and with many rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.clients.models import Client, Contact
from relais.messaging.models import Message, ReadState
from tests import factories
from tests.conftest import World, login

f: Any = factories  # factory calls return model instances

pytestmark = pytest.mark.django_db


def queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code in (200, 204), response.status_code
    return len(ctx.captured_queries)


def add_clients(world: World, n: int) -> None:
    Client.objects.bulk_create(
        [
            Client(permanence=world.perm_a, name=f"Client {i:03}", mobile="+33612345678")
            for i in range(n)
        ]
    )


def add_contacts(world: World, n: int) -> None:
    Contact.objects.bulk_create(
        [
            Contact(
                permanence=world.perm_a,
                client=world.client_a,
                name=f"Contact {i:03}",
                phone="+33612345678",
                search_text=f"contact {i:03} 0612345678",
            )
            for i in range(n)
        ]
    )


def add_messages(world: World, n: int) -> None:
    contact = f.ContactFactory(client=world.client_a)
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                permanence=world.perm_a,
                client=world.client_a,
                author=world.operateur_a if i % 2 else world.gerant_a,
                subject=f"Sujet {i}",
                body="Texte",
                contact=contact if i % 3 else None,
                is_urgent=bool(i % 5 == 0),
                status=Message.STATUS_TODO if i % 4 == 0 else Message.STATUS_NORMAL,
                last_activity_at=now,
            )
            for i in range(n)
        ]
    )


def test_it_lists_5_or_200_clients_in_the_same_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    http = login(world.operateur_a)
    add_clients(world, 4)
    few = queries(lambda: http.get("/clients/"))
    add_clients(world, 196)
    with django_assert_num_queries(few):
        response = http.get("/clients/")
    assert response.content.decode().count('href="/clients/') >= 200
    # session, user (with role and permanence), the clients, the menu counts.
    assert few == 4


def test_it_searches_clients_in_the_same_queries(world: World) -> None:
    http = login(world.operateur_a)
    add_clients(world, 4)
    few = queries(lambda: http.get("/?q=client", headers={"HX-Request": "true"}))
    add_clients(world, 196)
    assert queries(lambda: http.get("/?q=client", headers={"HX-Request": "true"})) == few


def test_it_opens_a_client_file_in_the_same_queries_with_many_contacts_and_messages(
    world: World, django_assert_num_queries: Any
) -> None:
    http = login(world.operateur_a)
    url = reverse("ui:client", args=[world.client_a.id])
    add_contacts(world, 5)
    add_messages(world, 5)
    few = queries(lambda: http.get(url))
    add_contacts(world, 195)
    add_messages(world, 495)
    with django_assert_num_queries(few):
        http.get(url)
    # session, user (with role and permanence), client, the threads' count (« N fils », capped),
    # threads (the poll's fingerprint is computed from them), contacts, the menu counts, the
    # date bar's day-task count.
    assert few == 8


def test_it_polls_the_thread_list_cheaply(world: World, django_assert_num_queries: Any) -> None:
    http = login(world.operateur_a)
    add_messages(world, 5)
    url = reverse("ui:client_threads", args=[world.client_a.id])
    add_messages(world, 495)
    changed = queries(lambda: http.get(url, {"v": "old"}))
    response = http.get(url)
    version = response.content.decode().split("?v=")[1].split('"')[0]

    # Nothing changed: session, user (with role and permanence), client, one aggregate → 204.
    with django_assert_num_queries(4):
        response = http.get(url, {"v": unquote(version)})
    assert response.status_code == 204
    assert changed == 6  # … or the count and the threads, the fingerprint computed from them


def test_it_polls_the_menu_counts_in_one_aggregate(
    world: World, django_assert_num_queries: Any
) -> None:
    http = login(world.gerant_a)
    add_messages(world, 5)
    few = queries(lambda: http.get("/menu/compteurs/"))
    add_messages(world, 200)
    with django_assert_num_queries(few):
        http.get("/menu/compteurs/")
    assert few == 3  # session, user (with role and permanence), the counts


def test_it_opens_a_thread_in_the_same_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    from relais.messaging.services import SendInput, message_send, reply_post

    http = login(world.gerant_a)
    message, _ = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=SendInput(subject="S", body="B", copy_email=True),
    )
    reply_post(author=world.client_user_a, message=message, body="R")
    url = reverse("ui:thread", args=[message.id])
    http.get(url)  # first open marks it read
    few = queries(lambda: http.get(url))
    for i in range(20):
        reply_post(author=world.operateur_a, message=message, body=f"R{i}")
    ReadState.objects.get_or_create(
        message=message, user=world.gerant_a, defaults={"read_at": timezone.now()}
    )
    with django_assert_num_queries(few):
        response = http.get(url)
    assert response.content.decode().count('class="text"') == 21
    # session, user (with role and permanence), message, 5 for its parts, its escalation
    # (« Pris en compte »), version, menu counts, the date bar's day-task count, the read
    # trace's INSERT (relais.audit: +1), the day's missed calls (« Journal des appels »).
    assert few == 14


def test_it_opens_the_composer_in_fixed_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    http = login(world.operateur_a)
    url = reverse("ui:composer", args=[world.client_a.id])
    f.TemplateFactory(permanence=world.perm_a)
    few = queries(lambda: http.get(url, headers={"HX-Request": "true"}))
    for _ in range(10):
        t = f.TemplateFactory(permanence=world.perm_a)
        t.clients.add(world.client_a)
    with django_assert_num_queries(few):
        response = http.get(url, headers={"HX-Request": "true"})
    assert response.content.decode().count("<option") == 11 + 1 + 1 + 4
    # session, user (with role and permanence), client, templates, instructions, phrases.
    assert few == 6
