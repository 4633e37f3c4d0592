"""A day for « Prévenir »: eight appointments of client_a, three before 14:00.

From 14:00: three contacts with a mobile (told by SMS), one with a landline and an e-mail (told by
e-mail), one with a landline only (« à appeler »).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from relais.clients.models import Client, Contact
from relais.planning.models import Appointment
from relais.tenancy.models import User
from tests import factories as f

# (time, contact name, phone, e-mail)
DAY = [
    ("09:00", "Jean Matin", "+33611111111", ""),
    ("10:00", "Lucie Avant", "+33622222222", "lucie@example.test"),
    ("11:30", "Paul Tôt", "+33633333333", ""),
    ("14:00", "Hélène Durand", "+33612345678", "helene@example.test"),
    ("14:30", "Marc Petit", "+33687654321", ""),
    ("15:00", "Zoé Martin", "+33781234567", ""),
    ("16:00", "Sophie Fixe", "+33491000001", "sophie@example.test"),
    ("17:00", "Henri Sansrien", "+33491000002", ""),
]
AFTERNOON = [name for time, name, _, _ in DAY if time >= "14:00"]


@dataclass
class NoticeDay:
    day: dt.date
    appointments: dict[str, Appointment]
    contacts: dict[str, Contact]


def build_day(client: Client, author: User, day: dt.date) -> NoticeDay:
    appointments: dict[str, Appointment] = {}
    contacts: dict[str, Contact] = {}
    for time, name, phone, email in DAY:
        contact = f.ContactFactory.create(client=client, name=name, phone=phone, email=email)
        contacts[name] = contact
        hour, minute = (int(p) for p in time.split(":"))
        appointments[name] = f.AppointmentFactory.create(
            client=client,
            contact=contact,
            date=day,
            start=dt.time(hour, minute),
            created_by=author,
        )
    return NoticeDay(day=day, appointments=appointments, contacts=contacts)
