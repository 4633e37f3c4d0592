"""Writes on calls: the telephone system's events (the CTI webhook), « Prendre », the client's
numbers and the permanence's integration secrets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Least
from django.utils import timezone

from relais.calls.models import WITHHELD, Call
from relais.calls.screen_pop import screen_pop
from relais.clients.models import Client, ClientNumber, Contact
from relais.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from relais.core.phones import DEFAULT_REGION, normalize_phone
from relais.core.queries import first_or_none
from relais.core.validation import Errors
from relais.events.publish import event_publish
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right, require_staff
from relais.tenancy.models import IntegrationSecrets, Permanence, User

EVENTS = ("newCall", "answer", "hangup")
CAUSES = ("normalClearing", "busy", "cancel", "noAnswer", "congestion", "notFound", "forwarded")
CALL_ID_MAX = 250
NUMBER_MAX = 60
USERS_MAX = 20
NUMBERS_MAX = 10


def phone_e164(raw: str) -> str:
    """The E.164 form of a number as a PBX writes it (« 0491543210 », « +33491543210 »,
    « 0033491543210 », « 33491543210 », with spaces, dots or dashes), or "" when it is no
    valid number (withheld, « anonymous »)."""
    text = "".join(c for c in (raw or "") if c.isdigit() or c == "+")
    if not text or text.strip("+") == "":
        return ""
    candidates = [text]
    if text[0] != "+" and not text.startswith("0") and len(text) > 9:
        candidates.append("+" + text)  # 33491543210: international without its "+"
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return ""


# --- the integration secrets ------------------------------------------------------------------


def secrets_for(permanence_id: Any) -> IntegrationSecrets:
    """The permanence's secrets, created on first use."""
    found = first_or_none(IntegrationSecrets.objects.filter(permanence_id=permanence_id))
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return IntegrationSecrets.objects.create(
                permanence_id=permanence_id,
                cti_token=IntegrationSecrets.new_token(),
                inbound_token=IntegrationSecrets.new_token(),
            )
    except IntegrityError:
        return IntegrationSecrets.objects.get(permanence_id=permanence_id)


def require_integrations_right(user: User) -> None:
    require_staff(user)
    require_right(user, perms.ROLES_EDIT)


def integration_secret_regenerate(*, user: User, which: str) -> IntegrationSecrets:
    """A new CTI or inbound token; the old one answers 404 from now on."""
    require_integrations_right(user)
    if which not in ("cti", "inbound"):
        raise ValidationFailed.on("which", "Secret inconnu : « cti » ou « inbound ».")
    found = secrets_for(user.permanence_id)
    setattr(found, f"{which}_token", IntegrationSecrets.new_token())
    found.save(update_fields=[f"{which}_token"])
    return found


def permanence_for_cti_token(token: str) -> Permanence:
    if not token or len(token) > 64:
        raise NotFound("Introuvable.")
    found = first_or_none(
        IntegrationSecrets.objects.filter(cti_token=token).select_related("permanence")
    )
    if found is None:
        raise NotFound("Introuvable.")
    return found.permanence


# --- the CTI webhook ---------------------------------------------------------------------------


@dataclass
class CtiInput:
    event: str
    call_id: str
    from_raw: str
    to_raw: str
    direction: str
    users: list[str]
    answering: str
    cause: str


def cti_parse(fields: Mapping[str, Sequence[Any]]) -> CtiInput:
    """Zammad's generic CTI fields (`event`, `callId`, `from`, `to`, `direction`, `user[]`,
    `answeringNumber`, `cause`), each given as the list of its values; French errors."""
    errors = Errors()

    def one(name: str, *, max_length: int, required: bool = False) -> str:
        values = fields.get(name) or []
        value = values[0] if values else None
        if value is None:
            value = ""
        if not isinstance(value, str | int):
            errors.add(name, f"« {name} » : une chaîne de caractères est attendue.")
            return ""
        value = str(value).strip()
        if "\x00" in value:
            errors.add(name, f"« {name} » : caractère interdit.")
            return ""
        if required and not value:
            errors.add(name, f"« {name} » : ce champ est obligatoire.")
        if len(value) > max_length:
            errors.add(name, f"« {name} » : {max_length} caractères au maximum.")
        return value

    event = one("event", max_length=20, required=True)
    if event and event not in EVENTS:
        errors.add("event", "« event » : newCall, answer ou hangup.")
    call_id = one("callId", max_length=CALL_ID_MAX, required=True)
    from_raw = one("from", max_length=NUMBER_MAX)
    to_raw = one("to", max_length=NUMBER_MAX)
    direction = one("direction", max_length=3) or Call.IN
    if direction not in (Call.IN, Call.OUT):
        errors.add("direction", "« direction » : in ou out.")
    raw_users = list(fields.get("user[]") or fields.get("user") or [])
    users: list[str] = []
    if len(raw_users) > USERS_MAX:
        errors.add("user[]", f"« user[] » : {USERS_MAX} utilisateurs au maximum.")
    else:
        for value in raw_users:
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # an extension sent as a JSON number
            if not isinstance(value, str) or len(value) > 120 or "\x00" in value:
                errors.add("user[]", "« user[] » : nom, e-mail ou poste invalide.")
                break
            if value.strip():
                users.append(value.strip())
    answering = one("answeringNumber", max_length=120)
    cause = one("cause", max_length=30)
    errors.raise_if_any()
    return CtiInput(event, call_id, from_raw, to_raw, direction, users, answering, cause)


def _staff_named(permanence_id: Any, names: Sequence[str]) -> list[User]:
    """Staff users named by e-mail, PBX extension/login, or e-mail's local part, in order."""
    wanted = [n for n in dict.fromkeys(n.strip() for n in names) if n]
    if not wanted:
        return []
    lowered = [n.lower() for n in wanted]
    condition = Q(email__in=lowered) | Q(extension__in=wanted)
    for name in lowered:
        if "@" not in name:
            condition |= Q(email__istartswith=name + "@")
    found = list(
        User.objects.filter(condition, permanence_id=permanence_id, kind=User.STAFF, is_active=True)
    )

    def rank(user: User) -> int:
        for i, name in enumerate(wanted):
            if name.lower() in (user.email, user.email.split("@")[0]) or name == user.extension:
                return i
        return len(wanted)

    return sorted(found, key=rank)


def _match(
    permanence: Permanence, data: CtiInput
) -> tuple[str, str, Client | None, Contact | None]:
    from_number, to_number = phone_e164(data.from_raw), phone_e164(data.to_raw)
    line, other = (
        (to_number, from_number) if data.direction == Call.IN else (from_number, to_number)
    )
    client = None
    if line:
        number = first_or_none(
            ClientNumber.objects.filter(permanence=permanence, number=line).select_related("client")
        )
        client = number.client if number else None
    contact = None
    if client is not None and other:
        contact = first_or_none(
            Contact.objects.filter(client=client).filter(Q(phone=other) | Q(phone2=other))
        )
    return from_number, to_number, client, contact


def cti_event(*, permanence: Permanence, data: CtiInput) -> Call:
    """Applies one event of the telephone system to its call. The call's state depends on the
    set of events seen, not on their order; a repeated event changes nothing and announces
    nothing."""
    now = timezone.now()
    call, created = _call_get_or_create(permanence, data, now)
    if data.event == "newCall":
        if created:
            ring = [str(u.id) for u in _staff_named(permanence.id, data.users)]
            if ring:
                Call.objects.filter(pk=call.pk).update(ring_users=ring)
                call.ring_users = ring
            _announce(call, "call.ringing")
        return call
    if data.event == "answer":
        names = [data.answering, *data.users] if data.answering else data.users
        operators = _staff_named(permanence.id, names)
        operator = operators[0] if operators else None
        if _stamp_answer(call, operator, now):
            _announce(call, "call.answered", pop=call.ended_at is None)
        return call
    changed = Call.objects.filter(pk=call.pk, ended_at__isnull=True).update(
        ended_at=now, cause=data.cause
    )
    if changed:
        call.ended_at, call.cause = now, data.cause
        _announce(call, "call.ended")
    return call


def _call_get_or_create(
    permanence: Permanence, data: CtiInput, now: dt.datetime
) -> tuple[Call, bool]:
    existing = _load(permanence.id, data.call_id)
    if existing is not None:
        return existing, False
    from_number, to_number, client, contact = _match(permanence, data)
    call = Call(
        permanence=permanence,
        call_id=data.call_id,
        direction=data.direction,
        from_raw=data.from_raw,
        to_raw=data.to_raw,
        from_number=from_number,
        to_number=to_number,
        client=client,
        contact=contact,
        started_at=now,
    )
    try:
        with transaction.atomic():
            call.save(force_insert=True)
    except IntegrityError:
        # The same call's other event, at the same moment: it created the row.
        raced = _load(permanence.id, data.call_id)
        if raced is None:
            raise
        return raced, False
    return call, True


def _load(permanence_id: Any, call_id: str) -> Call | None:
    return first_or_none(
        Call.objects.filter(permanence_id=permanence_id, call_id=call_id).select_related(
            "client", "contact", "answered_by"
        )
    )


def _stamp_answer(call: Call, operator: User | None, now: dt.datetime) -> bool:
    """Stamps the answer once. After a hangup that came first, the answer is placed at the
    hangup (duration unknown: 0), so both orders end as « terminé »."""
    changed = Call.objects.filter(pk=call.pk, answered_at__isnull=True).update(
        answered_at=Least("ended_at", now) if call.ended_at else now,
        answered_by=operator,
    )
    if changed:
        call.refresh_from_db(fields=["answered_at", "ended_at", "answered_by"])
        call.answered_by = operator
    return bool(changed)


def call_take(*, user: User, call: Call) -> Call:
    """« Prendre »: the first operator to take a ringing call gets it (conditional update);
    the others get a French 409 naming who took it."""
    require_staff(user)
    if call.permanence_id != user.permanence_id:
        raise NotFound("Appel introuvable.")
    now = timezone.now()
    changed = Call.objects.filter(
        pk=call.pk, answered_at__isnull=True, ended_at__isnull=True
    ).update(answered_at=now, answered_by=user)
    call.refresh_from_db()
    if not changed:
        if call.answered_by is not None:
            raise Conflict(f"Appel déjà pris par {call.answered_by.first_name}.")
        raise Conflict("Cet appel est terminé.")
    _announce(call, "call.answered", pop=True)
    return call


def call_data(call: Call) -> dict[str, Any]:
    """What the call's live events carry (ids and what the strip shows)."""
    answered_by = call.answered_by
    return {
        "client": str(call.client_id) if call.client_id else None,
        "call": str(call.id),
        "client_name": call.client.name if call.client else None,
        "contact": str(call.contact_id) if call.contact_id else None,
        "caller": call.caller_display,
        "number": call.number_display,
        "direction": call.direction,
        "state": call.state,
        "started_at": call.started_at.isoformat(),
        "ring_users": list(call.ring_users or []),
        "answered_by": (
            {"id": str(answered_by.id), "name": answered_by.first_name} if answered_by else None
        ),
    }


def _announce(call: Call, kind: str, *, pop: bool = False) -> None:

    data = call_data(call)
    if pop and call.answered_by is not None and call.client is not None:
        data["screen_pop"] = screen_pop(call)
    event_publish(
        permanence_id=call.permanence_id,
        kind=kind,
        data=data,
        client_id=call.client_id,
        staff_only=True,
    )


# --- the client's dedicated numbers and its « levée de fiche » ------------------------------


def client_numbers_set(*, user: User, client: Client, numbers: Sequence[str]) -> list[str]:
    """Replaces the client's numéros dédiés (E.164), each unique in the permanence."""
    require_staff(user)
    require_right(user, perms.CLIENTS_EDIT)
    if client.permanence_id != user.permanence_id:
        raise NotFound("Client introuvable.")
    if len(numbers) > NUMBERS_MAX:
        raise ValidationFailed.on("numbers", f"{NUMBERS_MAX} numéros dédiés au maximum.")
    cleaned: list[str] = []
    for raw in numbers:
        if not isinstance(raw, str):
            raise ValidationFailed.on("numbers", "Numéro de téléphone invalide.")
        number = normalize_phone(raw, field="numbers")
        if number and number not in cleaned:
            cleaned.append(number)
    taken = list(
        ClientNumber.objects.filter(permanence_id=client.permanence_id, number__in=cleaned)
        .exclude(client=client)
        .select_related("client")
    )
    if taken:
        raise ValidationFailed.on(
            "numbers",
            f"Le numéro {taken[0].display} est déjà celui du client « {taken[0].client.name} ».",
        )
    with transaction.atomic():
        ClientNumber.objects.filter(client=client).exclude(number__in=cleaned).delete()
        existing = set(ClientNumber.objects.filter(client=client).values_list("number", flat=True))
        ClientNumber.objects.bulk_create(
            [
                ClientNumber(permanence_id=client.permanence_id, client=client, number=n)
                for n in cleaned
                if n not in existing
            ]
        )
    return cleaned


def client_screen_pop_set(*, user: User, client: Client, page: str) -> Client:
    """« Levée de fiche par défaut »: messages, planning, contacts or instructions."""
    require_staff(user)
    require_right(user, perms.CLIENTS_SETTINGS)
    if client.permanence_id != user.permanence_id:
        raise NotFound("Client introuvable.")
    if page not in dict(Client.SCREEN_POPS):
        raise ValidationFailed.on(
            "screen_pop", "Levée de fiche : messages, planning, contacts ou instructions."
        )
    Client.objects.filter(pk=client.pk).update(screen_pop=page)
    client.screen_pop = page
    return client


def user_extension_set(*, user: User, target: User, extension: str) -> User:
    """The PBX extension or login of a staff user (gérant, or the user itself)."""
    if target.permanence_id != user.permanence_id or not target.is_staff_user:
        raise NotFound()
    if target.id != user.id and not user.has_right(perms.ROLES_EDIT):
        raise PermissionDenied()
    value = (extension or "").strip()
    if len(value) > 40 or "\x00" in value:
        raise ValidationFailed.on("extension", "Poste : 40 caractères au maximum.")
    User.objects.filter(pk=target.pk).update(extension=value)
    target.extension = value
    return target


__all__ = ["WITHHELD", "call_take", "cti_event", "cti_parse", "phone_e164"]
