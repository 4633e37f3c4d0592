"""/me, clients, contacts, copy-recipient candidates."""

from __future__ import annotations

from relais.clients.models import Client, Contact
from tests import factories as f
from tests.api.conftest import call
from tests.conftest import World, api_client


def test_it_describes_me_as_staff(world: World) -> None:
    body = call(api_client(world.operateur_a), "GET", "/me").json()
    assert body["kind"] == "staff"
    assert body["role"] == "operateur"
    assert body["role_label"] == "Opérateur"
    assert body["first_name"] == "Léa"
    assert "MESSAGES / Entité / Ajout message" in body["permissions"]
    assert "MESSAGES / Remarques clients" not in body["permissions"]
    assert body["permanence"] == {"id": str(world.perm_a.id), "name": "Permanence Azur"}
    assert body["client"] is None


def test_it_describes_me_as_a_client_user(world: World) -> None:
    body = call(api_client(world.client_user_a), "GET", "/me").json()
    assert (body["kind"], body["role"], body["permissions"]) == ("client", None, [])
    assert body["client"] == {"id": str(world.client_a.id), "name": "Dr Cécile Lemoine"}


def test_it_lists_and_searches_clients(world: World, client_a2: Client) -> None:
    op = api_client(world.operateur_a)
    items = call(op, "GET", "/clients").json()["items"]
    assert [c["name"] for c in items] == ["Dr Cécile Lemoine", "Plomberie Azur"]
    assert set(items[0]) >= {"id", "name", "email", "mobile", "fax", "company"}

    found = call(op, "GET", "/clients?search=CECILE").json()["items"]
    assert [c["id"] for c in found] == [str(world.client_a.id)]
    assert call(op, "GET", "/clients?search=0612").json()["items"] != []
    assert call(op, "GET", "/clients?search=introuvable").json()["items"] == []


def test_it_pages_clients_by_name(world: World) -> None:
    for name in ("Bernard", "Claude", "Denis", "Étienne"):
        f.ClientFactory.create(permanence=world.perm_a, name=name)
    op = api_client(world.operateur_a)
    first = call(op, "GET", "/clients?limit=2").json()
    second = call(op, "GET", f"/clients?limit=2&cursor={first['next']}").json()
    third = call(op, "GET", f"/clients?limit=2&cursor={second['next']}").json()
    names = [c["name"] for page in (first, second, third) for c in page["items"]]
    assert names == ["Bernard", "Claude", "Denis", "Dr Cécile Lemoine", "Étienne"]
    assert third["next"] is None


def test_it_shows_a_client_with_its_message_settings(world: World) -> None:
    template = f.TemplateFactory.create(permanence=world.perm_a)
    company = f.CompanyFactory.create(permanence=world.perm_a, name="Cabinet des Lilas")
    Client.objects.filter(pk=world.client_a.pk).update(
        default_copy_email=True,
        message_info="Dr absent jusqu'au 12/12",
        default_template=template,
        company=company,
    )
    body = call(api_client(world.operateur_a), "GET", f"/clients/{world.client_a.id}").json()
    assert body["company"] == {"id": str(company.id), "name": "Cabinet des Lilas"}
    assert body["settings"] == {
        "default_copy_email": True,
        "default_copy_sms": False,
        "default_copy_fax": False,
        "message_info": "Dr absent jusqu'au 12/12",
        "default_template": str(template.id),
        "screen_pop": "messages",
    }
    assert body["numbers"] == []


def test_it_lists_and_searches_contacts_accent_and_case_blind(world: World) -> None:
    f.ContactFactory.create(client=world.client_a, name="Hélène Dubois", phone="+33612345678")
    f.ContactFactory.create(client=world.client_a, name="Marc Petit", phone="+33698765432")
    f.ContactFactory.create(client=world.client_b, name="Hélène Horizon")
    op = api_client(world.operateur_a)
    path = f"/clients/{world.client_a.id}/contacts"
    assert [c["name"] for c in call(op, "GET", path).json()["items"]] == [
        "Hélène Dubois",
        "Marc Petit",
    ]
    assert [c["name"] for c in call(op, "GET", f"{path}?search=helene").json()["items"]] == [
        "Hélène Dubois"
    ]
    assert [c["name"] for c in call(op, "GET", f"{path}?search=0698").json()["items"]] == [
        "Marc Petit"
    ]


def test_it_creates_a_contact_with_a_normalised_phone(world: World) -> None:
    response = call(
        api_client(world.operateur_a),
        "POST",
        f"/clients/{world.client_a.id}/contacts",
        {"name": "Hélène Dubois", "phone": "06 12 34 56 78", "email": "Helene@Exemple.fr"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["phone"] == "+33612345678"
    assert body["email"] == "helene@exemple.fr"
    contact = Contact.objects.get()
    assert (str(contact.id), contact.client_id) == (body["id"], world.client_a.id)


def test_it_refuses_an_invalid_contact_and_saves_nothing(world: World) -> None:
    response = call(
        api_client(world.operateur_a),
        "POST",
        f"/clients/{world.client_a.id}/contacts",
        {"name": "Hélène", "phone": "12", "email": "pas-un-mail"},
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"phone", "email"}
    assert response.json()["errors"]["phone"] == ["Numéro de téléphone invalide."]
    assert not Contact.objects.exists()


def test_it_lists_copy_recipient_candidates(world: World) -> None:
    company = f.CompanyFactory.create(permanence=world.perm_a)
    world.client_a.company = company
    world.client_a.save()
    colleague = f.ClientUserFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a, company=company), first_name="Zoé"
    )
    stranger = f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    op = api_client(world.operateur_a)
    path = f"/clients/{world.client_a.id}/recipients"
    items = call(op, "GET", path).json()["items"]
    ids = {c["id"] for c in items}
    assert str(world.gerant_a.id) in ids
    assert str(colleague.id) in ids
    assert str(stranger.id) not in ids
    assert str(world.gerant_b.id) not in ids
    by_id = {c["id"]: c for c in items}
    assert by_id[str(colleague.id)]["kind"] == "client"
    assert by_id[str(colleague.id)]["client"]["id"] == str(colleague.client_id)

    found = call(op, "GET", f"{path}?search=zoe").json()["items"]
    assert [c["id"] for c in found] == [str(colleague.id)]
