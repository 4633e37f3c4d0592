"""No API input can hurt the server (issue 19, defects 1–5 and 7): oversized lists refused
before any lookup, lone surrogates, bodies under another Content-Type, multipart without a
boundary, control and bidi characters in one-line fields, loose JSON types, invisible text;
and what a reader may see of a thread's copies."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from relais.clients.models import Contact
from relais.core.inputs import CC_MAX, TEMPLATE_CLIENTS_MAX, VISIBILITY_MAX
from relais.core.queries import Prepared
from relais.delivery.models import Delivery
from relais.messaging.models import Message, MessageTemplate
from relais.tenancy.models import User
from tests import factories as f
from tests.api.conftest import API, call, send_body
from tests.conftest import World, api_client

pytestmark = pytest.mark.django_db


def _ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


@contextmanager
def _no_lookup_of(*tables: str) -> Iterator[dict[str, float]]:
    """Fails if a query touches one of tables; measures the wall time (reported, loosely
    bounded: the machine is shared)."""
    timing: dict[str, float] = {}
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        yield timing
        timing["seconds"] = time.perf_counter() - started
    # Tables read FROM (the bearer token's own lookup joins the user: that is authentication).
    touched = [q["sql"] for q in queries if any(f'FROM "{t}"' in q["sql"] for t in tables)]
    assert touched == [], touched[:1]


# --- 1. oversized lists ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["gerant_a", "client_user_a", "gerant_b"])
def test_it_refuses_ten_times_the_copy_cap_before_any_lookup(world: World, who: str) -> None:
    """Whoever asks and whichever client (even one the caller cannot see): 422 in French,
    without reading a client or a user."""
    http = api_client(getattr(world, who))
    call(http, "GET", "/me")  # the first request of a process loads what every request uses
    body = json.dumps(send_body(cc=_ids(10 * CC_MAX)))
    with _no_lookup_of("clients_client", "tenancy_user") as timing:
        response = call(http, "POST", f"/clients/{world.client_a.id}/messages", body)
    assert response.status_code == 422
    assert response.json()["errors"]["cc"] == [f"{CC_MAX} éléments au maximum."]
    print(f"10 x {CC_MAX} copy recipients refused in {timing['seconds'] * 1000:.1f} ms")
    assert timing["seconds"] < 0.5  # loose (a shared machine); the bound is the lookups above
    assert not Message.objects.exists()


def test_the_service_refuses_more_copy_recipients_than_the_cap(world: World) -> None:
    from relais.core.errors import ValidationFailed
    from relais.messaging.services import SendInput, client_for_send

    data = SendInput(subject="s", body="b", cc=_ids(CC_MAX + 1))
    with _no_lookup_of("clients_client", "tenancy_user"), pytest.raises(ValidationFailed) as exc:
        client_for_send(world.gerant_a, world.client_a.id, data)
    expected = f"Destinataires en copie : {CC_MAX} au maximum ({CC_MAX + 1} envoyés)."
    assert exc.value.errors == {"cc": [expected]}


def test_it_still_sends_with_exactly_the_cap_of_copy_recipients(world: World) -> None:
    staff = [
        f.StaffFactory.create(permanence=world.perm_a, email=f"op{i}@a.test") for i in range(CC_MAX)
    ]
    response = call(
        api_client(world.gerant_a),
        "POST",
        f"/clients/{world.client_a.id}/messages",
        send_body(cc=[str(u.id) for u in staff]),
    )
    assert response.status_code == 201
    assert len(response.json()["recipients"]) == CC_MAX


def test_it_refuses_ten_times_the_other_list_caps_before_any_lookup(world: World) -> None:
    http = api_client(world.gerant_a)
    call(http, "GET", "/me")
    body = json.dumps({"name": "Modèle", "clients": _ids(10 * TEMPLATE_CLIENTS_MAX)})
    with _no_lookup_of("clients_client") as timing:
        response = call(http, "POST", "/templates", body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"]["clients"] == [f"{TEMPLATE_CLIENTS_MAX} éléments au maximum."]
    print(
        f"10 x {TEMPLATE_CLIENTS_MAX} template clients refused in {timing['seconds'] * 1000:.1f} ms"
    )
    assert timing["seconds"] < 0.5
    assert not MessageTemplate.objects.exists()

    response = call(
        http,
        "POST",
        f"/clients/{world.client_a.id}/instructions",
        {"text": "Jamais le mercredi", "visibility": ["message"] * (10 * VISIBILITY_MAX)},
    )
    assert response.status_code == 422
    assert response.json()["errors"]["visibility"] == [f"{VISIBILITY_MAX} éléments au maximum."]


def _users_by_id(*ids: Any) -> Any:
    return User.objects.filter(id__in=ids).values("id")


def test_the_compiled_query_cache_is_bounded_and_compiles_in_one_pass(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = Prepared(lambda n, *ids: _users_by_id(*ids), max_shapes=4)
    for n in range(1, 11):
        ids = [world.gerant_a.id, *(uuid.uuid4() for _ in range(n - 1))]
        assert prepared.rows((n,), *ids) == [{"id": world.gerant_a.id}]
    assert len(prepared._shapes) == 4  # the least recently used shapes went

    # Finding the stand-ins among the parameters reads each once (it was every stand-in
    # against every parameter: 500 ids cost 250,000 reads). The ORM and the run read each
    # value once more on SQLite.
    reads = 0
    hex_of = uuid.UUID.hex

    def counted(self: uuid.UUID) -> str:
        nonlocal reads
        reads += 1
        return hex_of.fget(self)  # type: ignore[attr-defined,no-any-return]

    monkeypatch.setattr(uuid.UUID, "hex", property(counted))
    prepared.rows((500,), *(uuid.uuid4() for _ in range(500)))
    assert reads <= 4 * 500


# --- 3. lone surrogates ----------------------------------------------------------------------


def _raw(http: HttpClient, path: str, body: str, content_type: str = "application/json") -> Any:
    return http.post(f"{API}{path}", data=body, content_type=content_type)


def test_it_answers_422_to_a_lone_utf16_surrogate(world: World, message_a: Message) -> None:
    http = api_client(world.gerant_a)
    lone = json.dumps("a\ud800b")  # "a\\ud800b": valid JSON, not storable text
    for path, body in (
        (f"/clients/{world.client_a.id}/messages", f'{{"subject": {lone}, "body": "x"}}'),
        (f"/clients/{world.client_a.id}/messages", f'{{"subject": "s", "body": {lone}}}'),
        (f"/messages/{message_a.id}/replies", f'{{"body": {lone}}}'),
        (f"/clients/{world.client_a.id}/contacts", f'{{"name": {lone}}}'),
    ):
        response = _raw(http, path, body)
        assert response.status_code == 422, (path, response.content)
        (messages,) = response.json()["errors"].values()
        assert messages == ["Caractère invalide (UTF-16 incomplet)."]
    assert Message.objects.count() == 1
    assert not Contact.objects.exists()


# --- 4. and 7. bodies that are not JSON ------------------------------------------------------


def test_it_answers_400_or_415_to_a_token_request_in_multipart_without_boundary(
    world: World,
) -> None:
    body = '{"username": "gerant@a.test", "password": "x"}'
    for content_type in ("multipart/form-data", "multipart/form-data; boundary="):
        response = _raw(HttpClient(), "/auth/token", body, content_type)
        assert response.status_code in (400, 415)
        assert response.json()["detail"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/x-www-form-urlencoded", "text/html"],
)
def test_it_answers_415_to_json_sent_under_another_content_type(
    world: World, content_type: str
) -> None:
    body = json.dumps(send_body())
    response = _raw(
        api_client(world.gerant_a), f"/clients/{world.client_a.id}/messages", body, content_type
    )
    assert response.status_code == 415
    assert response.json()["detail"].startswith("Le corps de la requête doit être envoyé en JSON")
    assert not Message.objects.exists()


def test_it_takes_json_with_a_charset_or_a_json_dialect(world: World) -> None:
    http = api_client(world.gerant_a)
    path = f"/clients/{world.client_a.id}/messages"
    body = json.dumps(send_body())
    assert _raw(http, path, body, "application/json; charset=utf-8").status_code == 201
    assert _raw(http, path, body, "application/merge-patch+json").status_code == 201


# --- 5. and 7. one-line fields, strict types, invisible text ---------------------------------


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("Rappel\r\nBcc: x@y.z", "Sujet : une seule ligne."),
        ("Rappel\npatient", "Sujet : une seule ligne."),
        ("Rappel\tpatient", "Sujet : caractère de contrôle interdit."),
        ("Rappel\x1b[31m", "Sujet : caractère de contrôle interdit."),
        ("facture\u202egpj.exe", "Sujet : caractère de contrôle de direction du texte interdit."),
        ("\u2066isolé\u2069", "Sujet : caractère de contrôle de direction du texte interdit."),
    ],
)
def test_it_refuses_control_and_bidi_characters_in_a_subject(
    world: World, subject: str, message: str
) -> None:
    response = call(
        api_client(world.gerant_a),
        "POST",
        f"/clients/{world.client_a.id}/messages",
        send_body(subject=subject),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"subject": [message]}
    assert not Message.objects.exists()


def test_it_refuses_control_characters_in_names_but_keeps_line_breaks_in_bodies(
    world: World,
) -> None:
    http = api_client(world.gerant_a)
    response = call(http, "POST", f"/clients/{world.client_a.id}/contacts", {"name": "M.\r\nX"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"name": ["Nom : une seule ligne."]}
    response = call(
        http,
        "POST",
        f"/clients/{world.client_a.id}/contacts",
        {"name": "Mme Durand", "note": "Rappeler\nle soir"},
    )
    assert response.status_code == 201
    response = call(
        http,
        "POST",
        f"/clients/{world.client_a.id}/messages",
        send_body(body="Ligne 1\r\nLigne 2"),
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("is_private", "yes", "Valeur attendue : true ou false."),
        ("is_task", 1, "Valeur attendue : true ou false."),
        ("copy_email", "true", "Valeur attendue : true ou false."),
        ("due_date", 0, "Date invalide : utilisez le format AAAA-MM-JJ."),
        ("due_date", "1700000000", "Date invalide : utilisez le format AAAA-MM-JJ."),
    ],
)
def test_it_takes_json_types_strictly(world: World, field: str, value: Any, message: str) -> None:
    response = call(
        api_client(world.gerant_a),
        "POST",
        f"/clients/{world.client_a.id}/messages",
        send_body(**{"is_task": True, field: value}),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {field: [message]}


def test_it_still_takes_a_date_as_text(world: World) -> None:
    response = call(
        api_client(world.gerant_a),
        "POST",
        f"/clients/{world.client_a.id}/messages",
        send_body(is_task=True, due_date="2026-12-14"),
    )
    assert response.status_code == 201
    assert response.json()["due_date"] == "2026-12-14"


def test_it_counts_a_text_of_invisible_characters_as_empty(
    world: World, message_a: Message
) -> None:
    http = api_client(world.gerant_a)
    invisible = "\u200b\u200c\u200d\u2060\ufeff "
    response = call(
        http,
        "POST",
        f"/clients/{world.client_a.id}/messages",
        send_body(subject=invisible, body=invisible),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "subject": ["Sujet : ce champ est obligatoire."],
        "body": ["Message : ce champ est obligatoire."],
    }
    response = call(http, "POST", f"/messages/{message_a.id}/replies", {"body": invisible})
    assert response.status_code == 422


# --- 7. copies: each reader sees those it may know of ----------------------------------------


def test_it_shows_each_reader_only_the_copies_it_may_know_of(world: World) -> None:
    company = f.CompanyFactory.create(permanence=world.perm_a)
    world.client_a.company = company
    world.client_a.email = "cabinet@lemoine.test"
    world.client_a.save()
    colleague = f.ClientUserFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a, company=company),
        email="collegue@x.test",
    )
    other = f.ClientUserFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a, company=company),
        email="autre@x.test",
    )
    response = call(
        api_client(world.gerant_a),
        "POST",
        f"/clients/{world.client_a.id}/messages",
        send_body(cc=[str(colleague.id), str(other.id)], copy_email=True),
    )
    assert response.status_code == 201
    message_id = response.json()["id"]
    everyone = {"cabinet@lemoine.test", "collegue@x.test", "autre@x.test"}
    assert {d["to"] for d in response.json()["deliveries"]} == everyone
    assert Delivery.objects.count() == 3

    def seen(user: User) -> tuple[set[str], str]:
        detail = call(api_client(user), "GET", f"/messages/{message_id}").json()
        return {d["to"] for d in detail["deliveries"]}, json.dumps(detail["history"])

    assert seen(world.operateur_a)[0] == everyone
    copies, history = seen(colleague)
    assert copies == {"collegue@x.test"}
    assert "cabinet@lemoine.test" not in history and "autre@x.test" not in history
    copies, history = seen(world.client_user_a)
    assert copies == {"cabinet@lemoine.test"}
    assert "collegue@x.test" not in history and "autre@x.test" not in history


# --- 7. templates without a client, the OpenAPI document --------------------------------------


def test_it_lists_every_template_to_staff_without_a_client(world: World) -> None:
    f.TemplateFactory.create(permanence=world.perm_a, name="Pour tous")
    f.TemplateFactory.create(permanence=world.perm_b, name="Ailleurs")
    response = call(api_client(world.operateur_a), "GET", "/templates")
    assert response.status_code == 200
    assert [t["name"] for t in response.json()["items"]] == ["Pour tous"]


def test_the_openapi_document_states_the_cursor_format_and_period_rules(world: World) -> None:
    doc = call(api_client(world.gerant_a), "GET", "/openapi.json").json()
    params = {
        (path, p["name"]): p
        for path, ops in doc["paths"].items()
        for op in ops.values()
        for p in op.get("parameters", [])
    }
    cursor = params[("/api/v1/messages", "cursor")]
    (text, _null) = cursor["schema"]["anyOf"]
    assert text["pattern"] == "^[A-Za-z0-9_-]+$"
    assert "base64url" in cursor["description"]
    assert "not before `from`" in params[("/api/v1/day-tasks", "to")]["description"]
    send = doc["components"]["schemas"]["SendIn"]["properties"]
    assert send["cc"]["maxItems"] == CC_MAX
    attach = doc["components"]["schemas"]["AttachIn"]["properties"]
    assert "not before `from`" in attach["to"]["description"]
