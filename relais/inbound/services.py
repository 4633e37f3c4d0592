"""Taking replies in. One service behind every way in (IMAP, raw MIME from the permanence's
mail server, a provider's inbound webhook, SMS): find the thread, find who wrote, and make
it a reply by that person — or hold it in « Réponses à vérifier » when either is unsure.
Auto-replies are recorded in the history and answered by nothing; bounces fail their copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from relais.clients.models import Client, Contact
from relais.core.errors import Conflict, PermissionDenied, ValidationFailed
from relais.core.phones import normalize_phone
from relais.core.text import fold
from relais.delivery.models import Delivery
from relais.delivery.reply_address import delivery_id_from_address
from relais.delivery.services import delivery_bounce
from relais.escalation.models import AckRequest
from relais.escalation.selectors import ack_pending_delivery_for_phone
from relais.escalation.services import acknowledge
from relais.inbound.mime import IncomingFile, ParsedMail, parse_mail
from relais.inbound.models import InboundItem
from relais.messaging.models import HistoryEvent, Message, Reply, ReplyAttachment
from relais.messaging.selectors import visible_messages
from relais.messaging.services import BODY_MAX, reply_record
from relais.tenancy import permissions as perms
from relais.tenancy.models import Permanence, User

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_DELIVERY_REF = re.compile(rf"^({_UUID})@", re.IGNORECASE)
_THREAD_REF = re.compile(rf"^thread-({_UUID})@", re.IGNORECASE)
SMS_WINDOW = dt.timedelta(hours=48)
MB = 1024 * 1024


def max_raw_bytes() -> int:
    return int(getattr(settings, "RELAIS_INBOUND_MAX_BYTES", 25 * MB))


def max_attachment_bytes() -> int:
    return int(getattr(settings, "RELAIS_INBOUND_ATTACHMENTS_MAX", 10 * MB))


@dataclass
class IngestResult:
    result: str
    message_id: uuid.UUID | None
    item: InboundItem | None

    @property
    def sms_result(self) -> str:
        """What an SMS endpoint answers (API.md): "ack", "reply", or "held" for the rest."""
        return self.result if self.result in {"ack", "reply"} else "held"


@dataclass
class Sender:
    """Who wrote, as the thread knows them: a user, a contact, or the client's own address."""

    user: User | None = None
    contact: Contact | None = None
    name: str = ""


# --- e-mail ---------------------------------------------------------------------------------


def email_ingest(*, raw: bytes, source: str, permanence: Permanence | None = None) -> IngestResult:
    """One e-mail in. `permanence` is known when it came through that permanence's own
    endpoint; otherwise (a shared mailbox, a provider) the copy it answers tells it."""
    if len(raw) > max_raw_bytes():
        raise ValidationFailed.on(
            "email",
            f"E-mail trop volumineux ({len(raw) // MB} Mo) : "
            f"{max_raw_bytes() // MB} Mo au maximum.",
        )
    mail = parse_mail(raw)
    delivery, message = _thread_of(mail, permanence)
    permanence = permanence or (message.permanence if message else None) or _default_permanence()
    if permanence is None:
        return IngestResult(InboundItem.IGNORED, None, None)
    key = mail.message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    existing = _existing(permanence, key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _email_take(mail, raw, source, permanence, key, delivery, message)
    except IntegrityError:
        # The same e-mail, taken in at the same moment by another way in.
        again = _existing(permanence, key)
        if again is None:
            raise
        return again


def _existing(permanence: Permanence, key: str) -> IngestResult | None:
    item = InboundItem.objects.filter(permanence=permanence, dedupe_key=key).first()
    if item is None:
        return None
    return IngestResult(item.result, item.message_id, item)


def _default_permanence() -> Permanence | None:
    slug = getattr(settings, "RELAIS_INBOUND_PERMANENCE", "")
    if slug:
        return Permanence.objects.filter(slug=slug).first()
    only = list(Permanence.objects.all()[:2])
    return only[0] if len(only) == 1 else None


def _thread_of(
    mail: ParsedMail, permanence: Permanence | None
) -> tuple[Delivery | None, Message | None]:
    """The reply address first (it names the copy), then Message-ID/References."""
    scope = {"permanence": permanence} if permanence is not None else {}
    for address in mail.to_addresses:
        delivery_id = delivery_id_from_address(address)
        if delivery_id is None:
            continue
        delivery = _delivery(id=delivery_id, **scope)
        if delivery is not None:
            return delivery, delivery.message
    for ref in reversed(mail.references):
        if match := _DELIVERY_REF.match(ref):
            delivery = _delivery(id=match.group(1), **scope)
            if delivery is not None:
                return delivery, delivery.message
        elif match := _THREAD_REF.match(ref):
            message = Message.objects.filter(id=match.group(1), **scope).first()
            if message is not None:
                return None, message
    return None, None


def _delivery(**lookup: object) -> Delivery | None:
    return (
        Delivery.objects.select_related("message", "message__client", "recipient")
        .filter(**lookup)
        .first()
    )


def _email_take(
    mail: ParsedMail,
    raw: bytes,
    source: str,
    permanence: Permanence,
    key: str,
    delivery: Delivery | None,
    message: Message | None,
) -> IngestResult:
    item = InboundItem(
        permanence=permanence,
        channel=InboundItem.EMAIL,
        source=source,
        dedupe_key=key,
        sender=mail.from_address[:254],
        sender_name=mail.from_name[:200],
        subject=mail.subject[:300],
        text=mail.text,
        original=mail.full_text,
        message=message,
    )
    item.raw.save("mail.eml", ContentFile(raw), save=False)
    if mail.bounce is not None:
        item.result = InboundItem.BOUNCE
        bounced = _bounced_delivery(mail, permanence)
        if bounced is not None:
            delivery_bounce(delivery=bounced, reason=mail.bounce.reason)
            item.message_id = bounced.message_id
        item.note = mail.bounce.reason[:300]
        item.save()
        return IngestResult(item.result, item.message_id, item)
    if mail.auto_reply:
        item.result = InboundItem.IGNORED
        item.note = "Réponse automatique : ni réponse, ni renvoi."
        item.save()
        if message is not None:
            HistoryEvent.objects.create(
                message=message,
                kind=HistoryEvent.AUTO_REPLY,
                detail=f"{mail.from_address} : {mail.subject}"[:300],
                at=timezone.now(),
            )
        return IngestResult(item.result, item.message_id, item)
    sender = _sender_of(mail.from_address, message, delivery) if message else None
    if message is None or sender is None:
        item.result = InboundItem.HELD
        item.save()
        return IngestResult(item.result, None, item)
    item.reply = _reply_from(item, message, sender, InboundItem.EMAIL, mail.files)
    item.result = InboundItem.REPLY
    item.save()
    _reply_acknowledges(delivery, sender)
    return IngestResult(item.result, message.id, item)


def _bounced_delivery(mail: ParsedMail, permanence: Permanence) -> Delivery | None:
    assert mail.bounce is not None
    for ref in mail.bounce.message_ids:
        if ref.startswith("x-relais-delivery:"):
            candidate = ref.split(":", 1)[1]
        elif match := _DELIVERY_REF.match(ref):
            candidate = match.group(1)
        else:
            continue
        try:
            delivery_id = uuid.UUID(candidate)
        except ValueError:
            continue
        found = Delivery.objects.filter(
            id=delivery_id, permanence=permanence, channel=Delivery.EMAIL
        ).first()
        if found is not None:
            return found
    return None


def _sender_of(address: str, message: Message, delivery: Delivery | None) -> Sender | None:
    """The person an address belongs to, among those the thread knows; None if nobody."""
    address = address.strip().lower()
    client = message.client
    user = User.objects.filter(email__iexact=address, permanence_id=message.permanence_id).first()
    if user is not None and user.is_active:
        if visible_messages(user).filter(pk=message.pk).exists():
            return Sender(user=user)
        return None
    if delivery is not None and delivery.to.lower() == address and delivery.recipient_id:
        return Sender(user=delivery.recipient)
    contact = (
        Contact.objects.filter(client_id=message.client_id, email__iexact=address)
        .order_by("created_at")
        .first()
    )
    if contact is not None:
        return Sender(contact=contact)
    if client.email and client.email.lower() == address:
        return Sender(name=client.name)
    return None


def _reply_from(
    item: InboundItem,
    message: Message,
    sender: Sender,
    via: str,
    files: list[IncomingFile],
) -> Reply:
    kept, dropped = _files_within_limit(files)
    body = item.text or item.original or ("(pièce jointe)" if kept else "(message vide)")
    if len(body) > BODY_MAX:
        body = body[: BODY_MAX - 1] + "…"
    note = ""
    if dropped:
        names = ", ".join(f"« {f.name} » ({_mb(len(f.data))})" for f in dropped)
        note = f"Non conservé (plus de {max_attachment_bytes() // MB} Mo par e-mail) : {names}"
    reply = reply_record(
        message=message,
        author=sender.user,
        body=body,
        via=via,
        sender_contact=sender.contact,
        sender_name=sender.name or item.sender_name or item.sender,
        note=note,
    )
    for f in kept:
        attachment = ReplyAttachment(
            reply=reply, name=f.name, content_type=f.content_type[:120], size=len(f.data)
        )
        attachment.file.save(f.name, ContentFile(f.data), save=False)
        attachment.save()
    return reply


def _files_within_limit(files: list[IncomingFile]) -> tuple[list[IncomingFile], list[IncomingFile]]:
    kept: list[IncomingFile] = []
    dropped: list[IncomingFile] = []
    total = 0
    for f in files:
        if total + len(f.data) <= max_attachment_bytes():
            kept.append(f)
            total += len(f.data)
        else:
            dropped.append(f)
    return kept, dropped


def _mb(size: int) -> str:
    return f"{size / MB:.1f} Mo".replace(".", ",")


# --- SMS --------------------------------------------------------------------------------------

_OK_WORDS = {"ok", "okay", "oki", "okok"}


def is_ok(text: str) -> bool:
    """« OK » in any case, with or without accents, spaces or punctuation."""
    letters = "".join(c for c in fold(text) if c.isalnum())
    return letters in _OK_WORDS


def sms_ingest(
    *,
    permanence: Permanence,
    sender: str,
    to: str,
    text: str,
    delivery: Delivery | None = None,
    key: str = "",
    source: str = InboundItem.WEBHOOK,
) -> IngestResult:
    """One SMS in. `delivery` is the copy it answers when the provider says so (Brevo's reply
    event on a copy's own callback, or naming its message id): « OK » acknowledges that copy,
    other text is a reply in its thread. Otherwise the number tells it, within 48 h. `key`
    is the provider's own identity of the SMS, else one is made of its content."""
    phone = normalize_phone(sender or "", field="from")
    if not phone:
        raise ValidationFailed.on("from", "Numéro de l'expéditeur : ce champ est obligatoire.")
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.on("text", "Texte : ce champ est obligatoire.")
    if not key:
        bucket = int(timezone.now().timestamp()) // 600
        key = "sms:" + hashlib.sha256(f"{phone}|{to}|{text}|{bucket}".encode()).hexdigest()
    existing = _existing(permanence, key)
    if existing is not None:
        return existing
    item = InboundItem(
        permanence=permanence,
        channel=InboundItem.SMS,
        source=source,
        dedupe_key=key,
        sender=phone,
        text=text[:BODY_MAX],
        original=text[:BODY_MAX],
    )
    try:
        with transaction.atomic():
            return _sms_take(item, delivery)
    except IntegrityError:
        # The same SMS, taken in at the same moment by another way in (Brevo calls both the
        # copy's callback and the account's webhook).
        again = _existing(permanence, key)
        if again is None:
            raise
        return again


def _sms_take(item: InboundItem, delivery: Delivery | None) -> IngestResult:
    phone, permanence = item.sender, item.permanence
    if is_ok(item.text):
        acknowledged = (
            acknowledge_copy_by_sms(delivery)
            if delivery is not None
            else acknowledge_by_sms(permanence=permanence, phone=phone)
        )
        if acknowledged is not None:
            item.result, item.message = InboundItem.ACK, acknowledged
            item.save()
            return IngestResult(item.result, acknowledged.id, item)
    if delivery is None:
        delivery = _latest_sms(permanence, phone, timezone.now())
    sender_found = _sms_sender(phone, delivery) if delivery else None
    if delivery is None or sender_found is None:
        item.result = InboundItem.HELD
        item.save()
        return IngestResult(item.result, None, item)
    item.message = delivery.message
    item.reply = _reply_from(item, delivery.message, sender_found, InboundItem.SMS, [])
    item.result = InboundItem.REPLY
    item.save()
    _reply_acknowledges(delivery, sender_found)
    return IngestResult(item.result, delivery.message_id, item)


def acknowledge_by_sms(*, permanence: Permanence, phone: str) -> Message | None:
    """An SMS « OK »: acknowledges the last copy that asked it of that number (48 h), as the
    person that copy went to. None when no copy of that number waits for one."""
    delivery = ack_pending_delivery_for_phone(
        permanence_id=permanence.id, phone_e164=phone, within=SMS_WINDOW
    )
    if delivery is None:
        return None
    return acknowledge_copy_by_sms(delivery)


def acknowledge_copy_by_sms(delivery: Delivery) -> Message | None:
    """An SMS « OK » answering that very copy: acknowledges it as the person it went to, if
    it asked for an acknowledgement not given yet. None otherwise."""
    request = AckRequest.objects.filter(delivery_id=delivery.pk).first()
    if request is None:
        return None
    won = acknowledge(
        message=delivery.message,
        via="sms",
        person_kind=request.person_kind,
        person_id=request.person_id,
        delivery=delivery,
    )
    message: Message = delivery.message
    return message if won else None


def _reply_acknowledges(delivery: Delivery | None, sender: Sender) -> None:
    """A reply from the person a copy asking for acknowledgement went to acknowledges it."""
    if delivery is None:
        return
    request = AckRequest.objects.filter(delivery_id=delivery.pk).first()
    if request is None:
        return
    client_copy = request.person_kind == "client"
    same_user = sender.user is not None and (
        str(sender.user.pk) == str(request.person_id)
        # The client's own login answering the copy sent to the client.
        or (client_copy and sender.user.client_id == delivery.message.client_id)
    )
    same_contact = sender.contact is not None and str(sender.contact.pk) == str(request.person_id)
    client_itself = sender.user is None and sender.contact is None and client_copy
    if same_user or same_contact or client_itself:
        acknowledge(
            message=delivery.message,
            via="reply",
            person_kind=request.person_kind,
            person_id=request.person_id,
            delivery=delivery,
        )


def _latest_sms(permanence: Permanence, phone: str, now: dt.datetime) -> Delivery | None:
    return (
        Delivery.objects.select_related("message", "message__client", "recipient")
        .filter(
            permanence=permanence,
            channel=Delivery.SMS,
            to=phone,
            created_at__gte=now - SMS_WINDOW,
        )
        .exclude(status=Delivery.FAILED)
        .order_by("-created_at")
        .first()
    )


def _sms_sender(phone: str, delivery: Delivery) -> Sender | None:
    message = delivery.message
    if delivery.recipient_id is not None:
        return Sender(user=delivery.recipient)
    client: Client = message.client
    user = User.objects.filter(
        client_id=client.id, mobile=phone, permanence_id=message.permanence_id
    ).first()
    if user is not None:
        return Sender(user=user)
    contact = Contact.objects.filter(client_id=client.id, phone=phone).first()
    if contact is not None:
        return Sender(contact=contact)
    if client.mobile == phone:
        return Sender(name=client.name)
    return None


# --- « Réponses à vérifier » ------------------------------------------------------------------


def held_attach(*, user: User, item: InboundItem, message: Message) -> Reply:
    """A superviseur attaches a held reply to the thread it belongs to."""
    _require_held_right(user)
    if item.permanence_id != user.permanence_id or message.permanence_id != user.permanence_id:
        raise PermissionDenied()
    with transaction.atomic():
        locked = InboundItem.objects.select_for_update().get(pk=item.pk)
        if locked.result != InboundItem.HELD:
            raise Conflict("Cette réponse a déjà été traitée.")
        sender = (
            _sender_of(locked.sender, message, None)
            if locked.channel == InboundItem.EMAIL
            else None
        ) or Sender(name=locked.sender_name or locked.sender)
        files = _files_of(locked) if locked.channel == InboundItem.EMAIL else []
        via = Reply.EMAIL if locked.channel == InboundItem.EMAIL else Reply.SMS
        locked.reply = _reply_from(locked, message, sender, via, files)
        locked.message = message
        locked.result = InboundItem.REPLY
        locked.handled_by, locked.handled_at = user, timezone.now()
        locked.save()
    return locked.reply


def held_discard(*, user: User, item: InboundItem) -> None:
    _require_held_right(user)
    if item.permanence_id != user.permanence_id:
        raise PermissionDenied()
    changed = InboundItem.objects.filter(pk=item.pk, result=InboundItem.HELD).update(
        result=InboundItem.DISCARDED, handled_by=user, handled_at=timezone.now()
    )
    if not changed:
        raise Conflict("Cette réponse a déjà été traitée.")


def _require_held_right(user: User) -> None:
    if not user.is_staff_user or not user.has_right(perms.MESSAGES_HELD_REPLIES):
        raise PermissionDenied()


def _files_of(item: InboundItem) -> list[IncomingFile]:
    if not item.raw:
        return []
    with item.raw.open("rb") as fh:
        return parse_mail(fh.read()).files
