"""The client file's whole history (paging, true count, search box, chips) and the staff's
search across every client (issue 17 point 11), as pages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.messaging.models import Message, ReadState
from relais.messaging.services import reply_post
from tests import factories as f
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

THREADS = {"HX-Request": "true", "HX-Target": "threads"}


def file_url(world: World) -> str:
    return reverse("ui:client", args=[world.client_a.id])


def add_messages(world: World, n: int, *, subject: str = "Rappel", **fields: Any) -> None:
    """n messages on client_a, one minute apart, newest first: « Rappel 0 » is the newest."""
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                permanence=world.perm_a,
                client=world.client_a,
                author=world.operateur_a,
                subject=f"{subject} {i}",
                body=fields.get("body", "Merci de rappeler le patient."),
                is_vad=fields.get("is_vad", False),
                last_activity_at=now - dt.timedelta(minutes=i),
            )
            for i in range(n)
        ]
    )


def subjects(html: str) -> list[str]:
    """The subjects of a list's rows, tags and the reply count removed."""
    found = re.findall(
        r'<span class="subject">(?:<span class="sr-only">[^<]*</span>)?(.*?)'
        r'(?: <span class="replies">|</span>)',
        html,
    )
    return [re.sub(r"<[^>]+>", "", s) for s in found]


def queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


# --- the whole history -------------------------------------------------------------------------


def test_it_pages_through_the_whole_history_newest_first(world: World) -> None:
    add_messages(world, 120)
    http = login(world.operateur_a)
    html = http.get(file_url(world)).content.decode()
    assert "120 fils" in html
    assert subjects(html) == [f"Rappel {i}" for i in range(50)]
    seen = subjects(html)
    pages = 1
    while "Plus anciens" in html:
        link = re.search(r'href="([^"]+)"[^>]*>Plus anciens', html)
        assert link is not None
        html = http.get(link.group(1).replace("&amp;", "&"), headers=THREADS).content.decode()
        assert "<html" not in html  # the list only
        assert "Plus récents" in html
        seen += subjects(html)
        pages += 1
    assert pages == 3
    assert seen == [f"Rappel {i}" for i in range(120)]


def test_it_counts_every_thread_up_to_a_thousand(world: World) -> None:
    add_messages(world, 1001)
    html = login(world.operateur_a).get(file_url(world)).content.decode()
    assert "1\u202f000+ fils" in html


def test_it_polls_only_the_first_page(world: World) -> None:
    add_messages(world, 60)
    http = login(world.operateur_a)
    first = http.get(file_url(world)).content.decode()
    assert 'hx-trigger="every 5s' in first
    link = re.search(r'href="([^"]+)"[^>]*>Plus anciens', first)
    assert link is not None
    older = http.get(link.group(1).replace("&amp;", "&"), headers=THREADS).content.decode()
    assert "every 5s" not in older
    found = http.get(file_url(world), {"q": "rappel"}, headers=THREADS).content.decode()
    assert "every 5s" not in found


# --- the search box and the chips --------------------------------------------------------------


def test_it_searches_the_file_and_highlights_the_words(world: World) -> None:
    contact = f.ContactFactory.create(client=world.client_a, name="Hélène Durand")
    f.MessageFactory.create(
        client=world.client_a,
        author=world.operateur_a,
        subject="Rappel urgent",
        body="Mme Durand demande un rappel.",
        contact=contact,
    )
    f.MessageFactory.create(client=world.client_a, author=world.operateur_a, subject="Autre")
    f.MessageFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a),
        author=world.operateur_a,
        subject="Rappel ailleurs",
        body="Rappel.",
    )
    http = login(world.operateur_a)
    response = http.get(file_url(world), {"q": "RAPPELER helene"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 résultat" in html
    assert subjects(html) == ["Rappel urgent"]
    assert "<mark>Rappel</mark> urgent" in html
    assert "<mark>Hélène</mark> Durand" in html
    assert "demande un <mark>rappel</mark>" in html
    assert 'value="RAPPELER helene"' in html


def test_it_never_renders_message_text_as_html(world: World) -> None:
    f.MessageFactory.create(
        client=world.client_a,
        author=world.operateur_a,
        subject="<script>alert(1)</script> rappel",
        body='<img src=x onerror="alert(2)"> rappel <b>gras</b>',
    )
    html = login(world.operateur_a).get(file_url(world), {"q": "rappel"}).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>gras" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>rappel</mark>" in html
    assert "&lt;b&gt;gras&lt;/b&gt;" in html


def test_it_shows_the_reply_that_holds_the_words(world: World) -> None:
    message = f.MessageFactory.create(
        client=world.client_a, author=world.operateur_a, subject="Fuite", body="Dégât des eaux."
    )
    reply_post(author=world.gerant_a, message=message, body="Le plombier passe demain.")
    html = login(world.operateur_a).get(file_url(world), {"q": "plombiers"}).content.decode()
    assert subjects(html) == ["Fuite"]
    assert "Dans une réponse :" in html
    assert "Le <mark>plombier</mark> passe demain." in html


def test_it_filters_with_the_chips_and_dates(world: World) -> None:
    now = timezone.now()
    f.MessageFactory.create(client=world.client_a, author=world.operateur_a, subject="Normal")
    urgent = f.MessageFactory.create(
        client=world.client_a, author=world.operateur_a, subject="Urgent", is_urgent=True
    )
    f.MessageFactory.create(
        client=world.client_a, author=world.operateur_a, subject="Tâche", status="todo"
    )
    f.MessageFactory.create(
        client=world.client_a, author=world.operateur_a, subject="VAD", is_vad=True
    )
    f.MessageFactory.create(
        client=world.client_a, author=world.operateur_a, subject="Privé", is_private=True
    )
    old = f.MessageFactory.create(client=world.client_a, author=world.operateur_a, subject="Vieux")
    Message.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=60))
    ReadState.objects.create(message=urgent, user=world.operateur_a, read_at=now)
    http = login(world.operateur_a)

    def shown(**params: str) -> set[str]:
        response = http.get(file_url(world), params, headers=THREADS)
        assert response.status_code == 200
        return set(subjects(response.content.decode()))

    assert shown(urgent="1") == {"Urgent"}
    assert shown(tache="1") == {"Tâche"}
    assert shown(vad="1") == {"VAD"}
    assert shown(prive="1") == {"Privé"}
    assert "Urgent" not in shown(nonlu="1")
    assert shown(urgent="1", nonlu="1") == set()
    written = timezone.localtime(now - dt.timedelta(days=60)).date()  # in Paris
    day = written.isoformat()
    assert shown(du=day, au=day) == {"Vieux"}
    french = written.strftime("%d/%m/%Y")
    assert shown(du=french, au=french) == {"Vieux"}


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"du": "2026-02-31"}, "Du : Date invalide : utilisez le format jj/mm/aaaa."),
        ({"au": "hier"}, "Au : Date invalide : utilisez le format jj/mm/aaaa."),
        ({"du": "2026-05-10", "au": "2026-05-01"}, "La date de fin précède la date de début."),
        ({"q": "x" * 300}, "Recherche : 200 caractères au maximum."),
    ],
)
def test_it_answers_bad_criteria_in_french_with_422(
    world: World, params: dict[str, str], error: str
) -> None:
    http = login(world.operateur_a)
    for headers in ({}, THREADS):
        response = http.get(file_url(world), params, headers=headers)
        assert response.status_code == 422
        assert error in response.content.decode()
    response = http.get(reverse("ui:search"), params)
    assert response.status_code == 422
    assert error in response.content.decode()


def test_it_ignores_a_broken_page_position(world: World) -> None:
    add_messages(world, 3)
    http = login(world.operateur_a)
    response = http.get(file_url(world), {"avant": "n'importe", "id": "quoi"})
    assert response.status_code == 200
    assert len(subjects(response.content.decode())) == 3


def test_it_finds_only_what_the_reader_may_see_and_counts_so(world: World) -> None:
    f.MessageFactory.create(
        client=world.client_a,
        author=world.client_user_a,
        subject="Remarque confidentielle",
        is_client_remark=True,
    )
    f.MessageFactory.create(
        client=world.client_a, author=world.operateur_a, subject="Note confidentielle"
    )
    operator = login(world.operateur_a).get(file_url(world), {"q": "confidentiel"})
    assert subjects(operator.content.decode()) == ["Note confidentielle"]
    assert "1 résultat" in operator.content.decode()
    gerant = login(world.gerant_a).get(file_url(world), {"q": "confidentiel"})
    assert set(subjects(gerant.content.decode())) == {
        "Remarque confidentielle",
        "Note confidentielle",
    }
    assert "2 résultats" in gerant.content.decode()
    # Without a search, the file's count follows the same rule.
    assert "1 fil" in login(world.operateur_a).get(file_url(world)).content.decode()
    assert "2 fils" in login(world.gerant_a).get(file_url(world)).content.decode()


def test_it_answers_404_for_another_permanences_file(world: World) -> None:
    url = reverse("ui:client", args=[world.client_b.id])
    assert login(world.operateur_a).get(url, {"q": "rappel"}).status_code == 404


def test_it_lets_a_client_user_search_its_own_file(world: World) -> None:
    f.MessageFactory.create(
        client=world.client_a, author=world.operateur_a, subject="Rappel à faire"
    )
    f.MessageFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a),
        author=world.operateur_a,
        subject="Rappel d'un autre",
    )
    http = login(world.client_user_a)
    html = http.get(reverse("ui:home"), {"q": "rappel"}).content.decode()
    assert subjects(html) == ["Rappel à faire"]
    assert 'action="/"' in html
    fragment = http.get(reverse("ui:home"), {"q": "rappel"}, headers=THREADS)
    assert "<html" not in fragment.content.decode()
    # The staff search is not theirs.
    assert http.get(reverse("ui:search"), {"q": "rappel"}).status_code == 403


# --- the search across every client ------------------------------------------------------------


def test_it_searches_every_client_labelled_by_client(world: World) -> None:
    other = f.ClientFactory.create(permanence=world.perm_a, name="Plomberie Martin")
    f.MessageFactory.create(client=world.client_a, author=world.operateur_a, subject="Rappel A")
    f.MessageFactory.create(client=other, author=world.operateur_a, subject="Rappel B")
    f.MessageFactory.create(client=world.client_b, author=world.gerant_b, subject="Rappel Horizon")
    http = login(world.operateur_a)
    html = http.get(reverse("ui:search"), {"q": "rappeler"}).content.decode()
    assert set(subjects(html)) == {"Rappel A", "Rappel B"}
    assert '<span class="client-name">Plomberie Martin</span>' in html
    assert '<span class="client-name">Dr Cécile Lemoine</span>' in html
    assert "2 résultats" in html
    limited = http.get(reverse("ui:search"), {"q": "rappeler", "client": str(other.id)})
    assert subjects(limited.content.decode()) == ["Rappel B"]
    foreign = http.get(reverse("ui:search"), {"q": "rappeler", "client": str(world.client_b.id)})
    assert foreign.status_code == 404


def test_it_puts_the_search_field_in_the_staff_top_bar(world: World) -> None:
    html = login(world.operateur_a).get(reverse("ui:home")).content.decode()
    assert 'class="topbar-search"' in html and 'action="/recherche/"' in html
    # Nothing is listed before something is asked.
    page = login(world.operateur_a).get(reverse("ui:search")).content.decode()
    assert "Cherchez dans les messages de tous les dossiers" in page


# --- query counts ------------------------------------------------------------------------------


def test_it_searches_the_file_in_the_same_queries_for_5_and_200_results(world: World) -> None:
    http = login(world.operateur_a)
    add_messages(world, 5)
    search = lambda: http.get(file_url(world), {"q": "rappeler", "vad": "1"})  # noqa: E731
    add_messages(world, 5, is_vad=True)
    few = queries(search)
    add_messages(world, 195, is_vad=True)
    assert queries(search) == few
    # session, user (with role and permanence), client, the results' count (capped), the
    # results, contacts, the menu counts, the date bar's day-task count.
    assert few == 8


def test_it_pages_the_file_in_the_same_queries(world: World) -> None:
    http = login(world.operateur_a)
    add_messages(world, 120)
    first = http.get(file_url(world)).content.decode()
    link = re.search(r'href="([^"]+)"[^>]*>Plus anciens', first)
    assert link is not None
    older = link.group(1).replace("&amp;", "&")
    few = queries(lambda: http.get(older, headers=THREADS))
    add_messages(world, 300)
    assert queries(lambda: http.get(older, headers=THREADS)) == few
    # session, user (with role and permanence), client, the count, the page.
    assert few == 5


def test_it_searches_every_client_in_the_same_queries(world: World) -> None:
    http = login(world.operateur_a)
    add_messages(world, 5)
    few = queries(lambda: http.get(reverse("ui:search"), {"q": "rappeler"}))
    add_messages(world, 300)
    assert queries(lambda: http.get(reverse("ui:search"), {"q": "rappeler"})) == few
    # session, user (with role and permanence), the count, the results, the menu counts.
    assert few == 5


def test_it_answers_odd_search_text_without_error(world: World) -> None:
    add_messages(world, 3)
    http = login(world.operateur_a)
    for text in ["\x00rappel", "rappel%_'\"", "(rappel)", "« rappel", "-rappel*", "😀 rappel"]:
        response = http.get(file_url(world), {"q": text}, headers=THREADS)
        assert response.status_code == 200, text
        assert len(subjects(response.content.decode())) == 3, text
