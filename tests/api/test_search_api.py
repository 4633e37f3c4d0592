"""GET /api/v1/messages?search=&client=&from=&to=&urgent=&task=&vad=&private=&unread=&limit=&cursor=
(API.md « Search »): results, filters, paging, errors, visibility, query count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.messaging.models import Message, ReadState, Recipient
from tests import factories as f
from tests.api.conftest import call
from tests.conftest import World, api_client


def msg(world: World, **fields: Any) -> Message:
    fields.setdefault("client", world.client_a)
    fields.setdefault("author", world.operateur_a)
    return f.MessageFactory.create(**fields)


def subjects(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["subject"] for item in response.json()["items"]]


@pytest.fixture
def corpus(world: World) -> World:
    durand = f.ContactFactory.create(client=world.client_a, name="Hélène Durand")
    now = timezone.now()
    msg(world, subject="Rappel Mme Durand", body="Rappel demandé.", last_activity_at=now)
    msg(
        world,
        subject="Résultats",
        body="Merci de RAPPELER le patient.",
        contact=durand,
        is_urgent=True,
        last_activity_at=now - dt.timedelta(minutes=1),
    )
    msg(
        world,
        subject="Visite",
        body="Visite à domicile, rappeler.",
        is_vad=True,
        status=Message.STATUS_TODO,
        last_activity_at=now - dt.timedelta(minutes=2),
    )
    msg(world, subject="Autre", body="Rien.", last_activity_at=now - dt.timedelta(minutes=3))
    return world


def test_it_searches_with_accents_stems_and_phrases(corpus: World) -> None:
    op = api_client(corpus.operateur_a)
    assert subjects(call(op, "GET", "/messages?search=rappeler")) == [
        "Rappel Mme Durand",
        "Résultats",
        "Visite",
    ]
    assert subjects(call(op, "GET", "/messages?search=HELENE")) == ["Résultats"]
    assert subjects(call(op, "GET", "/messages?search=resultats")) == ["Résultats"]
    assert subjects(call(op, "GET", '/messages?search="rappeler le patient"')) == ["Résultats"]
    assert subjects(call(op, "GET", '/messages?search="le patient rappeler"')) == []


def test_it_filters_on_flags_client_and_dates(corpus: World) -> None:
    op = api_client(corpus.operateur_a)
    base = "/messages?search=rappeler"
    assert subjects(call(op, "GET", base + "&urgent=true")) == ["Résultats"]
    assert subjects(call(op, "GET", base + "&urgent=false&task=false")) == ["Rappel Mme Durand"]
    assert subjects(call(op, "GET", base + "&task=true&vad=true")) == ["Visite"]
    assert subjects(call(op, "GET", base + "&private=true")) == []
    ReadState.objects.create(
        message=Message.objects.get(subject="Visite"),
        user=corpus.operateur_a,
        read_at=timezone.now(),
    )
    assert subjects(call(op, "GET", base + "&unread=false")) == ["Visite"]
    other = f.ClientFactory.create(permanence=corpus.perm_a)
    msg(corpus, client=other, subject="Ailleurs", body="Rappeler.")
    assert "Ailleurs" in subjects(call(op, "GET", base))
    assert "Ailleurs" not in subjects(call(op, "GET", f"{base}&client={corpus.client_a.id}"))
    today = timezone.localdate()
    old = Message.objects.get(subject="Rappel Mme Durand")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    week_ago = (today - dt.timedelta(days=7)).isoformat()
    assert "Rappel Mme Durand" not in subjects(call(op, "GET", f"{base}&from={week_ago}"))
    assert subjects(call(op, "GET", f"{base}&to={week_ago}")) == ["Rappel Mme Durand"]


def test_it_pages_with_a_cursor_newest_first(corpus: World) -> None:
    op = api_client(corpus.operateur_a)
    first = call(op, "GET", "/messages?search=rappeler&limit=2").json()
    assert [m["subject"] for m in first["items"]] == ["Rappel Mme Durand", "Résultats"]
    assert first["next"]
    second = call(op, "GET", f"/messages?search=rappeler&limit=2&cursor={first['next']}").json()
    assert [m["subject"] for m in second["items"]] == ["Visite"]
    assert second["next"] is None


def test_it_answers_bad_values_with_a_french_422(corpus: World) -> None:
    op = api_client(corpus.operateur_a)
    for query in ("urgent=peut-etre", "from=2026-13-40", "task=oui", "limit=0", "cursor=zzz"):
        response = call(op, "GET", f"/messages?{query}")
        assert response.status_code == 422, query
        assert response.json()["detail"] and response.json()["errors"], query
    backwards = call(op, "GET", "/messages?from=2026-05-10&to=2026-05-01")
    assert backwards.status_code == 422
    assert backwards.json()["errors"] == {"to": ["La date de fin précède la date de début."]}
    too_long = call(op, "GET", "/messages?search=" + "x" * 201)
    assert too_long.status_code == 422
    # Big limits are brought down to 200.
    assert call(op, "GET", "/messages?limit=5000").status_code == 200


def test_it_answers_404_for_another_permanences_or_an_unknown_client(corpus: World) -> None:
    op = api_client(corpus.operateur_a)
    for client in (corpus.client_b.id, "6d1c0c52-0000-4000-8000-000000000000", "n-importe"):
        response = call(op, "GET", f"/messages?search=rappel&client={client}")
        assert response.status_code == 404
        assert response.json()["detail"]


def test_it_documents_the_search_parameters(world: World) -> None:
    doc = call(api_client(world.gerant_a), "GET", "/openapi.json").json()
    params = {p["name"]: p for p in doc["paths"]["/api/v1/messages"]["get"]["parameters"]}
    for name in ("search", "client", "from", "to", "urgent", "task", "vad", "private", "unread"):
        assert name in params, name
    for name in ("limit", "cursor"):
        assert name in params
    assert "not before `from`" in params["to"]["description"]


def test_it_finds_only_what_each_reader_may_see(world: World) -> None:
    msg(world, subject="Privé", body="Confidentiel", is_private=True)
    msg(
        world,
        subject="Remarque",
        body="Confidentiel",
        author=world.client_user_a,
        is_client_remark=True,
    )
    msg(world, subject="Ouvert", body="Confidentiel")
    other = f.ClientFactory.create(permanence=world.perm_a)
    copied = msg(world, client=other, subject="Copie", body="Confidentiel")
    msg(world, client=other, subject="Autre client", body="Confidentiel")
    msg(world, client=world.client_b, author=world.gerant_b, subject="B", body="Confidentiel")
    cc_user = f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    Recipient.objects.create(message=copied, user=cc_user, reason=Recipient.CC)

    def seen(user: Any, extra: str = "") -> set[str]:
        return set(subjects(call(api_client(user), "GET", f"/messages?search=confidentiel{extra}")))

    assert seen(world.gerant_a) == {"Privé", "Remarque", "Ouvert", "Copie", "Autre client"}
    assert seen(world.operateur_a) == {"Privé", "Ouvert", "Copie", "Autre client"}
    assert seen(world.client_user_a) == {"Privé", "Remarque", "Ouvert"}
    assert seen(cc_user) == {"Copie"}
    assert seen(cc_user, f"&client={world.client_a.id}") == set()
    assert seen(world.gerant_b) == {"B"}


def test_it_searches_in_the_same_queries_for_5_and_300_results(world: World) -> None:
    def grow(k: int) -> None:
        for i in range(k):
            msg(world, subject=f"Rappel {i}", is_urgent=bool(i % 2))

    http = api_client(world.gerant_a)
    call(http, "GET", "/me")  # the token's use is recorded once a minute
    path = "/messages?search=rappeler&urgent=true&limit=200"

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert call(http, "GET", path).status_code == 200
        return len(ctx.captured_queries)

    grow(5)
    few = count()
    grow(300)
    assert count() == few == 2  # token + results
