"""Client and contact reads: scoped, accent- and case-insensitive search, pinned query counts.

Run on SQLite by default and on PostgreSQL with DATABASE_URL set: the search must behave the
same on both."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relais.clients.models import Client
from relais.clients.selectors import client_list, client_queryset_for_user, contact_list
from tests import factories as f
from tests.conftest import World


@pytest.fixture
def book(world: World) -> Client:
    client = world.client_a
    f.ContactFactory.create(client=client, name="Hélène Moreau", phone="+33612345678")
    f.ContactFactory.create(client=client, name="Jean-François Lefèvre", phone="+33491234567")
    f.ContactFactory.create(client=client, name="Œdipe Ærø", phone="+33781234567")
    f.ContactFactory.create(
        client=client, name="Noël Durand", phone="", email="noel@durand.example"
    )
    f.ContactFactory.create(client=world.client_b, name="Hélène Horizon", phone="+33612345678")
    return client


def _names(client: Client, search: str) -> list[str]:
    return [c.name for c in contact_list(client=client, search=search)]


@pytest.mark.parametrize(
    "search",
    ["helene", "Helene", "HÉLÈNE", "hélène", "moreau", "MOREAU helene", "hel mor", " helene  "],
)
def test_it_finds_a_contact_by_name_without_accents_or_case(book: Client, search: str) -> None:
    assert _names(book, search) == ["Hélène Moreau"]


@pytest.mark.parametrize(
    "search",
    [
        "0612",
        "06 12",
        "06 12 34 56 78",
        "06.12.34",
        "+33 6 12",
        "+33612",
        "0033 6 12",
        "+33 (0)6 12",
    ],
)
def test_it_finds_a_contact_by_phone_digits(book: Client, search: str) -> None:
    assert _names(book, search) == ["Hélène Moreau"]


def test_it_finds_other_spellings(book: Client) -> None:
    assert _names(book, "lefevre") == ["Jean-François Lefèvre"]
    assert _names(book, "francois") == ["Jean-François Lefèvre"]
    assert _names(book, "oedipe") == ["Œdipe Ærø"]
    assert _names(book, "noel") == ["Noël Durand"]
    assert _names(book, "durand.example") == ["Noël Durand"]
    assert _names(book, "0491") == ["Jean-François Lefèvre"]


def test_it_matches_nothing_for_unrelated_or_wildcard_input(book: Client) -> None:
    assert _names(book, "dupont") == []
    assert _names(book, "%") == []
    assert _names(book, "_") == []
    assert _names(book, "0699") == []


def test_it_lists_every_contact_without_search_in_name_order(book: Client) -> None:
    assert _names(book, "") == [
        "Hélène Moreau",
        "Jean-François Lefèvre",
        "Noël Durand",
        "Œdipe Ærø",
    ]


def test_it_searches_clients_by_name_trade_and_phone(world: World) -> None:
    f.ClientFactory.create(
        permanence=world.perm_a, name="Plomberie Bérard", trade="Plombier", mobile="+33609876543"
    )
    f.ClientFactory.create(
        permanence=world.perm_b, name="Plomberie Bérard B", trade="Plombier", mobile="+33609876543"
    )

    def names(search: str) -> list[str]:
        return [c.name for c in client_list(user=world.operateur_a, search=search)]

    assert names("berard") == ["Plomberie Bérard"]
    assert names("PLOMBIER") == ["Plomberie Bérard"]
    assert names("0609") == ["Plomberie Bérard"]
    assert names("+33 6 09 87") == ["Plomberie Bérard"]
    assert names("cecile") == ["Dr Cécile Lemoine"]
    assert names("medecin lemoine") == ["Dr Cécile Lemoine"]


def test_it_scopes_the_client_list(world: World) -> None:
    f.ClientFactory.create(permanence=world.perm_a, name="Avocate")
    assert [c.name for c in client_list(user=world.gerant_a)] == ["Avocate", "Dr Cécile Lemoine"]
    assert [c.name for c in client_list(user=world.gerant_b)] == ["Plomberie Horizon"]
    # A client user sees its own client only.
    assert [c.name for c in client_list(user=world.client_user_a)] == ["Dr Cécile Lemoine"]
    assert list(client_queryset_for_user(world.client_user_a)) == [world.client_a]


def _queries(fn: object) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()  # type: ignore[operator]
    return len(ctx.captured_queries)


def test_it_lists_clients_in_the_same_queries_for_5_and_200(
    world: World, django_assert_num_queries: object
) -> None:
    company = f.CompanyFactory.create(permanence=world.perm_a)
    f.ClientFactory.create_batch(4, permanence=world.perm_a, company=company)
    few = _queries(lambda: [c.company for c in client_list(user=world.operateur_a)])
    f.ClientFactory.create_batch(195, permanence=world.perm_a, company=company)
    with django_assert_num_queries(few):  # type: ignore[operator]
        rows = client_list(user=world.operateur_a)
        assert len(rows) == 200
        # The company each row shows comes with it (Dr Lemoine has none).
        assert sum(c.company is not None for c in rows) == 199
    assert few == 1


def test_it_lists_contacts_in_the_same_queries_for_5_and_200(
    world: World, django_assert_num_queries: object
) -> None:
    f.ContactFactory.create_batch(5, client=world.client_a)
    few = _queries(lambda: contact_list(client=world.client_a, search="contact"))
    f.ContactFactory.create_batch(195, client=world.client_a)
    with django_assert_num_queries(few):  # type: ignore[operator]
        assert len(contact_list(client=world.client_a, search="contact", limit=200)) == 200
    assert few == 1
