"""The telephone system's webhook: POST /api/v1/cti/{token} (API.md)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from relais.calls.models import Call
from relais.calls.services import phone_e164, secrets_for
from relais.events.models import Event
from tests import factories as f
from tests.conftest import World, api_client

LINE = "+33491000001"
MOBILE = "+33671234589"


@pytest.fixture
def line(world: World) -> Any:
    f.ClientNumberFactory.create(client=world.client_a, number=LINE)
    contact = f.ContactFactory.create(client=world.client_a, name="Hélène Moreau", phone=MOBILE)
    world.operateur_a.extension = "201"
    world.operateur_a.save()
    return contact


def url(world: World) -> str:
    return f"/api/v1/cti/{secrets_for(world.perm_a.id).cti_token}"


def post(world: World, payload: dict[str, Any], *, form: bool = False, path: str = "") -> Any:
    http = HttpClient()
    if form:
        return http.post(path or url(world), payload)
    return http.post(path or url(world), json.dumps(payload), content_type="application/json")


def event(kind: str, call_id: str = "c1", **extra: Any) -> dict[str, Any]:
    return {
        "event": kind,
        "callId": call_id,
        "from": "06 71 23 45 89",
        "to": "04 91 00 00 01",
        "direction": "in",
        **extra,
    }


def test_it_recognises_the_client_and_the_caller_in_any_written_form(world: World, line: Any):
    for i, caller in enumerate(["06 71 23 45 89", "+33671234589", "0033671234589", "33671234589"]):
        answer = post(world, event("newCall", f"form-{i}", **{"from": caller}))
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert body["ok"] is True
        assert body["client"] == str(world.client_a.id)
        assert body["contact"] == str(line.id)


def test_it_accepts_the_form_encoded_body_with_repeated_user_keys(world: World, line: Any):
    answer = post(world, event("newCall", "f1", **{"user[]": ["201", "gerant@a.test"]}), form=True)
    assert answer.status_code == 200, answer.content
    call = Call.objects.get(call_id="f1")
    assert call.ring_users == [str(world.operateur_a.id), str(world.gerant_a.id)]
    answer = post(world, event("answer", "f1", answeringNumber="201"), form=True)
    call.refresh_from_db()
    assert call.state == Call.ANSWERED and call.answered_by == world.operateur_a


def test_it_ends_in_the_same_state_whatever_the_order_and_repeats(world: World, line: Any):
    """Every order of newCall/answer/hangup, each possibly twice: same final state, one event
    of each kind announced."""
    kinds = ["newCall", "answer", "hangup"]
    finals = set()
    for n, order in enumerate(itertools.permutations(kinds)):
        call_id = f"perm-{n}"
        for kind in [*order, order[0], order[-1]]:
            extra = {"answeringNumber": "operateur@a.test"} if kind == "answer" else {}
            if kind == "hangup":
                extra = {"cause": "normalClearing"}
            assert post(world, event(kind, call_id, **extra)).status_code == 200
        call = Call.objects.get(call_id=call_id)
        finals.add((call.state, call.answered_by_id, call.client_id, call.contact_id))
        assert call.answered_at is not None and call.ended_at is not None
        assert call.answered_at <= call.ended_at
        announced = Event.objects.filter(data__call=str(call.id)).values_list("kind", flat=True)
        assert sorted(announced).count("call.answered") == 1
        assert sorted(announced).count("call.ended") == 1
        assert list(announced).count("call.ringing") <= 1
    assert finals == {(Call.ENDED, world.operateur_a.id, world.client_a.id, line.id)}


def test_it_records_a_missed_call_once(world: World, line: Any):
    for kind in ["newCall", "hangup", "hangup", "newCall"]:
        post(world, event(kind, "m1", cause="noAnswer"))
    call = Call.objects.get(call_id="m1")
    assert call.state == Call.MISSED and call.cause == "noAnswer"
    assert Call.objects.count() == 1


def test_it_keeps_an_unknown_number_and_a_withheld_caller(world: World, line: Any):
    body = post(world, event("newCall", "u1", to="01 99 99 99 99")).json()
    assert body["client"] is None and body["contact"] is None
    body = post(world, event("newCall", "u2", **{"from": "07 00 00 00 00"})).json()
    assert body["client"] == str(world.client_a.id) and body["contact"] is None
    body = post(world, event("newCall", "u3", **{"from": "anonymous"})).json()
    assert body["client"] == str(world.client_a.id) and body["contact"] is None
    withheld = Call.objects.get(call_id="u3")
    assert withheld.caller_display == "Numéro masqué"
    unknown = Call.objects.get(call_id="u2")
    assert unknown.caller_display == "07 00 00 00 00"


def test_it_answers_404_to_an_unknown_or_replaced_token_and_records_nothing(
    world: World, line: Any
):
    assert post(world, event("newCall"), path="/api/v1/cti/nope").status_code == 404
    other = f"/api/v1/cti/{secrets_for(world.perm_b.id).cti_token}"
    # Permanence B's token: the call is B's, never A's client (B has no such number).
    assert post(world, event("newCall", "b1"), path=other).json()["client"] is None
    old = url(world)
    http = api_client(world.gerant_a)
    new = http.post(
        "/api/v1/integrations/regenerate", {"which": "cti"}, content_type="application/json"
    )
    assert new.status_code == 200
    assert post(world, event("newCall", "after"), path=old).status_code == 404
    assert not Call.objects.filter(permanence=world.perm_a).exists()
    assert (
        post(world, event("newCall", "after"), path=new.json()["cti_url"][21:]).status_code == 200
    )


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        (json.dumps({"event": "ring", "callId": "x"}), "application/json"),
        (json.dumps({"event": "newCall"}), "application/json"),
        (json.dumps({"event": "newCall", "callId": "x" * 251}), "application/json"),
        (json.dumps({"event": "newCall", "callId": "x", "direction": "up"}), "application/json"),
        (json.dumps({"event": "newCall", "callId": "x", "from": {"a": 1}}), "application/json"),
        (json.dumps({"event": "newCall", "callId": "x", "to": "0\u0000"}), "application/json"),
        ("<xml/>", "text/xml"),
        ("--x\r\nbroken", "multipart/form-data"),
        (json.dumps({"event": "answer", "callId": "x", "user[]": [{"a": 1}]}), "application/json"),
        (json.dumps({"event": "newCall", "callId": "x", "user[]": ["u"] * 21}), "application/json"),
    ],
)
def test_it_refuses_a_malformed_body_in_french_and_records_nothing(
    world: World, line: Any, body: str, content_type: str
):
    answer = HttpClient().post(url(world), body, content_type=content_type)
    assert answer.status_code in (400, 422), answer.content
    detail = answer.json()["detail"]
    assert any(word in detail for word in ("JSON", "«", "Type", "mal formé")), detail
    assert not Call.objects.exists()
    assert not Event.objects.exists()


def test_it_lets_the_first_operator_take_a_ringing_call(world: World, line: Any):
    from relais.calls.services import call_take
    from relais.core.errors import Conflict

    post(world, event("newCall", "t1"))
    call = Call.objects.get(call_id="t1")
    call_take(user=world.operateur_a, call=call)
    with pytest.raises(Conflict, match="Léa"):
        call_take(user=world.superviseur_a, call=call)
    pop = Event.objects.get(kind="call.answered").data["screen_pop"]
    assert pop["page"] == "messages" and pop["contact"] == str(line.id)


def test_it_normalises_what_pbxs_send():
    assert phone_e164("0491543210") == "+33491543210"
    assert phone_e164("33491543210") == "+33491543210"
    assert phone_e164("0033 4 91 54 32 10") == "+33491543210"
    assert phone_e164("+33491543210") == "+33491543210"
    assert phone_e164("anonymous") == ""
    assert phone_e164("") == ""
