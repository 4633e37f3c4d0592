"""What goes in and out of the API (API.md), and how rows become those shapes.

Ids are UUID strings, dates `YYYY-MM-DD`, instants ISO 8601 with the Paris offset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, Strict
from pydantic_core import PydanticCustomError

from relais.api.escalation_schemas import (
    AcknowledgementOut,
    EscalationStateOut,
    escalation_fields,
)
from relais.core.inputs import CC_MAX, text_problem

if TYPE_CHECKING:
    from relais.clients.models import Client, Contact
    from relais.delivery.models import Delivery
    from relais.messaging.models import (
        HistoryEvent,
        Message,
        MessageTemplate,
        Recipient,
        Reply,
        ReplyAttachment,
    )
    from relais.tenancy.models import User

UserKind = Literal["staff", "client"]
MessageKind = Literal[
    "todo", "task", "done", "day_task", "urgent", "vad", "private", "remark", "normal"
]


def _storable(value: str) -> str:
    # PostgreSQL cannot store U+0000, nor UTF-8 encode a lone UTF-16 surrogate ("\ud800" in
    # JSON): refuse them as invalid input rather than fail later.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "Caractère nul interdit.")
    if text_problem(value):
        raise PydanticCustomError("surrogate", "Caractère invalide (UTF-16 incomplet).")
    return value


Text = Annotated[str, AfterValidator(_storable)]
"""Every string that comes from a caller."""

# Body fields take JSON's own types only: "yes" or 1 is not a boolean, 0 is not a date, "15"
# is not a number (query parameters, which are text, keep the usual parsing).
Flag = Annotated[bool, Strict()]
Number = Annotated[int, Strict()]


def _date_text(value: object) -> object:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value
    raise PydanticCustomError("date_type", "Date attendue au format AAAA-MM-JJ.")


Day = Annotated[dt.date, BeforeValidator(_date_text)]
"""A date in a JSON body: the text "YYYY-MM-DD" only."""


def capped(cap: int) -> BeforeValidator:
    """A list's length checked before its items are: ten times the cap costs no more than
    the cap (declare max_length too, for the OpenAPI document)."""

    def check(value: object) -> object:
        if isinstance(value, list) and len(value) > cap:
            raise PydanticCustomError(
                "too_long", "{max_length} éléments au maximum.", {"max_length": cap}
            )
        return value

    return BeforeValidator(check)


# --- shared pieces ---------------------------------------------------------------------------


class Ref(Schema):
    id: str
    name: str


class UserRef(Ref):
    kind: UserKind


def local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def ref(obj: Any) -> dict[str, str] | None:
    return {"id": str(obj.id), "name": str(obj.name)} if obj is not None else None


def user_ref(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"id": str(user.id), "name": user.name, "kind": user.kind}


# --- me --------------------------------------------------------------------------------------


class MeOut(Schema):
    id: str
    name: str
    first_name: str
    last_name: str
    email: str
    kind: UserKind
    role: str | None = Field(None, description="Role code: operateur, superviseur, gerant.")
    role_label: str
    permissions: list[str]
    permanence: Ref
    client: Ref | None = Field(None, description="A client user's own client.")


def me_out(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "name": user.name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "kind": user.kind,
        "role": user.role.kind if user.role is not None else None,
        "role_label": user.role_label,
        "permissions": user.rights,
        "permanence": ref(user.permanence),
        "client": ref(user.client) if user.is_client_user else None,
    }


# --- clients and contacts --------------------------------------------------------------------


class ClientOut(Schema):
    id: str
    name: str
    trade: str
    email: str
    mobile: str = Field(description="E.164, e.g. +33612345678.")
    phone: str
    fax: str
    company: Ref | None


class ClientSettingsOut(Schema):
    default_copy_email: bool
    default_copy_sms: bool
    default_copy_fax: bool
    message_info: str
    default_template: str | None = Field(description="Template id, or null.")
    screen_pop: Literal["messages", "planning", "contacts", "instructions"] = Field(
        description="« Levée de fiche par défaut »: the page an answered call opens."
    )


class ClientDetailOut(ClientOut):
    address: str
    numbers: list[str] = Field(description="The client's dedicated numbers (E.164).")
    settings: ClientSettingsOut


class ClientPage(Schema):
    items: list[ClientOut]
    next: str | None


def client_out(client: Client) -> dict[str, Any]:
    return {
        "id": str(client.id),
        "name": client.name,
        "trade": client.trade,
        "email": client.email,
        "mobile": client.mobile,
        "phone": client.phone,
        "fax": client.fax,
        "company": ref(client.company),
    }


def client_detail_out(client: Client) -> dict[str, Any]:
    return {
        **client_out(client),
        "address": client.address,
        "numbers": [n.number for n in client.numbers.all()],
        "settings": {
            "default_copy_email": client.default_copy_email,
            "default_copy_sms": client.default_copy_sms,
            "default_copy_fax": client.default_copy_fax,
            "message_info": client.message_info,
            "default_template": (
                str(client.default_template_id) if client.default_template_id else None
            ),
            "screen_pop": client.screen_pop,
        },
    }


class ContactOut(Schema):
    id: str
    name: str
    phone: str
    phone2: str
    email: str
    note: str


class ContactIn(Schema):
    name: Text
    phone: Text = ""
    phone2: Text = ""
    email: Text = ""
    note: Text = ""


class ContactPage(Schema):
    items: list[ContactOut]
    next: str | None


def contact_out(contact: Contact) -> dict[str, Any]:
    return {
        "id": str(contact.id),
        "name": contact.name,
        "phone": contact.phone,
        "phone2": contact.phone2,
        "email": contact.email,
        "note": contact.note,
    }


class CandidateOut(Schema):
    id: str
    name: str
    kind: UserKind
    client: Ref | None = Field(None, description="For a client user: its client.")


class CandidatePage(Schema):
    items: list[CandidateOut]
    next: str | None


def candidate_out(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "name": user.name,
        "kind": user.kind,
        "client": ref(user.client) if user.is_client_user else None,
    }


# --- messages --------------------------------------------------------------------------------


class AttachIn(Schema):
    kind: Literal["planning", "movements_staff", "movements_staff_unread", "movements_all"]
    from_: Day = Field(alias="from", description="YYYY-MM-DD.")
    to: Day = Field(description="YYYY-MM-DD, not before `from` (else 422), at most a year after.")


class SendIn(Schema):
    subject: Text = Field(description="Required, 1–200 characters.")
    body: Text = Field(description="Required, 1–20000 characters; plain text.")
    cc: Annotated[list[Text], capped(CC_MAX)] = Field(
        default_factory=list,
        max_length=CC_MAX,
        description=f"Copy recipients (user ids), at most {CC_MAX}.",
    )
    is_task: Flag = False
    due_date: Day | None = Field(None, description="With is_task: a day task due that day.")
    is_urgent: Flag = False
    is_private: Flag = False
    is_vad: Flag = False
    is_client_remark: Flag = Field(False, description="Client users only.")
    contact: Text | None = None
    template: Text | None = None
    copy_circle: Flag = False
    copy_email: Flag = False
    copy_sms: Flag = False
    copy_fax: Flag = False
    attach: AttachIn | None = None
    call: Text | None = Field(None, description="The call (id) this message is written during.")


class ReplyIn(Schema):
    body: Text = Field(description="Required, 1–20000 characters.")
    make_task: Flag = Field(False, description="« Valider + Tâche à faire ».")


class TaskIn(Schema):
    action: Literal["todo", "done", "cancel"]
    due_date: Day | None = None


class MessageOut(Schema):
    id: str
    client: Ref
    author: UserRef
    subject: str
    body: str
    status: Literal["normal", "todo", "done"]
    is_task: bool
    due_date: dt.date | None
    is_urgent: bool
    is_private: bool
    is_vad: bool
    is_client_remark: bool
    contact: Ref | None
    template: Ref | None
    copy_circle: bool
    copy_email: bool
    copy_sms: bool
    copy_fax: bool
    attach: dict[str, str] | None
    done_by: Ref | None
    done_at: dt.datetime | None
    call: str | None = Field(None, description="The call it was written during (id), or null.")
    created_at: dt.datetime
    last_activity_at: dt.datetime
    reply_count: int
    unread: bool = Field(description="Unread for me.")


class RecipientOut(Schema):
    id: str
    name: str
    kind: UserKind
    reason: Literal["cc", "circle"]
    read_at: dt.datetime | None


class ReplyAuthorOut(Schema):
    """Who wrote a reply: a user, or (taken in by e-mail or SMS) a contact or the client's
    own address (`id` null)."""

    id: str | None
    name: str
    kind: Literal["staff", "client", "contact", "external"]


class AttachmentOut(Schema):
    name: str
    size: int
    url: str


class ReplyOut(Schema):
    id: str
    author: ReplyAuthorOut
    body: str
    created_at: dt.datetime
    via: Literal["page", "email", "sms"]
    attachments: list[AttachmentOut] = []
    note: str = ""


class HistoryOut(Schema):
    kind: str
    label: str
    actor: Ref | None
    detail: str
    at: dt.datetime


class DeliveryOut(Schema):
    id: str
    channel: Literal["email", "sms", "fax"]
    to: str
    to_name: str
    status: Literal["queued", "sent", "delivered", "failed"]
    attempts: int
    last_error: str


class MessageDetailOut(MessageOut):
    recipients: list[RecipientOut]
    replies: list[ReplyOut]
    history: list[HistoryOut]
    deliveries: list[DeliveryOut]
    acknowledgement: AcknowledgementOut | None = None
    escalation: EscalationStateOut | None = None


class MessagePage(Schema):
    items: list[MessageOut]
    next: str | None


class ReadOut(Schema):
    id: str
    unread: bool
    changed: bool = Field(description="False when it already was in that state.")


class TemplateOut(Schema):
    id: str
    name: str
    subject: str
    body: str
    consigne: str
    auto_vad: bool
    auto_circle: bool


class TemplatePage(Schema):
    items: list[TemplateOut]
    next: str | None


def message_out(message: Message, *, unread: bool | None = None) -> dict[str, Any]:
    if unread is None:
        is_read = getattr(message, "is_read", None)
        unread = not is_read if is_read is not None else False
    return {
        "id": str(message.id),
        "client": ref(message.client),
        "author": user_ref(message.author),
        "subject": message.subject,
        "body": message.body,
        "status": message.status,
        "is_task": message.status == message.STATUS_TODO,
        "due_date": message.due_date,
        "is_urgent": message.is_urgent,
        "is_private": message.is_private,
        "is_vad": message.is_vad,
        "is_client_remark": message.is_client_remark,
        "contact": ref(message.contact) if message.contact_id else None,
        "template": ref(message.template) if message.template_id else None,
        "copy_circle": message.copy_circle,
        "copy_email": message.copy_email,
        "copy_sms": message.copy_sms,
        "copy_fax": message.copy_fax,
        "attach": message.attach,
        "done_by": ref(message.done_by) if message.done_by_id else None,
        "done_at": local(message.done_at),
        "call": str(message.call_id) if message.call_id else None,
        "created_at": local(message.created_at),
        "last_activity_at": local(message.last_activity_at),
        "reply_count": message.reply_count,
        "unread": unread,
    }


def recipient_out(recipient: Recipient, read_at: dt.datetime | None) -> dict[str, Any]:
    user = recipient.user
    return {
        "id": str(user.id),
        "name": user.name,
        "kind": user.kind,
        "reason": recipient.reason,
        "read_at": local(read_at),
    }


def reply_author(reply: Reply) -> dict[str, Any]:
    if reply.author is not None:
        return {"id": str(reply.author.id), "name": reply.author.name, "kind": reply.author.kind}
    if reply.sender_contact is not None:
        return {
            "id": str(reply.sender_contact.id),
            "name": reply.sender_contact.name,
            "kind": "contact",
        }
    return {"id": None, "name": reply.sender_name, "kind": "external"}


def reply_out(reply: Reply, attachments: Sequence[ReplyAttachment] = ()) -> dict[str, Any]:
    return {
        "id": str(reply.id),
        "author": reply_author(reply),
        "body": reply.body,
        "created_at": local(reply.created_at),
        "via": reply.via or "page",
        "attachments": [
            {"name": a.name, "size": a.size, "url": reverse("ui:reply_attachment", args=[a.id])}
            for a in attachments
        ],
        "note": reply.note,
    }


def history_out(event: HistoryEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "label": event.get_kind_display(),
        "actor": ref(event.actor) if event.actor_id else None,
        "detail": event.detail,
        "at": local(event.at),
    }


# "sending" is a worker's claim on a queued copy, not a state the contract knows.
_DELIVERY_STATUS = {"sending": "queued"}


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": str(delivery.id),
        "channel": delivery.channel,
        "to": delivery.to,
        "to_name": delivery.to_name,
        "status": _DELIVERY_STATUS.get(delivery.status, delivery.status),
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
    }


def message_detail_out(
    message: Message, detail: dict[str, Any], *, unread: bool | None = None
) -> dict[str, Any]:
    reads: dict[Any, dt.datetime] = detail["reads"]
    return {
        **message_out(message, unread=unread),
        "recipients": [recipient_out(r, reads.get(r.user_id)) for r in detail["recipients"]],
        "replies": [
            reply_out(r, detail.get("attachments", {}).get(r.id, ())) for r in detail["replies"]
        ],
        "history": [history_out(e) for e in detail["history"]],
        "deliveries": [delivery_out(d) for d in detail["deliveries"]],
        **escalation_fields(message),
    }


def template_out(template: MessageTemplate) -> dict[str, Any]:
    return {
        "id": str(template.id),
        "name": template.name,
        "subject": template.subject,
        "body": template.body,
        "consigne": template.consigne,
        "auto_vad": template.auto_vad,
        "auto_circle": template.auto_circle,
    }
