"""Query counts pinned on the message-type pages: the same number with 5 rows and with 300."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.messaging.models import Message, ReadState
from tests import factories
from tests.conftest import World, login

f: Any = factories  # factory calls return model instances

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


def add_rows(world: World, n: int) -> None:
    """n messages of every kind over two clients: open tasks and day tasks (some overdue, some
    today, VAD, urgent), done tasks, urgent messages, client remarks, half of them read."""
    other = f.ClientFactory(permanence=world.perm_a)
    contact = f.ContactFactory(client=world.client_a)
    now = timezone.now()
    today = timezone.localdate()
    rows = []
    for i in range(n):
        kind = i % 5
        rows.append(
            Message(
                permanence=world.perm_a,
                client=world.client_a if i % 2 else other,
                author=world.client_user_a if kind == 4 else world.gerant_a,
                subject=f"Sujet {i}",
                body="Texte",
                contact=contact if i % 3 else None,
                status=Message.STATUS_TODO if kind in (0, 1, 2) else Message.STATUS_DONE,
                due_date=today + dt.timedelta(days=i % 3 - 1) if kind in (1, 2) else None,
                done_by=world.gerant_a if kind == 3 else None,
                done_at=now if kind == 3 else None,
                is_urgent=kind in (2, 3),
                is_vad=kind == 1,
                is_client_remark=kind == 4,
                last_activity_at=now - dt.timedelta(minutes=i),
            )
        )
    Message.objects.bulk_create(rows)
    ReadState.objects.bulk_create(
        [
            ReadState(message=m, user=user, read_at=now)
            for m in rows[::2]
            for user in (world.operateur_a, world.superviseur_a, world.gerant_a)
        ]
    )


def same_queries(world: World, fn: Callable[[], Any], django_assert_num_queries: Any) -> int:
    """The queries of fn with 5 rows, checked equal with 305. Rows are dated up to 5 hours
    back: the first call after each batch also moves the users' « Urgent » cursors past them
    (messaging.urgent, measured apart below), so each batch gets a first call, then the
    measured one."""
    add_rows(world, 5)
    fn()
    few = queries(fn)
    add_rows(world, 300)
    fn()
    with django_assert_num_queries(few):
        fn()
    return few


@pytest.mark.parametrize("who", ["operateur_a", "superviseur_a"])
def test_it_polls_the_menu_counts_in_one_aggregate(
    world: World, django_assert_num_queries: Any, who: str
) -> None:
    http = login(getattr(world, who))
    few = same_queries(
        world, lambda: http.get("/menu/compteurs/?nav=tasks"), django_assert_num_queries
    )
    assert few == 3  # session, user (with role and permanence), the counts


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # session, user (with role and permanence), the rows (with author, contact, client,
        # done_by, template).
        ("/taches/?vad=1&non_lues=1", 3),
        ("/taches/?type=jour", 3),
        # … plus the operators' alerts (« Urgence non prise en compte — appeler »).
        ("/urgent/", 4),
        ("/remarques/", 3),
        # … plus the summary aggregate and the alerts.
        ("/taches/suivi/", 5),
        ("/taches/suivi/?cible=resultats&urgent=1", 5),
        ("/taches/suivi/?depuis=50", 3),
        ("/taches/jour/", 3),
    ],
)
def test_it_lists_in_the_same_queries_with_many_rows(
    world: World, django_assert_num_queries: Any, url: str, expected: int
) -> None:
    http = login(world.gerant_a)
    few = same_queries(world, lambda: http.get(url, headers=HTMX), django_assert_num_queries)
    assert few == expected


def test_it_opens_the_list_pages_in_the_same_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    http = login(world.superviseur_a)

    def pages() -> Any:
        for url in ["/taches/", "/urgent/", "/remarques/", "/taches/suivi/"]:
            response = http.get(url)
            assert response.status_code == 200
        return response

    few = same_queries(world, pages, django_assert_num_queries)
    # Each page: session, user (with role and permanence), its rows (+ the summary for the
    # follow-up, + the alerts on « Urgent » and the follow-up), then the layout's menu counts
    # and the day's missed calls (« Journal des appels », right APPELS / Journal).
    assert few == 5 + 6 + 5 + 7


def test_it_draws_the_date_bar_in_one_query(world: World, django_assert_num_queries: Any) -> None:
    http = login(world.operateur_a)
    few = same_queries(
        world,
        lambda: http.get(f"/jour/?client={world.client_a.id}", headers=HTMX),
        django_assert_num_queries,
    )
    assert few == 4  # session, user (with role and permanence), the client, the count
    assert queries(lambda: http.get("/jour/", headers=HTMX)) == 3


def test_it_opens_the_home_page_in_the_same_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    http = login(world.operateur_a)
    few = same_queries(world, lambda: http.get("/"), django_assert_num_queries)
    # session, user (with role and permanence), the banners, the clients, the layout's menu
    # counts, the date bar's count.
    assert few == 6


def test_the_menu_counts_stop_at_the_cap_and_say_so(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting stops at MENU_COUNT_CAP (the menu then reads « 99+ »): a count costs the same
    with a thousand or a hundred thousand rows behind it."""
    from relais.messaging import selectors

    add_rows(world, 40)  # 24 open tasks, 8 remarks (half of them read)...
    exact = selectors.menu_counts(world.gerant_a)
    assert exact["todo"] == 24
    assert exact["remarks"] == 4
    monkeypatch.setattr(selectors, "MENU_COUNT_CAP", 10)
    capped = selectors.menu_counts(world.gerant_a)
    assert capped["todo"] == 10
    assert capped["remarks"] == 4  # under the cap: exact
    http = login(world.gerant_a)
    html = http.get(reverse("ui:menu_counts")).content.decode()
    assert ">9+</span>" in html
    assert "(plus de 9 tâches à faire)" in html
    assert ">4</span>" in html
