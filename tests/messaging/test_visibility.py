"""Who sees what (PRODUCT.md §7), through every selector: lists, detail, counts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from relais.core.errors import NotFound, PermissionDenied
from relais.messaging.models import Message, Recipient
from relais.messaging.selectors import (
    access_message_by_id,
    menu_counts,
    message_list_for_client,
    visible_messages,
)
from relais.tenancy import permissions as perms
from relais.tenancy.models import User
from tests import factories as f
from tests.conftest import World


@dataclass
class Scene:
    normal: Message
    private: Message
    remark: Message
    sibling_message: Message
    sharer: User  # client user of the replacement doctor: client A shares with him
    cc_user: User  # client user of a company sibling, in copy of both A messages
    circle_user: User  # in the circle copy of both A messages
    assistant: User  # a second client user of client A
    stranger: User  # client user of an unrelated client of the same permanence


@pytest.fixture
def scene(world: World) -> Scene:
    a = world.client_a
    company = f.CompanyFactory.create(permanence=world.perm_a)
    a.company = company
    a.save()
    sibling = f.ClientFactory.create(permanence=world.perm_a, company=company, name="Dr Roche")
    cc_user = f.ClientUserFactory.create(client=sibling)
    circle_user = f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    sharer = f.ClientUserFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a, name="Girard")
    )
    f.ClientShareFactory.create(client=a, user=sharer)
    stranger = f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    normal = f.MessageFactory.create(client=a, author=world.operateur_a, subject="Normal")
    private = f.MessageFactory.create(
        client=a, author=world.operateur_a, subject="Privé", is_private=True
    )
    remark = f.MessageFactory.create(
        client=a, author=world.client_user_a, subject="Remarque", is_client_remark=True
    )
    sibling_message = f.MessageFactory.create(
        client=sibling, author=world.operateur_a, subject="Roche"
    )
    # Rows a private message can never get through the service, written here to prove the
    # selectors ignore them anyway.
    for message in (normal, private, remark):
        Recipient.objects.create(message=message, user=cc_user, reason=Recipient.CC)
        Recipient.objects.create(message=message, user=circle_user, reason=Recipient.CIRCLE)
    return Scene(
        normal=normal,
        private=private,
        remark=remark,
        sibling_message=sibling_message,
        sharer=sharer,
        cc_user=cc_user,
        circle_user=circle_user,
        assistant=f.ClientUserFactory.create(client=a),
        stranger=stranger,
    )


def _seen(user: User) -> set[str]:
    return set(visible_messages(user).values_list("subject", flat=True))


def test_it_shows_staff_everything_but_remarks_without_the_right(
    world: World, scene: Scene
) -> None:
    everything = {"Normal", "Privé", "Remarque", "Roche"}
    assert _seen(world.gerant_a) == everything
    assert _seen(world.superviseur_a) == everything
    assert _seen(world.operateur_a) == everything - {"Remarque"}


def test_it_shows_nothing_across_permanences(world: World, scene: Scene) -> None:
    assert _seen(world.gerant_b) == set()
    for message in (scene.normal, scene.private, scene.remark):
        with pytest.raises(NotFound):
            access_message_by_id(world.gerant_b, message.id)
    assert menu_counts(world.gerant_b) == {
        "todo": 0,
        "follow": 0,
        "urgent": 0,
        "remarks": 0,
        "failed": 0,
    }


def test_it_keeps_private_messages_from_copies_sharing_and_circle(scene: Scene) -> None:
    assert _seen(scene.sharer) == {"Normal"}
    assert _seen(scene.cc_user) == {"Normal", "Roche"}
    assert _seen(scene.circle_user) == {"Normal"}
    for user in (scene.sharer, scene.cc_user, scene.circle_user):
        with pytest.raises(NotFound):
            access_message_by_id(user, scene.private.id)


def test_it_shows_the_client_its_own_messages_private_ones_included(
    world: World, scene: Scene
) -> None:
    assert _seen(world.client_user_a) == {"Normal", "Privé", "Remarque"}
    # Another user of the same client sees the private message, not someone else's remark.
    assert _seen(scene.assistant) == {"Normal", "Privé"}


def test_it_never_shows_a_client_user_another_clients_messages(world: World, scene: Scene) -> None:
    assert _seen(scene.stranger) == set()
    assert "Roche" not in _seen(world.client_user_a)
    with pytest.raises(NotFound):
        access_message_by_id(world.client_user_a, scene.sibling_message.id)
    assert message_list_for_client(user=scene.stranger, client=world.client_a) == []


def test_it_shows_remarks_to_gerants_superviseurs_and_the_author_only(
    world: World, scene: Scene
) -> None:
    for user in (world.gerant_a, world.superviseur_a, world.client_user_a):
        assert access_message_by_id(user, scene.remark.id).id == scene.remark.id
    for user in (
        world.operateur_a,
        scene.assistant,
        scene.sharer,
        scene.cc_user,
        scene.circle_user,
        world.gerant_b,
    ):
        with pytest.raises(NotFound):
            access_message_by_id(user, scene.remark.id)
        listed = message_list_for_client(user=user, client=world.client_a)
        assert scene.remark.id not in {m.id for m in listed}
    assert "remarks" not in menu_counts(world.operateur_a)
    assert menu_counts(world.superviseur_a)["remarks"] == 1
    assert menu_counts(world.gerant_a)["remarks"] == 1


def test_it_lists_the_client_file_as_each_user_may_see_it(world: World, scene: Scene) -> None:
    def subjects(user: User) -> set[str]:
        return {m.subject for m in message_list_for_client(user=user, client=world.client_a)}

    assert subjects(world.superviseur_a) == {"Normal", "Privé", "Remarque"}
    assert subjects(world.operateur_a) == {"Normal", "Privé"}
    assert subjects(scene.sharer) == {"Normal"}
    assert subjects(world.client_user_a) == {"Normal", "Privé", "Remarque"}
    remarks = message_list_for_client(user=world.operateur_a, client=world.client_a, kind="remark")
    assert remarks == []


def test_it_shows_nothing_to_staff_without_the_reading_right(world: World, scene: Scene) -> None:
    role = world.operateur_a.role
    assert role is not None
    role.permissions = [perms.MESSAGES_ADD]
    role.save()
    assert _seen(world.operateur_a) == set()
    with pytest.raises(PermissionDenied):
        message_list_for_client(user=world.operateur_a, client=world.client_a)
    assert menu_counts(world.operateur_a) == {"todo": 0, "urgent": 0}
