"""Sending a message (« Envoyer »), in four named steps.

    target = send_target(...)        who the send is about: client, contact, template, copies
    draft = send_validate(...)       pure: every French error at once, or the values to write
    rows = send_rows(...)            the rows the draft becomes (message, copies, history…)
    message = _send_write(...)       one insert, the wake-up on commit, the idempotency key

message_send runs them and returns a SendResult that the thread page and the API read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from relais.clients.models import Client
from relais.core.bulk import insert_together
from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.core.inputs import CC_MAX, check_list_size, is_blank
from relais.core.queries import first_or_none
from relais.core.validation import Errors, clean_text
from relais.delivery.models import Delivery
from relais.delivery.services import deliveries_build, deliveries_enqueue_on_commit
from relais.escalation.services import rows_for_send
from relais.events import publish as events_publish
from relais.messaging import rules
from relais.messaging.attachments import clean_attach
from relais.messaging.models import HistoryEvent, Message, ReadState, Recipient
from relais.messaging.placeholders import placeholders_apply
from relais.messaging.selectors import ThreadDetail
from relais.messaging.services.common import BODY_MAX, SUBJECT_MAX, history_rows, parse_due_date
from relais.messaging.services.send_target import (
    SendInput,
    SendTarget,
    lenient_id,
    parse_cc_ids,
    send_target,
)
from relais.tenancy.models import User

IDEMPOTENCY_WINDOW = dt.timedelta(hours=24)
KEY_MAX = 120


@dataclass(frozen=True)
class SendDraft:
    """A send checked against its target: the values to write, or every error found."""

    errors: dict[str, list[str]]
    subject: str = ""
    body: str = ""
    due_date: dt.date | None = None
    attach: dict[str, str] | None = None


@dataclass(frozen=True)
class SendRows:
    """The rows a draft becomes, not saved yet."""

    message: Message
    recipients: list[Recipient]
    read: ReadState
    deliveries: list[Delivery]
    events: list[HistoryEvent]
    # The acknowledgement's rows when the message asks for one (relais.escalation).
    ack_rows: list[list[Any]] = field(default_factory=list)

    def detail(self) -> ThreadDetail:
        """What was written, in thread_detail's shape: answering the send from it spares
        reading five tables back."""
        return {
            "replies": [],
            "history": self.events,
            "recipients": self.recipients,
            "reads": {self.read.user_id: self.read.read_at},
            "deliveries": self.deliveries,
        }


class SendResult(tuple[Message, bool]):
    """message_send's answer: .message, .created and .detail, the thread as the send wrote it
    (None when an idempotent replay returned an earlier message: read it from the tables
    then). A (message, created) pair too, so `message, created = message_send(...)` keeps
    its types."""

    detail: ThreadDetail | None

    def __new__(
        cls, message: Message, created: bool, detail: ThreadDetail | None = None
    ) -> SendResult:
        result = super().__new__(cls, (message, created))
        result.detail = detail
        return result

    @property
    def message(self) -> Message:
        return self[0]

    @property
    def created(self) -> bool:
        return self[1]


# --- step 2: the draft ------------------------------------------------------------------------


def _require_may_write(author: User, client: Client) -> None:
    if client.permanence_id != author.permanence_id:
        raise NotFound("Client introuvable.")
    if not rules.may_write_on_client(
        author, client_id=client.id, permanence_id=client.permanence_id
    ):
        raise PermissionDenied()


def _check_texts(data: SendInput, errors: Errors) -> tuple[str, str]:
    subject = ""
    try:
        subject = clean_text(
            data.subject,
            field="subject",
            label="Sujet",
            max_length=SUBJECT_MAX,
            required=True,
            one_line=True,
        )
    except ValidationFailed as exc:
        errors.capture(exc)
    body = (data.body or "").strip("\n\r ")
    if is_blank(body):
        errors.add("body", "Message : ce champ est obligatoire.")
    elif len(body) > BODY_MAX:
        errors.add("body", f"Message : {BODY_MAX} caractères au maximum ({len(body)} saisis).")
    return subject, body


def _check_due_date(data: SendInput, errors: Errors) -> dt.date | None:
    due_date = None
    try:
        due_date = parse_due_date(data.due_date)
    except ValidationFailed as exc:
        errors.capture(exc)
    if due_date and not data.is_task:
        errors.add("due_date", "Une date « à faire le » demande de cocher « Tâche ».")
    return due_date


def _check_copies(author: User, client: Client, data: SendInput, errors: Errors) -> None:
    """Private without copies, remarks by client users only and never in copy, copies need
    the client's coordinates."""
    if data.is_client_remark and not author.is_client_user:
        errors.add("is_client_remark", "Seul un compte client peut écrire une remarque client.")
    for raw in data.cc or []:
        if lenient_id(raw) is None:
            errors.add("cc", "Destinataire en copie introuvable.")
    cc_ids = parse_cc_ids(data.cc)
    if data.is_private and cc_ids:
        errors.add("cc", "Un message privé n'est envoyé qu'au destinataire : retirez les copies.")
    if data.is_private and data.copy_circle:
        errors.add("copy_circle", "Un message privé ne part pas en copie au cercle compagnie.")
    any_copy = bool(cc_ids or data.copy_circle or data.copy_email or data.copy_sms or data.copy_fax)
    if any_copy and not rules.may_send_copies(author):
        errors.add("cc", "Un compte client ne peut pas envoyer de copies.")
    elif any_copy and data.is_client_remark:
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


def _fill_template(
    author: User, target: SendTarget, subject: str, body: str, errors: Errors
) -> tuple[str, str]:
    """Placeholders the composer could not fill yet ({contact} with no contact chosen)."""
    client_name, operator = target.client.name, author.first_name
    contact_name = target.contact.name if target.contact else ""
    subject = placeholders_apply(
        subject, client_name=client_name, operator_first_name=operator, contact_name=contact_name
    ).strip()
    body = placeholders_apply(
        body, client_name=client_name, operator_first_name=operator, contact_name=contact_name
    )
    if len(subject) > SUBJECT_MAX:
        errors.add("subject", f"Sujet : {SUBJECT_MAX} caractères au maximum.")
    if len(body) > BODY_MAX:
        errors.add("body", f"Message : {BODY_MAX} caractères au maximum.")
    return subject, body


def send_validate(*, author: User, target: SendTarget, data: SendInput) -> SendDraft:
    """Every check of a send, without a query: the draft to write, or all the French errors
    (SendDraft.errors)."""
    errors = Errors()
    subject, body = _check_texts(data, errors)
    due_date = _check_due_date(data, errors)
    _check_copies(author, target.client, data, errors)
    if data.contact and target.contact is None:
        errors.add("contact", "Contact introuvable pour ce client.")
    if data.template and target.template is None:
        errors.add("template", "Modèle de message introuvable.")
    if target.template is not None and not errors.fields:
        subject, body = _fill_template(author, target, subject, body, errors)
    if target.cc_ids and not errors.fields and len(target.cc_users or ()) != len(target.cc_ids):
        errors.add("cc", "Destinataire en copie introuvable.")
    attach = None
    if data.attach:
        try:
            attach = clean_attach(data.attach)
        except ValidationFailed as exc:
            errors.capture(exc)
    return SendDraft(
        errors=errors.fields, subject=subject, body=body, due_date=due_date, attach=attach
    )


# --- step 3: the rows -------------------------------------------------------------------------


def _circle_users(target: SendTarget, data: SendInput) -> list[User]:
    client = target.client
    if not (data.copy_circle and client.company_id):
        return []
    in_copy = [u.id for u in target.cc_users or ()]
    members = User.objects.filter(company_circles__id=client.company_id, is_active=True)
    return list(members.exclude(id__in=in_copy))


def _message(
    author: User, target: SendTarget, data: SendInput, draft: SendDraft, key: str, now: Any
) -> Message:
    return Message(
        permanence_id=target.client.permanence_id,
        client=target.client,
        author=author,
        subject=draft.subject,
        body=draft.body,
        status=Message.STATUS_TODO if data.is_task else Message.STATUS_NORMAL,
        due_date=draft.due_date,
        is_urgent=bool(data.is_urgent),
        is_private=bool(data.is_private),
        is_vad=bool(data.is_vad),
        is_client_remark=bool(data.is_client_remark),
        contact=target.contact,
        template=target.template,
        copy_circle=bool(data.copy_circle),
        copy_email=bool(data.copy_email),
        copy_sms=bool(data.copy_sms),
        copy_fax=bool(data.copy_fax),
        attach=draft.attach,
        last_activity_at=now,
        idempotency_key=key,
        call=data.call,
    )


def send_rows(
    *,
    author: User,
    target: SendTarget,
    data: SendInput,
    draft: SendDraft,
    circle_users: Sequence[User],
    key: str,
    now: dt.datetime,
) -> SendRows:
    """The message, its copy recipients and circle, the author's read state, one outbox row
    per copy and the history lines (created, task, each copy queued)."""
    message = _message(author, target, data, draft, key, now)
    cc_users = list(target.cc_users or ())
    recipients = [Recipient(message=message, user=u, reason=Recipient.CC) for u in cc_users]
    recipients += [
        Recipient(message=message, user=u, reason=Recipient.CIRCLE) for u in circle_users
    ]
    deliveries = deliveries_build(
        message=message, client=target.client, cc_users=cc_users, circle_users=circle_users
    )
    events = [history_rows(message, HistoryEvent.CREATED, actor=author, at=now)]
    if message.status == Message.STATUS_TODO:
        due = draft.due_date
        detail = f"A faire le {due:%d/%m/%Y}" if due else ""
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
    read = ReadState(message=message, user=author, read_at=now)
    ack_rows = rows_for_send(
        message=message, client=target.client, author=author, deliveries=deliveries, now=now
    )
    return SendRows(message, recipients, read, deliveries, events, ack_rows)


# --- step 4: the write ------------------------------------------------------------------------


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


def _insert(rows: SendRows, author: User) -> None:
    # Every row, and the live event (message.created) on PostgreSQL, in one round trip and one
    # transaction (relais.core.bulk). Inside a caller's transaction a savepoint keeps a key
    # conflict from breaking it.
    event = events_publish.message_created_statement(rows.message, actor=author)
    scope = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with scope:
        insert_together(
            [
                [rows.message],
                rows.recipients,
                [rows.read],
                rows.deliveries,
                rows.events,
                *rows.ack_rows,
            ],
            then=[event] if event is not None else [],
        )
        deliveries_enqueue_on_commit([d.id for d in rows.deliveries])
        if event is None:
            events_publish.message_event("message.created", rows.message, actor=author)


def _send_write(rows: SendRows, *, author: User, key: str, now: dt.datetime) -> Message | None:
    """Writes the rows; returns None, or the message that already holds the key."""
    for attempt in (1, 2):
        try:
            _insert(rows, author)
            return None
        except IntegrityError:
            # A request with the same key came first (a retry, a double click, a race):
            # answer with its message. The key is checked here, on conflict, rather than
            # before every keyed send: the common path saves a query.
            if existing := _existing_for_key(author, key):
                return existing
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
    raise AssertionError("unreachable: the second attempt returns or raises")


def message_send(
    *, author: User, client: Client | SendTarget, data: SendInput, idempotency_key: str = ""
) -> SendResult:
    """Writes a message on the client's file with its copies.

    `client` is a client, or the SendTarget client_for_send read for this data. The same
    idempotency key within 24 h returns the first message and creates nothing.
    """
    # A list too long is refused before any lookup (relais.core.inputs).
    check_list_size(data.cc, field="cc", cap=CC_MAX, label="Destinataires en copie")
    key = (idempotency_key or "").strip()[:KEY_MAX]
    given = client.client if isinstance(client, SendTarget) else client
    _require_may_write(author, given)
    target = send_target(client=client, data=data)
    draft = send_validate(author=author, target=target, data=data)
    if draft.errors:
        if existing := _existing_for_key(author, key):
            # A retry answers with the first result, even if what it carries differs now.
            return SendResult(existing, created=False)
        raise ValidationFailed(next(iter(draft.errors.values()))[0], draft.errors)
    now = timezone.now()
    circle_users = _circle_users(target, data)
    rows = send_rows(
        author=author,
        target=target,
        data=data,
        draft=draft,
        circle_users=circle_users,
        key=key,
        now=now,
    )
    if existing := _send_write(rows, author=author, key=key, now=now):
        return SendResult(existing, created=False)
    return SendResult(rows.message, created=True, detail=rows.detail())
