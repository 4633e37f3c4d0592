"""A week of planning and messages on client_a (Dr Cécile Lemoine, Permanence Azur), written
through the real services at fixed Paris times: the report and page tests read it back.

Week of Monday 30/11/2026 to Sunday 06/12/2026:
- appointments: Mon 09:00 Marc Petit (Première consultation, 30 min), Mon 10:00 Hélène Durand
  (Consultation, note), Wed 14:30 moved to Thu 16:00, Fri 11:00 cancelled; out of the week:
  Sun 29/11 and Mon 07/12;
- messages: Mon 09:12 staff « Rappel Mme Durand » (replied by the client Tue 10:00, then by
  staff Wed 08:45), Mon 11:00 client « Question du docteur », Tue 08:30 staff private « Résultats
  confidentiels », Tue 09:00 client remark, Wed 10:00 staff « Livraison matériel » read by the
  client, out of the week Mon 07/12;
- an instruction (never in a report).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.utils import timezone

from relais.clients.models import Contact, Instruction
from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_mark_read, message_send, reply_post
from relais.planning.models import Appointment, AppointmentType
from relais.planning.services import (
    appointment_cancel,
    appointment_create,
    appointment_move,
    appointment_type_create,
)
from relais.tenancy.models import User
from tests import factories as f
from tests.conftest import World

MONDAY = dt.date(2026, 11, 30)
SUNDAY = dt.date(2026, 12, 6)


def paris(day: dt.date, hm: str) -> dt.datetime:
    hour, minute = (int(p) for p in hm.split(":"))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def at(day: dt.date, hm: str) -> Any:
    return time_machine.travel(paris(day, hm), tick=False)


def day(offset: int) -> dt.date:
    return MONDAY + dt.timedelta(days=offset)


@dataclass
class Scene:
    world: World
    consultation: AppointmentType
    premiere: AppointmentType
    durand: Contact
    petit: Contact
    appointments: dict[str, Appointment] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)


def send(author: User, world: World, when: dt.datetime, **fields: Any) -> Message:
    with time_machine.travel(when, tick=False):
        message, _ = message_send(author=author, client=world.client_a, data=SendInput(**fields))
    return message


def build_scene(world: World) -> Scene:
    op, cu = world.operateur_a, world.client_user_a
    with at(day(-7), "08:00"):
        consultation = appointment_type_create(
            user=world.gerant_a, name="Consultation", colour="#1d4ed8", duration=15
        )
        premiere = appointment_type_create(
            user=world.gerant_a, name="Première consultation", colour="#15803d", duration=30
        )
    durand = f.ContactFactory.create(
        client=world.client_a, name="Hélène Durand", phone="+33612345678"
    )
    petit = f.ContactFactory.create(client=world.client_a, name="Marc Petit", phone="+33687654321")
    scene = Scene(world, consultation, premiere, durand, petit)
    a = scene.appointments

    def book(key: str, when: dt.datetime, **data: Any) -> None:
        with time_machine.travel(when, tick=False):
            a[key] = appointment_create(user=op, client=world.client_a, data=data)

    book(
        "durand",
        paris(day(-3), "15:00"),
        date=day(0),
        start="10:00",
        type=consultation.id,
        contact=durand.id,
        note="Apporter l'ordonnance",
    )
    book(
        "petit",
        paris(day(0), "08:05"),
        date=day(0),
        start="09:00",
        type=premiere.id,
        contact=petit.id,
    )
    book("moved", paris(day(0), "08:10"), date=day(2), start="14:30", type=consultation.id)
    book("cancelled", paris(day(0), "08:20"), date=day(4), start="11:00", contact=durand.id)
    book("before", paris(day(-3), "15:05"), date=day(-1), start="10:00", note="Hors période")
    book("after", paris(day(0), "08:25"), date=day(7), start="10:00", note="Semaine suivante")
    with at(day(1), "09:30"):
        a["moved"] = appointment_move(user=op, appointment=a["moved"], date=day(3), start="16:00")
    with at(day(2), "17:00"):
        a["cancelled"] = appointment_cancel(
            user=op, appointment=a["cancelled"], reason="Patient malade"
        )

    m = scene.messages
    m["rappel"] = send(
        op,
        world,
        paris(day(0), "09:12"),
        subject="Rappel Mme Durand",
        body="Mme Durand demande à être rappelée.\nAvant midi si possible.",
        contact=durand.id,
        is_urgent=True,
    )
    m["question"] = send(
        cu, world, paris(day(0), "11:00"), subject="Question du docteur", body="Ai-je un RDV ?"
    )
    m["private"] = send(
        op,
        world,
        paris(day(1), "08:30"),
        subject="Résultats confidentiels",
        body="Le laboratoire a appelé.",
        is_private=True,
    )
    m["remark"] = send(
        cu,
        world,
        paris(day(1), "09:00"),
        subject="Remarque sur l'accueil",
        body="Standard trop lent.",
        is_client_remark=True,
    )
    with at(day(1), "10:00"):
        reply_post(author=cu, message=m["rappel"], body="Je la rappelle cet après-midi.")
    with at(day(2), "08:45"):
        reply_post(author=op, message=m["rappel"], body="Elle a rappelé : c'est réglé.")
    m["livraison"] = send(
        op,
        world,
        paris(day(2), "10:00"),
        subject="Livraison matériel",
        body="Le livreur passera jeudi.",
    )
    with at(day(2), "12:00"):
        message_mark_read(user=cu, message=m["livraison"])
    m["later"] = send(
        op, world, paris(day(7), "09:00"), subject="Semaine suivante", body="Hors période."
    )
    Instruction.objects.create(
        permanence=world.perm_a, client=world.client_a, text="Jamais de RDV le mercredi"
    )
    return scene
