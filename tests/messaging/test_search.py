"""Searching threads (issue 17 point 11): accents, French stems, phrases, filters, paging and
visibility, through the database's full-text index (PostgreSQL `french` + unaccent, or SQLite
FTS5 with relais.core.fts). The same cases pass on both backends:

    .venv/bin/pytest tests/messaging/test_search.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_search \
        .venv/bin/pytest tests/messaging/test_search.py
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from relais.core.errors import PermissionDenied, ValidationFailed
from relais.messaging.models import Message, ReadState, Recipient, Reply
from relais.messaging.search import (
    SearchFilters,
    message_search,
    message_search_count,
    reply_excerpts,
)
from relais.messaging.services import reply_post
from relais.tenancy import permissions as perms
from relais.tenancy.models import User
from tests import factories as f
from tests.conftest import World

NOW = timezone.now()


def msg(world: World, **fields: Any) -> Message:
    fields.setdefault("client", world.client_a)
    fields.setdefault("author", world.operateur_a)
    return f.MessageFactory.create(**fields)


def found(user: User, text: str = "", **filters: Any) -> set[str]:
    rows = message_search(user=user, filters=SearchFilters(text=text, **filters), limit=200)
    return {m.subject for m in rows}


@pytest.fixture
def corpus(world: World) -> World:
    durand = f.ContactFactory.create(client=world.client_a, name="Hélène Durand")
    msg(world, subject="Rappel Mme Durand", body="Elle demande un rappel demain.")
    msg(world, subject="Résultats d'analyses", body="Le laboratoire a envoyé les résultats.")
    msg(world, subject="Ordonnance", body="Merci de RAPPELER le patient pour l'ordonnance.")
    msg(world, subject="Sans objet", body="Patiente inquiète.", contact=durand)
    msg(world, subject="Livraison", body="Le livreur passera à l'Hôpital Édouard-Herriot.")
    msg(
        world,
        subject="Autre cabinet",
        body="Rien à signaler.",
        client=f.ClientFactory.create(permanence=world.perm_a),
    )
    return world


def test_it_finds_words_whatever_their_accents_and_case(corpus: World) -> None:
    user = corpus.operateur_a
    assert found(user, "resultats") == {"Résultats d'analyses"}
    assert found(user, "RÉSULTATS") == {"Résultats d'analyses"}
    assert found(user, "hopital edouard") == {"Livraison"}
    assert found(user, "inquiete") == {"Sans objet"}


def test_it_finds_french_words_by_their_stem(corpus: World) -> None:
    user = corpus.operateur_a
    # « rappeler » finds « rappel » and « RAPPELER »; « analyse » finds « analyses ».
    assert found(user, "rappeler") == {"Rappel Mme Durand", "Ordonnance"}
    assert found(user, "rappels") == {"Rappel Mme Durand", "Ordonnance"}
    assert found(user, "analyse") == {"Résultats d'analyses"}
    # « patients » finds « patient » and « Patiente ».
    assert found(user, "patients") == {"Ordonnance", "Sans objet"}


def test_it_requires_every_word(corpus: World) -> None:
    user = corpus.operateur_a
    assert found(user, "rappeler ordonnance") == {"Ordonnance"}
    assert found(user, "rappeler introuvable") == set()


def test_it_finds_the_contact_name(corpus: World) -> None:
    user = corpus.operateur_a
    assert found(user, "helene") == {"Sans objet"}
    assert found(user, "durand") == {"Rappel Mme Durand", "Sans objet"}


def test_it_matches_phrases_in_quotes(corpus: World) -> None:
    user = corpus.operateur_a
    assert found(user, '"rappeler le patient"') == {"Ordonnance"}
    assert found(user, "« le patient rappeler »") == set()
    # Words apart are found without quotes.
    assert found(user, "patient rappeler") == {"Ordonnance"}
    # A stop word in a phrase keeps its place, whichever it is (« du » for « le »).
    assert found(user, '"rappeler du patient"') == {"Ordonnance"}


def test_it_splits_words_at_hyphens_and_apostrophes_alike(world: World) -> None:
    contact = f.ContactFactory.create(client=world.client_a, name="Jean-François Lefèvre")
    msg(world, subject="Demande de rendez-vous", body="L'appel de 10h42.", contact=contact)
    msg(world, subject="Rendez vous annulé", body="Rien à signaler.")
    user = world.operateur_a
    assert found(user, '"demande de rendez-vous"') == {"Demande de rendez-vous"}
    assert found(user, '"demande de rendez vous"') == {"Demande de rendez-vous"}
    assert found(user, "jean-francois") == {"Demande de rendez-vous"}
    assert found(user, '"jean francois lefevre"') == {"Demande de rendez-vous"}
    assert found(user, "appel 10h42") == {"Demande de rendez-vous"}
    assert found(user, "rendez-vous") == {"Demande de rendez-vous", "Rendez vous annulé"}


def test_it_finds_nothing_for_only_stop_words_or_punctuation(corpus: World) -> None:
    assert found(corpus.operateur_a, "de la") == set()
    assert found(corpus.operateur_a, "!!! ???") == set()


def test_it_treats_search_syntax_as_plain_text(corpus: World) -> None:
    # FTS5 and tsquery operators typed in the box are words, never syntax (no error).
    for text in ['rappel" OR "x', "rappel AND NOT", "NEAR(rappel", "rappel*", "a:b & !c | d"]:
        found(corpus.operateur_a, text)


def test_it_finds_replies_as_they_are_posted(world: World) -> None:
    message = msg(world, subject="Fuite", body="Un dégât des eaux.")
    assert found(world.operateur_a, "plombier") == set()
    reply_post(author=world.operateur_a, message=message, body="Le plombier est prévenu.")
    assert found(world.operateur_a, "plombiers") == {"Fuite"}
    # Earlier words are still there after a reply.
    assert found(world.operateur_a, "degat eaux") == {"Fuite"}
    # A phrase does not run from one part to the next (the body's end, the reply's start).
    assert found(world.operateur_a, '"eaux plombier"') == set()
    Reply.objects.filter(message=message).delete()
    assert found(world.operateur_a, "plombier") == set()


def test_it_follows_a_contact_renamed(world: World) -> None:
    contact = f.ContactFactory.create(client=world.client_a, name="Paul Martin")
    msg(world, subject="Appel", contact=contact)
    assert found(world.operateur_a, "martin") == {"Appel"}
    contact.name = "Paul Bernard"
    contact.save()
    assert found(world.operateur_a, "martin") == set()
    assert found(world.operateur_a, "bernard") == {"Appel"}


def test_it_follows_an_edited_message(world: World) -> None:
    message = msg(world, subject="Appel", body="Premier texte.")
    Message.objects.filter(pk=message.pk).update(body="Second texte.")
    assert found(world.operateur_a, "premier") == set()
    assert found(world.operateur_a, "second") == {"Appel"}


def test_it_finds_messages_sent_through_the_service(world: World, send: Any) -> None:
    contact = f.ContactFactory.create(client=world.client_a, name="Bérénice Loiseau")
    send(subject="Renouvellement", body="Ordonnance à renouveler.", contact=contact.id)
    assert found(world.operateur_a, "berenice renouvellement") == {"Renouvellement"}


# --- filters ---------------------------------------------------------------------------------


@pytest.fixture
def flagged(world: World) -> World:
    msg(world, subject="Urgent", is_urgent=True)
    msg(world, subject="Tâche", status=Message.STATUS_TODO)
    msg(world, subject="Tâche faite", status=Message.STATUS_DONE)
    msg(world, subject="VAD", is_vad=True)
    msg(world, subject="Privé", is_private=True)
    read = msg(world, subject="Lu")
    ReadState.objects.create(message=read, user=world.operateur_a, read_at=NOW)
    old = msg(world, subject="Ancien")
    Message.objects.filter(pk=old.pk).update(created_at=NOW - dt.timedelta(days=40))
    return world


def test_it_filters_on_the_badges(flagged: World) -> None:
    user = flagged.operateur_a
    assert found(user, urgent=True) == {"Urgent"}
    assert found(user, task=True) == {"Tâche"}
    assert "Tâche" not in found(user, task=False)
    assert found(user, vad=True) == {"VAD"}
    assert found(user, private=True) == {"Privé"}
    assert "Lu" not in found(user, unread=True)
    assert found(user, unread=False) == {"Lu"}
    assert found(user, urgent=True, vad=True) == set()


def test_it_filters_on_the_day_written(flagged: World) -> None:
    user = flagged.operateur_a
    today = timezone.localdate()
    written = timezone.localtime(NOW - dt.timedelta(days=40)).date()  # in Paris
    assert found(user, start=written, end=written) == {"Ancien"}
    assert "Ancien" not in found(user, start=today)
    assert found(user, end=today - dt.timedelta(days=30)) == {"Ancien"}


def test_it_refuses_an_end_before_the_start(world: World) -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as err:
        found(world.operateur_a, start=today, end=today - dt.timedelta(days=1))
    assert err.value.errors == {"to": ["La date de fin précède la date de début."]}


def test_it_refuses_a_search_too_long(world: World) -> None:
    with pytest.raises(ValidationFailed) as err:
        found(world.operateur_a, "x" * 201)
    assert "search" in err.value.errors


# --- paging and counts -----------------------------------------------------------------------


def test_it_pages_through_every_result_newest_first(world: World) -> None:
    for i in range(7):
        msg(world, subject=f"Rappel {i}", last_activity_at=NOW - dt.timedelta(minutes=i))
    # Two threads of the same instant page on their id.
    msg(world, subject="Rappel 7", last_activity_at=NOW - dt.timedelta(minutes=6))
    seen: list[str] = []
    before = before_id = None
    filters = SearchFilters(text="rappeler")
    while True:
        rows = message_search(
            user=world.operateur_a, filters=filters, before=before, before_id=before_id, limit=4
        )
        seen += [m.subject for m in rows[:3]]
        if len(rows) <= 3:
            break
        before, before_id = rows[2].last_activity_at, rows[2].id
    assert len(seen) == 8 and set(seen) == {f"Rappel {i}" for i in range(8)}
    assert seen[:6] == [f"Rappel {i}" for i in range(6)]


def test_it_counts_the_results_up_to_a_cap(world: World) -> None:
    for i in range(5):
        msg(world, subject=f"Rappel {i}")
    msg(world, subject="Autre", body="Rien à signaler.")
    filters = SearchFilters(text="rappel")
    assert message_search_count(user=world.operateur_a, filters=filters) == 5
    assert message_search_count(user=world.operateur_a, filters=filters, cap=3) == 4


def test_it_excerpts_replies_that_hold_the_words(world: World) -> None:
    message = msg(world, subject="Fuite", body="Un dégât des eaux.")
    reply_post(author=world.operateur_a, message=message, body="Le plombier passera.")
    filters = SearchFilters(text="plombier")
    rows = message_search(user=world.operateur_a, filters=filters)
    assert reply_excerpts(rows, filters.query) == {message.id: "Le plombier passera."}
    rows = message_search(user=world.operateur_a, filters=SearchFilters(text="degat"))
    assert reply_excerpts(rows, SearchFilters(text="degat").query) == {}


# --- visibility (PRODUCT.md §7) --------------------------------------------------------------


@pytest.fixture
def hidden(world: World) -> dict[str, User]:
    a = world.client_a
    msg(world, subject="Secret privé", body="Confidentiel", is_private=True)
    msg(
        world,
        subject="Remarque confidentiel",
        body="Confidentiel",
        author=world.client_user_a,
        is_client_remark=True,
    )
    msg(world, subject="Ouvert confidentiel", body="Confidentiel")
    other = f.ClientFactory.create(permanence=world.perm_a, name="Dr Roche")
    in_copy = msg(world, client=other, subject="Copie confidentiel", body="Confidentiel")
    msg(world, client=other, subject="Roche seul confidentiel", body="Confidentiel")
    msg(
        world,
        client=world.client_b,
        author=world.gerant_b,
        subject="Horizon confidentiel",
        body="Confidentiel",
    )
    cc_user = f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    Recipient.objects.create(message=in_copy, user=cc_user, reason=Recipient.CC)
    sharer = f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    f.ClientShareFactory.create(client=a, user=sharer)
    return {"cc_user": cc_user, "sharer": sharer}


def test_it_finds_only_what_each_reader_may_see(world: World, hidden: dict[str, User]) -> None:
    everything_a = {
        "Secret privé",
        "Remarque confidentiel",
        "Ouvert confidentiel",
        "Copie confidentiel",
        "Roche seul confidentiel",
    }
    # Gérant: everything of the permanence, remarks included; never another permanence's.
    assert found(world.gerant_a, "confidentiel") == everything_a
    # Opérateur: no client remark.
    assert found(world.operateur_a, "confidentiel") == everything_a - {"Remarque confidentiel"}
    # The client user: its own client's threads, private ones too, its own remark.
    assert found(world.client_user_a, "confidentiel") == {
        "Secret privé",
        "Remarque confidentiel",
        "Ouvert confidentiel",
    }
    # A user client A shares with: not the private message, not the remark.
    assert found(hidden["sharer"], "confidentiel") == {"Ouvert confidentiel"}
    # A copy recipient: the thread it received, nothing else of that client.
    assert found(hidden["cc_user"], "confidentiel") == {"Copie confidentiel"}
    # The other permanence's gérant: its own only.
    assert found(world.gerant_b, "confidentiel") == {"Horizon confidentiel"}


def test_it_counts_only_what_the_reader_may_see(world: World, hidden: dict[str, User]) -> None:
    filters = SearchFilters(text="confidentiel", client=world.client_a)
    assert message_search_count(user=world.gerant_a, filters=filters) == 3
    assert message_search_count(user=world.operateur_a, filters=filters) == 2
    assert message_search_count(user=hidden["sharer"], filters=filters) == 1
    assert message_search_count(user=hidden["cc_user"], filters=filters) == 0


def test_it_refuses_staff_without_the_reading_right(world: World) -> None:
    role = world.operateur_a.role
    assert role is not None
    role.permissions = [p for p in role.permissions if p != perms.MESSAGES_READ]
    role.save()
    user = User.objects.get(pk=world.operateur_a.pk)
    with pytest.raises(PermissionDenied):
        found(user, "rappel")
