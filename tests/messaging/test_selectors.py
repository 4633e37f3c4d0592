"""Message reads: the client file's thread list, the kinds filter, the left-menu counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.clients.models import Client
from relais.core.errors import NotFound
from relais.messaging.models import Message, ReadState
from relais.messaging.selectors import menu_counts, message_list_for_client
from relais.messaging.services import message_mark_read
from relais.tenancy.models import User
from tests import factories as f
from tests.conftest import World


def _bulk_messages(world: World, n: int, start: int = 0) -> None:
    contact = f.ContactFactory.create(client=world.client_a)
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                permanence=world.perm_a,
                client=world.client_a,
                author=world.operateur_a if i % 2 else world.gerant_a,
                subject=f"Sujet {start + i}",
                body="Merci de rappeler.",
                contact=contact if i % 3 else None,
                status=Message.STATUS_DONE if i % 5 == 0 else Message.STATUS_TODO,
                done_by=world.superviseur_a if i % 5 == 0 else None,
                done_at=now if i % 5 == 0 else None,
                last_activity_at=now - dt.timedelta(minutes=start + i),
            )
            for i in range(n)
        ]
    )


def _fresh(user: User) -> User:
    """The user as a request sees it: role loaded with it."""
    return User.objects.select_related("role").get(pk=user.pk)


def _render_list(user: User, client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        for m in message_list_for_client(user=user, client=client):
            # Everything a thread row shows.
            _ = (m.author.name, m.contact and m.contact.name, m.client.name)
            _ = m.is_read  # type: ignore[attr-defined]
            _ = m.done_by.first_name if m.done_by else ""
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["operateur_a", "client_user_a"])
def test_it_lists_5_and_500_threads_in_the_same_queries(world: World, who: str) -> None:
    user = _fresh(getattr(world, who))
    _bulk_messages(world, 5)
    few = _render_list(user, world.client_a)
    _bulk_messages(world, 495, start=5)
    many = _render_list(user, world.client_a)
    assert few == many == 1


def test_it_lists_newest_activity_first_and_pages_on(world: World) -> None:
    _bulk_messages(world, 60)
    page = message_list_for_client(user=world.operateur_a, client=world.client_a, limit=50)
    assert [m.subject for m in page[:3]] == ["Sujet 0", "Sujet 1", "Sujet 2"]
    assert len(page) == 50
    rest = message_list_for_client(
        user=world.operateur_a, client=world.client_a, before=page[-1].last_activity_at
    )
    assert [m.subject for m in rest] == [f"Sujet {i}" for i in range(50, 60)]


def test_it_filters_by_kind_and_read_state(world: World) -> None:
    a = world.client_a
    author = world.gerant_a
    plain = f.MessageFactory.create(client=a, author=author, subject="plain")
    f.MessageFactory.create(client=a, author=author, subject="todo", status=Message.STATUS_TODO)
    f.MessageFactory.create(
        client=a,
        author=author,
        subject="day",
        status=Message.STATUS_TODO,
        due_date=dt.date(2031, 12, 12),
    )
    f.MessageFactory.create(client=a, author=author, subject="done", status=Message.STATUS_DONE)
    f.MessageFactory.create(client=a, author=author, subject="urgent", is_urgent=True)
    f.MessageFactory.create(client=a, author=author, subject="vad", is_vad=True)
    f.MessageFactory.create(client=a, author=author, subject="private", is_private=True)
    message_mark_read(user=world.operateur_a, message=plain)

    def kind(value: str | None, unread: bool | None = None) -> set[str]:
        listed = message_list_for_client(
            user=world.operateur_a, client=a, kind=value, unread=unread
        )
        return {m.subject for m in listed}

    assert kind("todo") == {"todo", "day"}
    assert kind("day_task") == {"day"}
    assert kind("done") == {"done"}
    assert kind("urgent") == {"urgent"}
    assert kind("vad") == {"vad"}
    assert kind("private") == {"private"}
    assert kind("normal") == {"plain", "urgent", "vad", "private"}
    assert kind(None, unread=False) == {"plain"}
    assert "plain" not in kind(None, unread=True)
    assert len(kind(None, unread=True)) == 6
    with pytest.raises(NotFound):
        kind("everything")


def test_it_counts_the_left_menu_in_one_query(world: World) -> None:
    a = world.client_a
    author = world.gerant_a
    for status in (Message.STATUS_TODO, Message.STATUS_TODO, Message.STATUS_DONE):
        f.MessageFactory.create(client=a, author=author, status=status)
    urgent_read = f.MessageFactory.create(client=a, author=author, is_urgent=True)
    f.MessageFactory.create(client=a, author=author, is_urgent=True)  # unread
    f.MessageFactory.create(client=a, author=author, is_urgent=True, status=Message.STATUS_TODO)
    f.MessageFactory.create(client=a, author=author, is_urgent=True, status=Message.STATUS_DONE)
    f.MessageFactory.create(
        client=world.client_b, author=world.gerant_b, status=Message.STATUS_TODO
    )
    remark_read = f.MessageFactory.create(
        client=a, author=world.client_user_a, is_client_remark=True
    )
    f.MessageFactory.create(client=a, author=world.client_user_a, is_client_remark=True)
    f.MessageFactory.create(
        client=a, author=world.client_user_a, is_client_remark=True, status=Message.STATUS_TODO
    )
    now = timezone.now()
    for user in (world.operateur_a, world.superviseur_a):
        ReadState.objects.create(message=urgent_read, user=user, read_at=now)
    ReadState.objects.create(message=remark_read, user=world.superviseur_a, read_at=now)

    operateur = _fresh(world.operateur_a)
    superviseur = _fresh(world.superviseur_a)
    with CaptureQueriesContext(connection) as ctx:
        counts = menu_counts(operateur)
    assert len(ctx.captured_queries) == 1
    # The remark task is no business of an operator.
    assert counts == {"todo": 3, "follow": 0, "urgent": 2, "failed": 0}
    with CaptureQueriesContext(connection) as ctx:
        counts = menu_counts(superviseur)
    assert len(ctx.captured_queries) == 1
    assert counts == {"todo": 4, "follow": 0, "urgent": 2, "remarks": 2, "failed": 0}
    # Its own remark task counts for the client user who wrote it.
    assert menu_counts(_fresh(world.client_user_a)) == {"todo": 4, "urgent": 3}


def test_it_offers_the_eligible_copy_recipients_once_each(world: World) -> None:
    from relais.messaging.selectors import recipient_candidates

    company = f.CompanyFactory.create(permanence=world.perm_a)
    world.client_a.company = company
    world.client_a.save()
    sibling = f.ClientUserFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a, company=company),
        first_name="Antoine",
    )
    sharer = f.ClientUserFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a), first_name="Thomas"
    )
    # Shares from two clients: still listed once.
    f.ClientShareFactory.create(client=world.client_a, user=sharer)
    f.ClientShareFactory.create(client=f.ClientFactory.create(permanence=world.perm_a), user=sharer)
    f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))  # unrelated
    f.StaffFactory.create(permanence=world.perm_a, is_active=False)
    found = recipient_candidates(user=world.operateur_a, client=world.client_a, limit=100)
    ids = [u.id for u in found]
    assert len(ids) == len(set(ids))
    staff_a = {world.gerant_a.id, world.superviseur_a.id, world.operateur_a.id}
    # Client users of the company include the client's own users.
    assert set(ids) == staff_a | {sibling.id, sharer.id, world.client_user_a.id}
    assert world.gerant_b.id not in ids
    assert [
        u.first_name
        for u in recipient_candidates(user=world.operateur_a, client=world.client_a, search="thom")
    ] == ["Thomas"]
