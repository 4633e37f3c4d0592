from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from relais.delivery.models import Delivery
from relais.messaging.models import HistoryEvent, Message, ReadState, Reply
from relais.messaging.services import SendInput, message_send, reply_post, task_set
from tests import factories
from tests.conftest import World, login

f: Any = factories  # factory calls return model instances

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def sent(world: World, **data: Any) -> Message:
    values: dict[str, Any] = {"subject": "Rappel Mme Durand", "body": "Ligne 1\nLigne 2"}
    values.update(data)
    message, _ = message_send(
        author=world.operateur_a, client=world.client_a, data=SendInput(**values)
    )
    return message


def version_of(html: str) -> str:
    return unquote(html.split("?v=")[1].split('"')[0])


class TestList:
    def test_it_lists_threads_newest_activity_first_with_badges_and_unread(
        self, world: World
    ) -> None:
        old = sent(world, subject="Ancien", is_urgent=True, is_private=True, is_vad=True)
        sent(world, subject="Récent", is_task=True, due_date="2026-12-01")
        reply_post(author=world.client_user_a, message=old, body="Merci")
        html = login(world.gerant_a).get(reverse("ui:client", args=[world.client_a.id]))
        text = html.content.decode()
        assert text.index("Ancien") < text.index("Récent")  # the reply moved it up
        for badge in ["Urgent", "Privé", "VAD", "A faire le 01/12/2026"]:
            assert f">{badge}</span>" in text
        assert text.count("thread-row unread") == 2
        assert "Non lu :" in text

    def test_it_shows_times_today_yesterday_and_dates(self, world: World) -> None:
        now = timezone.now()
        f.MessageFactory(client=world.client_a, subject="Aujourd", last_activity_at=now)
        f.MessageFactory(
            client=world.client_a, subject="Hier", last_activity_at=now - dt.timedelta(days=1)
        )
        f.MessageFactory(
            client=world.client_a,
            subject="Avant",
            last_activity_at=timezone.make_aware(dt.datetime(2026, 1, 5, 9, 30)),
        )
        text = login(world.operateur_a).get(reverse("ui:client", args=[world.client_a.id]))
        html = text.content.decode()
        assert timezone.localtime(now).strftime("%H:%M") in html
        assert ">hier</time>" in html
        assert ">05/01/2026</time>" in html

    def test_it_answers_204_to_a_poll_when_nothing_changed(self, world: World) -> None:
        sent(world)
        http = login(world.gerant_a)
        url = reverse("ui:client_threads", args=[world.client_a.id])
        version = version_of(http.get(url).content.decode())
        assert http.get(url, {"v": version}).status_code == 204
        sent(world, subject="Nouveau message d'un collègue")
        response = http.get(url, {"v": version}, headers=HTMX)
        assert response.status_code == 200
        assert "Nouveau message d&#x27;un collègue" in response.content.decode()

    def test_the_file_s_version_is_the_poll_s_without_a_query_of_its_own(
        self, world: World
    ) -> None:
        """The file computes the poll's fingerprint from the rows it has loaded: it must be
        exactly thread_list_version, or every open file would redraw at its first poll."""
        from relais.messaging.selectors import CLIENT_THREADS_SHOWN, thread_list_version

        now = timezone.now()
        for i in range(CLIENT_THREADS_SHOWN + 5):
            f.MessageFactory(
                client=world.client_a,
                subject=f"Fil {i}",
                last_activity_at=now - dt.timedelta(minutes=i),
                status=Message.STATUS_TODO if i % 3 == 0 else Message.STATUS_NORMAL,
                due_date=dt.date(2031, 5, 1 + i % 28) if i % 6 == 0 else None,
                reply_count=i % 4,
            )
        some = Message.objects.filter(client=world.client_a).order_by("subject")[:7]
        for message in some:
            ReadState.objects.create(message=message, user=world.operateur_a, read_at=now)
        http = login(world.operateur_a)
        page = http.get(reverse("ui:client", args=[world.client_a.id])).content.decode()
        version = version_of(page)
        assert version == thread_list_version(user=world.operateur_a, client=world.client_a)
        url = reverse("ui:client_threads", args=[world.client_a.id])
        assert http.get(url, {"v": version}).status_code == 204
        ReadState.objects.filter(message=some[0], user=world.operateur_a).delete()
        assert http.get(url, {"v": version}).status_code == 200

    def test_it_sees_a_reply_or_a_task_change_in_the_poll(self, world: World) -> None:
        message = sent(world, is_task=True)
        http = login(world.operateur_a)
        url = reverse("ui:client_threads", args=[world.client_a.id])
        version = version_of(http.get(url).content.decode())
        login(world.gerant_a).post(reverse("ui:task", args=[message.id]), {"action": "done"})
        assert http.get(url, {"v": version}).status_code == 200

    def test_it_sees_a_new_due_date_alone_in_the_poll(self, world: World) -> None:
        message = sent(world, is_task=True, due_date="2031-05-01")
        http = login(world.operateur_a)
        url = reverse("ui:client_threads", args=[world.client_a.id])
        version = version_of(http.get(url).content.decode())
        task_set(user=world.gerant_a, message=message, action="todo", due_date="2031-05-02")
        response = http.get(url, {"v": version}, headers=HTMX)
        assert response.status_code == 200
        assert "02/05/2031" in response.content.decode()


class TestThread:
    def test_it_shows_the_body_escaped_with_its_line_breaks(self, world: World) -> None:
        message = sent(world, body="<script>alert(1)</script>\nDeuxième ligne")
        html = login(world.gerant_a).get(reverse("ui:thread", args=[message.id])).content
        text = html.decode()
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;\nDeuxième ligne" in text

    def test_it_marks_the_thread_read_on_open_and_unread_on_demand(self, world: World) -> None:
        message = sent(world)
        http = login(world.gerant_a)
        http.get(reverse("ui:thread", args=[message.id]))
        assert ReadState.objects.filter(message=message, user=world.gerant_a).exists()
        response = http.post(reverse("ui:unread", args=[message.id]))
        assert response.status_code == 302
        assert response["Location"] == reverse("ui:client", args=[world.client_a.id])
        assert not ReadState.objects.filter(message=message, user=world.gerant_a).exists()

    def test_it_shows_history_copies_and_the_pending_attachment(self, world: World) -> None:
        message = sent(
            world,
            copy_email=True,
            attach={"kind": "planning", "from": "2026-12-01", "to": "2026-12-07"},
        )
        Delivery.objects.filter(message=message).update(status="failed", last_error="Boîte pleine")
        with time_machine.travel(
            timezone.make_aware(dt.datetime(2026, 11, 28, 10, 42)), tick=False
        ):
            HistoryEvent.objects.filter(message=message).update(at=timezone.now())
        text = login(world.gerant_a).get(reverse("ui:thread", args=[message.id])).content.decode()
        assert "Message créé par Léa le 28/11/2026 à 10:42" in text
        assert "Échec : Boîte pleine" in text
        assert "status-failed" in text
        assert "Pièce jointe demandée : Planning (rendez-vous) du 01/12/2026 au 07/12/2026" in text
        assert reverse("ui:planning:message_attachment", args=[message.id]) in text

    def test_it_posts_a_reply_and_can_make_it_a_task(self, world: World) -> None:
        message = sent(world)
        http = login(world.client_user_a)
        response = http.post(
            reverse("ui:reply", args=[message.id]),
            {"body": "Je rappelle.", "make_task": "1"},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert "Je rappelle." in response.content.decode()
        assert 'id="thread-history" class="panel history"' in response.content.decode()
        message.refresh_from_db()
        assert message.status == Message.STATUS_TODO
        assert Reply.objects.get().author == world.client_user_a

    def test_it_refuses_an_empty_reply_and_keeps_nothing(self, world: World) -> None:
        message = sent(world)
        response = login(world.gerant_a).post(
            reverse("ui:reply", args=[message.id]), {"body": "   "}, headers=HTMX
        )
        assert response.status_code == 422
        assert response["HX-Retarget"] == "#reply-form"
        assert "Réponse : ce champ est obligatoire." in response.content.decode()
        assert not Reply.objects.exists()

    def test_it_keeps_a_too_long_reply_typed(self, world: World) -> None:
        message = sent(world)
        body = "y" * 20001
        response = login(world.gerant_a).post(
            reverse("ui:reply", args=[message.id]), {"body": body}
        )
        assert response.status_code == 422
        assert body in response.content.decode()
        assert not Reply.objects.exists()

    def test_it_runs_the_task_buttons_and_shows_who_did_it(self, world: World) -> None:
        message = sent(world)
        http = login(world.operateur_a)
        url = reverse("ui:task", args=[message.id])
        response = http.post(url, {"action": "todo", "due_date": "2026-12-03"}, headers=HTMX)
        assert "A faire le 03/12/2026" in response.content.decode()
        html = http.post(url, {"action": "done"}, headers=HTMX).content.decode()
        assert "Fait par LÉA le " in html
        assert ">Fait</span>" in html
        html = http.post(url, {"action": "cancel"}, headers=HTMX).content.decode()
        message.refresh_from_db()
        assert message.status == Message.STATUS_NORMAL
        assert "Passer en tâche à faire" in html

    def test_it_labels_the_task_date_and_shows_it_only_to_who_may_change_the_task(
        self, world: World
    ) -> None:
        message = sent(world)
        url = reverse("ui:thread", args=[message.id])
        for who in (world.operateur_a, world.client_user_a):
            html = login(who).get(url).content.decode()
            assert (
                '<label class="task-due-label" for="task-due">A faire le '
                '<span class="muted">(facultatif)</span></label>'
            ) in html
        # A client user who reads the thread through sharing may not change the task.
        colleague = f.ClientFactory(permanence=world.perm_a, name="Dr Remplaçant")
        sharer = f.ClientUserFactory(client=colleague, email="remplacant@a.test")
        f.ClientShareFactory(client=world.client_a, user=sharer)
        html = login(sharer).get(url).content.decode()
        assert "Rappel Mme Durand" in html
        assert 'id="task-due"' not in html and "A faire le" not in html
        assert "Passer en tâche à faire" not in html

    def test_it_refuses_a_bad_task_date(self, world: World) -> None:
        message = sent(world)
        response = login(world.operateur_a).post(
            reverse("ui:task", args=[message.id]), {"action": "todo", "due_date": "demain"}
        )
        assert response.status_code == 422
        assert "Date invalide" in response.content.decode()
        message.refresh_from_db()
        assert message.status == Message.STATUS_NORMAL

    def test_it_polls_a_thread_and_answers_204_when_unchanged(self, world: World) -> None:
        message = sent(world)
        http = login(world.gerant_a)
        page = http.get(reverse("ui:thread", args=[message.id])).content.decode()
        poll = reverse("ui:thread_poll", args=[message.id])
        version = version_of(page.split('id="thread-detail"')[1])
        assert http.get(poll, {"v": version}).status_code == 204
        reply_post(author=world.client_user_a, message=message, body="Réponse du client")
        response = http.get(poll, {"v": version}, headers=HTMX)
        assert response.status_code == 200
        assert "Réponse du client" in response.content.decode()
        assert 'hx-swap-oob="outerHTML"' in response.content.decode()
        # Polling does not mark the thread read: only opening it does.
        assert not ReadState.objects.filter(message=message, user=world.gerant_a).exists()

    def test_it_hides_a_private_message_from_a_sharing_target(self, world: World) -> None:
        replacement = f.ClientUserFactory(
            client=f.ClientFactory(permanence=world.perm_a), email="remplacant@a.test"
        )
        f.ClientShareFactory(client=world.client_a, user=replacement)
        shared = sent(world, subject="Partagé")
        private = sent(world, subject="Secret", is_private=True)
        http = login(replacement)
        assert http.get(reverse("ui:thread", args=[shared.id])).status_code == 200
        assert http.get(reverse("ui:thread", args=[private.id])).status_code == 404


def test_it_does_not_show_other_peoples_addresses_to_a_client_user(world: World) -> None:
    message = sent(world, copy_email=True, cc=[world.superviseur_a.id])
    html = login(world.client_user_a).get(reverse("ui:thread", args=[message.id])).content
    text = html.decode()
    assert world.client_a.email in text
    assert world.superviseur_a.email not in text
    staff = login(world.gerant_a).get(reverse("ui:thread", args=[message.id])).content.decode()
    assert world.superviseur_a.email in staff
