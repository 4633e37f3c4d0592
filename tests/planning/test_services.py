"""Booking, changing, moving and cancelling appointments, and the journal line each writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from relais.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from relais.planning.models import Appointment, AppointmentType, Movement
from relais.planning.services import (
    appointment_cancel,
    appointment_create,
    appointment_move,
    appointment_type_create,
    appointment_type_update,
    appointment_update,
    version_of,
)
from relais.tenancy import permissions as perms
from tests import factories as f
from tests.conftest import World
from tests.planning.scene import day, paris

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(world: World) -> AppointmentType:
    return appointment_type_create(
        user=world.gerant_a, name="Consultation", colour="#1d4ed8", duration=20
    )


def book(world: World, **data: Any) -> Appointment:
    values = {"date": "2026-11-30", "start": "10:00", **data}
    with time_machine.travel(paris(day(-2), "09:00"), tick=False):
        return appointment_create(user=world.operateur_a, client=world.client_a, data=values)


def rows() -> tuple[int, int]:
    return Appointment.objects.count(), Movement.objects.count()


class TestCreate:
    def test_it_books_with_the_motif_s_duration_and_writes_the_journal(
        self, world: World, consultation: AppointmentType
    ) -> None:
        contact = f.ContactFactory.create(client=world.client_a, name="Hélène Durand")
        appointment = book(
            world, type=str(consultation.id), contact=str(contact.id), note=" Vaccin "
        )
        assert (appointment.date, appointment.start) == (dt.date(2026, 11, 30), dt.time(10, 0))
        assert appointment.duration == 20
        assert appointment.end == dt.time(10, 20)
        assert appointment.note == "Vaccin"
        (movement,) = Movement.objects.all()
        assert movement.kind == Movement.CREATED
        assert movement.actor == world.operateur_a
        assert movement.at == paris(day(-2), "09:00")
        assert movement.summary == "lundi 30/11/2026 10:00 (20 min) · Consultation · Hélène Durand"

    def test_it_takes_french_dates_and_times_and_15_minutes_without_motif(
        self, world: World
    ) -> None:
        appointment = book(world, date="01/12/2026", start="9h30")
        assert (appointment.date, appointment.start, appointment.duration) == (
            dt.date(2026, 12, 1),
            dt.time(9, 30),
            15,
        )
        assert appointment.type_name == "Rendez-vous"

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"date": ""}, "date", "Date : ce champ est obligatoire."),
            ({"date": "31/02/2026"}, "date", "Date invalide : utilisez le format jj/mm/aaaa."),
            ({"start": ""}, "start", "Heure : ce champ est obligatoire."),
            ({"start": "25:00"}, "start", "Heure invalide : utilisez le format HH:MM."),
            ({"duration": "0"}, "duration", "Durée : entre 5 minutes et 12 heures."),
            ({"duration": "beaucoup"}, "duration", "Durée invalide : un nombre de minutes."),
            (
                {"start": "23:50", "duration": "30"},
                "duration",
                "Le rendez-vous doit finir le jour même (avant minuit).",
            ),
            ({"type": "nope"}, "type", "Motif de rendez-vous introuvable."),
            ({"contact": "nope"}, "contact", "Contact introuvable pour ce client."),
            ({"note": "x" * 1001}, "note", "Note : 1000 caractères au maximum (1001 saisis)."),
        ],
    )
    def test_it_refuses_bad_values_in_french_and_saves_nothing(
        self, world: World, data: dict[str, Any], field: str, message: str
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            book(world, **data)
        assert caught.value.errors[field] == [message]
        assert rows() == (0, 0)

    def test_it_reports_every_error_at_once(self, world: World) -> None:
        with pytest.raises(ValidationFailed) as caught:
            book(world, date="x", start="y", duration="1")
        assert set(caught.value.errors) == {"date", "start", "duration"}

    def test_another_permanence_s_motif_or_another_client_s_contact_is_refused(
        self, world: World
    ) -> None:
        theirs = appointment_type_create(user=world.gerant_b, name="Chez B", colour="#15803d")
        other_client = f.ClientFactory.create(permanence=world.perm_a)
        stranger = f.ContactFactory.create(client=other_client)
        with pytest.raises(ValidationFailed) as caught:
            book(world, type=str(theirs.id), contact=str(stranger.id))
        assert set(caught.value.errors) == {"type", "contact"}

    def test_an_archived_motif_is_not_offered_for_new_appointments(
        self, world: World, consultation: AppointmentType
    ) -> None:
        consultation.is_active = False
        consultation.save()
        with pytest.raises(ValidationFailed):
            book(world, type=str(consultation.id))


class TestRights:
    def test_it_needs_the_right_to_book(self, world: World) -> None:
        role = world.operateur_a.role
        assert role is not None
        role.permissions = [p for p in role.permissions if p != perms.PLANNING_ADD]
        role.save()
        with pytest.raises(PermissionDenied):
            book(world)
        assert rows() == (0, 0)

    def test_client_users_and_other_permanences_cannot_book(self, world: World) -> None:
        with pytest.raises(PermissionDenied):
            appointment_create(
                user=world.client_user_a,
                client=world.client_a,
                data={"date": "2026-11-30", "start": "10:00"},
            )
        with pytest.raises(NotFound):
            appointment_create(
                user=world.gerant_b,
                client=world.client_a,
                data={"date": "2026-11-30", "start": "10:00"},
            )
        assert rows() == (0, 0)

    def test_only_those_with_the_motifs_right_manage_motifs(
        self, world: World, consultation: AppointmentType
    ) -> None:
        with pytest.raises(PermissionDenied):
            appointment_type_create(user=world.operateur_a, name="Visite", colour="#1d4ed8")
        with pytest.raises(NotFound):
            appointment_type_update(
                user=world.gerant_b,
                appointment_type=consultation,
                name="X",
                colour="#1d4ed8",
                duration=15,
                is_active=True,
            )


class TestChanges:
    def test_a_new_date_and_time_is_a_move_with_its_french_sentence(self, world: World) -> None:
        appointment = book(world)
        with time_machine.travel(paris(day(-1), "11:15"), tick=False):
            moved = appointment_move(
                user=world.superviseur_a, appointment=appointment, date="2026-12-01", start="14:30"
            )
        assert (moved.date, moved.start) == (dt.date(2026, 12, 1), dt.time(14, 30))
        movement = Movement.objects.order_by("id").last()
        assert movement is not None
        assert movement.kind == Movement.MOVED
        assert movement.actor == world.superviseur_a
        assert movement.detail == "Déplacé du 30/11 10:00 au 01/12 14:30"
        assert movement.changes == {
            "date": ["2026-11-30", "2026-12-01"],
            "start": ["10:00", "14:30"],
        }
        assert movement.summary.startswith("mardi 01/12/2026 14:30")

    def test_a_move_across_the_year_shows_the_years(self, world: World) -> None:
        appointment = book(world, date="2026-12-31")
        appointment_move(
            user=world.operateur_a, appointment=appointment, date="2027-01-04", start="10:00"
        )
        assert Movement.objects.order_by("id").last().detail == (  # type: ignore[union-attr]
            "Déplacé du 31/12/2026 10:00 au 04/01/2027 10:00"
        )

    def test_other_changes_are_a_modification_listing_what_changed(
        self, world: World, consultation: AppointmentType
    ) -> None:
        durand = f.ContactFactory.create(client=world.client_a, name="Hélène Durand")
        appointment = book(world, contact=str(durand.id))
        appointment_update(
            user=world.operateur_a,
            appointment=appointment,
            data={"duration": "30", "type": str(consultation.id), "contact": "", "note": "RAS"},
        )
        movement = Movement.objects.order_by("id").last()
        assert movement is not None
        assert movement.kind == Movement.MODIFIED
        assert movement.detail == (
            "Modifié : durée 15 min → 30 min ; motif aucun → Consultation ; "
            "contact Hélène Durand → aucun ; note modifiée"
        )

    def test_nothing_changed_writes_nothing(self, world: World) -> None:
        appointment = book(world)
        before = version_of(appointment)
        appointment_update(
            user=world.operateur_a,
            appointment=appointment,
            data={"date": "30/11/2026", "start": "10:00", "note": ""},
        )
        assert Movement.objects.count() == 1
        appointment.refresh_from_db()
        assert version_of(appointment) == before

    def test_a_change_made_on_a_stale_copy_is_refused(self, world: World) -> None:
        appointment = book(world)
        seen = version_of(appointment)
        appointment_move(
            user=world.gerant_a, appointment=appointment, date="2026-12-02", start="9:00"
        )
        with pytest.raises(Conflict):
            appointment_move(
                user=world.operateur_a,
                appointment=appointment,
                date="2026-12-03",
                start="9:00",
                expected_version=seen,
            )
        appointment.refresh_from_db()
        assert appointment.date == dt.date(2026, 12, 2)

    def test_a_bad_value_changes_nothing(self, world: World) -> None:
        appointment = book(world)
        with pytest.raises(ValidationFailed):
            appointment_update(
                user=world.operateur_a, appointment=appointment, data={"date": "", "note": "x"}
            )
        appointment.refresh_from_db()
        assert (appointment.date, appointment.note) == (dt.date(2026, 11, 30), "")
        assert Movement.objects.count() == 1


class TestCancel:
    def test_it_cancels_keeps_the_appointment_and_says_why(self, world: World) -> None:
        appointment = book(world)
        cancelled = appointment_cancel(
            user=world.operateur_a, appointment=appointment, reason="Patient malade"
        )
        assert cancelled.status == Appointment.CANCELLED
        assert cancelled.cancelled_by == world.operateur_a
        movement = Movement.objects.order_by("id").last()
        assert movement is not None
        assert (movement.kind, movement.detail) == (Movement.CANCELLED, "Annulé : Patient malade")

    def test_a_cancelled_appointment_can_be_neither_cancelled_again_nor_moved(
        self, world: World
    ) -> None:
        appointment = book(world)
        appointment_cancel(user=world.operateur_a, appointment=appointment)
        with pytest.raises(Conflict):
            appointment_cancel(user=world.operateur_a, appointment=appointment)
        with pytest.raises(Conflict):
            appointment_move(
                user=world.operateur_a, appointment=appointment, date="2026-12-01", start="9:00"
            )
        assert Movement.objects.count() == 2


class TestMotifs:
    def test_it_creates_renames_and_archives_a_motif(self, world: World) -> None:
        first = appointment_type_create(user=world.gerant_a, name="Vaccin", colour="#7C3AED")
        second = appointment_type_create(
            user=world.gerant_a, name="Visite", colour="#15803d", duration=45
        )
        assert (first.colour, first.duration, second.position) == ("#7c3aed", 15, 2)
        appointment_type_update(
            user=world.gerant_a,
            appointment_type=first,
            name="Vaccination",
            colour="#be123c",
            duration=10,
            is_active=False,
        )
        first.refresh_from_db()
        assert (first.name, first.colour, first.duration, first.is_active) == (
            "Vaccination",
            "#be123c",
            10,
            False,
        )

    @pytest.mark.parametrize(
        ("values", "field", "message"),
        [
            ({"name": ""}, "name", "Motif : ce champ est obligatoire."),
            ({"name": "consultation"}, "name", "Un motif porte déjà ce nom."),
            ({"colour": "red"}, "colour", "Couleur invalide : choisissez-la dans la palette."),
            ({"colour": "#12345;"}, "colour", "Couleur invalide : choisissez-la dans la palette."),
            ({"duration": 2}, "duration", "Durée : entre 5 minutes et 12 heures."),
        ],
    )
    def test_it_refuses_bad_motifs(
        self,
        world: World,
        consultation: AppointmentType,
        values: dict[str, Any],
        field: str,
        message: str,
    ) -> None:
        data = {"name": "Visite", "colour": "#1d4ed8", "duration": 15, **values}
        with pytest.raises(ValidationFailed) as caught:
            appointment_type_create(user=world.gerant_a, **data)
        assert caught.value.errors[field] == [message]
        assert AppointmentType.objects.count() == 1
