"""Demo: appointment motifs, and a week of appointments with their movements (booked, moved,
changed, cancelled) for several clients, so the week view, the journal and the « Joindre »
PDFs have something to show.

Idempotent like the rest of the demo: motifs are found by name, and a client that already has
appointments is left as it is. Appointments go through the real services (so every one has its
journal lines), then their times are moved back into the past days, as the messages' are.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from relais.clients.models import Client, Contact
from relais.demo.notice_demo import notice_demo_seed
from relais.planning.formats import monday_of
from relais.planning.models import Appointment, AppointmentType, Movement
from relais.planning.services import (
    appointment_cancel,
    appointment_create,
    appointment_move,
    appointment_update,
)
from relais.tenancy import permissions as perms
from relais.tenancy.models import Permanence, User

if TYPE_CHECKING:
    from relais.demo.seed import SeedReport

# (name, colour, default minutes) per permanence.
MOTIFS: dict[str, list[tuple[str, str, int]]] = {
    "azur": [
        ("Consultation", "#1d4ed8", 15),
        ("Première consultation", "#15803d", 30),
        ("Visite à domicile", "#b45309", 45),
        ("Soins dentaires", "#7c3aed", 30),
        ("Urgence", "#be123c", 15),
        ("Vaccination", "#0e7490", 15),
    ],
    "horizon": [
        ("Consultation", "#1d4ed8", 20),
        ("Examen de la vue", "#15803d", 30),
    ],
}


@dataclass
class ClientWeek:
    client: str
    motifs: list[str]  # the motifs this client's appointments use, most frequent first
    day_start: str
    per_day: int
    step: int  # minutes between two appointments


WEEKS: dict[str, list[ClientWeek]] = {
    "azur": [
        ClientWeek(
            "Dr Cécile Lemoine",
            ["Consultation", "Consultation", "Première consultation", "Vaccination"],
            "08:30",
            6,
            30,
        ),
        ClientWeek(
            "Dr Antoine Roche", ["Soins dentaires", "Soins dentaires", "Urgence"], "09:00", 4, 45
        ),
        ClientWeek(
            "Dr Élodie Marchetti", ["Consultation", "Première consultation"], "14:00", 3, 40
        ),
    ],
    "horizon": [
        ClientWeek("Dr Paul Renaud", ["Consultation", "Examen de la vue"], "09:00", 4, 40),
    ],
}
NOTES = [
    "",
    "",
    "",
    "Apporter la carte Vitale et l'ordonnance.",
    "Préfère être rappelé(e) la veille.",
    "Premier rendez-vous : prévoir 10 min de plus.",
]
REASONS = ["Patient malade", "Empêchement professionnel", "", "A trouvé un autre créneau"]
_ORGANISATIONS = ("Pharmacie", "Laboratoire", "Cabinet", "Clinique", "Eaux", "Greffe", "Syndic")


def _motifs(perm: Permanence, report: SeedReport) -> dict[str, AppointmentType]:
    found = {t.name: t for t in AppointmentType.objects.filter(permanence=perm)}
    for position, (name, colour, minutes) in enumerate(MOTIFS.get(perm.slug, []), start=1):
        if name not in found:
            found[name] = AppointmentType.objects.create(
                permanence=perm, name=name, colour=colour, duration=minutes, position=position
            )
            report.add("appointment motifs")
    return found


def _at(day: dt.date, minutes: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(minutes // 60 % 24, minutes % 60)))


def _client_week(
    spec: ClientWeek,
    client: Client,
    staff: list[User],
    motifs: dict[str, AppointmentType],
    *,
    monday: dt.date,
    now: dt.datetime,
    report: SeedReport,
) -> None:
    rng = random.Random(f"relais-demo-{client.name}")
    contacts = [
        c
        for c in Contact.objects.filter(client=client).order_by("name")
        if not c.name.startswith(_ORGANISATIONS)
    ]
    latest = now - dt.timedelta(minutes=2)
    hour, minute = (int(p) for p in spec.day_start.split(":"))
    number = 0
    for offset in range(5):  # Monday to Friday
        day = monday + dt.timedelta(days=offset)
        for slot in range(spec.per_day):
            number += 1
            start = hour * 60 + minute + slot * spec.step + rng.choice([0, 0, 5, 10])
            motif = motifs.get(spec.motifs[(number + offset) % len(spec.motifs)])
            author = staff[number % len(staff)]
            appointment = appointment_create(
                user=author,
                client=client,
                data={
                    "date": day,
                    "start": f"{start // 60:02d}:{start % 60:02d}",
                    "type": motif.id if motif else None,
                    "contact": rng.choice(contacts).id if contacts and number % 5 else None,
                    "note": NOTES[number % len(NOTES)],
                },
            )
            # Booked two to five days ahead, in office hours (changes follow within a day, so
            # before 19:00), never in the future.
            booked = _at(day - dt.timedelta(days=2 + number % 4), 8 * 60 + rng.randrange(540))
            moments = [min(booked, latest)]
            if number % 7 == 3:
                later = appointment.start.hour * 60 + appointment.start.minute + 120
                appointment_move(
                    user=staff[(number + 1) % len(staff)],
                    appointment=appointment,
                    date=day + dt.timedelta(days=1) if offset < 4 else day,
                    start=f"{min(later, 18 * 60) // 60:02d}:{later % 60:02d}",
                )
                moments.append(min(booked + dt.timedelta(days=1), latest))
            elif number % 11 == 5:
                appointment_update(
                    user=staff[(number + 2) % len(staff)],
                    appointment=appointment,
                    data={"duration": appointment.duration + 15, "note": "Prévoir un examen."},
                )
                moments.append(min(booked + dt.timedelta(hours=1), latest))
            if number % 9 == 4:
                appointment_cancel(
                    user=staff[(number + 3) % len(staff)],
                    appointment=appointment,
                    reason=REASONS[number % len(REASONS)],
                )
                moments.append(min(booked + dt.timedelta(days=1, minutes=40), latest))
            # The journal's lines in the order they were written, at their moments.
            moments.sort()
            lines = list(Movement.objects.filter(appointment=appointment).order_by("id"))
            for line, moment in zip(lines, moments, strict=False):
                Movement.objects.filter(pk=line.pk).update(at=moment)
            Appointment.objects.filter(pk=appointment.pk).update(
                created_at=moments[0], updated_at=moments[-1]
            )
            report.add("appointments")


def planning_demo_seed(report: SeedReport) -> None:
    """Motifs for both permanences and this week's planning for a few of their clients."""
    now = timezone.now()
    monday = monday_of(timezone.localdate(now))
    for perm in Permanence.objects.filter(slug__in=list(MOTIFS)).order_by("slug"):
        motifs = _motifs(perm, report)
        staff = [
            u
            for u in User.objects.filter(permanence=perm, kind=User.STAFF, is_active=True)
            .select_related("role")
            .order_by("email")
            if u.has_right(perms.PLANNING_ADD)
        ]
        if not staff:
            continue
        clients = {c.name: c for c in Client.objects.filter(permanence=perm)}
        for spec in WEEKS.get(perm.slug, []):
            client = clients.get(spec.client)
            if client is None or Appointment.objects.filter(client=client).exists():
                continue
            _client_week(spec, client, staff, motifs, monday=monday, now=now, report=report)
    # A day to try « Prévenir » on (relais.demo.notice_demo).
    notice_demo_seed(report)
