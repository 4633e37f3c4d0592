"""A send's first step: who it is about. client_for_send reads the client with the chosen
contact and the copy recipients in one query (the composer's and the API's way);
send_target completes what is left (the template; everything for a plain client)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Aggregate, JSONField, OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject

from relais.clients.models import Client, Contact
from relais.core.errors import NotFound
from relais.core.inputs import CC_MAX, check_list_size
from relais.core.queries import Prepared, first_or_none, from_row, loaded
from relais.messaging.models import MessageTemplate
from relais.messaging.visibility import cc_eligibility_filter, cc_eligibility_rule
from relais.tenancy.access import parse_id
from relais.tenancy.models import User


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


@dataclass(frozen=True)
class SendTarget:
    """Who a send is about, looked up before anything is checked. `contact_id` and `cc_ids`
    are what was asked (parsed); `contact` and `cc_users` what was found for them (the
    contact of this client, the copy recipients who may receive its messages). None: not
    looked up yet (a plain client given to message_send)."""

    client: Client
    contact_id: uuid.UUID | None = None
    contact: Contact | None = None
    cc_ids: tuple[uuid.UUID, ...] | None = None
    cc_users: tuple[User, ...] | None = None
    template: MessageTemplate | None = None


def lenient_id(raw: Any) -> uuid.UUID | None:
    try:
        return parse_id(raw)
    except Exception:
        return None


def parse_cc_ids(raw: Sequence[Any] | None) -> tuple[uuid.UUID, ...]:
    """The copy recipients asked for, parsed, without repeats (in the order given)."""
    return tuple(dict.fromkeys(i for i in map(lenient_id, raw or []) if i is not None))


class _JSONRows(Aggregate):
    """The rows of a subquery as one JSON array (PostgreSQL jsonb_agg, SQLite
    json_group_array)."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


_CC_COLUMNS = ("id", "email", "first_name", "last_name", "kind", "mobile", "client_id")


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
        rule = cc_eligibility_rule(
            permanence_id=permanence_id, client_id=target, company_id=OuterRef("company_id")
        )
        eligible = (
            User.objects.filter(rule, id__in=rest[:n_cc], is_active=True)
            .values("permanence_id")
            .annotate(rows=_JSONRows(JSONObject(**{c: c for c in _CC_COLUMNS})))
            .values("rows")
        )
        annotations["send_cc_rows"] = Subquery(eligible, output_field=JSONField())
    columns = (f.attname for f in Client._meta.concrete_fields)
    return cast("QuerySet[Client]", qs.values(*columns, **annotations))


_SEND_LOOKUP = Prepared(_send_lookup_query)


def _json(value: Any) -> Any:
    """A JSON annotation as Python: decoded by the field on PostgreSQL, sometimes still text
    on SQLite (a nested JSON function's result)."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def _cc_user(row: dict[str, Any], client: Client) -> User:
    client_id = row["client_id"]
    return loaded(
        User(
            id=uuid.UUID(str(row["id"])),
            permanence_id=client.permanence_id,
            email=row["email"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            kind=row["kind"],
            mobile=row["mobile"],
            client_id=uuid.UUID(str(client_id)) if client_id else None,
            is_active=True,
        )
    )


def _contact(row: Any, client: Client) -> Contact | None:
    if not row:
        return None
    return loaded(
        Contact(
            id=uuid.UUID(str(row["id"])),
            permanence_id=client.permanence_id,
            client=client,
            name=row["name"],
        )
    )


def client_for_send(user: User, client_id: Any, data: SendInput) -> SendTarget:
    """access_client_by_id for a send: the same client, the same 404, and in the same query
    what the send looks up next — the chosen contact and the copy recipients who may receive
    this client's messages. A send then costs the same queries with 0, 1 or 10 copy
    recipients, and the query is compiled once per shape (relais.core.queries.Prepared)."""
    check_list_size(data.cc, field="cc", cap=CC_MAX, label="Destinataires en copie")
    target = lenient_id(client_id)
    if target is None or (user.is_client_user and not user.client_id):
        raise NotFound("Client introuvable.")
    cc_ids = parse_cc_ids(data.cc)
    contact_id = lenient_id(data.contact) if data.contact else None
    own_client = user.is_client_user
    slots: list[Any] = [user.permanence_id, target]
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
    return SendTarget(
        client=client,
        contact_id=contact_id,
        contact=_contact(_json(row["send_contact_row"]), client) if contact_id else None,
        cc_ids=cc_ids if cc_ids else None,
        cc_users=tuple(_cc_user(r, client) for r in _json(row["send_cc_rows"])) if cc_ids else None,
    )


def _template(client: Client, raw: Any) -> MessageTemplate | None:
    try:
        template_id = parse_id(raw)
    except Exception:
        return None
    return first_or_none(
        MessageTemplate.objects.filter(permanence_id=client.permanence_id, id=template_id)
    )


def send_target(*, client: Client | SendTarget, data: SendInput) -> SendTarget:
    """The target of a send, every lookup done: what client_for_send read with the client
    when it read it for these very ids, else looked up here (a plain client: demo data,
    scripts), and the template."""
    given = client if isinstance(client, SendTarget) else SendTarget(client=client)
    found = given.client
    contact_id = lenient_id(data.contact) if data.contact else None
    contact = given.contact
    if contact_id is not None and given.contact_id != contact_id:
        contact = first_or_none(Contact.objects.filter(client=found, id=contact_id))
    cc_ids = parse_cc_ids(data.cc)
    cc_users = given.cc_users
    if given.cc_ids != cc_ids:
        cc_users = _eligible_cc(found, cc_ids) if cc_ids else ()
    return SendTarget(
        client=found,
        contact_id=contact_id,
        contact=contact if contact_id is not None else None,
        cc_ids=cc_ids,
        cc_users=cc_users,
        template=_template(found, data.template) if data.template else None,
    )


def _eligible_cc(client: Client, ids: Sequence[Any]) -> tuple[User, ...]:
    """The users of ids who may receive a copy (when the client was not read by
    client_for_send, which looks them up with the client)."""
    eligible = User.objects.filter(cc_eligibility_filter(client), id__in=ids, is_active=True)
    return tuple(eligible)
