"""Query counts pinned: the same number of queries with few and with many rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.clients.models import Client, Contact
from relais.messaging.models import Message, ReadState, Recipient, Reply
from relais.tenancy.models import User
from tests import factories as f
from tests.api.conftest import call, send_body
from tests.conftest import World, api_client


def queries(http: HttpClient, method: str, path: str, body: Any = None, **headers: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = call(http, method, path, body, **headers)
    assert response.status_code < 300, response.content
    return len(ctx.captured_queries)


def warm(user: User) -> HttpClient:
    """A bearer client whose token use is already recorded (that write is once a minute)."""
    http = api_client(user)
    call(http, "GET", "/me")
    return http


def add_clients(world: World, n: int) -> None:
    company = f.CompanyFactory.create(permanence=world.perm_a)
    Client.objects.bulk_create(
        [Client(permanence=world.perm_a, name=f"Client {i:04}", company=company) for i in range(n)]
    )


def add_contacts(client: Client, n: int) -> None:
    Contact.objects.bulk_create(
        [
            Contact(permanence_id=client.permanence_id, client=client, name=f"Contact {i:04}")
            for i in range(n)
        ]
    )


def add_messages(world: World, n: int, **fields: Any) -> list[Message]:
    """n messages on client_a by several authors, with contacts, some done, some read."""
    authors = [world.gerant_a, world.superviseur_a, world.client_user_a]
    contact = f.ContactFactory.create(client=world.client_a)
    template = f.TemplateFactory.create(permanence=world.perm_a)
    now = timezone.now()
    rows = Message.objects.bulk_create(
        [
            Message(
                permanence=world.perm_a,
                client=world.client_a,
                author=authors[i % 3],
                subject=f"Sujet {i}",
                body="Rappeler.",
                contact=contact if i % 2 else None,
                template=template if i % 3 else None,
                status=Message.STATUS_DONE if i % 5 == 0 else Message.STATUS_TODO,
                done_by=world.gerant_a if i % 5 == 0 else None,
                done_at=now if i % 5 == 0 else None,
                last_activity_at=now,
                **fields,
            )
            for i in range(n)
        ]
    )
    ReadState.objects.bulk_create(
        [ReadState(message=m, user=world.operateur_a, read_at=now) for m in rows[::3]]
    )
    return rows


def same_count(
    world: World, grow: Callable[[int], object], method: str, path: str, small: int, big: int
) -> int:
    grow(small)
    http = warm(world.operateur_a)
    few = queries(http, method, path)
    grow(big - small)
    many = queries(http, method, path)
    assert few == many
    return many


def test_it_lists_clients_in_the_same_queries_for_5_and_200(world: World) -> None:
    n = same_count(world, lambda k: add_clients(world, k), "GET", "/clients?limit=200", 5, 200)
    assert n == 2  # token + clients


def test_it_lists_contacts_in_the_same_queries_for_5_and_200(world: World) -> None:
    path = f"/clients/{world.client_a.id}/contacts?limit=200"
    n = same_count(world, lambda k: add_contacts(world.client_a, k), "GET", path, 5, 200)
    assert n == 3  # token + client + contacts


def test_it_lists_a_clients_threads_in_the_same_queries_for_5_and_500(world: World) -> None:
    path = f"/clients/{world.client_a.id}/messages?limit=200"
    n = same_count(world, lambda k: add_messages(world, k), "GET", path, 5, 500)
    assert n == 3  # token + client + threads


@pytest.mark.parametrize(
    "path", ["/messages?limit=200", "/tasks?limit=200", "/urgent?limit=200", "/remarks?limit=200"]
)
def test_it_lists_permanence_wide_threads_in_constant_queries(world: World, path: str) -> None:
    def grow(k: int) -> None:
        add_messages(world, k, is_urgent=True, is_client_remark=True)

    grow(5)
    http = warm(world.gerant_a)
    few = queries(http, "GET", path)
    grow(300)
    assert queries(http, "GET", path) == few == 2  # token + threads


def test_it_lists_recipients_in_the_same_queries_for_5_and_100(world: World) -> None:
    def grow(k: int) -> None:
        for _ in range(k):
            f.StaffFactory.create(permanence=world.perm_a)

    path = f"/clients/{world.client_a.id}/recipients?limit=200"
    n = same_count(world, grow, "GET", path, 5, 100)
    assert n == 3  # token + client + candidates


def test_it_shows_a_thread_in_the_same_queries_whatever_its_size(world: World) -> None:
    message = add_messages(world, 1)[0]
    http = warm(world.operateur_a)
    path = f"/messages/{message.id}"
    few = queries(http, "GET", path)
    staff = [f.StaffFactory.create(permanence=world.perm_a) for _ in range(10)]
    Recipient.objects.bulk_create(
        [Recipient(message=message, user=u, reason=Recipient.CC) for u in staff]
    )
    Reply.objects.bulk_create(
        [Reply(message=message, author=staff[i % 10], body="Vu.") for i in range(30)]
    )
    for user in staff:
        call(api_client(user), "POST", f"/messages/{message.id}/read")
    many = queries(http, "GET", path)
    # token, message, replies, history, recipients, reads, deliveries, escalation, and the
    # read trace's INSERT (relais.audit: +1).
    assert few == many == 9


def test_it_sends_with_0_1_or_10_copy_recipients_in_pinned_queries(world: World) -> None:
    staff = [str(f.StaffFactory.create(permanence=world.perm_a).id) for _ in range(10)]
    http = warm(world.operateur_a)
    path = f"/clients/{world.client_a.id}/messages"
    by_cc = {
        n: queries(http, "POST", path, send_body(cc=staff[:n], copy_email=True, copy_sms=True))
        for n in (0, 1, 10)
    }
    # The copy recipients are read with the client (one query); the rows are written in one
    # statement on PostgreSQL; on SQLite (in-process, no round trip) each table's INSERT is its
    # own statement, so there a send without copy recipients skips one.
    if connection.vendor == "postgresql":
        # token, client + lookups, savepoint, the rows with the live event (+ NOTIFY), release
        assert by_cc == {0: 5, 1: 5, 10: 5}
    else:
        assert by_cc == {0: 9, 1: 10, 10: 10}


def test_it_sends_with_an_idempotency_key_in_pinned_queries(world: World) -> None:
    staff = [str(f.StaffFactory.create(permanence=world.perm_a).id) for _ in range(10)]
    http = warm(world.operateur_a)
    path = f"/clients/{world.client_a.id}/messages"
    one = queries(http, "POST", path, send_body(cc=staff[:1]), **{"Idempotency-Key": "k1"})
    ten = queries(http, "POST", path, send_body(cc=staff), **{"Idempotency-Key": "k2"})
    replay = queries(http, "POST", path, send_body(cc=staff), **{"Idempotency-Key": "k2"})
    # No copies by e-mail; the key rides on the insert (looked up only on conflict).
    postgres = connection.vendor == "postgresql"
    # With the live event (relais.events): on PostgreSQL in the rows' statement.
    assert one == ten == (5 if postgres else 9)
    # A replay: the insert meets the key, the first message is read back whole.
    assert replay == 15  # the first message's escalation (relais.escalation) included
