"""Writes on clients and contacts: validated, French errors on the field, nothing saved."""

from __future__ import annotations

import pytest

from relais.clients.models import Client, Contact
from relais.clients.services import (
    client_update_coordinates,
    client_update_message_settings,
    contact_create,
)
from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.tenancy import permissions as perms
from tests import factories as f
from tests.conftest import World


def _snapshot(client: Client) -> dict[str, object]:
    fresh = Client.objects.get(pk=client.pk)
    return {k: v for k, v in fresh.__dict__.items() if not k.startswith("_")}


def test_it_creates_a_contact_with_normalised_phones(world: World) -> None:
    contact = contact_create(
        user=world.operateur_a,
        client=world.client_a,
        name="  Hélène Moreau ",
        phone="06 12 34 56 78",
        phone2="04.91.54.32.10",
        email=" Helene.Moreau@Mail.Example ",
        note="Patiente depuis 2015.",
    )
    contact.refresh_from_db()
    assert contact.name == "Hélène Moreau"
    assert contact.phone == "+33612345678"
    assert contact.phone2 == "+33491543210"
    assert contact.phone_display == "06 12 34 56 78"
    assert contact.email == "helene.moreau@mail.example"
    assert contact.permanence_id == world.perm_a.id
    assert "helene moreau" in contact.search_text


@pytest.mark.parametrize(
    ("field", "values", "message"),
    [
        ("phone", {"phone": "06 12"}, "Numéro de téléphone invalide."),
        ("phone2", {"phone2": "abc"}, "Numéro de téléphone invalide."),
        ("email", {"email": "helene@"}, "Adresse e-mail invalide."),
        ("name", {"name": "   "}, "Nom : ce champ est obligatoire."),
        ("name", {"name": "x" * 161}, "Nom : 160 caractères au maximum (161 saisis)."),
        ("note", {"note": "x" * 2001}, "Note : 2000 caractères au maximum (2001 saisis)."),
    ],
)
def test_it_refuses_a_bad_contact_and_saves_nothing(
    world: World, field: str, values: dict[str, str], message: str
) -> None:
    kwargs = {"name": "Hélène Moreau", **values}
    with pytest.raises(ValidationFailed) as exc:
        contact_create(user=world.operateur_a, client=world.client_a, **kwargs)
    assert exc.value.errors == {field: [message]}
    assert exc.value.status == 422
    assert not Contact.objects.exists()


def test_it_reports_every_bad_field_at_once(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        contact_create(user=world.operateur_a, client=world.client_a, name="", phone="1", email="x")
    assert set(exc.value.errors) == {"name", "phone", "email"}
    assert not Contact.objects.exists()


def test_it_lets_the_clients_own_user_add_a_contact(world: World) -> None:
    contact = contact_create(user=world.client_user_a, client=world.client_a, name="Noël Durand")
    assert contact.client_id == world.client_a.id


def test_it_refuses_contacts_on_someone_elses_client(world: World) -> None:
    other = f.ClientFactory.create(permanence=world.perm_a)
    with pytest.raises(NotFound):
        contact_create(user=world.client_user_a, client=other, name="Intrus")
    with pytest.raises(NotFound):
        contact_create(user=world.gerant_b, client=world.client_a, name="Intrus")
    assert not Contact.objects.exists()


def test_it_refuses_staff_without_the_contact_right(world: World) -> None:
    role = world.operateur_a.role
    assert role is not None
    role.permissions = [p for p in role.permissions if p != perms.CONTACTS_ADD]
    role.save()
    with pytest.raises(PermissionDenied):
        contact_create(user=world.operateur_a, client=world.client_a, name="Noël Durand")
    assert not Contact.objects.exists()


def test_it_updates_coordinates_normalised(world: World) -> None:
    client = client_update_coordinates(
        user=world.gerant_a,
        client=world.client_a,
        name="Dr Cécile Lemoine",
        trade="Médecin généraliste",
        email="Cabinet@Lemoine.Example",
        mobile="07 81 23 45 67",
        phone="+33 4 91 54 32 10",
        fax="04 91 54 32 11",
        address="12 rue Paradis, 13001 Marseille",
    )
    client.refresh_from_db()
    assert (client.email, client.mobile, client.phone, client.fax) == (
        "cabinet@lemoine.example",
        "+33781234567",
        "+33491543210",
        "+33491543211",
    )
    assert client.mobile_display == "07 81 23 45 67"
    assert "0781234567" in client.search_text


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("email", {"email": "pas-une-adresse"}),
        ("mobile", {"mobile": "06 12 34"}),
        ("phone", {"phone": "+33 1"}),
        ("fax", {"fax": "fax"}),
        ("name", {"name": ""}),
    ],
)
def test_it_refuses_bad_coordinates_and_saves_nothing(
    world: World, field: str, values: dict[str, str]
) -> None:
    before = _snapshot(world.client_a)
    kwargs = {"name": "Nouveau nom", "trade": "Nouvelle activité", **values}
    with pytest.raises(ValidationFailed) as exc:
        client_update_coordinates(user=world.gerant_a, client=world.client_a, **kwargs)
    assert list(exc.value.errors) == [field]
    assert exc.value.errors[field][0].endswith(("invalide.", "obligatoire."))
    assert _snapshot(world.client_a) == before


def test_it_refuses_coordinates_changes_without_the_right(world: World) -> None:
    before = _snapshot(world.client_a)
    for user in (world.operateur_a, world.client_user_a):
        with pytest.raises(PermissionDenied):
            client_update_coordinates(user=user, client=world.client_a, name="Piraté")
    with pytest.raises(NotFound):
        client_update_coordinates(user=world.gerant_b, client=world.client_a, name="Piraté")
    assert _snapshot(world.client_a) == before


def test_it_updates_message_settings(world: World) -> None:
    client_update_message_settings(
        user=world.gerant_a,
        client=world.client_a,
        default_copy_email=True,
        default_copy_sms=True,
        default_copy_fax=False,
        message_info="Absente jusqu'au 12/12",
    )
    fresh = Client.objects.get(pk=world.client_a.pk)
    assert fresh.default_copy_email and fresh.default_copy_sms and not fresh.default_copy_fax
    assert fresh.message_info == "Absente jusqu'au 12/12"


def test_it_refuses_bad_message_settings_and_saves_nothing(world: World) -> None:
    before = _snapshot(world.client_a)
    with pytest.raises(ValidationFailed) as exc:
        client_update_message_settings(
            user=world.gerant_a,
            client=world.client_a,
            default_copy_email=True,
            default_copy_sms=True,
            default_copy_fax=True,
            message_info="x" * 81,
        )
    assert list(exc.value.errors) == ["message_info"]
    with pytest.raises(PermissionDenied):
        client_update_message_settings(
            user=world.superviseur_a,
            client=world.client_a,
            default_copy_email=True,
            default_copy_sms=True,
            default_copy_fax=True,
            message_info="",
        )
    assert _snapshot(world.client_a) == before
