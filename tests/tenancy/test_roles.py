"""Roles and their rights: only a gérant edits them, within his permanence."""

from __future__ import annotations

import pytest

from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.tenancy import permissions as perms
from relais.tenancy.models import Permanence, Role
from relais.tenancy.services import role_set_permissions, roles_ensure
from tests.conftest import World


def test_it_creates_the_three_roles_once(db: None) -> None:
    permanence = Permanence.objects.create(name="Permanence Test", slug="test")
    roles = roles_ensure(permanence=permanence)
    again = roles_ensure(permanence=permanence)
    assert set(roles) == {perms.OPERATEUR, perms.SUPERVISEUR, perms.GERANT}
    assert {r.id for r in roles.values()} == {r.id for r in again.values()}
    assert Role.objects.filter(permanence=permanence).count() == 3
    assert roles[perms.GERANT].permissions == list(perms.CATALOGUE)
    assert perms.MESSAGES_REMARKS not in roles[perms.OPERATEUR].permissions


def test_it_lets_a_gerant_change_a_role(world: World) -> None:
    role = world.operateur_a.role
    assert role is not None
    role_set_permissions(
        user=world.gerant_a, role=role, permissions=[perms.MESSAGES_READ, perms.TEMPLATES]
    )
    role.refresh_from_db()
    # Stored in the catalogue's order, whatever order they were given in.
    assert role.permissions == [perms.MESSAGES_READ, perms.TEMPLATES]
    world.operateur_a.refresh_from_db()
    assert world.operateur_a.has_right(perms.TEMPLATES)
    assert not world.operateur_a.has_right(perms.MESSAGES_ADD)


@pytest.mark.parametrize("who", ["operateur_a", "superviseur_a", "client_user_a"])
def test_it_refuses_anyone_but_a_gerant(world: World, who: str) -> None:
    role = world.operateur_a.role
    assert role is not None
    before = list(role.permissions)
    with pytest.raises(PermissionDenied):
        role_set_permissions(user=getattr(world, who), role=role, permissions=[])
    role.refresh_from_db()
    assert role.permissions == before


def test_it_refuses_an_unknown_right_and_saves_nothing(world: World) -> None:
    role = world.operateur_a.role
    assert role is not None
    before = list(role.permissions)
    with pytest.raises(ValidationFailed) as exc:
        role_set_permissions(
            user=world.gerant_a,
            role=role,
            permissions=[perms.TEMPLATES, "MESSAGES / Tout effacer"],
        )
    assert "permissions" in exc.value.errors
    assert "Droit inconnu" in exc.value.detail
    role.refresh_from_db()
    assert role.permissions == before


def test_it_never_takes_roles_edit_from_the_gerant(world: World) -> None:
    role = world.gerant_a.role
    assert role is not None
    role_set_permissions(user=world.gerant_a, role=role, permissions=[])
    role.refresh_from_db()
    assert role.permissions == [perms.ROLES_EDIT]
    world.gerant_a.refresh_from_db()
    assert world.gerant_a.has_right(perms.ROLES_EDIT)


def test_it_answers_not_found_for_another_permanences_role(world: World) -> None:
    role_b = world.gerant_b.role
    assert role_b is not None
    before = list(role_b.permissions)
    with pytest.raises(NotFound):
        role_set_permissions(user=world.gerant_a, role=role_b, permissions=[])
    role_b.refresh_from_db()
    assert role_b.permissions == before


def test_it_gives_client_users_no_staff_right(world: World) -> None:
    for code in perms.CATALOGUE:
        assert not world.client_user_a.has_right(code)
    assert world.client_user_a.rights == []
    assert world.client_user_a.role_label == "Compte client"
