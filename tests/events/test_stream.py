"""The live event stream itself (GET /events, GET /api/v1/events): what each reader receives."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.test import AsyncClient, override_settings

from relais.messaging.services import (
    SendInput,
    message_mark_read,
    message_send,
    reply_post,
    task_set,
)
from relais.tenancy.models import ApiToken
from tests import factories as f
from tests.conftest import World
from tests.events.helpers import Reader, db, logged_in, run

pytestmark = pytest.mark.django_db(transaction=True)


def send(author: Any, client: Any, **kw: Any) -> Any:
    data = SendInput(subject=kw.pop("subject", "Rappel"), body="Merci de rappeler.", **kw)
    return message_send(author=author, client=client, data=data)[0]


@pytest.fixture
def sharer(world: World) -> Any:
    """A client user of another client, whom client_a shares its messages with."""
    other = f.ClientFactory.create(permanence=world.perm_a, name="Dr Martin")
    user = f.ClientUserFactory.create(client=other, email="martin@a.test")
    f.ClientShareFactory.create(client=world.client_a, user=user)
    return user


def test_it_never_sends_a_private_message_or_a_remark_to_a_reader_who_may_not_see_it(
    world: World, sharer: Any
):
    async def scenario() -> dict[str, list[Any]]:
        readers = {
            name: await Reader(await logged_in(user)).open()
            for name, user in [
                ("operateur", world.operateur_a),
                ("gerant", world.gerant_a),
                ("sharer", sharer),
                ("client", world.client_user_a),
                ("outsider", world.gerant_b),
            ]
        }
        private = await db(send)(world.operateur_a, world.client_a, is_private=True)
        remark = await db(send)(world.client_user_a, world.client_a, is_client_remark=True)
        public = await db(send)(world.operateur_a, world.client_a, subject="Public")
        seen = {}
        for name, reader in readers.items():
            await reader.read(1.5)
            seen[name] = [
                e.data.get("message") for e in reader.events() if e.kind.startswith("message.")
            ]
            await reader.close()
        return {"ids": [str(private.id), str(remark.id), str(public.id)], **seen}

    got = run(scenario())
    private, remark, public = got["ids"]
    assert got["operateur"] == [private, public]
    assert got["gerant"] == [private, remark, public]
    assert got["sharer"] == [public]
    assert got["client"] == [private, remark, public]
    assert got["outsider"] == []


def test_it_sends_replies_tasks_and_reads_with_the_counts(world: World):
    message = send(world.gerant_a, world.client_a, is_urgent=True)

    async def scenario() -> Reader:
        reader = await Reader(await logged_in(world.operateur_a)).open()
        await db(reply_post)(author=world.gerant_a, message=message, body="Rappelé.")
        await db(task_set)(user=world.gerant_a, message=message, action="todo")
        await db(message_mark_read)(user=world.operateur_a, message=message)
        await db(message_mark_read)(user=world.gerant_a, message=message)
        await reader.read(3, stop=lambda evs: bool(evs) and evs[-1].kind == "counts")
        await reader.close()
        return reader

    reader = run(scenario())
    kinds = [e.kind for e in reader.events()]
    assert [k for k in kinds if k != "counts"] == [
        "message.replied",
        "message.task",
        "message.read",
    ], kinds
    # Only my own read: the gérant's is not sent to me.
    assert kinds.count("message.read") == 1
    counts = reader.events()[-1]
    assert counts.kind == "counts"
    assert counts.data["counts"]["todo"] == 1
    assert counts.data["counts"]["urgent"] == 0  # read by me since
    assert counts.data["client"] is None
    for event in reader.events():
        assert "client" in event.data
    ids = [int(e.id) for e in reader.events()]
    assert ids == sorted(ids)


def test_it_resumes_after_last_event_id_without_losing_an_event(world: World):
    first = send(world.gerant_a, world.client_a, subject="Un")

    async def scenario() -> tuple[list[Any], list[Any]]:
        reader = await Reader(await logged_in(world.operateur_a)).open()
        await db(send)(world.gerant_a, world.client_a, subject="Deux")
        await reader.read(1, stop=lambda evs: len(evs) >= 1)
        await reader.close()
        seen = reader.events()
        # Written while nobody listens:
        missed = [await db(send)(world.gerant_a, world.client_a, subject=s) for s in "ABC"]
        again = await Reader(
            await logged_in(world.operateur_a), **{"Last-Event-ID": seen[-1].id}
        ).open()
        await again.read(1.5)
        await again.close()
        return seen, [str(m.id) for m in missed] + [e.data.get("message") for e in again.events()]

    seen, result = run(scenario())
    assert [e.kind for e in seen] == ["message.created"]
    missed, replayed = result[:3], result[3:]
    assert replayed == missed
    assert str(first.id) not in replayed


@override_settings(RELAIS_EVENTS_HEARTBEAT=0.2)
def test_it_keeps_an_idle_stream_open_with_comment_lines(world: World):
    async def scenario() -> Reader:
        reader = await Reader(await logged_in(world.operateur_a)).open()
        await reader.read(0.7)
        await reader.close()
        return reader

    reader = run(scenario())
    assert reader.content_type.startswith("text/event-stream")
    assert reader.buffer.count(": ping") >= 2


def test_it_serves_api_clients_with_a_bearer_token_and_refuses_anonymous(world: World):
    token = ApiToken.issue(world.operateur_a)

    async def scenario() -> tuple[int, int, int, list[Any]]:
        anonymous = await Reader(AsyncClient(), "/events").open()
        bad = await Reader(AsyncClient(), "/api/v1/events", Authorization="Bearer nope").open()
        reader = await Reader(
            AsyncClient(), "/api/v1/events", Authorization=f"Bearer {token}"
        ).open()
        await db(send)(world.gerant_a, world.client_a)
        await reader.read(1, stop=lambda evs: len(evs) >= 1)
        await reader.close()
        return anonymous.status, bad.status, reader.status, reader.events()

    anonymous, bad, ok, events = run(scenario())
    assert (anonymous, bad, ok) == (401, 401, 200)
    assert events[0].kind == "message.created"
    assert events[0].data["client"] == str(world.client_a.id)


def test_it_gives_the_screen_pop_to_the_answering_operator_only(world: World):
    from django.test import Client as HttpClient

    from relais.calls.services import secrets_for

    f.ClientNumberFactory.create(client=world.client_a, number="+33491000001")
    url = f"/api/v1/cti/{secrets_for(world.perm_a.id).cti_token}"

    def cti(event: str, **extra: Any) -> None:
        body = {"event": event, "callId": "x1", "from": "0671234589", "to": "0491000001"}
        HttpClient().post(url, {**body, **extra}, content_type="application/json")

    async def scenario() -> tuple[Reader, Reader, Reader]:
        lea = await Reader(await logged_in(world.operateur_a)).open()
        sophie = await Reader(await logged_in(world.superviseur_a)).open()
        client = await Reader(await logged_in(world.client_user_a)).open()
        await db(cti)("newCall")
        await db(cti)("answer", answeringNumber="operateur@a.test")
        await db(cti)("hangup", cause="normalClearing")
        for reader in (lea, sophie, client):
            await reader.read(1.5, stop=lambda evs: any(e.kind == "call.ended" for e in evs))
            await reader.close()
        return lea, sophie, client

    lea, sophie, client = run(scenario())
    assert [e.kind for e in lea.events() if e.kind != "counts"] == [
        "call.ringing",
        "call.answered",
        "call.ended",
    ]
    answered = next(e for e in lea.events() if e.kind == "call.answered")
    assert answered.data["screen_pop"]["page"] == "messages"
    assert answered.data["answered_by"]["id"] == str(world.operateur_a.id)
    other = next(e for e in sophie.events() if e.kind == "call.answered")
    assert "screen_pop" not in other.data
    assert client.events() == []


def test_a_wsgi_server_answers_a_short_stream_that_sends_the_browser_back_to_polling(
    world: Any,
) -> None:
    """Under WSGI Django would buffer an endless stream for ever (a thread and its database
    connections each time a page opens): the answer ends at once and asks for no retry soon."""
    from django.test import RequestFactory

    from relais.events.stream import WSGI_ANSWER, _stream_response

    request = RequestFactory().get("/events")  # a WSGIRequest, as gunicorn or runserver give
    response = _stream_response(world.operateur_a, request)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert response.content.decode() == WSGI_ANSWER  # type: ignore[attr-defined]
    assert "retry: 86400000" in WSGI_ANSWER


def test_a_busy_stream_sends_what_arrives_together_in_one_write(world: World, monkeypatch: Any):
    from relais.events import stream

    monkeypatch.setattr(stream, "WRITE_EVERY", 2.0)
    monkeypatch.setattr(stream, "WRITE_BURST", 1)

    async def scenario() -> tuple[Reader, list[str]]:
        reader = await Reader(await logged_in(world.operateur_a)).open()
        first = await db(send)(world.gerant_a, world.client_a, subject="Premier")
        await reader.read(3, stop=lambda evs: len(evs) >= 1)
        assert len(reader.writes) == 1  # a quiet stream writes at once
        ids = [str(first.id)]
        for n in range(8):
            ids.append(str((await db(send)(world.gerant_a, world.client_a, subject=f"N{n}")).id))
        await reader.read(6, stop=lambda evs: len(evs) >= 9)
        await reader.close()
        return reader, ids

    reader, ids = run(scenario())
    created = [e for e in reader.events() if e.kind == "message.created"]
    # Every one, once, in order…
    assert [e.data["message"] for e in created] == ids
    # …the eight sent within the two seconds after the first write in one or two writes, not
    # eight.
    assert len(reader.writes) <= 3, reader.writes


@pytest.fixture
def asked_counts(monkeypatch: Any) -> list[Any]:
    """The `only` of every menu count the streams compute (None: all of them)."""
    from relais.events import stream
    from relais.messaging.selectors import menu_counts

    asked: list[Any] = []

    def counting(user: Any, **kw: Any) -> dict[str, int]:
        asked.append(kw.get("only"))
        return menu_counts(user, **kw)

    monkeypatch.setattr(stream, "menu_counts", counting)
    monkeypatch.setattr(stream, "COUNTS_DEBOUNCE", 0.0)
    return asked


def test_it_recounts_only_what_the_events_moved(world: World, asked_counts: list[Any]):
    from relais.messaging.selectors import menu_counts

    asked = asked_counts

    async def scenario() -> Reader:
        reader = await Reader(await logged_in(world.operateur_a)).open()
        await db(send)(world.gerant_a, world.client_a, subject="Urgent 1", is_urgent=True)
        await reader.read(3, stop=lambda evs: sum(e.kind == "counts" for e in evs) >= 1)
        await db(send)(world.gerant_a, world.client_a, subject="Simple")
        await db(send)(world.gerant_a, world.client_a, subject="Urgent 2", is_urgent=True)
        await reader.read(4, stop=lambda evs: sum(e.kind == "counts" for e in evs) >= 2)
        await db(send)(world.gerant_a, world.client_a, subject="Tâche", is_task=True)
        await reader.read(4, stop=lambda evs: sum(e.kind == "counts" for e in evs) >= 3)
        await reader.close()
        return reader

    reader = run(scenario())
    # The first count is whole (nothing to start from); then only what the events moved: an
    # urgent message moves « Urgent », a task « Tâche à faire » and « Suivi des tâches ».
    assert asked == [None, frozenset({"urgent"}), frozenset({"todo", "follow"})]
    counts = [e.data["counts"] for e in reader.events() if e.kind == "counts"]
    assert [c["urgent"] for c in counts] == [1, 2, 2]
    assert [c["todo"] for c in counts] == [0, 0, 1]
    # Every count is whole in what the page receives, and right.
    whole = {**menu_counts(world.operateur_a), "missed_calls": 0}
    assert counts[-1] == whole
    # `moves` is for the streams only: readers never receive it.
    assert all("moves" not in e.data for e in reader.events())


def test_it_does_not_recount_what_new_messages_cannot_raise_past_the_cap(
    world: World, asked_counts: list[Any], monkeypatch: Any, settings: Any
):
    from relais.events import stream

    asked = asked_counts
    monkeypatch.setattr(stream, "MENU_COUNT_CAP", 2)  # « Urgent » reaches it at 2
    settings.RELAIS_EVENTS_HEARTBEAT = 0.3  # comment lines keep the reading going

    def counts(evs: list[Any]) -> int:
        return sum(e.kind == "counts" for e in evs)

    async def scenario() -> Reader:
        reader = await Reader(await logged_in(world.operateur_a)).open()
        for n in (1, 2):
            await db(send)(world.gerant_a, world.client_a, subject=f"U{n}", is_urgent=True)
            await reader.read(4, stop=lambda evs, n=n: counts(evs) >= n)  # type: ignore[misc]
        # At its cap, « Urgent » cannot change with one more urgent message: no recount.
        await db(send)(world.gerant_a, world.client_a, subject="U3", is_urgent=True)
        loop = asyncio.get_running_loop()
        until = loop.time() + 2.0  # past the time its counts were due
        await reader.read(4, stop=lambda evs: loop.time() >= until)
        assert sum(e.data.get("message") is not None for e in reader.events()) == 3
        assert counts(reader.events()) == 2
        # A task moves « Tâche à faire », under its cap: recounted.
        await db(send)(world.gerant_a, world.client_a, subject="Tâche", is_task=True)
        await reader.read(4, stop=lambda evs: counts(evs) >= 3)
        await reader.close()
        return reader

    reader = run(scenario())
    assert asked == [None, frozenset({"urgent"}), frozenset({"todo", "follow"})]
    created = [e.data["message"] for e in reader.events() if e.kind == "message.created"]
    assert len(created) == 4  # every message event is still sent
    assert [e.data["counts"]["todo"] for e in reader.events() if e.kind == "counts"] == [0, 0, 1]


def test_it_recounts_everything_at_least_every_so_often(
    world: World, asked_counts: list[Any], monkeypatch: Any
):
    from relais.events import stream

    asked = asked_counts
    monkeypatch.setattr(stream, "FULL_COUNTS_EVERY", 0.0)

    async def scenario() -> None:
        reader = await Reader(await logged_in(world.operateur_a)).open()
        for n in range(2):
            await db(send)(world.gerant_a, world.client_a, subject=f"U{n}", is_urgent=True)

            def counted(evs: list[Any], n: int = n) -> bool:
                return sum(e.kind == "counts" for e in evs) > n

            await reader.read(4, stop=counted)
        await reader.close()

    run(scenario())
    assert asked == [None, None]


def test_a_stream_writes_a_few_times_at_once_then_at_its_pace(monkeypatch: Any):
    from relais.events import stream

    now = [100.0]
    monkeypatch.setattr(stream.time, "monotonic", lambda: now[0])
    pace = stream.Pace(0.25, 3)
    for _ in range(3):  # a call rings, is answered, ends: written at once
        assert pace.wait() == 0
        pace.wrote()
    assert pace.wait() == pytest.approx(0.25)
    now[0] += 0.1
    assert pace.wait() == pytest.approx(0.15)
    now[0] += 0.15
    assert pace.wait() == 0
    pace.wrote()
    now[0] += 60  # quiet again: the burst is back, not more
    for _ in range(3):
        assert pace.wait() == 0
        pace.wrote()
    assert pace.wait() > 0


def test_it_loses_no_event_committed_after_a_later_numbered_one(world: World):
    """Ids are numbered at INSERT and announced at COMMIT: two sends committing in the other
    order reach the streams with their ids out of order, and both must be sent."""
    from django.utils import timezone

    from relais.events.hub import hub
    from relais.events.models import Event

    def make(n: int) -> Event:
        return Event.objects.create(
            permanence_id=world.perm_a.id,
            kind="call.ringing",
            data={"client": str(world.client_a.id), "call": f"c{n}"},
            client_id=world.client_a.id,
            staff_only=True,
            at=timezone.now(),
        )

    async def scenario() -> Reader:
        reader = await Reader(await logged_in(world.operateur_a)).open()
        first, second = await db(make)(1), await db(make)(2)
        hub.deliver_threadsafe([second])  # committed first
        hub.deliver_threadsafe([first])
        hub.deliver_threadsafe([second])  # and a repeat is still sent once
        await reader.read(3, stop=lambda evs: len(evs) >= 2)
        await reader.read(0.5)
        await reader.close()
        return reader

    reader = run(scenario())
    assert [e.data["call"] for e in reader.events() if e.kind == "call.ringing"] == ["c2", "c1"]
