"""Factories for a tiny world. Passwords are all "relais-test"."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from relais.clients.models import Client, ClientNumber, ClientShare, Company, Contact
from relais.messaging.models import Message, MessageTemplate
from relais.planning.models import Appointment
from relais.tenancy import permissions as perms
from relais.tenancy.models import Permanence, Role, User

PASSWORD = "relais-test"


class PermanenceFactory(factory.django.DjangoModelFactory[Permanence]):
    class Meta:
        model = Permanence
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Permanence {n}")
    slug = factory.Sequence(lambda n: f"permanence-{n}")


def role_for(permanence: Permanence, kind: str) -> Role:
    role, _ = Role.objects.get_or_create(
        permanence=permanence,
        kind=kind,
        defaults={"permissions": list(perms.DEFAULT_ROLE_PERMISSIONS[kind])},
    )
    return role


class StaffFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        role_kind = perms.OPERATEUR

    permanence = factory.SubFactory(PermanenceFactory)
    email = factory.Sequence(lambda n: f"staff{n}@example.test")
    first_name = factory.Sequence(lambda n: f"Léa{n}")
    last_name = "Martin"
    kind = User.STAFF
    role = factory.LazyAttribute(lambda o: role_for(o.permanence, o.role_kind))
    password = factory.django.Password(PASSWORD)


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company

    permanence = factory.SubFactory(PermanenceFactory)
    name = factory.Sequence(lambda n: f"Groupe {n}")


class ClientFactory(factory.django.DjangoModelFactory[Client]):
    class Meta:
        model = Client

    permanence = factory.SubFactory(PermanenceFactory)
    name = factory.Sequence(lambda n: f"Dr Client {n}")
    trade = "Médecin généraliste"
    email = factory.Sequence(lambda n: f"client{n}@cabinet.test")
    mobile = "+33612345678"
    fax = "+33491000000"


class ClientUserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    permanence = factory.LazyAttribute(lambda o: o.client.permanence)
    email = factory.Sequence(lambda n: f"clientuser{n}@example.test")
    first_name = factory.Sequence(lambda n: f"Cécile{n}")
    last_name = "Lemoine"
    kind = User.CLIENT
    role = None
    password = factory.django.Password(PASSWORD)


class ClientShareFactory(factory.django.DjangoModelFactory[ClientShare]):
    class Meta:
        model = ClientShare

    client = factory.SubFactory(ClientFactory)
    user = factory.SubFactory(ClientUserFactory)


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    permanence = factory.LazyAttribute(lambda o: o.client.permanence)
    name = factory.Sequence(lambda n: f"Contact {n}")
    phone = "+33612345678"


class TemplateFactory(factory.django.DjangoModelFactory[MessageTemplate]):
    class Meta:
        model = MessageTemplate

    permanence = factory.SubFactory(PermanenceFactory)
    name = factory.Sequence(lambda n: f"Modèle {n}")
    subject = "Rappel patient"
    body = "Merci de rappeler le patient."


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    """A bare message row (no copies, no history): for list and visibility tests.
    Tests of the send path use relais.messaging.services.message_send."""

    class Meta:
        model = Message

    client = factory.SubFactory(ClientFactory)
    permanence = factory.LazyAttribute(lambda o: o.client.permanence)
    author = factory.SubFactory(StaffFactory, permanence=factory.SelfAttribute("..permanence"))
    subject = factory.Sequence(lambda n: f"Sujet {n}")
    body = "Merci de rappeler."
    last_activity_at = factory.LazyFunction(timezone.now)


class AppointmentFactory(factory.django.DjangoModelFactory[Appointment]):
    """A booked appointment row (no journal line): for notice and list tests. Tests of the
    planning's own writes use relais.planning.services."""

    class Meta:
        model = Appointment

    client = factory.SubFactory(ClientFactory)
    permanence = factory.LazyAttribute(lambda o: o.client.permanence)
    date = factory.LazyFunction(timezone.localdate)
    start = dt.time(9, 0)
    duration = 15
    created_by = factory.SubFactory(StaffFactory, permanence=factory.SelfAttribute("..permanence"))
    updated_at = factory.LazyFunction(timezone.now)


class ClientNumberFactory(factory.django.DjangoModelFactory[ClientNumber]):
    """A numéro dédié of a client."""

    class Meta:
        model = ClientNumber

    client = factory.SubFactory(ClientFactory)
    permanence = factory.LazyAttribute(lambda o: o.client.permanence)
    number = factory.Sequence(lambda n: f"+3349100{n:04d}")
