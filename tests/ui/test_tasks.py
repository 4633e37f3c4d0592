"""Message types in the pages: the left menu's lists (Tâche à faire, Suivi des tâches, Urgent,
Remarques clients), the date bar with its envelope, and the task buttons of a thread."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from relais.messaging.models import HistoryEvent, Message, ReadState, Reply
from relais.messaging.services import SendInput, message_send, task_set
from relais.tenancy import permissions as perms
from relais.tenancy.models import User
from tests import factories
from tests.conftest import World, login

f: Any = factories  # factory calls return model instances

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
# A row of the « Suivi des tâches » table: its subject, after the unread dot.
FOLLOW_ROW = r'<a href="/messages/[^"]+/">(?:<span[^>]*>[^<]*</span>)*([^<]+)</a>'


def write(world: World, subject: str = "Rappel Mme Durand", **options: Any) -> Message:
    author = options.pop("author", world.operateur_a)
    client = options.pop("client", world.client_a)
    message, _ = message_send(
        author=author, client=client, data=SendInput(subject=subject, body="Texte", **options)
    )
    return message


def text(response: Any) -> str:
    return str(response.content.decode())


def subjects(html: str) -> list[str]:
    """The subjects of the thread rows, in order."""
    found = re.findall(
        r'<span class="subject">(?:<span class="sr-only">[^<]*</span>)?([^<]+)', html
    )
    return [s.strip() for s in found]


def strip_right(user: User, right: str) -> None:
    role = user.role
    assert role is not None
    role.permissions = [p for p in role.permissions if p != right]
    role.save()


def today() -> dt.date:
    return timezone.localdate()


class TestMenu:
    def test_it_links_each_entry_with_its_live_count(self, world: World) -> None:
        write(world, "Tâche 1", is_task=True)
        write(world, "Tâche du jour", is_task=True, due_date=today())
        write(world, "En retard", is_task=True, due_date=today() - dt.timedelta(days=3))
        write(world, "Demain", is_task=True, due_date=today() + dt.timedelta(days=1))
        write(world, "Urgent", is_urgent=True)
        write(world, "Remarque", author=world.client_user_a, is_client_remark=True)
        html = text(login(world.superviseur_a).get("/"))
        menu = html.split('id="menu-counts"')[1].split("</li>\n  </ul>")[0]

        def entry(name: str) -> str:
            return menu.split(f'data-menu="{name}"')[1].split("</a>")[0]

        assert 'href="/taches/"' in menu and ">4</span>" in entry("tasks")
        # Suivi des tâches counts the day tasks due today or overdue.
        assert 'href="/taches/suivi/"' in menu and ">2</span>" in entry("follow")
        assert 'data-panel-url="/taches/suivi/"' in menu
        assert 'href="/urgent/"' in menu and ">1</span>" in entry("urgent")
        assert 'href="/remarques/"' in menu and ">1</span>" in entry("remarks")
        assert "(4 tâches à faire)" in menu

    def test_it_shows_follow_and_remarks_only_with_their_rights(self, world: World) -> None:
        html = text(login(world.operateur_a).get("/"))
        assert "/taches/suivi/" in html and "/remarques/" not in html
        strip_right(world.operateur_a, perms.MESSAGES_TASKS_FOLLOW)
        html = text(login(world.operateur_a).get("/"))
        assert "/taches/suivi/" not in html and "/taches/" in html

    def test_it_keeps_the_current_entry_highlighted_when_polled(self, world: World) -> None:
        http = login(world.operateur_a)
        html = text(http.get("/menu/compteurs/?nav=urgent"))
        assert re.search(r'href="/urgent/" aria-current="page"', html)
        assert "?nav=urgent" in html
        html = text(http.get("/menu/compteurs/?nav=<script>"))
        assert "aria-current" not in html and "<script>" not in html


class TestTaskList:
    def test_it_lists_the_open_tasks_newest_first(self, world: World) -> None:
        other = f.ClientFactory(permanence=world.perm_a, name="Plomberie Durand")
        old = write(world, "Ancienne", is_task=True)
        write(world, "Normale")
        done = write(world, "Faite", is_task=True)
        task_set(user=world.gerant_a, message=done, action="done")
        write(world, "Autre client", client=other, is_task=True)
        write(world, "Horizon", author=world.gerant_b, client=world.client_b, is_task=True)
        Message.objects.filter(pk=old.pk).update(
            last_activity_at=timezone.now() - dt.timedelta(hours=1)
        )
        html = text(login(world.operateur_a).get("/taches/"))
        assert subjects(html) == ["Autre client", "Ancienne"]
        assert "Plomberie Durand" in html  # the client is named on each row
        assert 'aria-current="page"' in html.split('data-menu="tasks"')[0][-200:] or (
            'href="/taches/" aria-current="page"' in html
        )

    def test_it_filters_by_vad_urgent_unread_type_date_and_client(self, world: World) -> None:
        other = f.ClientFactory(permanence=world.perm_a, name="Plomberie Durand")
        day = today() + dt.timedelta(days=2)
        by = world.gerant_a  # the author has read it: the operator has not
        write(world, "Simple", author=by, is_task=True)
        write(world, "VAD", author=by, is_task=True, is_vad=True)
        write(world, "Urgente", author=by, is_task=True, is_urgent=True)
        write(world, "Du jour", author=by, is_task=True, due_date=day)
        write(world, "Autre", author=by, client=other, is_task=True, due_date=today())
        read = write(world, "Lue", author=by, is_task=True)
        ReadState.objects.create(message=read, user=world.operateur_a, read_at=timezone.now())
        http = login(world.operateur_a)

        def listed(query: str) -> set[str]:
            return set(subjects(text(http.get(f"/taches/?{query}"))))

        assert listed("vad=1") == {"VAD"}
        assert listed("urgent=1") == {"Urgente"}
        assert listed("non_lues=1") == {"Simple", "VAD", "Urgente", "Du jour", "Autre"}
        assert listed("type=jour") == {"Du jour", "Autre"}
        assert listed("type=sans-date") == {"Simple", "VAD", "Urgente", "Lue"}
        assert listed(f"jour={day.isoformat()}") == {"Du jour"}
        assert listed(f"client={other.id}") == {"Autre"}
        assert listed(f"client={other.id}&type=jour&jour={today():%d/%m/%Y}") == {"Autre"}
        assert listed("type=nimporte") == {"Simple", "VAD", "Urgente", "Du jour", "Autre", "Lue"}

    def test_it_answers_a_bad_date_with_a_french_error_not_a_500(self, world: World) -> None:
        write(world, "Simple", is_task=True)
        response = login(world.operateur_a).get("/taches/?jour=31/02/2026&avant=x&id=y")
        assert response.status_code == 200
        assert "Date invalide : utilisez le format jj/mm/aaaa." in text(response)
        assert subjects(text(response)) == ["Simple"]

    def test_it_swaps_only_the_results_for_htmx(self, world: World) -> None:
        write(world, "Simple", is_task=True, is_vad=True)
        html = text(login(world.operateur_a).get("/taches/?vad=1", headers=HTMX))
        assert html.lstrip().startswith('<section id="task-results"')
        assert "Effacer les filtres" in html and "sidebar" not in html

    def test_it_pages_on_with_a_keyset_cursor(self, world: World) -> None:
        now = timezone.now()
        Message.objects.bulk_create(
            [
                Message(
                    permanence=world.perm_a,
                    client=world.client_a,
                    author=world.operateur_a,
                    subject=f"Tâche {i:02}",
                    body="B",
                    status=Message.STATUS_TODO,
                    last_activity_at=now - dt.timedelta(minutes=i // 2),  # pairs share an instant
                )
                for i in range(55)
            ]
        )
        http = login(world.operateur_a)
        first = text(http.get("/taches/"))
        assert len(subjects(first)) == 50
        assert "Retour au début" not in first
        next_url = re.search(r'href="(/taches/\?[^"]+)"[^>]*>Plus anciens', first)
        assert next_url is not None
        second = text(http.get(next_url.group(1).replace("&amp;", "&")))
        assert len(subjects(second)) == 5
        assert set(subjects(first)).isdisjoint(subjects(second))
        assert "Retour au début" in second and "Plus anciens" not in second

    def test_it_refuses_client_users_and_other_permanences(self, world: World) -> None:
        assert login(world.client_user_a).get("/taches/").status_code == 403
        http = login(world.operateur_a)
        assert http.get(f"/taches/?client={world.client_b.id}").status_code == 404
        assert http.get("/taches/?client=pas-un-id").status_code == 404
        response = login(world.gerant_b).get("/taches/")
        assert response.status_code == 200 and subjects(text(response)) == []

    def test_it_sends_anonymous_users_to_the_login_page(self, db: None) -> None:
        from django.test import Client as HttpClient

        for url in ["/taches/", "/taches/suivi/", "/taches/jour/", "/jour/", "/urgent/"]:
            response = HttpClient().get(url)
            assert response.status_code == 302 and response["Location"].startswith("/connexion/")


class TestFollow:
    def test_it_lists_day_tasks_by_date_then_undated_tasks_read_or_not(self, world: World) -> None:
        write(world, "Sans date", is_task=True)
        write(world, "Demain", is_task=True, due_date=today() + dt.timedelta(days=1))
        late = write(world, "En retard", is_task=True, due_date=today() - dt.timedelta(days=2))
        write(world, "Aujourd'hui", is_task=True, due_date=today())
        write(world, "Pas une tâche")
        ReadState.objects.create(message=late, user=world.gerant_a, read_at=timezone.now())
        html = text(login(world.gerant_a).get("/taches/suivi/", headers=HTMX))
        rows = re.findall(FOLLOW_ROW, html)
        assert rows == ["En retard", "Aujourd&#x27;hui", "Demain", "Sans date"]
        assert html.count('<tr class="unread">') == 3  # read or unread, all listed
        assert "4 tâches ouvertes" in html and "3 tâches du jour" in html
        assert "1 en retard" in html and ">En retard</span>" in html
        assert 'id="panel-title"' in html and "sidebar" not in html

    def test_it_filters_by_vad_urgent_and_date(self, world: World) -> None:
        day = today() + dt.timedelta(days=4)
        write(world, "VAD", is_task=True, is_vad=True)
        write(world, "Urgente", is_task=True, is_urgent=True, due_date=day)
        write(world, "Simple", is_task=True, due_date=day)
        http = login(world.operateur_a)

        def listed(query: str) -> list[str]:
            html = text(http.get(f"/taches/suivi/?cible=resultats&{query}", headers=HTMX))
            assert html.lstrip().startswith('<div id="follow-results"')
            return re.findall(FOLLOW_ROW, html)

        assert listed("vad=1") == ["VAD"]
        assert listed("urgent=1") == ["Urgente"]
        assert sorted(listed(f"jour={day.isoformat()}")) == ["Simple", "Urgente"]
        assert listed(f"jour={day.isoformat()}&urgent=1") == ["Urgente"]
        assert "Date invalide" in text(http.get("/taches/suivi/?jour=demain", headers=HTMX))

    def test_it_shows_more_rows_on_demand(self, world: World) -> None:
        now = timezone.now()
        Message.objects.bulk_create(
            [
                Message(
                    permanence=world.perm_a,
                    client=world.client_a,
                    author=world.operateur_a,
                    subject=f"Tâche {i:02}",
                    body="B",
                    status=Message.STATUS_TODO,
                    last_activity_at=now - dt.timedelta(minutes=i),
                )
                for i in range(35)
            ]
        )
        http = login(world.operateur_a)
        html = text(http.get("/taches/suivi/", headers=HTMX))
        assert html.count("<tr class=") == 25 + 1  # 25 rows and the « more » row
        more = re.search(r'hx-get="(/taches/suivi/\?[^"]+)"', html)
        assert more is not None and "depuis=25" in more.group(1)
        rest = text(http.get(more.group(1).replace("&amp;", "&"), headers=HTMX))
        assert rest.count('<tr class="unread">') == 10 and "Afficher les suivantes" not in rest
        assert "Tâche 25" in rest and "tâches ouvertes" not in rest
        # Without htmx the same address is a page.
        assert "sidebar" in text(http.get("/taches/suivi/?depuis=25"))
        assert http.get("/taches/suivi/?depuis=-3").status_code == 200

    def test_it_is_a_page_without_javascript(self, world: World) -> None:
        write(world, "Simple", is_task=True)
        html = text(login(world.operateur_a).get("/taches/suivi/"))
        assert "sidebar" in html and "Suivi des tâches" in html and "Simple" in html
        assert "data-panel-close" not in html  # nothing to close on a page

    def test_it_needs_the_follow_right(self, world: World) -> None:
        strip_right(world.operateur_a, perms.MESSAGES_TASKS_FOLLOW)
        assert login(world.operateur_a).get("/taches/suivi/").status_code == 403
        assert login(world.client_user_a).get("/taches/suivi/").status_code == 403


class TestUrgent:
    def test_it_lists_urgent_messages_i_have_not_read_and_empties_as_i_read(
        self, world: World
    ) -> None:
        first = write(world, "Premier", is_urgent=True, author=world.gerant_a)
        write(world, "Second", is_urgent=True, author=world.gerant_a, is_task=True)
        done = write(world, "Traité", is_urgent=True, author=world.gerant_a, is_task=True)
        task_set(user=world.gerant_a, message=done, action="done")
        write(world, "Calme", author=world.gerant_a)
        write(world, "Le mien", is_urgent=True)  # its author has read it
        http = login(world.operateur_a)
        assert subjects(text(http.get("/urgent/"))) == ["Second", "Premier"]
        # Another user's reading changes nothing for me.
        ReadState.objects.create(message=first, user=world.superviseur_a, read_at=timezone.now())
        assert subjects(text(http.get("/urgent/"))) == ["Second", "Premier"]
        http.get(reverse("ui:thread", args=[first.id]))
        assert subjects(text(http.get("/urgent/"))) == ["Second"]
        html = text(http.get("/urgent/", headers=HTMX))
        assert html.lstrip().startswith('<section id="urgent-results"')
        assert 'hx-trigger="every 10s"' in html

    def test_it_says_so_when_there_is_nothing_left(self, world: World) -> None:
        html = text(login(world.operateur_a).get("/urgent/"))
        assert "Aucun message urgent non lu." in html


class TestRemarks:
    def test_it_lists_client_remarks_for_gerants_and_superviseurs(self, world: World) -> None:
        remark = write(
            world, "Accueil trop lent", author=world.client_user_a, is_client_remark=True
        )
        write(world, "Message normal", author=world.client_user_a)
        for user in (world.gerant_a, world.superviseur_a):
            html = text(login(user).get("/remarques/"))
            assert subjects(html) == ["Accueil trop lent"]
            assert "thread-row unread" in html
        http = login(world.superviseur_a)
        http.get(reverse("ui:thread", args=[remark.id]))
        assert "thread-row unread" not in text(http.get("/remarques/"))

    def test_it_refuses_operators_and_client_users(self, world: World) -> None:
        assert login(world.operateur_a).get("/remarques/").status_code == 403
        assert login(world.client_user_a).get("/remarques/").status_code == 403
        assert text(login(world.gerant_b).get("/remarques/")).count("thread-row") == 0


class TestDayBar:
    def test_it_counts_the_open_day_tasks_of_the_shown_day_on_the_client_file(
        self, world: World
    ) -> None:
        other = f.ClientFactory(permanence=world.perm_a)
        tomorrow = today() + dt.timedelta(days=1)
        write(world, is_task=True, due_date=today())
        write(world, is_task=True, due_date=today())
        write(world, is_task=True, due_date=tomorrow)
        write(world, client=other, is_task=True, due_date=today())
        done = write(world, is_task=True, due_date=today())
        task_set(user=world.gerant_a, message=done, action="done")
        write(world, is_task=True)  # no date: not a day task
        http = login(world.operateur_a)
        url = reverse("ui:client", args=[world.client_a.id])
        html = text(http.get(url))
        assert 'data-day-count="2"' in html and '<span class="bubble num"' in html
        html = text(http.get(f"{url}?jour={tomorrow.isoformat()}"))
        assert 'data-day-count="1"' in html and ">Aujourd'hui</a>" in html
        # The home counts the whole permanence.
        assert 'data-day-count="3"' in text(http.get("/"))

    def test_it_moves_from_day_to_day_with_french_weekdays(self, world: World) -> None:
        with time_machine.travel(dt.datetime(2025, 11, 28, 10, 0, tzinfo=dt.UTC), tick=False):
            write(world, is_task=True, due_date="2025-11-29")
            http = login(world.operateur_a)
            html = text(http.get(reverse("ui:client", args=[world.client_a.id])))
            assert ">ven. 28/11</span>" in html
            assert "Jour précédent : jeudi 27/11/2025" in html
            assert "Jour suivant : samedi 29/11/2025" in html
            bar = text(http.get(f"/jour/?jour=2025-11-29&client={world.client_a.id}", headers=HTMX))
            assert bar.startswith('<div class="daybar" id="daybar"')
            assert ">sam. 29/11</span>" in bar and 'data-day-count="1"' in bar
            assert f"/clients/{world.client_a.id}/?jour=2025-11-30" in bar  # no-JS arrow
            assert "/taches/jour/?jour=2025-11-29&amp;client=" in bar  # the popup
            bar = text(http.get("/jour/?jour=n'importe", headers=HTMX))
            assert ">ven. 28/11</span>" in bar  # a bad day shows today

    def test_it_lists_the_days_tasks_in_the_popup(self, world: World) -> None:
        other = f.ClientFactory(permanence=world.perm_a, name="Plomberie Durand")
        write(world, "Pour aujourd'hui", is_task=True, due_date=today(), is_vad=True)
        write(world, "Ailleurs", client=other, is_task=True, due_date=today())
        write(world, "Demain", is_task=True, due_date=today() + dt.timedelta(days=1))
        http = login(world.operateur_a)
        html = text(http.get(f"/taches/jour/?client={world.client_a.id}", headers=HTMX))
        assert subjects(html) == ["Pour aujourd&#x27;hui"]
        assert "1 tâche du jour à faire" in html and 'id="panel-title"' in html
        html = text(http.get("/taches/jour/", headers=HTMX))
        assert sorted(subjects(html)) == ["Ailleurs", "Pour aujourd&#x27;hui"]
        assert "sidebar" in text(http.get("/taches/jour/"))

    def test_it_hides_another_permanences_client_and_refuses_client_users(
        self, world: World
    ) -> None:
        http = login(world.operateur_a)
        assert http.get(f"/jour/?client={world.client_b.id}").status_code == 404
        assert http.get(f"/taches/jour/?client={world.client_b.id}").status_code == 404
        assert login(world.client_user_a).get("/jour/").status_code == 403

    def test_it_is_left_out_for_staff_who_cannot_read_messages(self, world: World) -> None:
        strip_right(world.operateur_a, perms.MESSAGES_READ)
        response = login(world.operateur_a).get("/")
        assert response.status_code == 200 and "daybar" not in text(response)


class TestThreadTasks:
    def test_it_makes_a_task_closes_it_with_a_stamp_and_cancels_it(self, world: World) -> None:
        message = write(world)
        http = login(world.superviseur_a)
        url = reverse("ui:task", args=[message.id])
        due = today() + dt.timedelta(days=3)
        html = text(http.post(url, {"action": "todo", "due_date": due.isoformat()}, headers=HTMX))
        assert f"A faire le {due:%d/%m/%Y}" in html
        assert "Passer à Tâche faite" in html
        html = text(http.post(url, {"action": "done"}, headers=HTMX))
        message.refresh_from_db()
        local = timezone.localtime(message.done_at)
        assert f"Fait par SOPHIE le {local:%d/%m/%Y} à {local:%H:%M}" in html
        assert "Passé à tâche faite par Sophie" in html  # the history, out of band
        html = text(http.post(url, {"action": "cancel"}, headers=HTMX))
        assert "Fait par" not in html and "Passer en tâche à faire" in html
        kinds = list(message.history.values_list("kind", flat=True))
        assert kinds == [
            HistoryEvent.CREATED,
            HistoryEvent.TASK_TODO,
            HistoryEvent.TASK_DONE,
            HistoryEvent.TASK_CANCEL,
        ]

    def test_it_answers_a_bad_action_or_date_in_french_and_changes_nothing(
        self, world: World
    ) -> None:
        message = write(world)
        http = login(world.operateur_a)
        url = reverse("ui:task", args=[message.id])
        response = http.post(url, {"action": "todo", "due_date": "demain"}, headers=HTMX)
        assert response.status_code == 422 and "Date invalide" in text(response)
        response = http.post(url, {"action": "exploser"})
        assert response.status_code == 422 and "Action inconnue" in text(response)
        message.refresh_from_db()
        assert message.status == Message.STATUS_NORMAL
        assert message.history.count() == 1

    def test_it_lets_the_clients_own_user_close_a_task_but_not_a_sharing_target(
        self, world: World
    ) -> None:
        message = write(world, is_task=True)
        sharer = f.ClientUserFactory(client=f.ClientFactory(permanence=world.perm_a))
        f.ClientShareFactory(client=world.client_a, user=sharer)
        share_http = login(sharer)
        page = text(share_http.get(reverse("ui:thread", args=[message.id])))
        assert "Passer à Tâche faite" not in page
        assert "Valider + Tâche à faire" not in page
        assert ">Valider</button>" in page  # it may still reply
        response = share_http.post(reverse("ui:task", args=[message.id]), {"action": "done"})
        assert response.status_code == 403
        before = Reply.objects.count()
        response = share_http.post(
            reverse("ui:reply", args=[message.id]), {"body": "Vu", "make_task": "1"}
        )
        assert response.status_code == 403 and Reply.objects.count() == before

        own = login(world.client_user_a)
        page = text(own.get(reverse("ui:thread", args=[message.id])))
        assert "Passer à Tâche faite" in page and "Valider + Tâche à faire" in page
        own.post(reverse("ui:task", args=[message.id]), {"action": "done"})
        message.refresh_from_db()
        assert message.status == Message.STATUS_DONE
        assert message.done_by_id == world.client_user_a.id

    def test_it_refuses_staff_without_the_writing_right(self, world: World) -> None:
        message = write(world, is_task=True)
        strip_right(world.operateur_a, perms.MESSAGES_ADD)
        response = login(world.operateur_a).post(
            reverse("ui:task", args=[message.id]), {"action": "done"}
        )
        assert response.status_code == 403
        message.refresh_from_db()
        assert message.status == Message.STATUS_TODO
