"""Demo: a day to try « Prévenir » on. Dr Cécile Lemoine has eight appointments on the next
working day, three of them before 14:00; from 14:00, three patients have a mobile (told by SMS),
one only a landline and an e-mail (told by e-mail), one only a landline (« à appeler »).

Idempotent like the rest of the demo: the contacts are found by name, and a day that already has
their afternoon appointments is left as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from relais.clients.models import Client, Contact
from relais.planning.models import Appointment, AppointmentType
from relais.planning.services import appointment_create
from relais.tenancy import permissions as perms
from relais.tenancy.models import User

if TYPE_CHECKING:
    from relais.demo.seed import SeedReport

CLIENT = "Dr Cécile Lemoine"
MOTIF = "Consultation"
# (time, contact, phone, e-mail)
DAY: list[tuple[str, str, str, str]] = [
    ("09:00", "Gilles Moreau", "+33611223344", ""),
    ("10:15", "Camille Roux", "+33622334455", "camille.roux@exemple.test"),
    ("11:30", "Bernard Faure", "+33633445566", ""),
    ("14:00", "Nathalie Girard", "+33644556677", "n.girard@exemple.test"),
    ("14:30", "Thomas Lefèvre", "+33655667788", ""),
    ("15:15", "Inès Benali", "+33766778899", ""),
    ("16:00", "Monique Lambert", "+33491223344", "monique.lambert@exemple.test"),
    ("17:00", "Robert Chevalier", "+33491556677", ""),
]


def notice_day(today: dt.date) -> dt.date:
    """The next working day (Monday after a Friday, a Saturday or a Sunday)."""
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def notice_demo_seed(report: SeedReport) -> None:
    client = Client.objects.filter(name=CLIENT, permanence__slug="azur").first()
    if client is None:
        return
    author = next(
        (
            u
            for u in User.objects.filter(
                permanence_id=client.permanence_id, kind=User.STAFF, is_active=True
            )
            .select_related("role")
            .order_by("email")
            if u.has_right(perms.PLANNING_ADD)
        ),
        None,
    )
    if author is None:
        return
    day = notice_day(timezone.localdate())
    names = [name for _, name, _, _ in DAY]
    if Appointment.objects.filter(client=client, date=day, contact__name__in=names).exists():
        return
    motif = AppointmentType.objects.filter(permanence_id=client.permanence_id, name=MOTIF).first()
    for time, name, phone, email in DAY:
        contact = Contact.objects.filter(client=client, name=name).first()
        if contact is None:
            contact = Contact.objects.create(
                permanence_id=client.permanence_id,
                client=client,
                name=name,
                phone=phone,
                email=email,
            )
            report.add("contacts")
        appointment_create(
            user=author,
            client=client,
            data={
                "date": day,
                "start": time,
                "type": motif.id if motif else None,
                "contact": contact.id,
                "note": "",
            },
        )
        report.add("notice day appointments")
