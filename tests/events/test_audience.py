"""The stream's per-reader decision is the pages' visibility rule (messaging.selectors)."""

from __future__ import annotations

import itertools

import pytest

from relais.events.audience import EventRow, Reader, client_visible, first_pass
from relais.messaging.models import Message
from relais.messaging.selectors import visible_messages
from relais.tenancy import permissions as perms
from tests import factories as f
from tests.conftest import World


@pytest.fixture
def messages(world: World) -> list[Message]:
    other = f.ClientFactory.create(permanence=world.perm_a, name="Dr Martin")
    rows = []
    for client, private, remark in itertools.product(
        [world.client_a, other, world.client_b], [False, True], [False, True]
    ):
        author = world.client_user_a if remark and client == world.client_a else None
        kw = {"author": author} if author else {}
        rows.append(
            f.MessageFactory.create(
                client=client, is_private=private, is_client_remark=remark, **kw
            )
        )
    return rows


def row(message: Message) -> EventRow:
    return EventRow(
        id=1,
        permanence_id=message.permanence_id,
        kind="message.created",
        client_id=message.client_id,
        message_id=message.id,
        user_id=None,
        staff_only=False,
        remark=message.is_client_remark,
        data={},
    )


def test_it_decides_like_visibility_filter_for_every_kind_of_reader(
    world: World, messages: list[Message]
):
    no_read = f.StaffFactory.create(permanence=world.perm_a, role_kind=perms.OPERATEUR)
    role = no_read.role
    assert role is not None
    role.permissions = []
    role.save()
    sharer = f.ClientUserFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a), email="sharer@a.test"
    )
    f.ClientShareFactory.create(client=world.client_a, user=sharer)
    readers = [
        world.gerant_a,
        world.superviseur_a,
        world.operateur_a,
        world.gerant_b,
        world.client_user_a,
        sharer,
        no_read,
    ]
    for user in readers:
        expected = set(visible_messages(user).values_list("id", flat=True))
        reader = Reader.of(user)
        decided = {m.id: first_pass(reader, row(m)) for m in messages}
        ask = [i for i, ok in decided.items() if ok is None]
        allowed = client_visible(user, ask)
        got = {i for i, ok in decided.items() if ok or (ok is None and i in allowed)}
        assert got == expected & {m.id for m in messages}, user.email
