"""Threads: list and pages, detail, replies, tasks, read state, visibility."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from relais.clients.models import Client
from relais.messaging.models import HistoryEvent, Message, ReadState, Recipient
from relais.messaging.services import SendInput, message_send
from tests import factories as f
from tests.api.conftest import call
from tests.conftest import World, api_client


def write(world: World, **options: object) -> Message:
    data = SendInput(subject=str(options.pop("subject", "Appel")), body="Rappeler.", **options)  # type: ignore[arg-type]
    message, _ = message_send(author=world.gerant_a, client=world.client_a, data=data)
    return message


def test_it_shows_a_thread_with_replies_recipients_and_history(
    world: World, message_a: Message
) -> None:
    op = api_client(world.operateur_a)
    reply = call(op, "POST", f"/messages/{message_a.id}/replies", {"body": "Rappelé à 10 h."})
    assert reply.status_code == 201
    assert reply.json()["author"]["id"] == str(world.operateur_a.id)
    assert reply.json()["body"] == "Rappelé à 10 h."

    body = call(op, "GET", f"/messages/{message_a.id}").json()
    assert body["reply_count"] == 1
    assert [r["body"] for r in body["replies"]] == ["Rappelé à 10 h."]
    assert [h["kind"] for h in body["history"]] == ["created", "replied"]
    assert body["history"][1]["actor"]["id"] == str(world.operateur_a.id)
    assert body["history"][1]["label"] == "Réponse"
    assert body["unread"] is False  # the author of the reply has read it


def test_it_does_not_mark_a_thread_read_by_showing_it(world: World, message_a: Message) -> None:
    op = api_client(world.operateur_a)
    assert call(op, "GET", f"/messages/{message_a.id}").json()["unread"] is True
    assert not ReadState.objects.filter(user=world.operateur_a).exists()


def test_it_marks_read_and_unread_for_me_only(world: World, message_a: Message) -> None:
    op = api_client(world.operateur_a)
    path = f"/messages/{message_a.id}/read"
    assert call(op, "POST", path).json() == {
        "id": str(message_a.id),
        "unread": False,
        "changed": True,
    }
    assert call(op, "POST", path).json()["changed"] is False
    assert call(op, "GET", f"/messages/{message_a.id}").json()["unread"] is False
    assert call(api_client(world.superviseur_a), "GET", f"/messages/{message_a.id}").json()[
        "unread"
    ]

    assert call(op, "DELETE", path).json() == {
        "id": str(message_a.id),
        "unread": True,
        "changed": True,
    }
    assert call(op, "GET", f"/messages/{message_a.id}").json()["unread"] is True
    kinds = list(HistoryEvent.objects.filter(message=message_a).values_list("kind", flat=True))
    assert kinds == ["created", "read", "unread"]


def test_it_shows_when_each_copy_recipient_read_the_thread(world: World) -> None:
    message = write(world, cc=[world.operateur_a.id, world.superviseur_a.id])
    call(api_client(world.operateur_a), "POST", f"/messages/{message.id}/read")
    recipients = call(api_client(world.gerant_a), "GET", f"/messages/{message.id}").json()[
        "recipients"
    ]
    read = {r["id"]: r["read_at"] for r in recipients}
    assert read[str(world.superviseur_a.id)] is None
    assert read[str(world.operateur_a.id)] is not None


def test_it_makes_a_task_from_a_reply(world: World, message_a: Message) -> None:
    response = call(
        api_client(world.client_user_a),
        "POST",
        f"/messages/{message_a.id}/replies",
        {"body": "Merci, à traiter.", "make_task": True},
    )
    assert response.status_code == 201
    message_a.refresh_from_db()
    assert message_a.status == Message.STATUS_TODO


def test_it_refuses_an_empty_or_overlong_reply(world: World, message_a: Message) -> None:
    op = api_client(world.operateur_a)
    for body in ({"body": ""}, {"body": "  \n"}, {"body": "x" * 20001}, {"make_task": True}):
        response = call(op, "POST", f"/messages/{message_a.id}/replies", body)
        assert response.status_code == 422, body
        assert "body" in response.json()["errors"]
    assert not message_a.replies.exists()


def test_it_moves_a_task_through_todo_done_and_cancel(world: World, message_a: Message) -> None:
    op = api_client(world.operateur_a)
    path = f"/messages/{message_a.id}/task"
    todo = call(op, "POST", path, {"action": "todo", "due_date": "2030-05-02"}).json()
    assert (todo["status"], todo["due_date"], todo["is_task"]) == ("todo", "2030-05-02", True)

    done = call(op, "POST", path, {"action": "done"}).json()
    assert done["status"] == "done"
    assert done["done_by"] == {"id": str(world.operateur_a.id), "name": world.operateur_a.name}
    assert done["done_at"] is not None

    cancelled = call(op, "POST", path, {"action": "cancel"}).json()
    assert (cancelled["status"], cancelled["done_by"], cancelled["due_date"]) == (
        "normal",
        None,
        None,
    )
    assert [h["kind"] for h in cancelled["history"]] == [
        "created",
        "task_todo",
        "task_done",
        "task_cancel",
    ]


def test_it_refuses_an_unknown_task_action_or_a_bad_date(world: World, message_a: Message) -> None:
    op = api_client(world.operateur_a)
    path = f"/messages/{message_a.id}/task"
    for body, field in (
        ({"action": "finir"}, "action"),
        ({}, "action"),
        ({"action": "todo", "due_date": "lundi"}, "due_date"),
        ({"action": "todo", "due_date": 20300502}, "due_date"),
    ):
        response = call(op, "POST", path, body)
        assert response.status_code == 422, body
        assert field in response.json()["errors"], response.json()
    message_a.refresh_from_db()
    assert message_a.status == Message.STATUS_NORMAL
    assert message_a.history.count() == 1


# --- lists -------------------------------------------------------------------------------------


def test_it_lists_a_clients_threads_newest_first_with_filters(world: World) -> None:
    older = write(world, subject="Ancien")
    task = write(world, subject="Tâche", is_task=True)
    urgent = write(world, subject="Urgent", is_urgent=True)
    op = api_client(world.operateur_a)
    path = f"/clients/{world.client_a.id}/messages"

    ids = [m["id"] for m in call(op, "GET", path).json()["items"]]
    assert ids == [str(urgent.id), str(task.id), str(older.id)]

    todo = call(op, "GET", f"{path}?kind=todo").json()["items"]
    assert [m["id"] for m in todo] == [str(task.id)]

    call(op, "POST", f"/messages/{urgent.id}/read")
    unread = call(op, "GET", f"{path}?unread=true").json()["items"]
    assert [m["id"] for m in unread] == [str(task.id), str(older.id)]
    assert all(m["unread"] for m in unread)
    read = call(op, "GET", f"{path}?unread=false").json()["items"]
    assert [m["id"] for m in read] == [str(urgent.id)]


def test_it_pages_threads_without_gaps_or_repeats_even_at_the_same_instant(
    world: World,
) -> None:
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(
                permanence=world.perm_a,
                client=world.client_a,
                author=world.gerant_a,
                subject=f"Sujet {i}",
                body="x",
                # Pairs share an instant: the cursor must still cut between them.
                last_activity_at=now - dt.timedelta(seconds=i // 2),
            )
            for i in range(7)
        ]
    )
    op = api_client(world.operateur_a)
    seen: list[str] = []
    url = f"/clients/{world.client_a.id}/messages?limit=3"
    pages = 0
    while url:
        page = call(op, "GET", url).json()
        seen += [m["id"] for m in page["items"]]
        pages += 1
        url = (
            f"/clients/{world.client_a.id}/messages?limit=3&cursor={page['next']}"
            if page["next"]
            else ""
        )
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    expected = Message.objects.order_by("-last_activity_at", "-id").values_list("id", flat=True)
    assert seen == [str(i) for i in expected]


def test_it_caps_the_page_size_at_200(world: World) -> None:
    response = call(api_client(world.operateur_a), "GET", "/clients?limit=100000")
    assert response.status_code == 200


def test_it_lists_open_tasks_with_filters(world: World) -> None:
    day = write(world, is_task=True, due_date="2030-05-02", is_vad=True)
    urgent = write(world, is_task=True, is_urgent=True)
    write(world)  # not a task
    op = api_client(world.operateur_a)

    def ids(query: str) -> list[str]:
        response = call(op, "GET", f"/tasks{query}")
        assert response.status_code == 200, response.content
        return [m["id"] for m in response.json()["items"]]

    assert ids("") == [str(urgent.id), str(day.id)]
    assert ids("?vad=true") == [str(day.id)]
    assert ids("?vad=false") == [str(urgent.id)]
    assert ids("?urgent=true") == [str(urgent.id)]
    assert ids("?date=2030-05-02") == [str(day.id)]
    assert call(op, "GET", "/tasks?date=demain").status_code == 422


def test_it_lists_urgent_messages_i_have_not_read(world: World) -> None:
    first = write(world, is_urgent=True)
    second = write(world, is_urgent=True)
    write(world)
    op = api_client(world.operateur_a)
    call(op, "POST", f"/messages/{first.id}/read")
    items = call(op, "GET", "/urgent").json()["items"]
    assert [m["id"] for m in items] == [str(second.id)]


def test_it_counts_open_day_tasks_per_date(world: World) -> None:
    write(world, is_task=True, due_date="2030-05-02")
    write(world, is_task=True, due_date="2030-05-02")
    write(world, is_task=True, due_date="2030-05-03")
    write(world, is_task=True)  # a task without a day
    op = api_client(world.operateur_a)
    response = call(op, "GET", "/day-tasks?from=2030-05-01&to=2030-05-31")
    assert response.json() == {"2030-05-02": 2, "2030-05-03": 1}
    assert call(op, "GET", "/day-tasks?from=2030-05-03&to=2030-05-01").status_code == 422
    assert call(op, "GET", "/day-tasks?from=2030-01-01&to=2032-01-01").status_code == 422
    assert call(op, "GET", "/day-tasks?from=hier").status_code == 422


def test_it_lists_templates_usable_for_a_client(world: World, client_a2: Client) -> None:
    everyone = f.TemplateFactory.create(permanence=world.perm_a, name="A pour tous")
    mine = f.TemplateFactory.create(permanence=world.perm_a, name="B pour le docteur")
    mine.clients.add(world.client_a)
    other = f.TemplateFactory.create(permanence=world.perm_a, name="C pour le plombier")
    other.clients.add(client_a2)
    f.TemplateFactory.create(permanence=world.perm_b)
    op = api_client(world.operateur_a)
    items = call(op, "GET", f"/templates?client={world.client_a.id}").json()["items"]
    assert [t["id"] for t in items] == [str(everyone.id), str(mine.id)]
    # Without a client (documented optional), staff get every template of the permanence.
    response = call(op, "GET", "/templates")
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["items"]] == [
        str(everyone.id),
        str(mine.id),
        str(other.id),
    ]

    own = call(api_client(world.client_user_a), "GET", "/templates").json()["items"]
    assert [t["id"] for t in own] == [str(everyone.id), str(mine.id)]


# --- visibility --------------------------------------------------------------------------------


def test_it_hides_a_private_message_from_sharing_targets_and_copy_recipients(
    world: World,
) -> None:
    company = f.CompanyFactory.create(permanence=world.perm_a)
    world.client_a.company = company
    world.client_a.save()
    colleague = f.ClientUserFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a, company=company)
    )
    sharer = f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    f.ClientShareFactory.create(client=world.client_a, user=sharer)

    public = write(world, cc=[colleague.id])
    private = write(world, is_private=True)
    # Even a copy row on a private message (none can be sent) must not open it.
    Recipient.objects.create(message=private, user=colleague, reason=Recipient.CC)

    for user in (colleague, sharer):
        http = api_client(user)
        assert call(http, "GET", f"/messages/{public.id}").status_code == 200
        assert call(http, "GET", f"/messages/{private.id}").status_code == 404
        assert call(http, "POST", f"/messages/{private.id}/read").status_code == 404
        listed = [m["id"] for m in call(http, "GET", "/messages").json()["items"]]
        assert listed == [str(public.id)]

    # The client itself and the permanence's staff see it.
    for user in (world.client_user_a, world.operateur_a):
        assert call(api_client(user), "GET", f"/messages/{private.id}").status_code == 200


def test_it_shows_client_remarks_to_gerant_and_superviseur_only(world: World) -> None:
    remark, _ = message_send(
        author=world.client_user_a,
        client=world.client_a,
        data=SendInput(subject="Remarque", body="Standard lent.", is_client_remark=True),
    )
    other_user = f.ClientUserFactory.create(client=world.client_a)
    for user in (world.gerant_a, world.superviseur_a):
        http = api_client(user)
        assert [m["id"] for m in call(http, "GET", "/remarks").json()["items"]] == [str(remark.id)]
        assert call(http, "GET", f"/messages/{remark.id}").status_code == 200

    op = api_client(world.operateur_a)
    assert call(op, "GET", "/remarks").status_code == 403
    assert call(op, "GET", f"/messages/{remark.id}").status_code == 404
    listed = call(op, "GET", f"/clients/{world.client_a.id}/messages").json()["items"]
    assert str(remark.id) not in [m["id"] for m in listed]

    other = api_client(other_user)
    assert call(other, "GET", f"/messages/{remark.id}").status_code == 404
    assert call(api_client(world.gerant_b), "GET", "/remarks").json()["items"] == []
