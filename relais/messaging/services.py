"""Every write on messages goes through here: pages and API call the same functions."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Aggregate,
    Exists,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import JSONObject
from django.utils import timezone

from relais.clients.models import Client, ClientShare, Contact
from relais.core.bulk import insert_together
from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.core.queries import Prepared, first_or_none, from_row, loaded
from relais.core.validation import Errors, clean_text
from relais.events import publish as events_publish
from relais.messaging.models import (
    HistoryEvent,
    Message,
    MessageTemplate,
    ReadState,
    Recipient,
    Reply,
)
from relais.tenancy import permissions as perms
from relais.tenancy.access import parse_id
from relais.tenancy.models import User

IDEMPOTENCY_WINDOW = dt.timedelta(hours=24)
SENT_DETAIL = "_sent_detail"
SUBJECT_MAX = 200
BODY_MAX = 20000


def cc_eligibility_filter(client: Client) -> Q:
    """Users who may receive a copy of this client's messages."""
    return cc_eligibility_rule(
        permanence_id=client.permanence_id, client_id=client.id, company_id=client.company_id
    )


def cc_eligibility_rule(*, permanence_id: Any, client_id: Any, company_id: Any) -> Q:
    """Users who may receive a copy of a client's messages: the permanence's staff, users the
    client shares its messages with, and client users of the same company. company_id may be
    an expression (an OuterRef to the client row: NULL then matches nobody)."""
    # Exists rather than a join: one row per user, no DISTINCT needed.
    shares = ClientShare.objects.filter(user_id=OuterRef("pk"), client_id=client_id)
    condition: Any = Q(kind=User.STAFF) | Exists(shares)
    if company_id is not None:
        condition |= Q(kind=User.CLIENT, client__company_id=company_id)
    return cast(Q, Q(permanence_id=permanence_id) & condition)


def _eligible_cc(client: Client, ids: Sequence[Any]) -> list[User]:
    """The users of ids who may receive a copy (when the client was not read by
    client_for_send, which looks them up with the client)."""
    return list(User.objects.filter(cc_eligibility_filter(client), id__in=ids, is_active=True))


def history_rows(
    message: Message, kind: str, *, actor: User | None, detail: str = "", at: dt.datetime
) -> HistoryEvent:
    return HistoryEvent(message=message, actor=actor, kind=kind, detail=detail[:300], at=at)


@dataclass
class SendInput:
    """What the composer or the API asks for; validated by message_send."""

    subject: str = ""
    body: str = ""
    cc: Sequence[Any] = field(default_factory=list)
    is_task: bool = False
    due_date: Any = None
    is_urgent: bool = False
    is_private: bool = False
    is_vad: bool = False
    is_client_remark: bool = False
    contact: Any = None
    template: Any = None
    copy_circle: bool = False
    copy_email: bool = False
    copy_sms: bool = False
    copy_fax: bool = False
    attach: dict[str, Any] | None = None
    call: Any = None  # the calls.Call it is written during, fetched by the caller


def parse_due_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationFailed.on("due_date", "Date invalide : utilisez le format jj/mm/aaaa.")


def _existing_for_key(author: User, key: str) -> Message | None:
    if not key:
        return None
    return first_or_none(
        Message.objects.filter(
            author=author,
            idempotency_key=key,
            created_at__gte=timezone.now() - IDEMPOTENCY_WINDOW,
        )
    )


SEND_LOOKUPS = "_send_lookups"


def _lenient_id(raw: Any) -> Any:
    try:
        return parse_id(raw)
    except Exception:
        return None


def _cc_ids(raw: Sequence[Any] | None) -> list[Any]:
    """The copy recipients asked for, parsed, without repeats (in the order given)."""
    return list(dict.fromkeys(i for i in map(_lenient_id, raw or []) if i is not None))


class _JSONRows(Aggregate):
    """The rows of a subquery as one JSON array (PostgreSQL jsonb_agg, SQLite
    json_group_array)."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


def _send_lookup_query(
    own_client: bool, n_cc: int, has_contact: bool, *slots: uuid.UUID
) -> QuerySet[Client]:
    """The client (as access_client_by_id reads it, less the related rows) with, as JSON, the
    chosen contact and the copy recipients who may receive its messages
    (cc_eligibility_rule). Slots: permanence, client, [the client user's own
    client], [contact], cc ids."""
    permanence_id, target, *rest = slots
    qs = Client.objects.filter(permanence_id=permanence_id, id=target)
    if own_client:
        qs = qs.filter(id=rest.pop(0))
    annotations: dict[str, Any] = {}
    if has_contact:
        chosen = Contact.objects.filter(client_id=OuterRef("pk"), id=rest.pop(0)).values(
            row=JSONObject(id="id", name="name")
        )
        annotations["send_contact_row"] = Subquery(chosen[:1], output_field=JSONField())
    if n_cc:
        cc_ids = rest[:n_cc]
        rule = cc_eligibility_rule(
            permanence_id=permanence_id, client_id=target, company_id=OuterRef("company_id")
        )
        eligible = (
            User.objects.filter(rule, id__in=cc_ids, is_active=True)
            .values("permanence_id")
            .annotate(
                rows=_JSONRows(
                    JSONObject(
                        id="id",
                        email="email",
                        first_name="first_name",
                        last_name="last_name",
                        kind="kind",
                        mobile="mobile",
                        client_id="client_id",
                    )
                )
            )
            .values("rows")
        )
        annotations["send_cc_rows"] = Subquery(eligible, output_field=JSONField())
    return qs.values(*(f.attname for f in Client._meta.concrete_fields), **annotations)


_SEND_LOOKUP = Prepared(_send_lookup_query)


def client_for_send(user: User, client_id: Any, data: SendInput) -> Client:
    """access_client_by_id for a send: the same client, the same 404, and in the same query
    what message_send looks up next — the chosen contact and the copy recipients who may
    receive this client's messages. A send then costs the same queries with 0, 1 or 10 copy
    recipients, and the query is compiled once per shape (relais.core.queries.Prepared)."""
    target = _lenient_id(client_id)
    if target is None or (user.is_client_user and not user.client_id):
        raise NotFound("Client introuvable.")
    cc_ids = _cc_ids(data.cc)
    contact_id = _lenient_id(data.contact) if data.contact else None
    own_client = user.is_client_user
    slots = [user.permanence_id, target]
    if own_client:
        slots.append(user.client_id)
    if contact_id is not None:
        slots.append(contact_id)
    slots += cc_ids
    found = _SEND_LOOKUP.rows((own_client, len(cc_ids), contact_id is not None), *slots)
    if not found:
        raise NotFound("Client introuvable.")
    row = found[0]
    client = from_row(Client, row)
    looked_up: dict[str, Any] = {}
    if cc_ids:
        looked_up["cc_ids"] = cc_ids
        looked_up["cc"] = [
            loaded(
                User(
                    id=uuid.UUID(str(cc["id"])),
                    permanence_id=client.permanence_id,
                    email=cc["email"],
                    first_name=cc["first_name"],
                    last_name=cc["last_name"],
                    kind=cc["kind"],
                    mobile=cc["mobile"],
                    client_id=uuid.UUID(str(cc["client_id"])) if cc["client_id"] else None,
                    is_active=True,
                )
            )
            for cc in _json(row["send_cc_rows"])
        ]
    if contact_id is not None:
        chosen = _json(row["send_contact_row"])
        looked_up["contact_id"] = contact_id
        looked_up["contact"] = (
            loaded(
                Contact(
                    id=uuid.UUID(str(chosen["id"])),
                    permanence_id=client.permanence_id,
                    client=client,
                    name=chosen["name"],
                )
            )
            if chosen
            else None
        )
    client.__dict__[SEND_LOOKUPS] = looked_up
    return client


def _json(value: Any) -> Any:
    """A JSON annotation as Python: decoded by the field on PostgreSQL, sometimes still text
    on SQLite (a nested JSON function's result)."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def message_send(
    *, author: User, client: Client, data: SendInput, idempotency_key: str = ""
) -> tuple[Message, bool]:
    """Writes a message on the client's file with its copies; returns (message, created).

    The same idempotency key within 24 h returns the first message and creates nothing.
    """
    key = (idempotency_key or "").strip()[:120]

    if client.permanence_id != author.permanence_id:
        raise NotFound("Client introuvable.")
    if author.is_staff_user and not author.has_right(perms.MESSAGES_ADD):
        raise PermissionDenied()
    if author.is_client_user and author.client_id != client.id:
        raise PermissionDenied()

    errors = Errors()
    subject = body = ""
    try:
        subject = clean_text(
            data.subject, field="subject", label="Sujet", max_length=SUBJECT_MAX, required=True
        )
    except ValidationFailed as exc:
        errors.capture(exc)
    body = (data.body or "").strip("\n\r ")
    if not body.strip():
        errors.add("body", "Message : ce champ est obligatoire.")
    elif len(body) > BODY_MAX:
        errors.add("body", f"Message : {BODY_MAX} caractères au maximum ({len(body)} saisis).")
    due_date = None
    try:
        due_date = parse_due_date(data.due_date)
    except ValidationFailed as exc:
        errors.capture(exc)
    if due_date and not data.is_task:
        errors.add("due_date", "Une date « à faire le » demande de cocher « Tâche ».")

    is_client = author.is_client_user
    if data.is_client_remark and not is_client:
        errors.add("is_client_remark", "Seul un compte client peut écrire une remarque client.")
    cc_ids: list[Any] = []
    for raw in data.cc or []:
        try:
            cc_ids.append(parse_id(raw))
        except Exception:
            errors.add("cc", "Destinataire en copie introuvable.")
    cc_ids = list(dict.fromkeys(cc_ids))
    if data.is_private and cc_ids:
        errors.add("cc", "Un message privé n'est envoyé qu'au destinataire : retirez les copies.")
    if data.is_private and data.copy_circle:
        errors.add("copy_circle", "Un message privé ne part pas en copie au cercle compagnie.")
    if is_client and (
        cc_ids or data.copy_circle or data.copy_email or data.copy_sms or data.copy_fax
    ):
        errors.add("cc", "Un compte client ne peut pas envoyer de copies.")
    elif data.is_client_remark and (
        cc_ids or data.copy_circle or data.copy_email or data.copy_sms or data.copy_fax
    ):
        # Remarks are for the permanence's gérants and superviseurs: never a copy, whoever asks.
        errors.add("cc", "Une remarque client ne part jamais en copie.")
    if data.copy_circle and not client.company_id:
        errors.add("copy_circle", "Ce client n'appartient à aucune compagnie.")
    if data.copy_email and not client.email:
        errors.add(
            "copy_email", "Le client n'a pas d'adresse e-mail : impossible d'envoyer la copie."
        )
    if data.copy_sms and not client.mobile:
        errors.add(
            "copy_sms", "Le client n'a pas de numéro de mobile : impossible d'envoyer le SMS."
        )
    if data.copy_fax and not client.fax:
        errors.add("copy_fax", "Le client n'a pas de numéro de fax : impossible d'envoyer le fax.")

    # What client_for_send already read with the client, if that is how it was fetched.
    looked_up: dict[str, Any] = client.__dict__.get(SEND_LOOKUPS) or {}
    contact: Contact | None = None
    if data.contact:
        contact_id = _lenient_id(data.contact)
        if "contact" in looked_up and looked_up["contact_id"] == contact_id:
            contact = looked_up["contact"]
        elif contact_id is not None:
            contact = first_or_none(Contact.objects.filter(client=client, id=contact_id))
        if contact is None:
            errors.add("contact", "Contact introuvable pour ce client.")
    template: MessageTemplate | None = None
    if data.template:
        try:
            template = first_or_none(
                MessageTemplate.objects.filter(
                    permanence_id=client.permanence_id, id=parse_id(data.template)
                )
            )
        except Exception:
            template = None
        if template is None:
            errors.add("template", "Modèle de message introuvable.")
    if template is not None and not errors.fields:
        # Placeholders the composer could not fill yet ({contact} with no contact chosen).
        from relais.messaging.placeholders import placeholder_values, placeholders_fill

        filled = placeholder_values(
            client_name=client.name,
            operator_first_name=author.first_name,
            contact_name=contact.name if contact else "",
        )
        subject = placeholders_fill(subject, filled).strip()
        body = placeholders_fill(body, filled)
        if len(subject) > SUBJECT_MAX:
            errors.add("subject", f"Sujet : {SUBJECT_MAX} caractères au maximum.")
        if len(body) > BODY_MAX:
            errors.add("body", f"Message : {BODY_MAX} caractères au maximum.")

    cc_users: list[User] = []
    if cc_ids and not errors.fields:
        if "cc" in looked_up and looked_up["cc_ids"] == cc_ids:
            cc_users = looked_up["cc"]
        else:
            cc_users = _eligible_cc(client, cc_ids)
        if len(cc_users) != len(cc_ids):
            errors.add("cc", "Destinataire en copie introuvable.")
    attach = None
    if data.attach:
        from relais.messaging.attachments import clean_attach

        try:
            attach = clean_attach(data.attach)
        except ValidationFailed as exc:
            errors.capture(exc)
    if errors.fields and (existing := _existing_for_key(author, key)):
        # A retry answers with the first result, even if what it carries differs now.
        return existing, False
    errors.raise_if_any()

    circle_users: list[User] = []
    if data.copy_circle and client.company_id:
        circle_users = list(
            User.objects.filter(company_circles__id=client.company_id, is_active=True).exclude(
                id__in=[u.id for u in cc_users]
            )
        )

    now = timezone.now()
    message = Message(
        permanence_id=client.permanence_id,
        client=client,
        author=author,
        subject=subject,
        body=body,
        status=Message.STATUS_TODO if data.is_task else Message.STATUS_NORMAL,
        due_date=due_date,
        is_urgent=bool(data.is_urgent),
        is_private=bool(data.is_private),
        is_vad=bool(data.is_vad),
        is_client_remark=bool(data.is_client_remark),
        contact=contact,
        template=template,
        copy_circle=bool(data.copy_circle),
        copy_email=bool(data.copy_email),
        copy_sms=bool(data.copy_sms),
        copy_fax=bool(data.copy_fax),
        attach=attach,
        last_activity_at=now,
        idempotency_key=key,
        call=data.call,
    )
    from relais.delivery.services import deliveries_build, deliveries_enqueue_on_commit

    recipients = [Recipient(message=message, user=u, reason=Recipient.CC) for u in cc_users] + [
        Recipient(message=message, user=u, reason=Recipient.CIRCLE) for u in circle_users
    ]
    read = ReadState(message=message, user=author, read_at=now)
    deliveries = deliveries_build(
        message=message, client=client, cc_users=cc_users, circle_users=circle_users
    )
    events = [history_rows(message, HistoryEvent.CREATED, actor=author, at=now)]
    if message.status == Message.STATUS_TODO:
        detail = f"A faire le {due_date:%d/%m/%Y}" if due_date else ""
        events.append(
            history_rows(message, HistoryEvent.TASK_TODO, actor=author, detail=detail, at=now)
        )
    events += [
        history_rows(
            message,
            HistoryEvent.COPY_QUEUED,
            actor=author,
            detail=f"{d.get_channel_display()} → {d.to}",
            at=now,
        )
        for d in deliveries
    ]

    def write() -> None:
        # Every row in one round trip on PostgreSQL (relais.core.bulk). Inside a caller's
        # transaction a savepoint keeps a key conflict from breaking it.
        scope = transaction.atomic() if connection.in_atomic_block else nullcontext()
        with scope:
            insert_together([[message], recipients, [read], deliveries, events])
            deliveries_enqueue_on_commit([d.id for d in deliveries])

    for attempt in (1, 2):
        try:
            write()
            break
        except IntegrityError:
            # A request with the same key came first (a retry, a double click, a race):
            # answer with its message. The key is checked here, on conflict, rather than
            # before every keyed send: the common path saves a query.
            if existing := _existing_for_key(author, key):
                return existing, False
            # Or the key was last used more than 24 h ago: free it and write once more.
            freed = (
                attempt == 1
                and key
                and Message.objects.filter(
                    author=author, idempotency_key=key, created_at__lt=now - IDEMPOTENCY_WINDOW
                ).update(idempotency_key="")
            )
            if not freed:
                raise
    events_publish.message_event("message.created", message, actor=author)
    written = {
        "replies": [],
        "history": events,
        "recipients": recipients,
        "reads": {author.id: now},
        "deliveries": deliveries,
    }
    # What was just written, in thread_detail's shape: answering the send from it spares
    # reading five tables back (thread_detail takes it once; later writes drop it).
    message.__dict__[SENT_DETAIL] = written
    return message, True


def _forget_sent_detail(message: Message) -> None:
    message.__dict__.pop(SENT_DETAIL, None)


def reply_post(*, author: User, message: Message, body: str, make_task: bool = False) -> Reply:
    """Posts a reply on a thread; "Valider + Tâche à faire" also makes it a to-do."""
    if author.is_staff_user and not author.has_right(perms.MESSAGES_ADD):
        raise PermissionDenied()
    if make_task:
        _require_task_right(author, message)
    text = (body or "").strip("\n\r ")
    if not text.strip():
        raise ValidationFailed.on("body", "Réponse : ce champ est obligatoire.")
    if len(text) > BODY_MAX:
        raise ValidationFailed.on(
            "body", f"Réponse : {BODY_MAX} caractères au maximum ({len(text)} saisis)."
        )
    _forget_sent_detail(message)
    now = timezone.now()
    with transaction.atomic():
        reply = Reply.objects.create(message=message, author=author, body=text)
        updates: dict[str, Any] = {"last_activity_at": now, "reply_count": F("reply_count") + 1}
        events = [history_rows(message, HistoryEvent.REPLIED, actor=author, at=now)]
        if make_task and message.status != Message.STATUS_TODO:
            updates.update(status=Message.STATUS_TODO, done_by=None, done_at=None)
            events.append(history_rows(message, HistoryEvent.TASK_TODO, actor=author, at=now))
        Message.objects.filter(pk=message.pk).update(**updates)
        # Everyone else now has something new to read; the author has read it.
        ReadState.objects.filter(message=message).exclude(user=author).delete()
        ReadState.objects.update_or_create(message=message, user=author, defaults={"read_at": now})
        HistoryEvent.objects.bulk_create(events)
        events_publish.message_event("message.replied", message, actor=author)
    message.refresh_from_db()
    return reply


def message_mark_read(*, user: User, message: Message) -> bool:
    """Marks the thread read for the user; returns True when it was unread."""
    _forget_sent_detail(message)
    now = timezone.now()
    _, created = ReadState.objects.get_or_create(
        message=message, user=user, defaults={"read_at": now}
    )
    if created:
        HistoryEvent.objects.create(message=message, actor=user, kind=HistoryEvent.READ, at=now)
        events_publish.message_read_event(message, user=user, read=True)
    return created


def message_mark_unread(*, user: User, message: Message) -> bool:
    from relais.messaging import urgent

    _forget_sent_detail(message)
    with transaction.atomic():
        deleted, _ = ReadState.objects.filter(message=message, user=user).delete()
        if deleted:
            HistoryEvent.objects.create(
                message=message, actor=user, kind=HistoryEvent.UNREAD, at=timezone.now()
            )
            # Unread again: the user's « Urgent » count must see it (messaging.urgent).
            urgent.note_unread(user, message)
            events_publish.message_read_event(message, user=user, read=False)
    return bool(deleted)


def task_may_change(user: User, message: Message) -> bool:
    """Who may make a message a task, close it or cancel it (DECISIONS.md, "Tasks"): staff
    with the right to write messages, and the client users of the message's own client. Those
    who only see it through sharing or a copy may not."""
    if user.is_staff_user:
        return user.has_right(perms.MESSAGES_ADD)
    return user.client_id is not None and message.client_id == user.client_id


def _require_task_right(user: User, message: Message) -> None:
    if not task_may_change(user, message):
        if user.is_client_user:
            raise PermissionDenied("Seul le client du dossier peut changer cette tâche.")
        raise PermissionDenied()


def task_set(*, user: User, message: Message, action: str, due_date: Any = None) -> Message:
    """todo / done / cancel. A conditional update makes two simultaneous clicks end in one
    state with one history line."""
    _require_task_right(user, message)
    _forget_sent_detail(message)
    now = timezone.now()
    qs = Message.objects.filter(pk=message.pk)
    with transaction.atomic():
        if action == "todo":
            due = parse_due_date(due_date)
            changed = qs.exclude(status=Message.STATUS_TODO, due_date=due).update(
                status=Message.STATUS_TODO, due_date=due, done_by=None, done_at=None
            )
            kind, detail = HistoryEvent.TASK_TODO, (f"A faire le {due:%d/%m/%Y}" if due else "")
        elif action == "done":
            changed = qs.filter(status=Message.STATUS_TODO).update(
                status=Message.STATUS_DONE, done_by=user, done_at=now
            )
            kind, detail = HistoryEvent.TASK_DONE, ""
        elif action == "cancel":
            changed = qs.exclude(status=Message.STATUS_NORMAL).update(
                status=Message.STATUS_NORMAL, due_date=None, done_by=None, done_at=None
            )
            kind, detail = HistoryEvent.TASK_CANCEL, ""
        else:
            raise ValidationFailed.on("action", "Action inconnue : todo, done ou cancel.")
        if changed:
            HistoryEvent.objects.create(
                message=message, actor=user, kind=kind, detail=detail, at=now
            )
            if action != "done":
                # Perhaps a done task open again: the « Urgent » counts must see it.
                from relais.messaging import urgent

                urgent.note_reopened(message)
            events_publish.message_event("message.task", message, actor=user, action=action)
    message.refresh_from_db()
    return message
