"""A whole escalation with the clock moved (time-machine), across the autumn daylight-saving
night: no acknowledgement → step 1 sends again, step 2 reaches the on-call person of that hour,
the final step raises the operators' alert; an acknowledgement after step 1 stops the rest."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine

from relais.delivery.backends import memory
from relais.delivery.models import Delivery
from relais.delivery.worker import deliver_due
from relais.escalation.models import AckRequest, Escalation, EscalationStep
from relais.escalation.selectors import alerts_for_user, escalation_json
from relais.escalation.services import acknowledge, escalation_take_due
from relais.messaging.models import HistoryEvent, Message
from relais.messaging.services import task_set
from tests import factories as f
from tests.conftest import World, login
from tests.delivery.conftest import send
from tests.escalation.conftest import configure, girard

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# 2026-10-25 01:30 in Paris (summer time, UTC+2): 03:00 summer time becomes 02:00 winter time
# at 01:00 UTC that night.
SENT = dt.datetime(2026, 10, 24, 23, 30, tzinfo=UTC)


def at(minutes: float) -> dt.datetime:
    return SENT + dt.timedelta(minutes=minutes)


def sweep(when: dt.datetime) -> list[Any]:
    """The worker's sweep at that instant; the copies it sent."""
    before = len(memory.outbox)
    with time_machine.travel(when, tick=False):
        deliver_due(grace=0)
    return memory.outbox[before:]


def ack_link(copy: Any) -> str:
    found = re.search(r"https?://\S+/ack/(\S+)", copy.text)
    assert found, copy.text
    return found.group(1).rstrip(".")


@pytest.fixture
def night_world(world: World) -> dict[str, Any]:
    doctor = girard(world)
    day = f.StaffFactory.create(
        permanence=world.perm_a, first_name="Marc", last_name="Jour", mobile="+33622222222"
    )
    configure(world.client_a, night=doctor, day_staff=day)
    world.client_a.refresh_from_db()
    return {"girard": doctor, "day": day}


def urgent(world: World) -> Message:
    with time_machine.travel(SENT, tick=False):
        return send(
            world.operateur_a, world.client_a, is_urgent=True, copy_email=True, copy_sms=True
        )


def test_it_escalates_to_the_end_across_the_daylight_saving_night(
    world: World, night_world: dict[str, Any]
) -> None:
    message = urgent(world)
    escalation = Escalation.objects.get(message=message)
    assert escalation.state == Escalation.WAITING
    assert escalation.next_step_at == at(10)
    first = sweep(at(0))
    assert sorted(c.channel for c in first) == ["email", "sms"]
    assert all("/ack/" in c.text for c in first)  # each copy carries its own link
    assert "/ack/" in first[0].html or first[0].channel == "sms"

    assert sweep(at(9.9)) == []  # not yet due

    # Step 1: the same person again, by SMS and e-mail.
    step1 = sweep(at(10))
    assert sorted((c.channel, c.to) for c in step1) == [
        ("email", world.client_a.email),
        ("sms", world.client_a.mobile),
    ]
    escalation.refresh_from_db()
    assert escalation.state == Escalation.ESCALATED
    # Step 2 is planned 100 minutes later: 01:20 UTC, 02:20 *winter* time in Paris — still
    # Dr Girard's night (his slot ends at 03:00 wall clock, one hour later in real time).
    assert escalation.next_step_at == at(110)
    assert sweep(at(109)) == []
    step2 = sweep(at(110))
    assert [(c.channel, c.to) for c in step2] == [("sms", "+33611111111")]
    assert "Pris en compte ?" in step2[0].text and "/ack/" in step2[0].text

    # The final step: no copy, the operators' alert.
    assert sweep(at(139)) == []
    assert sweep(at(140)) == []
    escalation.refresh_from_db()
    assert escalation.state == Escalation.EXHAUSTED
    assert escalation.alert_at == at(140)
    alerts = alerts_for_user(user=world.operateur_a)
    assert [a["message"].id for a in alerts] == [message.id]
    phones = [n["e164"] for n in alerts[0]["numbers"]]
    assert world.client_a.mobile in phones and "+33611111111" in phones
    kinds = list(message.history.order_by("id").values_list("kind", flat=True))
    assert kinds.count(HistoryEvent.ESCALATION_STEP) == 2
    assert kinds[-1] == HistoryEvent.ESCALATION_ALERT
    assert [s["step"] for s in escalation_json(escalation)["steps_taken"]] == [1, 2]  # type: ignore[index]

    # Nothing more, ever.
    assert sweep(at(60 * 24)) == []
    assert Delivery.objects.count() == 5


def test_it_stops_everything_on_an_acknowledgement_after_step_1(
    world: World, night_world: dict[str, Any]
) -> None:
    message = urgent(world)
    sweep(at(0))
    step1 = sweep(at(10))
    assert len(step1) == 2
    token = ack_link(step1[0])
    http = login(world.operateur_a)
    http.logout()
    with time_machine.travel(at(12), tick=False):
        page = http.get(f"/ack/{token}")
        assert page.status_code == 200
        assert (
            "J&#x27;ai pris connaissance" in page.content.decode()
            or "J'ai pris" in page.content.decode()
        )
        assert Escalation.objects.get(message=message).ack_at is None  # a GET acknowledges nothing
        done = http.post(f"/ack/{token}")
    assert done.status_code == 200
    escalation = Escalation.objects.get(message=message)
    assert (escalation.state, escalation.ack_via, escalation.ack_at) == (
        Escalation.ACKNOWLEDGED,
        "link",
        at(12),
    )
    assert escalation.ack_by_name == world.client_a.name
    assert escalation.next_step_at is None
    for minutes in (110, 140, 60 * 24):
        assert sweep(at(minutes)) == []
    assert Delivery.objects.count() == 4
    assert EscalationStep.objects.count() == 1
    line = message.history.get(kind=HistoryEvent.ACKNOWLEDGED)
    assert line.detail == f"Pris en compte par {world.client_a.name} (lien)"


def test_it_lets_a_worker_that_was_down_take_the_late_steps_in_order_once(
    world: World, night_world: dict[str, Any]
) -> None:
    message = urgent(world)
    sweep(at(0))
    late = sweep(at(500))  # the worker comes back long after every step was due
    assert [(c.channel, c.to) for c in late] == [
        ("email", world.client_a.email),
        ("sms", world.client_a.mobile),
        # Step 2 reaches the on-call person of the hour it was due (02:20 winter time).
        ("sms", "+33611111111"),
    ] or sorted((c.channel, c.to) for c in late) == sorted(
        [
            ("email", world.client_a.email),
            ("sms", world.client_a.mobile),
            ("sms", "+33611111111"),
        ]
    )
    steps = list(EscalationStep.objects.values_list("step", "due_at"))
    assert steps == [(0, at(10)), (1, at(110))]
    assert Escalation.objects.get(message=message).alert_at == at(500)
    assert sweep(at(501)) == []
    with time_machine.travel(at(502), tick=False):
        assert escalation_take_due() == 0


def test_it_keeps_the_first_acknowledgement_only(world: World, night_world: dict[str, Any]) -> None:
    message = urgent(world)
    client_user = world.client_user_a
    with time_machine.travel(at(3), tick=False):
        assert acknowledge(
            message=message, via="portal", person_kind="client", person_id=client_user.id
        )
    with time_machine.travel(at(4), tick=False):
        assert not acknowledge(
            message=message, via="sms", person_kind="contact", person_id=night_world["girard"].id
        )
        assert not acknowledge(
            message=message, via="portal", person_kind="client", person_id=client_user.id
        )
    escalation = Escalation.objects.get(message=message)
    assert (escalation.ack_via, escalation.ack_at, escalation.ack_by_name) == (
        "portal",
        at(3),
        client_user.name,
    )
    assert message.history.filter(kind=HistoryEvent.ACKNOWLEDGED).count() == 1


def test_it_acknowledges_when_the_client_user_opens_the_thread(
    world: World, night_world: dict[str, Any]
) -> None:
    message = urgent(world)
    # Staff reading it acknowledges nothing.
    assert login(world.gerant_a).get(f"/messages/{message.id}/").status_code == 200
    assert Escalation.objects.get(message=message).ack_at is None
    assert login(world.client_user_a).get(f"/messages/{message.id}/").status_code == 200
    escalation = Escalation.objects.get(message=message)
    assert (escalation.ack_via, escalation.ack_by_id) == ("portal", world.client_user_a.id)


def test_it_stops_what_is_left_for_a_cancelled_task_or_a_private_message(
    world: World, night_world: dict[str, Any]
) -> None:
    with time_machine.travel(SENT, tick=False):
        task = send(world.operateur_a, world.client_a, is_urgent=True, is_task=True, copy_sms=True)
        other = send(world.operateur_a, world.client_a, is_urgent=True, copy_sms=True)
    sweep(at(0))
    with time_machine.travel(at(5), tick=False):
        task_set(user=world.operateur_a, message=task, action="cancel")
    Message.objects.filter(pk=other.pk).update(is_private=True)
    assert sweep(at(600)) == []
    for message, reason in ((task, "task_cancel"), (other, "private")):
        escalation = Escalation.objects.get(message=message)
        assert (escalation.state, escalation.stopped_reason) == (Escalation.EXHAUSTED, reason)
        assert escalation.alert_at is None
        assert message.history.filter(kind=HistoryEvent.ESCALATION_STOP).count() == 1


def test_it_asks_only_what_the_client_wants_acknowledged(world: World) -> None:
    normal = send(world.operateur_a, world.client_a, copy_email=True)
    urgent_one = send(
        world.operateur_a, world.client_a, is_urgent=True, copy_email=True, copy_fax=True
    )
    assert not Escalation.objects.filter(message=normal).exists()
    assert Escalation.objects.filter(message=urgent_one).exists()
    # E-mail and SMS copies carry a link; the fax does not.
    assert AckRequest.objects.filter(message=urgent_one).count() == 1
    world.client_a.ack_required = "none"
    world.client_a.save()
    none = send(world.operateur_a, world.client_a, is_urgent=True, copy_email=True)
    assert not Escalation.objects.filter(message=none).exists()
    world.client_a.ack_required = "all"
    world.client_a.save()
    every = send(world.operateur_a, world.client_a, copy_email=True)
    assert Escalation.objects.filter(message=every).exists()


def test_it_keeps_the_send_path_free_of_extra_queries(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    send(world.operateur_a, world.client_a, copy_email=True)  # warm the compiled queries
    with CaptureQueriesContext(connection) as plain:
        send(world.operateur_a, world.client_a, copy_email=True)
    with CaptureQueriesContext(connection) as asking:
        send(world.operateur_a, world.client_a, is_urgent=True, copy_email=True)
    # No read at all (the policy comes with the client); the two tables' INSERTs ride in the
    # send's single round trip on PostgreSQL (one statement per table elsewhere).
    assert len(asking) == len(plain) + (0 if connection.vendor == "postgresql" else 2)
    assert not any(
        q["sql"].lstrip().upper().startswith("SELECT")
        for q in asking.captured_queries[len(plain) :]
    )


def test_it_answers_now_with_who_is_on_call(world: World, night_world: dict[str, Any]) -> None:
    from relais.escalation.selectors import on_call_now

    with time_machine.travel(at(0), tick=False):
        now = on_call_now(client=world.client_a)
    assert now["who"]["name"] == "Dr Girard"
    # Until 03:00 wall clock: that night 03:00 summer time does not exist, the slot ends at
    # 03:00 winter time (02:00 UTC).
    assert now["until"] == "2026-10-25T03:00:00+01:00"
    assert now["until_local"].astimezone(dt.UTC) == dt.datetime(2026, 10, 25, 2, 0, tzinfo=UTC)


def test_it_finds_the_copy_an_sms_ok_answers(world: World, night_world: dict[str, Any]) -> None:
    from relais.escalation.selectors import ack_pending_delivery_for_phone

    older = urgent(world)
    with time_machine.travel(at(5), tick=False):
        newer = send(world.operateur_a, world.client_a, is_urgent=True, copy_sms=True)
    with time_machine.travel(at(6), tick=False):
        found = ack_pending_delivery_for_phone(
            permanence_id=world.perm_a.id, phone_e164=world.client_a.mobile
        )
        assert found is not None and found.message_id == newer.id
        assert found.ack_request.person_kind == "client"
        # Another permanence's number, or a number nobody was sent to: nothing.
        assert (
            ack_pending_delivery_for_phone(
                permanence_id=world.perm_b.id, phone_e164=world.client_a.mobile
            )
            is None
        )
        assert (
            ack_pending_delivery_for_phone(permanence_id=world.perm_a.id, phone_e164="+33700000000")
            is None
        )
        acknowledge(
            message=newer,
            via="sms",
            person_kind="client",
            person_id=world.client_a.id,
            delivery=found,
        )
        again = ack_pending_delivery_for_phone(
            permanence_id=world.perm_a.id, phone_e164=world.client_a.mobile
        )
        assert again is not None and again.message_id == older.id
    assert Escalation.objects.get(message=newer).ack_by_name == world.client_a.name
    # Past the window: nothing.
    with time_machine.travel(at(60 * 49), tick=False):
        assert (
            ack_pending_delivery_for_phone(
                permanence_id=world.perm_a.id, phone_e164=world.client_a.mobile
            )
            is None
        )


def test_it_follows_the_rota_across_the_spring_daylight_saving_night(
    world: World, night_world: dict[str, Any]
) -> None:
    from relais.escalation.policy import on_call_at

    client = world.client_a
    # 2026-03-29: at 02:00 Paris time clocks go to 03:00 (01:00 UTC).
    who, until = on_call_at(client, dt.datetime(2026, 3, 28, 23, 30, tzinfo=UTC))  # 00:30 CET
    assert who == {"kind": "contact", "id": str(night_world["girard"].id)}
    # His night ends at 03:00 wall clock, which that night is 01:00 UTC: 6 real hours since
    # 20:00, not 7.
    assert until == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    who, until = on_call_at(client, dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC))  # 03:00 CEST
    assert who == {"kind": "staff", "id": str(night_world["day"].id)}
    assert until == dt.datetime(2026, 3, 29, 18, 0, tzinfo=UTC)  # 20:00 CEST
    # A dated exception wins over the week and cuts the slot short.
    client.on_call = {
        **client.on_call,
        "exceptions": [
            {
                "from": "2026-03-29T10:00:00+02:00",
                "to": "2026-03-29T12:00:00+02:00",
                "who": {"kind": "contact", "id": str(night_world["girard"].id)},
            }
        ],
    }
    who, until = on_call_at(client, dt.datetime(2026, 3, 29, 7, 0, tzinfo=UTC))  # 09:00 CEST
    assert who == {"kind": "staff", "id": str(night_world["day"].id)}
    assert until == dt.datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    who, until = on_call_at(client, dt.datetime(2026, 3, 29, 9, 0, tzinfo=UTC))
    assert who == {"kind": "contact", "id": str(night_world["girard"].id)}
    assert until == dt.datetime(2026, 3, 29, 10, 0, tzinfo=UTC)


def test_it_never_escalates_a_private_message(world: World, night_world: dict[str, Any]) -> None:
    with time_machine.travel(SENT, tick=False):
        private = send(
            world.operateur_a, world.client_a, is_urgent=True, is_private=True, copy_sms=True
        )
    escalation = Escalation.objects.get(message=private)
    # Its copy asks for acknowledgement; its text never goes to anyone else.
    assert AckRequest.objects.filter(message=private).count() == 1
    assert (escalation.steps, escalation.final_alert, escalation.next_step_at) == ([], False, None)
    sweep(at(0))
    assert sweep(at(600)) == []
    assert Escalation.objects.get(message=private).state == Escalation.WAITING
