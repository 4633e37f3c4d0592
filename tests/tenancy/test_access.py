"""Access helpers: another permanence's object is exactly as unknown as a made-up id."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from relais.clients.selectors import access_client_by_id, access_contact_by_id
from relais.core.errors import NotFound, PermissionDenied
from relais.messaging.selectors import access_message_by_id
from relais.tenancy import permissions as perms
from relais.tenancy.access import access_user_by_id, parse_id, require_right, require_staff
from tests import factories as f
from tests.conftest import World

MALFORMED: list[Any] = ["", "abc", "1", None, 42, "../../etc", "' OR 1=1 --", {"id": 1}]


@pytest.mark.parametrize("value", MALFORMED)
def test_it_treats_a_malformed_id_as_not_found(value: Any) -> None:
    with pytest.raises(NotFound):
        parse_id(value)


def test_it_parses_a_uuid_in_any_form() -> None:
    value = uuid.uuid4()
    assert parse_id(value) == value
    assert parse_id(str(value)) == value
    assert parse_id(str(value).upper()) == value


def test_it_finds_a_user_of_the_same_permanence(world: World) -> None:
    assert access_user_by_id(world.gerant_a, world.operateur_a.id) == world.operateur_a
    assert access_user_by_id(world.gerant_a, str(world.client_user_a.id)) == world.client_user_a


def test_it_hides_users_of_another_permanence_and_inactive_ones(world: World) -> None:
    with pytest.raises(NotFound):
        access_user_by_id(world.gerant_b, world.operateur_a.id)
    with pytest.raises(NotFound):
        access_user_by_id(world.gerant_a, uuid.uuid4())
    world.operateur_a.is_active = False
    world.operateur_a.save(update_fields=["is_active"])
    with pytest.raises(NotFound):
        access_user_by_id(world.gerant_a, world.operateur_a.id)


def test_it_hides_clients_of_another_permanence(world: World) -> None:
    assert access_client_by_id(world.operateur_a, world.client_a.id) == world.client_a
    answers = []
    for outsider_view in (
        lambda: access_client_by_id(world.gerant_b, world.client_a.id),
        lambda: access_client_by_id(world.gerant_a, world.client_b.id),
        lambda: access_client_by_id(world.gerant_a, uuid.uuid4()),
    ):
        with pytest.raises(NotFound) as exc:
            outsider_view()
        answers.append((exc.value.status, exc.value.detail, exc.value.errors))
    # Another permanence's client and an unknown id are indistinguishable.
    assert answers == [(404, "Client introuvable.", {})] * 3
    with pytest.raises(NotFound):
        access_client_by_id(world.gerant_a, "not-an-id")


def test_it_lets_a_client_user_open_its_own_client_only(world: World) -> None:
    other = f.ClientFactory.create(permanence=world.perm_a)
    assert access_client_by_id(world.client_user_a, world.client_a.id) == world.client_a
    with pytest.raises(NotFound):
        access_client_by_id(world.client_user_a, other.id)


def test_it_hides_contacts_of_another_client(world: World) -> None:
    contact = f.ContactFactory.create(client=world.client_a)
    other = f.ContactFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    assert access_contact_by_id(world.client_a, contact.id) == contact
    with pytest.raises(NotFound):
        access_contact_by_id(world.client_a, other.id)
    with pytest.raises(NotFound):
        access_contact_by_id(world.client_b, contact.id)


def test_it_hides_messages_of_another_permanence(world: World) -> None:
    message = f.MessageFactory.create(client=world.client_a, author=world.operateur_a)
    assert access_message_by_id(world.operateur_a, message.id).id == message.id
    with pytest.raises(NotFound):
        access_message_by_id(world.gerant_b, message.id)
    with pytest.raises(NotFound):
        access_message_by_id(world.gerant_a, uuid.uuid4())


def test_it_refuses_a_missing_right_with_403(world: World) -> None:
    require_right(world.gerant_a, perms.ROLES_EDIT)
    with pytest.raises(PermissionDenied) as exc:
        require_right(world.operateur_a, perms.ROLES_EDIT)
    assert exc.value.status == 403
    with pytest.raises(PermissionDenied):
        require_right(world.client_user_a, perms.MESSAGES_READ)


def test_it_refuses_client_users_where_staff_is_required(world: World) -> None:
    require_staff(world.operateur_a)
    with pytest.raises(PermissionDenied):
        require_staff(world.client_user_a)
