"""The API's lane (relais.api.lane): a bearer call without cookie answers exactly as through
the whole middleware chain, and only such a call takes it."""

from __future__ import annotations

import json
import re
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import Client as HttpClient
from django.test import override_settings

from relais.tenancy.models import ApiToken
from tests.api.conftest import API, send_body
from tests.conftest import World

LANE = "relais.api.lane.ApiLaneMiddleware"
# What differs from one call to the next whatever the chain: ids, instants, the CSP nonce.
VOLATILE = [
    (re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), b"<id>"),
    (re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?"), b"<at>"),
]
NONCE = re.compile(r"'nonce-[^']+'")


def answer(response: Any) -> tuple[int, dict[str, str], bytes]:
    headers = {k: NONCE.sub("'nonce-…'", v) for k, v in response.headers.items()}
    body = response.content
    for pattern, placeholder in VOLATILE:
        body = pattern.sub(placeholder, body)
    return response.status_code, headers, body


def calls(world: World) -> list[tuple[str, str, Any, dict[str, str]]]:
    client = f"/clients/{world.client_a.id}"
    return [
        ("get", "/me", None, {}),
        ("get", "/me", None, {"Accept-Language": "en"}),
        ("post", f"{client}/messages", send_body(is_urgent=True), {"Idempotency-Key": "x"}),
        ("post", f"{client}/messages", send_body(is_urgent=True), {"Idempotency-Key": "x"}),
        ("get", f"{client}/messages", None, {}),
        ("post", f"{client}/messages", {"subject": ""}, {}),
        ("post", f"{client}/messages", "{not json", {}),
        ("post", f"{client}/messages", "subject=a%00b", {"CONTENT_TYPE": "form"}),
        ("delete", "/me", None, {}),
        ("get", "/nowhere", None, {}),
        ("get", f"/clients/{world.client_b.id}", None, {}),
    ]


def run(
    http: HttpClient, method: str, path: str, body: Any, headers: dict[str, str], tag: str
) -> Any:
    headers = {k: v + tag if k == "Idempotency-Key" else v for k, v in headers.items()}
    kwargs: dict[str, Any] = {"headers": {k: v for k, v in headers.items() if k != "CONTENT_TYPE"}}
    if headers.get("CONTENT_TYPE") == "form":
        kwargs["content_type"] = "application/x-www-form-urlencoded"
        kwargs["data"] = body
    elif body is not None:
        kwargs["content_type"] = "application/json"
        kwargs["data"] = body if isinstance(body, str) else json.dumps(body)
    return getattr(http, method)(f"{API}{path}", **kwargs)


@pytest.mark.parametrize("token", ["good", "bad"])
def test_a_bearer_call_answers_the_same_through_the_lane(world: World, token: str) -> None:
    bearer = ApiToken.issue(world.operateur_a) if token == "good" else "not-a-token"
    headers = {"Authorization": f"Bearer {bearer}"}
    lane = HttpClient(headers=headers)
    whole_chain = [m for m in settings.MIDDLEWARE if m != LANE]
    assert len(whole_chain) == len(settings.MIDDLEWARE) - 1
    for method, path, body, extra in calls(world):
        through_lane = answer(run(lane, method, path, body, extra, "-lane"))
        with override_settings(MIDDLEWARE=whole_chain):
            # A new client loads the middleware of the settings in force at its first call.
            through_chain = answer(
                run(HttpClient(headers=headers), method, path, body, extra, "-chain")
            )
        assert through_lane[1] == through_chain[1], (
            method,
            path,
            through_lane[1],
            through_chain[1],
        )
        assert through_lane == through_chain, (method, path, extra)


def test_a_bearer_call_without_cookie_skips_the_page_middleware(world: World) -> None:
    http = HttpClient(headers={"Authorization": f"Bearer {ApiToken.issue(world.operateur_a)}"})
    with mock.patch.object(SessionMiddleware, "process_request", side_effect=AssertionError):
        assert http.get(f"{API}/me").status_code == 200
        # With a cookie (the session may authenticate it), the whole chain runs.
        http.cookies["sessionid"] = "abc"
        with pytest.raises(AssertionError):
            http.get(f"{API}/me")
        del http.cookies["sessionid"]
        # The token endpoints (the login lockout) and the pages never take it.
        with pytest.raises(AssertionError):
            http.get(f"{API}/auth/tokens")
        with pytest.raises(AssertionError):
            http.get("/")


def test_a_session_call_still_needs_its_csrf_token(world: World) -> None:
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(world.operateur_a)
    response = http.post(
        f"{API}/clients/{world.client_a.id}/messages",
        data=json.dumps(send_body()),
        content_type="application/json",
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert response.status_code == 403, response.content
