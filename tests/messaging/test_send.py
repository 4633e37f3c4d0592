"""message_send: what a send writes — the message, its recipients, read state, copies, history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relais.clients.models import Client, Company
from relais.core.errors import ValidationFailed
from relais.delivery.models import Delivery
from relais.messaging.models import HistoryEvent, Message, ReadState, Recipient
from relais.messaging.services import client_for_send, message_send
from relais.tenancy import permissions as perms
from relais.tenancy.models import User
from tests import factories as f
from tests.conftest import World
from tests.messaging.conftest import Send, rows, send_input


@pytest.fixture
def company(world: World) -> Company:
    """Client A in a company whose circle holds two client users of sibling clients."""
    company = f.CompanyFactory.create(
        permanence=world.perm_a, name="Cabinet dentaire des Calanques"
    )
    world.client_a.company = company
    world.client_a.save()
    for name in ("Dr Roche", "Dr Nguyen"):
        sibling = f.ClientFactory.create(permanence=world.perm_a, name=name, company=company)
        company.circle.add(f.ClientUserFactory.create(client=sibling, mobile="+33650123456"))
    return company


def test_it_sends_a_plain_message(world: World, send: Send) -> None:
    message, created = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=send_input(subject="  Rappel patient ", body="Ligne 1\n\n  Ligne 2  \n"),
    )
    assert created
    message.refresh_from_db()
    assert message.subject == "Rappel patient"
    # Line breaks and inner indentation are kept; only the outer blank is trimmed.
    assert message.body == "Ligne 1\n\n  Ligne 2"
    assert message.permanence_id == world.perm_a.id
    assert message.status == Message.STATUS_NORMAL
    assert message.due_date is None
    assert not (message.is_urgent or message.is_private or message.is_vad)
    assert message.last_activity_at == message.created_at or (
        abs(message.last_activity_at - message.created_at) < dt.timedelta(seconds=1)
    )
    assert list(ReadState.objects.filter(message=message).values_list("user_id", flat=True)) == [
        world.operateur_a.id
    ]
    assert list(message.history.values_list("kind", "actor_id")) == [
        (HistoryEvent.CREATED, world.operateur_a.id)
    ]
    assert not Recipient.objects.exists()
    assert not Delivery.objects.exists()


def test_it_sends_with_every_flag(
    world: World, company: Company, django_capture_on_commit_callbacks: object
) -> None:
    world.operateur_a.mobile = "+33611111111"
    world.operateur_a.save()
    cc_staff = f.StaffFactory.create(
        permanence=world.perm_a, email="karim@azur.test", mobile="+33622222222"
    )
    circle_user = company.circle.first()
    assert circle_user is not None
    contact = f.ContactFactory.create(client=world.client_a, name="Hélène Moreau")
    template = f.TemplateFactory.create(permanence=world.perm_a)
    due = dt.date(2031, 12, 12)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[operator]
        message, created = message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=send_input(
                cc=[str(cc_staff.id), circle_user.id, cc_staff.id],  # duplicates collapse
                is_task=True,
                due_date="12/12/2031",
                is_urgent=True,
                is_vad=True,
                contact=str(contact.id),
                template=template.id,
                copy_circle=True,
                copy_email=True,
                copy_sms=True,
                copy_fax=True,
            ),
        )
    assert created
    message.refresh_from_db()
    assert message.status == Message.STATUS_TODO and message.is_task and message.is_day_task
    assert message.due_date == due
    assert message.is_urgent and message.is_vad and not message.is_private
    assert message.contact_id == contact.id and message.template_id == template.id
    assert message.copy_circle and message.copy_email and message.copy_sms and message.copy_fax

    recipients = {(r.user_id, r.reason) for r in Recipient.objects.filter(message=message)}
    circle_ids = set(company.circle.values_list("id", flat=True))
    # A circle member already in copy is counted once, as a copy recipient.
    assert recipients == {(cc_staff.id, Recipient.CC), (circle_user.id, Recipient.CC)} | {
        (uid, Recipient.CIRCLE) for uid in circle_ids - {circle_user.id}
    }

    planned = set(Delivery.objects.filter(message=message).values_list("channel", "to"))
    client = world.client_a
    expected = {
        (Delivery.EMAIL, client.email),
        (Delivery.SMS, client.mobile),
        (Delivery.FAX, client.fax),
        (Delivery.EMAIL, cc_staff.email),
        (Delivery.SMS, cc_staff.mobile),
    }
    for user in User.objects.filter(id__in=circle_ids):
        expected.add((Delivery.EMAIL, user.email))
        expected.add((Delivery.SMS, user.mobile))
    assert planned == expected
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.QUEUED}

    history = list(message.history.values_list("kind", "detail"))
    assert history[:2] == [
        (HistoryEvent.CREATED, ""),
        (HistoryEvent.TASK_TODO, "A faire le 12/12/2031"),
    ]
    assert sorted(kind for kind, _ in history[2:]) == [HistoryEvent.COPY_QUEUED] * len(expected)
    # The worker is woken once, after commit, with ids only (beside it, on SQLite, the live
    # event's hand-over to the streams of this process).
    wakeups = [c for c in callbacks if "deliveries_enqueue" in c.__qualname__]  # type: ignore[union-attr]
    assert len(wakeups) == 1


@pytest.mark.parametrize("value", ["2031-12-12", "12/12/2031", dt.date(2031, 12, 12)])
def test_it_accepts_a_due_date_in_both_formats(send: Send, value: object) -> None:
    message = send(is_task=True, due_date=value)
    assert message.due_date == dt.date(2031, 12, 12)


def test_it_makes_a_task_without_a_date(send: Send) -> None:
    message = send(is_task=True)
    assert message.status == Message.STATUS_TODO and message.due_date is None
    assert not message.is_day_task


def test_it_lets_a_client_user_write_to_the_permanence(world: World, send: Send) -> None:
    message = send(author=world.client_user_a, subject="Absence", is_client_remark=False)
    assert message.author_id == world.client_user_a.id
    remark = send(author=world.client_user_a, subject="Accueil", is_client_remark=True)
    assert remark.is_client_remark


def test_it_lets_a_private_message_through_without_copies(world: World, send: Send) -> None:
    message = send(is_private=True, copy_email=True)
    assert message.is_private
    assert not Recipient.objects.filter(message=message).exists()
    # The client's own copy still leaves: private means no one else.
    assert list(Delivery.objects.values_list("to", flat=True)) == [world.client_a.email]


def test_it_refuses_authors_without_the_right(world: World, send: Send) -> None:
    role = world.operateur_a.role
    assert role is not None
    role.permissions = [perms.MESSAGES_READ]
    role.save()
    before = rows()
    from relais.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        send()
    other_client = f.ClientFactory.create(permanence=world.perm_a)
    with pytest.raises(PermissionDenied):
        send(author=world.client_user_a, client=other_client)
    assert rows() == before


def test_it_answers_not_found_for_another_permanences_client(world: World, send: Send) -> None:
    from relais.core.errors import NotFound

    with pytest.raises(NotFound):
        send(author=world.gerant_b, client=world.client_a)
    assert not Message.objects.exists()


def _send_queries(world: World, cc: list[User], **flags: object) -> int:
    """What a send costs as the composer and the API make it: the client read with its
    lookups (client_for_send), then message_send."""
    data = send_input(cc=[u.id for u in cc], **flags)
    with CaptureQueriesContext(connection) as ctx:
        client = client_for_send(world.operateur_a, world.client_a.id, data)
        message_send(author=world.operateur_a, client=client, data=data)
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("flags", "on_postgres", "on_sqlite"),
    [
        ({}, [4, 4, 4], [7, 8, 8]),
        (
            {"is_task": True, "due_date": "2031-12-12", "copy_email": True, "copy_sms": True},
            [4, 4, 4],
            [8, 9, 9],
        ),
        (
            {"copy_circle": True, "copy_email": True, "copy_sms": True, "copy_fax": True},
            [5, 5, 5],
            [10, 10, 10],
        ),
    ],
    ids=["plain", "task-and-copies", "circle-and-every-copy"],
)
def test_it_sends_with_0_1_and_10_cc_in_the_same_queries(
    world: World,
    company: Company,
    flags: dict[str, object],
    on_postgres: list[int],
    on_sqlite: list[int],
) -> None:
    """One copy recipient costs what ten cost, and what none costs: the copy recipients are
    read with the client, and on PostgreSQL every row (message, recipients, read state,
    history, outbox) goes in one statement. On SQLite each table's INSERT is a statement of
    its own (in-process: no round trip), so a send without copy recipients has one less.
    Each count includes the live event (relais.events): on PostgreSQL its INSERT and NOTIFY
    are one more statement of the rows' round trip, on SQLite an INSERT of its own."""
    staff = [
        f.StaffFactory.create(permanence=world.perm_a, mobile=f"+3361234560{i}") for i in range(10)
    ]
    _send_queries(world, [])  # warm-up: caches that fill once per process
    counts = [_send_queries(world, staff[:n], **flags) for n in (0, 1, 10)]
    assert counts == (on_postgres if connection.vendor == "postgresql" else on_sqlite)
    assert Recipient.objects.filter(reason=Recipient.CC).count() == 11


def test_it_sends_the_same_without_the_lookups_read_with_the_client(world: World) -> None:
    """message_send called with a plain client (demo data, scripts) looks the contact and
    the copy recipients up itself, with the same result."""
    staff = [f.StaffFactory.create(permanence=world.perm_a) for _ in range(3)]
    contact = f.ContactFactory.create(client=world.client_a)
    data = send_input(cc=[u.id for u in staff], contact=contact.id)
    plain, _ = message_send(author=world.operateur_a, client=world.client_a, data=data)
    looked_up = client_for_send(world.operateur_a, world.client_a.id, data)
    fast, _ = message_send(author=world.operateur_a, client=looked_up, data=data)
    for message in (plain, fast):
        assert message.contact_id == contact.id
        assert set(message.recipients.values_list("user_id", flat=True)) == {u.id for u in staff}


def test_it_refuses_copy_recipients_the_client_lookup_did_not_find(world: World) -> None:
    outsider = world.gerant_b
    data = send_input(cc=[outsider.id])
    client = client_for_send(world.operateur_a, world.client_a.id, data)
    with pytest.raises(ValidationFailed) as exc:
        message_send(author=world.operateur_a, client=client, data=data)
    assert "cc" in exc.value.errors
    assert not Message.objects.exists()


def test_it_writes_recipients_and_history_in_bulk(world: World) -> None:
    staff = [f.StaffFactory.create(permanence=world.perm_a) for _ in range(10)]
    with CaptureQueriesContext(connection) as ctx:
        message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=send_input(cc=[u.id for u in staff], copy_email=True, is_task=True),
        )
    sql = "\n".join(q["sql"] for q in ctx.captured_queries)
    for model in (Message, Recipient, ReadState, HistoryEvent, Delivery):
        assert sql.count(f'INSERT INTO "{model._meta.db_table}"') == 1, model
    assert Recipient.objects.count() == 10
    assert Delivery.objects.count() == 11
    assert HistoryEvent.objects.count() == 13  # created, task, 11 copies queued


def test_it_counts_the_client_coordinates_as_given(world: World) -> None:
    # The factory's client has every coordinate; a bare one has none.
    bare = Client.objects.create(permanence=world.perm_a, name="Serrurerie Provençale")
    message, _ = message_send(author=world.operateur_a, client=bare, data=send_input())
    assert message.client_id == bare.id


def _detail_shape(detail: dict[str, object]) -> dict[str, object]:
    return {
        "replies": [r.id for r in detail["replies"]],  # type: ignore[attr-defined]
        "history": [(e.kind, e.actor_id, e.detail) for e in detail["history"]],  # type: ignore[attr-defined]
        "recipients": [(r.user_id, r.reason) for r in detail["recipients"]],  # type: ignore[attr-defined]
        "reads": sorted(detail["reads"]),  # type: ignore[call-overload]
        "deliveries": sorted((d.channel, d.to) for d in detail["deliveries"]),  # type: ignore[attr-defined]
    }


def test_it_answers_the_sends_detail_without_reading_it_back(
    world: World, company: Company
) -> None:
    from relais.messaging.selectors import access_message_by_id, thread_detail
    from relais.messaging.services import reply_post

    cc = f.StaffFactory.create(permanence=world.perm_a, mobile="+33622222222")
    sent = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=send_input(cc=[cc.id], copy_circle=True, copy_email=True, is_task=True),
    )
    message = sent.message
    with CaptureQueriesContext(connection) as ctx:
        fresh = thread_detail(user=world.operateur_a, message=message, sent=sent.detail)
    assert len(ctx.captured_queries) == 0
    read_back = thread_detail(
        user=world.operateur_a, message=access_message_by_id(world.operateur_a, message.id)
    )
    assert _detail_shape(fresh) == _detail_shape(read_back)
    # Without the send's detail (any later read, after another write) it reads the tables.
    reply_post(author=world.operateur_a, message=message, body="Rappelé.")
    with CaptureQueriesContext(connection) as ctx:
        after = thread_detail(user=world.operateur_a, message=message)
    assert len(ctx.captured_queries) == 5
    assert len(after["replies"]) == 1
