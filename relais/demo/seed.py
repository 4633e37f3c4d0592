"""Turns relais.demo.data into rows. Idempotent: what exists already is left as it is.

People, clients, contacts and templates are found by their natural keys (e-mail, name);
each demo message carries a stable idempotency key ("demo-<permanence>-<key>"), so a second
run finds it and sends nothing. Messages go through the real services (message_send,
reply_post, message_mark_read, task_set) so they have recipients, read states, copies and
history like any other; their times are then moved back into the past days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Value, When
from django.utils import timezone

from relais.calls.services import secrets_for
from relais.clients.models import Client, ClientNumber, ClientShare, Company, Contact, Instruction
from relais.clients.services import contact_create
from relais.core.phones import normalize_phone
from relais.delivery.models import Delivery
from relais.demo import PASSWORD
from relais.demo.aids_demo import aids_demo_seed
from relais.demo.data import (
    DEMO_EXTENSIONS,
    DEMO_LINES,
    Ago,
    At,
    MessageSpec,
    Moment,
    PermanenceSpec,
    ReplySpec,
    TaskSpec,
    azur,
    horizon,
)
from relais.demo.planning_demo import planning_demo_seed
from relais.messaging.models import (
    Banner,
    HistoryEvent,
    InputPhrase,
    Message,
    MessageTemplate,
    ReadState,
    Reply,
)
from relais.messaging.services import (
    SendInput,
    message_mark_read,
    message_send,
    reply_post,
    task_set,
)
from relais.tenancy import permissions as perms
from relais.tenancy.models import Permanence, User
from relais.tenancy.services import roles_ensure

KEY_PREFIX = "demo"


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, count: int = 1) -> None:
        if count:
            self.created[what] = self.created.get(what, 0) + count

    @property
    def changed(self) -> bool:
        return bool(self.created)


class _Seeder:
    def __init__(self, report: SeedReport) -> None:
        self.report = report
        self.start = timezone.now()
        self.today = timezone.localdate(self.start)
        self._password_hash = ""

    @property
    def password_hash(self) -> str:
        # Hashing is slow on purpose; one hash serves every demo login.
        if not self._password_hash:
            self._password_hash = make_password(PASSWORD)
        return self._password_hash

    # -- time ----------------------------------------------------------------------------
    def at(self, when: Moment) -> dt.datetime:
        if isinstance(when, Ago):
            moment = self.start - dt.timedelta(minutes=when.minutes)
        else:
            assert isinstance(when, At)
            hour, minute = (int(part) for part in when.hm.split(":"))
            day = self.today - dt.timedelta(days=when.days)
            moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
        return self.clamp(moment)

    def clamp(self, moment: dt.datetime) -> dt.datetime:
        return min(moment, self.start - dt.timedelta(seconds=1))

    def backdate(
        self,
        message: Message,
        moment: dt.datetime,
        *,
        replies: bool = False,
        deliveries: bool = False,
    ) -> None:
        """Moves what the last service call wrote (stamped after self.start) to moment."""
        after = self.start

        def moved(name: str) -> Case:
            # Only what the call just stamped moves; older (already moved) values stay.
            return Case(
                When(**{f"{name}__gt": after}, then=Value(moment)),
                default=F(name),
                output_field=DateTimeField(),
            )

        Message.objects.filter(pk=message.pk).update(
            created_at=moved("created_at"),
            last_activity_at=moved("last_activity_at"),
            done_at=moved("done_at"),
        )
        HistoryEvent.objects.filter(message=message, at__gt=after).update(at=moment)
        ReadState.objects.filter(message=message, read_at__gt=after).update(read_at=moment)
        if replies:
            Reply.objects.filter(message=message, created_at__gt=after).update(created_at=moment)
        if deliveries:
            Delivery.objects.filter(message=message, created_at__gt=after).update(
                created_at=moment, next_attempt_at=moment
            )

    # -- the telephone: dedicated numbers and PBX extensions (relais.calls) -----------
    def telephony(
        self,
        perm: Permanence,
        spec: PermanenceSpec,
        clients: dict[str, Client],
        users: dict[str, User],
    ) -> None:

        pattern = DEMO_LINES.get(spec.slug)
        if pattern is not None:
            for index, cs in enumerate(spec.clients, start=1):
                _, created = ClientNumber.objects.get_or_create(
                    permanence=perm,
                    number=pattern.format(index),
                    defaults={"client": clients[cs.key]},
                )
                self.report.add("dedicated numbers", int(created))
        for user in users.values():
            extension = DEMO_EXTENSIONS.get(user.email)
            if extension and not user.extension:
                User.objects.filter(pk=user.pk).update(extension=extension)
        secrets_for(perm.id)

    # -- one permanence ------------------------------------------------------------------
    def permanence(self, spec: PermanenceSpec) -> None:
        perm, created = Permanence.objects.get_or_create(
            slug=spec.slug, defaults={"name": spec.name}
        )
        self.report.add("permanences", int(created))
        roles = roles_ensure(permanence=perm)
        users: dict[str, User] = {}
        existing = {u.email: u for u in User.objects.filter(permanence=perm)}

        for staff in spec.staff:
            user = existing.get(staff.email)
            if user is None:
                user = User.objects.create(
                    permanence=perm,
                    email=staff.email,
                    first_name=staff.first_name,
                    last_name=staff.last_name,
                    kind=User.STAFF,
                    role=roles[staff.role],
                    mobile=normalize_phone(staff.mobile),
                    password=self.password_hash,
                )
                self.report.add("staff users")
            users[staff.key] = user
        manager = next(u for u in users.values() if u.has_right(perms.CONTACTS_ADD))

        companies: dict[str, Company] = {}
        for key, (name, _) in spec.companies.items():
            companies[key], created = Company.objects.get_or_create(permanence=perm, name=name)
            self.report.add("companies", int(created))

        clients: dict[str, Client] = {}
        new_clients: set[str] = set()
        existing_clients = {c.name: c for c in Client.objects.filter(permanence=perm)}
        for cs in spec.clients:
            client = existing_clients.get(cs.name)
            if client is None:
                client = Client.objects.create(
                    permanence=perm,
                    name=cs.name,
                    trade=cs.trade,
                    email=cs.email,
                    mobile=normalize_phone(cs.mobile),
                    phone=normalize_phone(cs.phone),
                    fax=normalize_phone(cs.fax),
                    address=cs.address,
                    company=companies.get(cs.company),
                    default_copy_email=cs.default_copy_email,
                    default_copy_sms=cs.default_copy_sms,
                    default_copy_fax=cs.default_copy_fax,
                    message_info=cs.message_info,
                )
                new_clients.add(cs.key)
                self.report.add("clients")
            clients[cs.key] = client
            for cu in cs.users:
                user = existing.get(cu.email)
                if user is None:
                    user = User.objects.create(
                        permanence=perm,
                        email=cu.email,
                        first_name=cu.first_name,
                        last_name=cu.last_name,
                        kind=User.CLIENT,
                        client=client,
                        mobile=normalize_phone(cu.mobile),
                        password=self.password_hash,
                    )
                    self.report.add("client users")
                users[cu.key] = user

        self.telephony(perm, spec, clients, users)

        known_contacts = set(
            Contact.objects.filter(client__permanence=perm).values_list("client_id", "name")
        )
        for cs in spec.clients:
            client = clients[cs.key]
            for contact in cs.contacts:
                if (client.id, contact.name) in known_contacts:
                    continue
                contact_create(
                    user=manager,
                    client=client,
                    name=contact.name,
                    phone=contact.phone,
                    phone2=contact.phone2,
                    email=contact.email,
                    note=contact.note,
                )
                self.report.add("contacts")

        for key, (_, circle) in spec.companies.items():
            companies[key].circle.add(*(users[k] for k in circle))
        for client_key, user_key in spec.shares:
            _, created = ClientShare.objects.get_or_create(
                client=clients[client_key], user=users[user_key]
            )
            self.report.add("sharing rules", int(created))

        templates: dict[str, MessageTemplate] = {}
        for ts in spec.templates:
            template, created = MessageTemplate.objects.get_or_create(
                permanence=perm,
                name=ts.name,
                defaults={
                    "subject": ts.subject,
                    "body": ts.body,
                    "consigne": ts.consigne,
                    "auto_vad": ts.auto_vad,
                    "auto_circle": ts.auto_circle,
                },
            )
            if created:
                template.clients.set([clients[k] for k in ts.clients])
                self.report.add("templates")
            templates[ts.key] = template
        for cs in spec.clients:
            if cs.key in new_clients and cs.default_template:
                client = clients[cs.key]
                client.default_template = templates[cs.default_template]
                client.save(update_fields=["default_template"])

        for ins in spec.instructions:
            _, created = Instruction.objects.get_or_create(
                permanence=perm,
                client=clients[ins.client],
                text=ins.text,
                defaults={
                    "show_message": ins.show_message,
                    "show_agenda": ins.show_agenda,
                    "show_sheet": ins.show_sheet,
                },
            )
            self.report.add("instructions", int(created))
        for position, text in enumerate(spec.phrases):
            _, created = InputPhrase.objects.get_or_create(
                permanence=perm, text=text, defaults={"position": position}
            )
            self.report.add("phrases", int(created))
        for text in spec.banners:
            _, created = Banner.objects.get_or_create(
                permanence=perm, text=text, defaults={"created_by": manager}
            )
            self.report.add("banners", int(created))

        keys = {f"{KEY_PREFIX}-{spec.slug}-{m.key}": m for m in spec.messages}
        done = set(
            Message.objects.filter(permanence=perm, idempotency_key__in=list(keys)).values_list(
                "idempotency_key", flat=True
            )
        )
        for key, ms in keys.items():
            if key not in done:
                self.message(ms, key, users=users, clients=clients, templates=templates)
                self.report.add("messages")

    def message(
        self,
        ms: MessageSpec,
        key: str,
        *,
        users: dict[str, User],
        clients: dict[str, Client],
        templates: dict[str, MessageTemplate],
    ) -> None:
        client = clients[ms.client]
        contact_id = None
        if ms.contact:
            contact_id = Contact.objects.values_list("id", flat=True).get(
                client=client, name=ms.contact
            )
        data = SendInput(
            subject=ms.subject,
            body=ms.body,
            cc=[users[k].id for k in ms.cc],
            is_task=ms.is_task,
            due_date=(
                self.today + dt.timedelta(days=ms.due_in_days)
                if ms.due_in_days is not None
                else None
            ),
            is_urgent=ms.is_urgent,
            is_private=ms.is_private,
            is_vad=ms.is_vad,
            is_client_remark=ms.is_client_remark,
            contact=contact_id,
            template=templates[ms.template].id if ms.template else None,
            copy_circle=ms.copy_circle,
            copy_email=ms.copy_email,
            copy_sms=ms.copy_sms,
        )
        message, _ = message_send(
            author=users[ms.author], client=client, data=data, idempotency_key=key
        )
        moment = self.at(ms.when)
        self.backdate(message, moment, deliveries=ms.copy_email or ms.copy_sms or bool(ms.cc))
        for step in ms.steps:
            if isinstance(step, ReplySpec):
                moment = self.clamp(moment + dt.timedelta(minutes=step.after))
                reply_post(
                    author=users[step.author],
                    message=message,
                    body=step.body,
                    make_task=step.make_task,
                )
            elif isinstance(step, TaskSpec):
                moment = self.clamp(moment + dt.timedelta(minutes=step.after))
                task_set(user=users[step.user], message=message, action=step.action)
            else:
                moment = self.clamp(moment + dt.timedelta(minutes=7))
                message_mark_read(user=users[step], message=message)
            self.backdate(message, moment, replies=isinstance(step, ReplySpec))


def demo_seed() -> SeedReport:
    """Creates Permanence Azur and Permanence Horizon with their people, clients and messages,
    adding only what is missing."""
    report = SeedReport()
    seeder = _Seeder(report)
    with transaction.atomic():
        for spec in (azur(seeder.today), horizon(seeder.today)):
            seeder.permanence(spec)
        aids_demo_seed(report)
        planning_demo_seed(report)
    return report
