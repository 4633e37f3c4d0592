"""« Prévenir d'un retard / d'une absence »: the services (relais.planning.notices)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.delivery.backends import memory
from relais.delivery.models import Delivery
from relais.delivery.worker import deliver_due
from relais.messaging.models import HistoryEvent, Message
from relais.messaging.selectors import visible_messages
from relais.planning.models import Appointment, Movement, Notice, NoticeSettings
from relais.planning.notices import (
    DEFAULT_TEXTS,
    NoticeInput,
    notice_preview,
    notice_send,
    notice_settings_update,
)
from relais.tenancy import permissions as perms
from tests import factories as f
from tests.conftest import World
from tests.planning.notice_scene import AFTERNOON, NoticeDay, build_day

MONDAY = dt.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[None]:
    moment = timezone.make_aware(dt.datetime.combine(MONDAY, dt.time(8, 0)))
    with time_machine.travel(moment, tick=False):
        memory.reset()
        yield
        memory.reset()


@pytest.fixture
def day(world: World) -> NoticeDay:
    return build_day(world.client_a, world.operateur_a, MONDAY)


def delay(**extra: Any) -> NoticeInput:
    values: dict[str, Any] = {
        "kind": "delay",
        "date": MONDAY.isoformat(),
        "from_time": "14:00",
        "minutes": 40,
    }
    values.update(extra)
    return NoticeInput(**values)


def absence(**extra: Any) -> NoticeInput:
    values: dict[str, Any] = {
        "kind": "absence",
        "date": (MONDAY + dt.timedelta(days=1)).isoformat(),
        "to_date": (MONDAY + dt.timedelta(days=2)).isoformat(),
        "cancel_appointments": True,
    }
    values.update(extra)
    return NoticeInput(**values)


def message_of(notice: Notice) -> Message:
    assert notice.message_id is not None
    return Message.objects.get(pk=notice.message_id)


def nothing_written() -> None:
    assert not Notice.objects.exists()
    assert not Delivery.objects.exists()
    assert not Message.objects.exists()
    assert not Movement.objects.filter(kind__in=[Movement.NOTICE, Movement.CANCELLED]).exists()
    assert not Appointment.objects.filter(status=Appointment.CANCELLED).exists()


def test_it_previews_the_appointments_from_the_time_with_their_channel(
    world: World, day: NoticeDay
) -> None:
    preview = notice_preview(user=world.operateur_a, client=world.client_a, data=delay())
    assert [r.contact.name for r in preview.recipients] == AFTERNOON
    channels = {r.contact.name: r.channel for r in preview.recipients}
    assert channels == {
        "Hélène Durand": "sms",
        "Marc Petit": "sms",
        "Zoé Martin": "sms",
        "Sophie Fixe": "email",
        "Henri Sansrien": "call",
    }
    durand = preview.recipients[0]
    assert durand.text == (
        "Bonjour Hélène Durand, Dr Cécile Lemoine a environ 40 min de retard. Votre "
        "rendez-vous du 07/12/2026 à 14:00 est décalé d'autant. Merci de votre compréhension."
    )
    assert durand.sms_segments == 1
    assert preview.sms_total == 3
    assert not Notice.objects.exists()


def test_it_sends_one_copy_per_contact_through_the_worker(world: World, day: NoticeDay) -> None:
    notice, created = notice_send(
        author=world.operateur_a, client=world.client_a, data=delay(), idempotency_key="k1"
    )
    assert created
    copies = Delivery.objects.filter(message=message_of(notice)).order_by("to_name")
    assert [(d.to_name, d.channel, d.status) for d in copies] == [
        ("Hélène Durand", "sms", "queued"),
        ("Marc Petit", "sms", "queued"),
        ("Sophie Fixe", "email", "queued"),
        ("Zoé Martin", "sms", "queued"),
    ]
    assert notice.to_call[0]["name"] == "Henri Sansrien"
    stats = deliver_due(grace=0)
    assert stats.sent == 4
    texts = {c.to: c.text for c in memory.outbox}
    assert texts["+33687654321"].startswith("Bonjour Marc Petit, Dr Cécile Lemoine a environ 40")
    assert "14:30" in texts["+33687654321"]
    email = memory.sent_to("sophie@example.test")[0]
    assert email.subject == "Votre rendez-vous — Dr Cécile Lemoine"
    assert "Bonjour Sophie Fixe" in email.text and "16:00" in email.text
    assert "Sophie Fixe" in email.html
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_it_writes_the_summary_on_the_client_file_and_a_journal_line(
    world: World, day: NoticeDay
) -> None:
    notice, _ = notice_send(author=world.operateur_a, client=world.client_a, data=delay())
    message = message_of(notice)
    assert message.subject == "Retard de 40 min signalé à 4 patients"
    assert "Henri Sansrien" in message.body and "À appeler" in message.body
    assert not message.is_private
    # The client sees it, with each copy's status on the thread.
    assert visible_messages(world.client_user_a).filter(id=message.id).exists()
    queued = HistoryEvent.objects.filter(message=message, kind=HistoryEvent.COPY_QUEUED)
    assert queued.count() == 4
    line = Movement.objects.get(kind=Movement.NOTICE)
    assert line.notice_id == notice.id and line.appointment_id is None
    assert line.summary == "Retard de 40 min signalé à 4 patients"
    assert line.actor == world.operateur_a


def test_it_leaves_out_the_contacts_unticked(world: World, day: NoticeDay) -> None:
    petit = day.contacts["Marc Petit"].id
    data = delay(exclude=[str(petit)])
    preview = notice_preview(user=world.operateur_a, client=world.client_a, data=data)
    assert [r.included for r in preview.recipients].count(False) == 1
    assert preview.sms_total == 2
    notice, _ = notice_send(author=world.operateur_a, client=world.client_a, data=data)
    assert not Delivery.objects.filter(contact_id=petit).exists()
    assert notice.recipient_count == 3


def test_an_absence_cancels_each_appointment_once_and_a_second_click_sends_nothing(
    world: World,
) -> None:
    tuesday, wednesday = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)
    first = build_day(world.client_a, world.operateur_a, tuesday)
    second = f.AppointmentFactory.create(
        client=world.client_a,
        contact=first.contacts["Marc Petit"],
        date=wednesday,
        start=dt.time(9, 0),
        created_by=world.operateur_a,
    )
    nobody = f.AppointmentFactory.create(
        client=world.client_a, date=wednesday, start=dt.time(10, 0), created_by=world.operateur_a
    )
    notice, created = notice_send(
        author=world.operateur_a, client=world.client_a, data=absence(), idempotency_key="abs-1"
    )
    assert created
    booked = [*first.appointments.values(), second, nobody]
    assert sorted(notice.cancelled) == sorted(str(a.id) for a in booked)
    assert Appointment.objects.filter(status=Appointment.CANCELLED).count() == 10
    journal = Movement.objects.filter(kind=Movement.CANCELLED)
    assert journal.count() == 10
    assert sorted(journal.values_list("appointment_id", flat=True)) == sorted(a.id for a in booked)
    # 8 contacts (Marc Petit once, of his first appointment): 7 copies, 1 to call.
    assert Delivery.objects.count() == 7
    assert notice.recipient_count == 7
    subject = message_of(notice).subject
    assert subject == (
        "Absence du 08/12/2026 au 09/12/2026 signalée à 7 patients, 10 rendez-vous annulés"
    )
    again, created = notice_send(
        author=world.operateur_a, client=world.client_a, data=absence(), idempotency_key="abs-1"
    )
    assert not created and again.id == notice.id
    assert Delivery.objects.count() == 7
    assert Movement.objects.filter(kind=Movement.CANCELLED).count() == 10
    assert Notice.objects.count() == 1 and Message.objects.count() == 1


def test_a_retried_delay_with_the_same_key_sends_once(world: World, day: NoticeDay) -> None:
    one, _ = notice_send(
        author=world.operateur_a, client=world.client_a, data=delay(), idempotency_key="same"
    )
    two, created = notice_send(
        author=world.operateur_a, client=world.client_a, data=delay(), idempotency_key="same"
    )
    assert not created and two.id == one.id
    assert Delivery.objects.count() == 4


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (delay(date="2026-12-04"), "date", "La date est passée"),
        (absence(date="2026-12-01", to_date="2026-12-02"), "date", "La date est passée"),
        (absence(to_date="2026-12-07"), "to_date", "La période est vide"),
        (delay(date="2026-12-12"), "date", "Aucun patient à prévenir"),
        (delay(minutes=0), "minutes", "Retard : entre 5 minutes et 4 heures"),
        (delay(minutes=1000), "minutes", "Retard : entre 5 minutes et 4 heures"),
        (delay(minutes="beaucoup"), "minutes", "Retard : un nombre de minutes"),
        (delay(from_time="25:00"), "from_time", "Heure invalide"),
        (delay(kind="vacances"), "kind", "Type d'avis invalide"),
        (delay(text="Bonjour {patient}"), "text", "variable inconnue {patient}"),
        (delay(text="Bonjour {contact}. " + "Votre rendez-vous. " * 30), "text", "SMS pour"),
        (delay(text="x" * 1001), "text", "1000 caractères au maximum"),
        (delay(exclude=["pas-un-id"]), "exclude", "introuvable"),
    ],
)
def test_it_refuses_bad_input_in_french_and_writes_nothing(
    world: World, day: NoticeDay, data: NoticeInput, field: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        notice_send(author=world.operateur_a, client=world.client_a, data=data)
    assert field in raised.value.errors
    assert words in " ".join(raised.value.errors[field])
    nothing_written()


def test_an_absence_with_everyone_unticked_and_nothing_to_cancel_is_refused(
    world: World, day: NoticeDay
) -> None:
    data = delay(exclude=[str(c.id) for c in day.contacts.values()])
    with pytest.raises(ValidationFailed, match="tous sont décochés"):
        notice_send(author=world.operateur_a, client=world.client_a, data=data)
    nothing_written()


def test_another_permanence_gets_not_found_and_a_missing_right_forbidden(
    world: World, day: NoticeDay
) -> None:
    with pytest.raises(NotFound):
        notice_send(author=world.gerant_b, client=world.client_a, data=delay())
    role = world.operateur_a.role
    assert role is not None
    role.permissions = [p for p in role.permissions if p != perms.PLANNING_NOTICE]
    role.save()
    with pytest.raises(PermissionDenied):
        notice_send(author=world.operateur_a, client=world.client_a, data=delay())
    with pytest.raises(PermissionDenied):
        notice_preview(user=world.operateur_a, client=world.client_a, data=delay())
    nothing_written()


def test_a_client_user_may_warn_its_own_patients_unless_turned_off(
    world: World, day: NoticeDay
) -> None:
    preview = notice_preview(user=world.client_user_a, client=world.client_a, data=delay())
    assert len(preview.recipients) == 5
    other = f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    with pytest.raises(NotFound):
        notice_preview(user=other, client=world.client_a, data=delay())
    notice_settings_update(
        user=world.gerant_a, client=world.client_a, kind="delay", client_may_notify=False
    )
    with pytest.raises(PermissionDenied):
        notice_send(author=world.client_user_a, client=world.client_a, data=delay())
    nothing_written()


def test_the_default_text_is_editable_per_client_and_kind(world: World, day: NoticeDay) -> None:
    notice_settings_update(
        user=world.operateur_a,
        client=world.client_a,
        kind="delay",
        text="{client} : retard de {retard}, RDV de {heure} décalé.",
    )
    preview = notice_preview(user=world.operateur_a, client=world.client_a, data=delay())
    assert (
        preview.recipients[0].text == "Dr Cécile Lemoine : retard de 40 min, RDV de 14:00 décalé."
    )
    config = NoticeSettings.objects.get(client=world.client_a)
    assert config.absence_text == ""
    with pytest.raises(ValidationFailed):
        notice_settings_update(
            user=world.operateur_a, client=world.client_a, kind="delay", text="{nom}"
        )
    with pytest.raises(PermissionDenied):
        notice_settings_update(
            user=world.operateur_a, client=world.client_a, kind="delay", client_may_notify=False
        )
    notice_settings_update(
        user=world.operateur_a, client=world.client_a, kind="delay", text=DEFAULT_TEXTS["delay"]
    )
    assert NoticeSettings.objects.get(client=world.client_a).delay_text == ""


def test_a_typographic_text_is_sent_in_gsm7(world: World, day: NoticeDay) -> None:
    preview = notice_preview(
        user=world.operateur_a,
        client=world.client_a,
        data=delay(text="« Retard » de {retard} – désolé…"),
    )
    sms = preview.recipients[0]
    assert sms.text == '"Retard" de 40 min - désolé...'
    assert sms.sms_segments == 1
    email = next(r for r in preview.recipients if r.channel == "email")
    assert email.text == "« Retard » de 40 min – désolé…"


def test_a_copy_that_fails_shows_on_the_summary_thread_and_for_its_author(
    world: World, day: NoticeDay
) -> None:
    from relais.delivery.selectors import failed_deliveries_for_author

    memory.fail("+33687654321", "Numéro inexistant.", permanent=True)
    notice, _ = notice_send(author=world.operateur_a, client=world.client_a, data=delay())
    stats = deliver_due(grace=0)
    assert (stats.sent, stats.failed) == (3, 1)
    failed = Delivery.objects.get(status=Delivery.FAILED)
    assert failed.to_name == "Marc Petit" and failed.message_id == notice.message_id
    line = HistoryEvent.objects.get(message_id=notice.message_id, kind=HistoryEvent.COPY_FAILED)
    assert "Numéro inexistant." in line.detail
    assert [d.id for d in failed_deliveries_for_author(user=world.operateur_a)] == [failed.id]


def test_a_copy_whose_contact_was_deleted_still_carries_its_own_text(
    world: World, day: NoticeDay
) -> None:
    notice_send(author=world.operateur_a, client=world.client_a, data=delay())
    day.contacts["Marc Petit"].delete()
    assert deliver_due(grace=0).sent == 4
    sent = memory.sent_to("+33687654321")[0]
    assert sent.text.startswith("Bonjour Marc Petit, Dr Cécile Lemoine a environ 40 min")
    assert "Retard de 40 min signalé" not in sent.text
