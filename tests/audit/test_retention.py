"""Lifetimes and the daily purge (issue 19, point 9): with the clock moved, the purge removes
exactly what is past its time and nothing else, in small batches, traced; killed halfway it runs
again and ends the same. CI runs it on PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from relais.audit import retention
from relais.audit.models import AuditEvent, DataPolicy, MessageRead, PurgeRun
from relais.audit.policy import defaults
from relais.audit.services import audit_record, message_read_record
from relais.delivery.models import Delivery, OutboxCopy
from relais.messaging.models import HistoryEvent, Message, Reply
from relais.messaging.services import SendInput, message_send, reply_post
from tests.conftest import World, login

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def send_at(world: World, when: dt.datetime, subject: str, *, b: bool = False) -> Message:
    with time_machine.travel(when, tick=False):
        message, _ = message_send(
            author=world.gerant_b if b else world.operateur_a,
            client=world.client_b if b else world.client_a,
            data=SendInput(subject=subject, body="Corps", copy_email=not b),
        )
    return message


def outbox_at(world: World, when: dt.datetime, message: Message) -> OutboxCopy:
    with time_machine.travel(when, tick=False):
        return OutboxCopy.objects.create(
            permanence=world.perm_a,
            delivery_id=uuid.uuid4(),
            message=message,
            channel="email",
            to="x@y.test",
            text="Corps",
        )


@pytest.fixture
def scene(world: World) -> dict[str, Any]:
    """Permanence A keeps messages and history 30 days, outbox copies 7, traces 180;
    permanence B keeps the defaults (3 years)."""
    DataPolicy.objects.create(
        permanence=world.perm_a,
        **{
            **defaults(),
            "messages_days": 30,
            "history_days": 30,
            "outbox_days": 7,
            "traces_days": 180,
        },
    )
    old = send_at(world, ago(40), "Ancien")
    revived = send_at(world, ago(40), "Ancien mais repris")
    with time_machine.travel(ago(10), tick=False):
        reply_post(author=world.operateur_a, message=revived, body="Rappelé.")
    fresh = send_at(world, ago(5), "Récent")
    edge = send_at(world, ago(29.9), "Presque")
    other = send_at(world, ago(400), "Chez B", b=True)
    copies = {
        "old": outbox_at(world, ago(10), revived),
        "new": outbox_at(world, ago(3), fresh),
    }
    for days in (200, 100):
        with time_machine.travel(ago(days), tick=False):
            message_read_record(user=world.operateur_a, message_id=revived.id, via="page")
            audit_record(permanence_id=world.perm_a.id, kind="login", detail={"days": days})
            audit_record(permanence_id=world.perm_b.id, kind="login", detail={"days": days})
    history: dict[Any, list[tuple[str, dt.datetime]]] = {}
    for line in HistoryEvent.objects.all():
        history.setdefault(line.message_id, []).append((line.kind, line.at))
    return {
        "history": history,
        "old": old,
        "revived": revived,
        "fresh": fresh,
        "edge": edge,
        "other": other,
        "copies": copies,
    }


def state() -> dict[str, Any]:
    return {
        "messages": sorted(Message.objects.values_list("subject", flat=True)),
        "replies": Reply.objects.count(),
        "history": sorted(
            HistoryEvent.objects.values_list("message__subject", "kind", "at").order_by()
        ),
        "deliveries": sorted(Delivery.objects.values_list("message__subject", flat=True)),
        "outbox": sorted(OutboxCopy.objects.values_list("created_at", flat=True)),
        "reads": sorted(MessageRead.objects.values_list("at", flat=True)),
        "audit": sorted(
            (str(p), d["days"])
            for p, d in AuditEvent.objects.exclude(kind="purged").values_list(
                "permanence_id", "detail"
            )
        ),
    }


def test_it_removes_exactly_what_is_past_its_time(world: World, scene: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False):
        results = retention.purge_all()
    assert sorted(Message.objects.values_list("subject", flat=True)) == [
        "Ancien mais repris",
        "Chez B",
        "Presque",
        "Récent",
    ]
    # The old message went with its copies and history.
    assert not Delivery.objects.filter(message_id=scene["old"].id).exists()
    assert not HistoryEvent.objects.filter(message_id=scene["old"].id).exists()
    # The revived one stays with its reply, but its history lines of 40 days ago go.
    revived = scene["revived"]
    assert Reply.objects.filter(message=revived).count() == 1
    lines = HistoryEvent.objects.filter(message=revived)
    assert lines.exists() and all(e.at >= ago(30) for e in lines)
    assert HistoryEvent.objects.filter(message=scene["edge"]).exists()
    # Outbox copies: 7 days.
    assert list(OutboxCopy.objects.values_list("id", flat=True)) == [scene["copies"]["new"].id]
    # Traces: 180 days in A; B keeps its defaults (a year), so both of its lines stay.
    assert [r.at for r in MessageRead.objects.all()] == [ago(100)]
    kept = AuditEvent.objects.exclude(kind="purged")
    assert sorted((str(e.permanence_id), e.detail["days"]) for e in kept) == sorted(
        [(str(world.perm_a.id), 100), (str(world.perm_b.id), 100), (str(world.perm_b.id), 200)]
    )
    # What it removed is traced, per permanence.
    (trace,) = AuditEvent.objects.filter(kind="purged", permanence=world.perm_a)
    assert trace.detail["removed"] == results[str(world.perm_a.id)]
    assert results[str(world.perm_a.id)]["messages"] == 1
    assert results[str(world.perm_a.id)]["outbox"] == 1
    assert results[str(world.perm_a.id)]["reads"] == 1
    assert results[str(world.perm_a.id)]["audit"] == 1
    assert str(world.perm_b.id) not in results
    # Nothing more the second time.
    with time_machine.travel(NOW, tick=False):
        assert retention.purge_all() == {}


@pytest.fixture
def tiny_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    small = {name: dataclasses.replace(p, batch=1) for name, p in retention.REGISTRY.items()}
    monkeypatch.setattr(retention, "REGISTRY", small)
    yield


def final_state(world: World, scene: dict[str, Any]) -> dict[str, Any]:
    """What an uninterrupted purge at NOW leaves (test_it_removes_exactly_what_is_past_its_time
    checks it piece by piece)."""
    kept_history = sorted(
        (m.subject, kind, at)
        for m in (scene["revived"], scene["fresh"], scene["edge"], scene["other"])
        for kind, at in scene["history"][m.id]
        if m.client_id != world.client_a.id or at >= ago(30)
    )
    return {
        "messages": ["Ancien mais repris", "Chez B", "Presque", "Récent"],
        "replies": 1,
        "history": kept_history,
        "deliveries": sorted(["Ancien mais repris", "Presque", "Récent"]),
        "outbox": [scene["copies"]["new"].created_at],
        "reads": [ago(100)],
        "audit": sorted(
            [(str(world.perm_a.id), 100), (str(world.perm_b.id), 100), (str(world.perm_b.id), 200)]
        ),
    }


def test_an_uninterrupted_run_leaves_the_final_state(world: World, scene: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False):
        retention.purge_all()
    assert state() == final_state(world, scene)


@pytest.mark.parametrize("kill_at", [1, 2, 3, 4, 5])
def test_killed_halfway_it_runs_again_and_ends_the_same(
    world: World, scene: dict[str, Any], tiny_batches: None, kill_at: int
) -> None:
    before = state()
    batches: list[str] = []

    def kill(name: str, total: int) -> None:
        batches.append(name)
        if len(batches) == kill_at:
            raise retention.Interrupted()

    with time_machine.travel(NOW, tick=False), pytest.raises(retention.Interrupted):
        retention.purge_permanence(permanence_id=world.perm_a.id, on_batch=kill)
    halfway = state()
    # Only whole batches before the kill are gone (one row each here); the rest is untouched.
    assert halfway != final_state(world, scene)
    removed = sum(len(before[k]) - len(halfway[k]) for k in ("messages", "outbox", "reads"))
    assert removed <= kill_at - 1
    with time_machine.travel(NOW, tick=False):
        retention.purge_all()
        retention.purge_all()
    assert state() == final_state(world, scene)


def test_the_daily_run_is_claimed_once_and_taken_back_after_a_dead_worker(
    world: World, scene: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=False):
        PurgeRun.objects.create(day=timezone.localdate(), started_at=NOW - dt.timedelta(minutes=5))
        assert retention.purge_if_due() is False  # another worker is on it
        assert Message.objects.filter(id=scene["old"].id).exists()
    later = NOW + dt.timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        assert retention.purge_if_due() is True  # that worker died: taken back
        assert not Message.objects.filter(id=scene["old"].id).exists()
        assert retention.purge_if_due() is False  # done for today
    run = PurgeRun.objects.get()
    assert run.finished_at is not None and run.removed[str(world.perm_a.id)]["messages"] == 1


def test_the_worker_runs_the_purge_once_a_day(world: World, scene: dict[str, Any]) -> None:
    from relais.delivery.management.commands.relais_worker import Command

    command = Command()
    with time_machine.travel(NOW, tick=False):
        command._daily_purge()
        command._daily_purge()
    assert PurgeRun.objects.count() == 1
    assert not Message.objects.filter(id=scene["old"].id).exists()


def test_a_new_table_registers_itself(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The call journal (another app) plugs in the same way; here a stand-in on Banner rows."""
    from relais.messaging.models import Banner

    monkeypatch.setattr(retention, "REGISTRY", dict(retention.REGISTRY))
    retention.register(
        retention.Purgeable(
            name="calls",
            label="Appels",
            policy_field="calls_days",
            past=lambda permanence_id, cutoff: Banner.objects.filter(
                permanence_id=permanence_id, created_at__lt=cutoff
            ),
        )
    )
    with time_machine.travel(ago(400), tick=False):
        Banner.objects.create(permanence=world.perm_a, text="Vieux", place="home")
    Banner.objects.create(permanence=world.perm_a, text="Neuf", place="home")
    with time_machine.travel(NOW, tick=False):
        removed = retention.purge_permanence(permanence_id=world.perm_a.id)
    assert removed == {"calls": 1}
    assert list(Banner.objects.values_list("text", flat=True)) == ["Neuf"]


# --- the settings page ----------------------------------------------------------------------


def test_the_gerant_sets_lifetimes_with_a_minimum_enforced(world: World) -> None:
    http = login(world.gerant_a)
    url = reverse("ui:retention")
    page = http.get(url).content.decode()
    assert "Durées de conservation" in page and 'value="1095"' in page
    form = {**{k: str(v) for k, v in defaults().items() if k != "totp_required"}}
    refused = http.post(url, {**form, "traces_days": "30"})
    assert refused.status_code == 422
    assert "Au moins 180 jours." in refused.content.decode()
    assert not DataPolicy.objects.exists()
    assert http.post(url, {**form, "traces_days": "abc"}).status_code == 422
    assert http.post(url, {**form, "messages_days": "99999"}).status_code == 422
    done = http.post(url, {**form, "messages_days": "365", "session_idle_minutes": "15"})
    assert done.status_code == 302
    policy = DataPolicy.objects.get(permanence=world.perm_a)
    assert (policy.messages_days, policy.session_idle_minutes) == (365, 15)
    (event,) = AuditEvent.objects.filter(kind="settings_changed")
    assert event.detail["changed"]["messages_days"] == [1095, 365]
    assert login(world.operateur_a).post(url, form).status_code == 403
    assert login(world.client_user_a).get(url).status_code == 403


def test_a_purge_process_killed_halfway_leaves_whole_batches_and_the_next_run_finishes(
    world: World, tmp_path: Any
) -> None:
    """A real process, SIGKILLed while it deletes: what it committed stays committed, nothing is
    half-done, and `relais_purge` run again ends exactly where one run would have."""
    import signal
    import subprocess

    from tests.delivery.conftest import manage, worker_env

    # The default lifetime of traces is 365 days.
    old, recent = timezone.now() - dt.timedelta(days=400), timezone.now() - dt.timedelta(days=10)
    message = send_at(world, recent, "Lu")
    rows = [
        MessageRead(
            permanence_id=world.perm_a.id,
            message_id=message.id,
            user_id=world.operateur_a.id,
            at=at,
            via="api",
        )
        for at in [old] * 3000 + [recent] * 50
    ]
    MessageRead.objects.bulk_create(rows, batch_size=1000)
    env = worker_env(tmp_path, RELAIS_PURGE_BATCH="5")
    process = manage("relais_purge", env=env, wait=False)
    assert isinstance(process, subprocess.Popen)
    deadline = time.monotonic() + 60
    while MessageRead.objects.count() > 3050 - 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    halfway = MessageRead.objects.filter(at__lt=timezone.now() - dt.timedelta(days=365)).count()
    log = (tmp_path / "relais_purge.log").read_text()
    assert 0 < halfway < 3000, f"killed before it started or after it finished: {log}"
    assert halfway % 5 == 0  # whole batches only
    assert MessageRead.objects.filter(at__gte=recent).count() == 50
    assert not AuditEvent.objects.filter(kind="purged").exists()  # it never got to the end

    done = manage("relais_purge", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert MessageRead.objects.count() == 50
    assert all(r.at == recent for r in MessageRead.objects.all())
    (trace,) = AuditEvent.objects.filter(kind="purged", permanence=world.perm_a)
    assert trace.detail["removed"]["reads"] == halfway
