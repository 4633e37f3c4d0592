"""A client's acknowledgement policy, escalation steps and on-call rota: who the people named in
them are, how their JSON is checked (French errors per field), and who is on call when.

Rota times are wall-clock times in Europe/Paris: a slot 20:00 → 08:00 lasts 11 or 13 hours on a
daylight-saving night, and still ends at 08:00.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from relais.clients.models import Client, Contact
from relais.core.errors import ValidationFailed
from relais.core.validation import Errors
from relais.tenancy.models import User

PARIS = ZoneInfo("Europe/Paris")

ACK_MODES = ("urgent", "all", "none")
ACK_MODE_LABELS = {
    "urgent": "Messages urgents",
    "all": "Tous les messages",
    "none": "Jamais",
}
CHANNELS = ("sms", "email")
KINDS = ("client", "staff", "contact")
MAX_STEPS = 10
MAX_SLOTS = 100
MAX_EXCEPTIONS = 100
DEFAULT_FINAL_AFTER = 10
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


@dataclass(frozen=True)
class Person:
    """Someone a copy can go to: the client itself or a client user ("client"), a staff user
    ("staff"), a contact of the client ("contact")."""

    kind: str
    id: uuid.UUID
    name: str
    email: str = ""
    mobile: str = ""
    user_id: uuid.UUID | None = None

    @property
    def key(self) -> str:
        """The value of a <select> option: "kind:id"."""
        return f"{self.kind}:{self.id}"

    def ref(self) -> dict[str, str]:
        return {"kind": self.kind, "id": str(self.id), "name": self.name}


def _uuid(raw: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except (TypeError, ValueError, AttributeError):
        return None


def person_of_client(client: Client) -> Person:
    return Person("client", client.id, client.name, client.email, client.mobile)


def person_of_user(user: User) -> Person:
    kind = "staff" if user.is_staff_user else "client"
    return Person(kind, user.id, user.name, user.email, user.mobile, user.id)


def _is_mobile(e164: str) -> bool:
    # French mobiles (06, 07) and any foreign number: a landline cannot take an SMS.
    return bool(e164) and (not e164.startswith("+33") or e164[3:4] in ("6", "7"))


def person_resolve(client: Client, kind: Any, raw_id: Any) -> Person | None:
    """The person named {kind, id} for that client, or None (unknown, another permanence's,
    inactive, or a client user who may not receive this client's messages)."""
    pk = _uuid(raw_id)
    if pk is None or kind not in KINDS:
        return None
    if kind == "contact":
        contact = Contact.objects.filter(client_id=client.id, id=pk).first()
        if contact is None:
            return None
        mobile = next((p for p in (contact.phone, contact.phone2) if _is_mobile(p)), "")
        return Person("contact", contact.id, contact.name, contact.email, mobile)
    if kind == "client" and pk == client.id:
        return person_of_client(client)
    # Imported here: relais.messaging.services leads back to this module (through
    # relais.escalation.services): a top import would be a cycle.
    from relais.messaging.services import cc_eligibility_filter

    users = User.objects.filter(id=pk, is_active=True, permanence_id=client.permanence_id)
    if kind == "staff":
        user = users.filter(kind=User.STAFF).first()
    else:
        user = users.filter(
            Q(kind=User.CLIENT) & (Q(client_id=client.id) | cc_eligibility_filter(client))
        ).first()
    return person_of_user(user) if user is not None else None


def person_choices(client: Client) -> list[Person]:
    """Who a rota or a step may name: the client, its client users and the users who may
    receive its copies, the permanence's staff, and the client's contacts with a mobile or an
    e-mail."""
    # Imported here: relais.messaging.services leads back to this module (through
    # relais.escalation.services): a top import would be a cycle.
    from relais.messaging.services import cc_eligibility_filter

    people = [person_of_client(client)]
    users = User.objects.filter(
        Q(kind=User.CLIENT, client_id=client.id) | cc_eligibility_filter(client),
        permanence_id=client.permanence_id,
        is_active=True,
    ).order_by("kind", "last_name", "first_name")
    people += [person_of_user(u) for u in users]
    for contact in Contact.objects.filter(client_id=client.id).order_by("name"):
        mobile = next((p for p in (contact.phone, contact.phone2) if _is_mobile(p)), "")
        if mobile or contact.email:
            people.append(Person("contact", contact.id, contact.name, contact.email, mobile))
    return people


# --- the escalation policy ------------------------------------------------------------------


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _who(client: Client, raw: Any, field: str, errors: Errors, label: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        errors.add(field, f"{label} : choisissez une personne.")
        return {}
    person = person_resolve(client, raw.get("kind"), raw.get("id"))
    if person is None:
        errors.add(field, f"{label} : personne introuvable pour ce client.")
        return {}
    if not (person.email or person.mobile):
        errors.add(field, f"{label} : {person.name} n'a ni mobile ni e-mail.")
        return {}
    return {"kind": person.kind, "id": str(person.id)}


def escalation_clean(client: Client, data: Any) -> dict[str, Any]:
    """The escalation settings as stored ({ack_required, steps, final_alert,
    final_after_minutes}), or ValidationFailed with French messages per field."""
    errors = Errors()
    if not isinstance(data, dict):
        raise ValidationFailed.on("steps", "Réglages d'escalade illisibles.")
    mode = data.get("ack_required", "urgent")
    if mode not in ACK_MODES:
        errors.add("ack_required", "Prise en compte : « urgent », « all » ou « none ».")
    raw_steps = data.get("steps", [])
    steps: list[dict[str, Any]] = []
    if not isinstance(raw_steps, list):
        errors.add("steps", "Étapes : une liste est attendue.")
        raw_steps = []
    if len(raw_steps) > MAX_STEPS:
        errors.add("steps", f"Étapes : {MAX_STEPS} au maximum.")
        raw_steps = raw_steps[:MAX_STEPS]
    for n, raw in enumerate(raw_steps, start=1):
        field = f"steps.{n - 1}"
        label = f"Étape {n}"
        if not isinstance(raw, dict):
            errors.add(field, f"{label} : illisible.")
            continue
        minutes = _as_int(raw.get("after_minutes"))
        if minutes is None or not 1 <= minutes <= 1440:
            errors.add(field, f"{label} : le délai doit être de 1 à 1440 minutes.")
        to = raw.get("to")
        target: Any = to
        if to not in ("same", "on_call"):
            target = _who(client, to, field, errors, label)
        channels = raw.get("channels")
        if (
            not isinstance(channels, list)
            or not channels
            or any(c not in CHANNELS for c in channels)
        ):
            errors.add(field, f"{label} : choisissez SMS et/ou e-mail.")
            channels = []
        steps.append(
            {
                "after_minutes": minutes,
                "to": target,
                "channels": [c for c in CHANNELS if c in channels],
            }
        )
    final_alert = data.get("final_alert", False)
    if not isinstance(final_alert, bool):
        errors.add("final_alert", "Alerte finale : vrai ou faux.")
    final_after = data.get("final_after_minutes", DEFAULT_FINAL_AFTER)
    final_after = _as_int(final_after)
    if final_after is None or not 1 <= final_after <= 1440:
        errors.add("final_after_minutes", "Alerte finale : le délai doit être de 1 à 1440 minutes.")
    errors.raise_if_any()
    return {
        "ack_required": mode,
        "steps": steps,
        "final_alert": bool(final_alert),
        "final_after_minutes": final_after,
    }


def escalation_of(client: Client) -> dict[str, Any]:
    """The client's escalation settings, with the defaults for what was never set."""
    stored = client.escalation or {}
    return {
        "ack_required": client.ack_required or "urgent",
        "steps": list(stored.get("steps") or []),
        "final_alert": bool(stored.get("final_alert", False)),
        "final_after_minutes": int(stored.get("final_after_minutes") or DEFAULT_FINAL_AFTER),
    }


def ack_needed(client: Client, *, is_urgent: bool) -> bool:
    mode = client.ack_required or "urgent"
    return mode == "all" or (mode == "urgent" and is_urgent)


# --- the on-call rota -------------------------------------------------------------------------

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _time(value: Any) -> dt.time | None:
    match = _HHMM.match(value) if isinstance(value, str) else None
    return dt.time(int(match.group(1)), int(match.group(2))) if match else None


def _instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # A local time without offset: Paris time, as everything the permanence reads.
        parsed = parsed.replace(tzinfo=PARIS)
    return parsed


def rota_clean(client: Client, data: Any) -> dict[str, Any]:
    """The on-call rota as stored ({weekly, exceptions}), or ValidationFailed."""
    errors = Errors()
    if not isinstance(data, dict):
        raise ValidationFailed.on("weekly", "Astreinte illisible.")
    weekly_raw = data.get("weekly", [])
    exceptions_raw = data.get("exceptions", [])
    if not isinstance(weekly_raw, list):
        errors.add("weekly", "Semaine type : une liste est attendue.")
        weekly_raw = []
    if not isinstance(exceptions_raw, list):
        errors.add("exceptions", "Exceptions : une liste est attendue.")
        exceptions_raw = []
    if len(weekly_raw) > MAX_SLOTS:
        errors.add("weekly", f"Semaine type : {MAX_SLOTS} créneaux au maximum.")
        weekly_raw = weekly_raw[:MAX_SLOTS]
    if len(exceptions_raw) > MAX_EXCEPTIONS:
        errors.add("exceptions", f"Exceptions : {MAX_EXCEPTIONS} au maximum.")
        exceptions_raw = exceptions_raw[:MAX_EXCEPTIONS]
    weekly: list[dict[str, Any]] = []
    for n, raw in enumerate(weekly_raw):
        field, label = f"weekly.{n}", f"Créneau {n + 1}"
        if not isinstance(raw, dict):
            errors.add(field, f"{label} : illisible.")
            continue
        weekday = _as_int(raw.get("weekday"))
        if weekday is None or not 0 <= weekday <= 6:
            errors.add(field, f"{label} : jour de 0 (lundi) à 6 (dimanche).")
        start, end = _time(raw.get("from")), _time(raw.get("to"))
        if start is None or end is None:
            errors.add(field, f"{label} : heures au format HH:MM.")
        elif start == end:
            errors.add(field, f"{label} : le début et la fin sont identiques.")
        who = _who(client, raw.get("who"), field, errors, label)
        weekly.append(
            {"weekday": weekday, "from": raw.get("from"), "to": raw.get("to"), "who": who}
        )
    exceptions: list[dict[str, Any]] = []
    for n, raw in enumerate(exceptions_raw):
        field, label = f"exceptions.{n}", f"Exception {n + 1}"
        if not isinstance(raw, dict):
            errors.add(field, f"{label} : illisible.")
            continue
        start_at, end_at = _instant(raw.get("from")), _instant(raw.get("to"))
        if start_at is None or end_at is None:
            errors.add(field, f"{label} : dates et heures attendues (ISO 8601).")
        elif end_at <= start_at:
            errors.add(field, f"{label} : la fin doit suivre le début.")
        who = _who(client, raw.get("who"), field, errors, label)
        if start_at and end_at:
            exceptions.append({"from": start_at.isoformat(), "to": end_at.isoformat(), "who": who})
    errors.raise_if_any()
    weekly.sort(key=lambda s: (s["weekday"], s["from"]))
    exceptions.sort(key=lambda e: e["from"])
    return {"weekly": weekly, "exceptions": exceptions}


def rota_of(client: Client) -> dict[str, Any]:
    stored = client.on_call or {}
    return {
        "weekly": list(stored.get("weekly") or []),
        "exceptions": list(stored.get("exceptions") or []),
    }


def _slot_at(
    weekly: list[dict[str, Any]], local: dt.datetime
) -> tuple[dict[str, Any], dt.datetime] | None:
    """The weekly slot covering that Paris wall-clock time, and its end (wall clock)."""
    wall = local.replace(tzinfo=None)
    for slot in weekly:
        start, end = _time(slot.get("from")), _time(slot.get("to"))
        if start is None or end is None:
            continue
        for back in (0, 1):
            day = wall.date() - dt.timedelta(days=back)
            if day.weekday() != slot.get("weekday"):
                continue
            begins = dt.datetime.combine(day, start)
            ends = dt.datetime.combine(day if end > start else day + dt.timedelta(days=1), end)
            if begins <= wall < ends:
                return slot, ends
    return None


def _aware(wall: dt.datetime) -> dt.datetime:
    return wall.replace(tzinfo=PARIS)


def _covering(rota: dict[str, Any], at: dt.datetime) -> tuple[dict[str, Any], dt.datetime] | None:
    """(who, until) at that instant: a dated exception first, else the weekly slot (its end
    moved earlier to the next exception's start)."""
    exceptions = [
        (start, end, e["who"])
        for e in rota.get("exceptions") or []
        if (start := _instant(e.get("from"))) and (end := _instant(e.get("to")))
    ]
    for start, end, who in exceptions:
        if start <= at < end:
            return who, end
    found = _slot_at(rota.get("weekly") or [], at.astimezone(PARIS))
    if found is None:
        return None
    slot, ends = found
    until = _aware(ends)
    for start, _end, _ in exceptions:
        if at < start < until:
            until = start
    return slot["who"], until


def on_call_at(client: Client, at: dt.datetime) -> tuple[dict[str, Any] | None, dt.datetime | None]:
    """Who is on call for the client at that instant ({kind, id}) and until when (the end of
    that person's unbroken cover, over back-to-back slots), or (None, None)."""
    rota = rota_of(client)
    found = _covering(rota, at)
    if found is None:
        return None, None
    who, until = found
    for _ in range(14):  # back-to-back slots of the same person: at most a fortnight ahead
        following = _covering(rota, until)
        if following is None or following[0] != who or following[1] <= until:
            break
        until = following[1]
    return who, until


def weekly_label(slot: dict[str, Any]) -> str:
    day = WEEKDAYS[slot["weekday"]] if isinstance(slot.get("weekday"), int) else "?"
    return f"{day} {slot.get('from')} → {slot.get('to')}"
