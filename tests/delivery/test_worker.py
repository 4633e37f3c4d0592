"""The worker: claim, send, record; retries with backoff; permanent failures; reclaim."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.delivery import worker
from relais.delivery.backends import memory
from relais.delivery.models import Delivery
from relais.delivery.worker import backoff, deliver_due, deliver_ids
from relais.messaging.models import HistoryEvent
from tests import factories as f
from tests.conftest import World
from tests.delivery.conftest import send

pytestmark = pytest.mark.django_db


def copy_events(message: Any) -> list[tuple[str, str]]:
    return list(
        message.history.exclude(kind=HistoryEvent.CREATED)
        .order_by("id")
        .values_list("kind", "detail")
    )


def test_it_sends_every_copy_of_a_message_once(world: World) -> None:
    message = send(world.operateur_a, world.client_a, copy_email=True, copy_sms=True, copy_fax=True)

    stats = deliver_due(grace=0)
    again = deliver_due(grace=0)

    assert (stats.sent, stats.failed, stats.retried) == (3, 0, 0)
    assert again.handled == 0
    assert sorted(c.channel for c in memory.outbox) == ["email", "fax", "sms"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.SENT}
    fax = next(c for c in memory.outbox if c.channel == "fax")
    assert fax.attachments[0].content.startswith(b"%PDF")
    assert [k for k, _ in copy_events(message)].count(HistoryEvent.COPY_SENT) == 3


def test_a_copy_is_claimed_by_one_worker_only(world: World) -> None:
    send(world.operateur_a, world.client_a, copy_email=True)
    delivery = Delivery.objects.get()
    rows = Delivery.objects.filter(pk=delivery.pk)

    claim, won = worker._claim(rows, 10)
    assert [d.pk for d in won] == [delivery.pk]
    assert (won[0].status, won[0].claimed_by, won[0].attempts) == (Delivery.SENDING, claim, 1)
    assert won[0].message.permanence == world.perm_a  # loaded with the claim
    assert worker._claim(rows, 10)[1] == []
    assert deliver_ids([delivery.id]) == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_by) == (Delivery.SENDING, 1, claim)
    assert memory.outbox == []


def test_a_claim_takes_no_more_than_asked_even_among_ties(world: World) -> None:
    others = [f.StaffFactory.create(permanence=world.perm_a) for _ in range(11)]
    send(world.operateur_a, world.client_a, copy_email=True, cc=[u.id for u in others])
    assert Delivery.objects.values("next_attempt_at").distinct().count() == 1  # all tied

    first = worker._claim(Delivery.objects.all(), 5)[1]
    second = worker._claim(Delivery.objects.all(), 5)[1]

    assert (len(first), len(second)) == (5, 5)
    assert not {d.pk for d in first} & {d.pk for d in second}
    assert Delivery.objects.filter(status=Delivery.QUEUED).count() == 2


def test_it_retries_a_temporary_failure_with_a_growing_delay(world: World, settings: Any) -> None:
    settings.RELAIS_DELIVERY_MAX_ATTEMPTS = 3
    memory.fail(world.client_a.email, "Serveur de messagerie injoignable.", permanent=False)
    message = send(world.operateur_a, world.client_a, copy_email=True)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        assert deliver_due(grace=0).retried == 1
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == (Delivery.QUEUED, 1)
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
        assert delivery.last_error == "Serveur de messagerie injoignable."
        assert deliver_due(grace=0).handled == 0  # not before its time

    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        assert deliver_due(grace=0).retried == 1
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=31 + 120)

    memory.reset()  # the server is back
    with time_machine.travel(start + dt.timedelta(seconds=160), tick=False):
        assert deliver_due(grace=0).sent == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Delivery.SENT, 3, "")
    events = copy_events(message)
    assert [k for k, _ in events] == [
        HistoryEvent.COPY_QUEUED,
        HistoryEvent.COPY_RETRY,
        HistoryEvent.COPY_RETRY,
        HistoryEvent.COPY_SENT,
    ]
    assert events[1][1].startswith(
        f"E-mail → {world.client_a.email} : Serveur de messagerie injoignable. Nouvel essai à "
    )
    assert events[1][1].endswith("(essai 2 sur 3).")


def test_it_gives_up_after_the_last_attempt(world: World, settings: Any) -> None:
    settings.RELAIS_DELIVERY_MAX_ATTEMPTS = 2
    settings.RELAIS_DELIVERY_BACKOFF_BASE = 0
    memory.fail(world.client_a.email, "Serveur de messagerie injoignable.", permanent=False)
    message = send(world.operateur_a, world.client_a, copy_email=True)

    assert deliver_due(grace=0).retried == 1
    assert deliver_due(grace=0).failed == 1

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.FAILED
    assert delivery.last_error == "Serveur de messagerie injoignable. Abandon après 2 essais."
    assert copy_events(message)[-1][0] == HistoryEvent.COPY_FAILED


def test_backoff_is_bounded() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 8)] == [
        30,
        120,
        480,
        1920,
        3600,
        3600,
        3600,
    ]


def test_an_invalid_number_fails_at_once_with_a_readable_reason(world: World) -> None:
    world.client_a.mobile = "+33491000000"  # a landline
    world.client_a.save()
    message = send(world.operateur_a, world.client_a, copy_sms=True)

    stats = deliver_due(grace=0)

    assert (stats.failed, stats.retried) == (1, 0)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.FAILED
    assert delivery.attempts == 1
    assert delivery.last_error == (
        "Le numéro +33491000000 n'est pas un mobile : il ne peut pas recevoir de SMS."
    )
    assert copy_events(message)[-1] == (
        HistoryEvent.COPY_FAILED,
        f"SMS → +33491000000 : {delivery.last_error}",
    )


def test_it_stops_a_channel_whose_provider_is_down_and_leaves_the_rest_queued(
    world: World,
) -> None:
    others = [
        f.StaffFactory.create(permanence=world.perm_a, email=f"o{i}@a.test") for i in range(3)
    ]
    send(world.operateur_a, world.client_a, copy_email=True, cc=[u.id for u in others])
    memory.fail(world.client_a.email, "Injoignable.", permanent=False, backend_down=True)

    stats = deliver_due(grace=0)

    assert (stats.retried, stats.skipped, stats.sent) == (1, 3, 0)
    assert Delivery.objects.filter(status=Delivery.QUEUED, attempts=0).count() == 3


def test_it_reclaims_a_copy_held_past_the_lease_and_checks_it_first(
    world: World, settings: Any
) -> None:
    message = send(world.operateur_a, world.client_a, copy_email=True, copy_sms=True)
    email, sms = Delivery.objects.order_by("channel")
    # A worker claimed both and died; it had handed the e-mail to the provider already.
    Delivery.objects.update(
        status=Delivery.SENDING,
        claimed_at=timezone.now() - dt.timedelta(seconds=settings.RELAIS_DELIVERY_LEASE - 5),
        claimed_by="dead:1",
        attempts=1,
    )
    from relais.delivery.content import build_copy

    memory.outbox.append(build_copy(email))

    assert deliver_due(grace=0).handled == 0  # the lease still runs

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=10), tick=False):
        stats = deliver_due(grace=0)

    assert stats.sent == 2
    assert len(memory.sent_to(email.to)) == 1  # found with the provider, not sent again
    assert len(memory.sent_to(sms.to)) == 1
    for delivery in (email, sms):
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.in_doubt) == (Delivery.SENT, 2, False)
    assert email.provider_id.startswith("memory-found")
    assert [k for k, _ in copy_events(message)].count(HistoryEvent.COPY_SENT) == 2


def test_a_wake_up_only_sends_what_is_due(world: World) -> None:
    send(world.operateur_a, world.client_a, copy_email=True, copy_sms=True)
    email, sms = Delivery.objects.order_by("channel")
    Delivery.objects.filter(pk=sms.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5), attempts=1
    )

    assert deliver_ids([email.id, sms.id, "not-an-id"]) == 1
    assert deliver_ids([email.id]) == 0
    assert [c.channel for c in memory.outbox] == ["email"]


def test_the_sweep_leaves_fresh_copies_to_their_wake_up(world: World) -> None:
    send(world.operateur_a, world.client_a, copy_email=True)

    assert deliver_due(grace=10).handled == 0
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=11), tick=False):
        assert deliver_due(grace=10).sent == 1


@pytest.mark.parametrize("copies", [1, 7, worker.CLAIM_CHUNK, 2 * worker.CLAIM_CHUNK + 3])
def test_a_batch_costs_two_queries_per_chunk_and_one_write_per_copy(
    world: World, copies: int
) -> None:
    cc = [f.StaffFactory.create(permanence=world.perm_a).id for _ in range(copies - 1)]
    messages = [send(world.operateur_a, world.client_a, copy_email=True, cc=cc)]
    # Copies of several messages, contacts and recipients: still loaded with their chunk.
    contact = f.ContactFactory.create(client=world.client_a, name="Mme Durand")
    messages.append(send(world.operateur_a, world.client_a, copy_sms=True, contact=contact.id))
    copies += 1

    with CaptureQueriesContext(connection) as captured:
        assert deliver_due(grace=0).sent == copies

    chunks = -(-copies // worker.CLAIM_CHUNK)
    # A last, empty claim only when the last chunk was full (more may have been due).
    claims = chunks + (copies % worker.CLAIM_CHUNK == 0)
    # Per chunk: the claim (one UPDATE) and the load of the copies with their content (one
    # SELECT). Per copy, the outcome, committed before the next send: on PostgreSQL one
    # statement; on SQLite its status and history line in one transaction (a savepoint in
    # this test's transaction: 2 statements + savepoint and release).
    per_copy = 1 if connection.vendor == "postgresql" else 4
    # The sweep's one look for escalation steps due (relais.escalation).
    escalation_scan = 1
    assert len(captured) == escalation_scan + claims + chunks + copies * per_copy, [
        q["sql"][:12] for q in captured if not q["sql"].startswith("WITH")
    ]
    sent = HistoryEvent.objects.filter(message__in=messages, kind=HistoryEvent.COPY_SENT)
    assert sent.count() == copies
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.SENT}


def test_a_claim_older_than_half_the_lease_hands_the_rest_back(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker stuck behind a slow provider stops sending the copies of its claim before
    another worker may take them back (after the lease)."""
    settings.RELAIS_DELIVERY_LEASE = 60
    others = [f.StaffFactory.create(permanence=world.perm_a) for _ in range(3)]
    send(world.operateur_a, world.client_a, copy_email=True, cc=[u.id for u in others])
    start = timezone.now()
    took = iter([5, 30, 30, 30])  # seconds each send takes
    send_one = worker._send_one

    def slow_send(*args: Any) -> Any:
        outcome = send_one(*args)
        traveller.shift(dt.timedelta(seconds=next(took)))
        return outcome

    monkeypatch.setattr(worker, "_send_one", slow_send)
    with time_machine.travel(start, tick=False) as traveller:
        stats = deliver_due(grace=0)

    # Two sent, by +5 s; at +35 s the claim is older than 30 s: the last two go back.
    assert (stats.sent, stats.skipped) == (2, 2)
    assert Delivery.objects.filter(status=Delivery.QUEUED, attempts=0).count() == 2
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 2


def test_the_sms_copy_is_concise_and_capped(world: World, settings: Any) -> None:
    settings.RELAIS_SMS_MAX_SEGMENTS = 2
    # No « Pris en compte » link here: the copy ends with the thread's link.
    world.client_a.ack_required = "none"
    world.client_a.save()
    contact = f.ContactFactory.create(
        client=world.client_a, name="Mme Durand", phone="+33611223344"
    )
    send(
        world.operateur_a,
        world.client_a,
        subject="Rappel « urgent »",
        body="Merci de rappeler l’hôpital — " * 40,
        contact=contact.id,
        is_urgent=True,
        copy_sms=True,
    )
    deliver_due(grace=0)

    (sms,) = memory.outbox
    from relais.delivery.sms import sms_info

    info = sms_info(sms.text)
    assert (info.encoding, info.segments) == ("GSM-7", 2)
    assert sms.sms_unicode is False
    assert sms.text.startswith(
        'Permanence Azur : URGENT - Rappel "urgent"\nDe : Mme Durand 06 11 22 33 44\n'
        "Merci de rappeler l'hopital - "
    )
    assert sms.text.endswith(f"...\nhttp://127.0.0.1:8000/messages/{sms.message_id}/")


@pytest.mark.django_db(transaction=True)
def test_workers_running_together_send_each_copy_once(world: World) -> None:
    others = [f.StaffFactory.create(permanence=world.perm_a) for _ in range(19)]
    for n in range(3):
        send(
            world.operateur_a,
            world.client_a,
            subject=f"Rappel {n}",
            copy_email=True,
            cc=[u.id for u in others],
        )
    expected = set(Delivery.objects.values_list("id", flat=True))
    assert len(expected) == 60
    errors: list[BaseException] = []

    def run() -> None:
        try:
            while deliver_due(grace=0, limit=7).handled:
                pass
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    sent = [c.delivery_id for c in memory.outbox]
    assert sorted(sent) == sorted(expected)  # every copy, each once
    assert Delivery.objects.filter(status=Delivery.SENT, attempts=1).count() == 60
    assert HistoryEvent.objects.filter(kind=HistoryEvent.COPY_SENT).count() == 60


@pytest.mark.django_db(transaction=True)
def test_a_claim_passes_over_rows_another_worker_is_claiming(world: World) -> None:
    """PostgreSQL: rows locked by a claim not yet committed are skipped, not waited for."""
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SQLite has one writer at a time: a second claim waits for the first")
    others = [f.StaffFactory.create(permanence=world.perm_a) for _ in range(9)]
    send(world.operateur_a, world.client_a, copy_email=True, cc=[u.id for u in others])
    holding, done = threading.Event(), threading.Event()
    first: list[Delivery] = []

    def slow_claim() -> None:
        try:
            with transaction.atomic():
                first.extend(worker._claim(Delivery.objects.all(), 4)[1])
                holding.set()
                done.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_claim)
    thread.start()
    try:
        assert holding.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting would fail the test
        second = worker._claim(Delivery.objects.all(), 10)[1]
    finally:
        done.set()
        thread.join(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")

    assert (len(first), len(second)) == (4, 6)
    assert not {d.pk for d in first} & {d.pk for d in second}
    assert Delivery.objects.filter(status=Delivery.SENDING).count() == 10


def test_a_wake_up_also_sends_what_else_is_due(world: World) -> None:
    """A backlog goes out through whichever wake-up runs first; the wake-ups queued behind find
    their copies sent. Each still counts its own copies only."""
    first = send(world.operateur_a, world.client_a, copy_email=True)
    second = send(world.operateur_a, world.client_a, copy_email=True, copy_sms=True)
    later = send(world.operateur_a, world.client_a, copy_fax=True)
    Delivery.objects.filter(message=later).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5)
    )
    own = list(Delivery.objects.filter(message=first).values_list("id", flat=True))
    theirs = list(Delivery.objects.filter(message=second).values_list("id", flat=True))

    assert deliver_ids(own) == 1

    sent = sorted(str(c.message_id) for c in memory.outbox)
    assert sent == sorted(str(m.id) for m in (first, second, second))
    assert deliver_ids(theirs) == 0  # already sent, once
    assert len(memory.outbox) == 3
    assert Delivery.objects.get(message=later).status == Delivery.QUEUED  # not due yet
    assert worker.deliver_ids_stats(own, drain=0).handled == 0
