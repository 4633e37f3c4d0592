"""messaging.rules: who may do what, decided without a query, for the three-user world."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relais.messaging import rules
from relais.tenancy import permissions as perms
from relais.tenancy.models import User
from tests import factories as f
from tests.conftest import World


def _without(user: User, right: str) -> User:
    role = user.role
    assert role is not None
    role.permissions = [p for p in role.permissions if p != right]
    role.save()
    return User.objects.select_related("role").get(pk=user.pk)


def test_it_lets_writers_write_on_their_clients_file_only(world: World) -> None:
    a = {"client_id": world.client_a.id, "permanence_id": world.perm_a.id}
    b = {"client_id": world.client_b.id, "permanence_id": world.perm_b.id}
    assert rules.may_write_on_client(world.operateur_a, **a)
    assert rules.may_write_on_client(world.client_user_a, **a)
    # Another permanence's client, for staff and client users alike.
    assert not rules.may_write_on_client(world.operateur_a, **b)
    assert not rules.may_write_on_client(world.gerant_b, **a)
    # A client user writes on its own client's file only.
    sibling = f.ClientFactory.create(permanence=world.perm_a)
    assert not rules.may_write_on_client(
        world.client_user_a, client_id=sibling.id, permanence_id=world.perm_a.id
    )
    reader = _without(world.operateur_a, perms.MESSAGES_ADD)
    assert not rules.may_write_messages(reader)
    assert not rules.may_write_on_client(reader, **a)


def test_it_lets_staff_writers_and_the_files_client_change_a_task(world: World) -> None:
    own = world.client_a.id
    other = f.ClientFactory.create(permanence=world.perm_a).id
    assert rules.may_change_task(world.operateur_a, client_id=other)
    assert rules.may_change_task(world.client_user_a, client_id=own)
    # A client user who sees another client's message (sharing, a copy) may not.
    assert not rules.may_change_task(world.client_user_a, client_id=other)
    reader = _without(world.operateur_a, perms.MESSAGES_ADD)
    assert not rules.may_change_task(reader, client_id=own)


def test_it_keeps_staff_aids_and_copies_from_client_users(world: World) -> None:
    assert rules.sees_staff_aids(world.operateur_a)
    assert not rules.sees_staff_aids(world.client_user_a)
    assert rules.may_send_copies(world.operateur_a)
    assert not rules.may_send_copies(world.client_user_a)
    assert rules.may_pick_copies(world.operateur_a)
    assert not rules.may_pick_copies(world.client_user_a)
    assert not rules.may_pick_copies(_without(world.operateur_a, perms.MESSAGES_ADD))


def test_it_shows_a_client_user_its_clients_copies_and_its_own_only(world: World) -> None:
    someone = world.operateur_a.id
    assert rules.may_see_copy(world.operateur_a, recipient_id=world.client_user_a.id)
    assert rules.may_see_copy(world.client_user_a, recipient_id=None)  # to the client
    assert rules.may_see_copy(world.client_user_a, recipient_id=world.client_user_a.id)
    assert not rules.may_see_copy(world.client_user_a, recipient_id=someone)
    assert rules.sees_copy_addresses(world.operateur_a)
    assert not rules.sees_copy_addresses(world.client_user_a)


def test_it_lets_the_gerant_manage_the_aids(world: World) -> None:
    assert rules.manages_aids(world.gerant_a)
    assert not rules.manages_aids(world.operateur_a)
    assert not rules.manages_aids(world.client_user_a)
    assert not rules.manages_aids(_without(world.gerant_a, perms.TEMPLATES))


@pytest.mark.parametrize(
    "ask",
    [
        lambda u, w: rules.may_write_messages(u),
        lambda u, w: rules.may_write_on_client(
            u, client_id=w.client_a.id, permanence_id=w.perm_a.id
        ),
        lambda u, w: rules.may_change_task(u, client_id=w.client_a.id),
        lambda u, w: rules.manages_aids(u),
        lambda u, w: rules.may_pick_copies(u),
    ],
)
def test_it_decides_without_a_query(world: World, ask: object) -> None:
    users = [
        User.objects.select_related("role").get(pk=u.pk)
        for u in (world.gerant_a, world.operateur_a, world.client_user_a, world.gerant_b)
    ]
    with CaptureQueriesContext(connection) as ctx:
        for user in users:
            ask(user, world)  # type: ignore[operator]
    assert len(ctx.captured_queries) == 0
