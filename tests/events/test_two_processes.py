"""Two web processes on two ports against one PostgreSQL: an event produced through one reaches
a stream opened on the other (LISTEN/NOTIFY)."""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

import pytest

from relais.tenancy.models import ApiToken
from tests.conftest import World
from tests.events.helpers import parse
from tests.events.servers import on_postgres, web_process

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not on_postgres(), reason="fan-out between processes: PostgreSQL"),
]


def test_it_delivers_an_event_from_one_process_to_a_stream_on_the_other(
    world: World, tmp_path: Path
):
    reader_token = ApiToken.issue(world.operateur_a)
    writer_token = ApiToken.issue(world.gerant_a)
    with web_process(tmp_path) as port_a, web_process(tmp_path) as port_b:
        stream = http.client.HTTPConnection("127.0.0.1", port_b, timeout=10)
        stream.request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {reader_token}"})
        response = stream.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type", "").startswith("text/event-stream")
        response.read1()  # the opening chunk: subscribed from here on
        writer = http.client.HTTPConnection("127.0.0.1", port_a, timeout=10)
        sent_at = time.monotonic()
        writer.request(
            "POST",
            f"/api/v1/clients/{world.client_a.id}/messages",
            body=json.dumps({"subject": "Rappel", "body": "Merci de rappeler."}),
            headers={"Authorization": f"Bearer {writer_token}", "Content-Type": "application/json"},
        )
        sent = writer.getresponse()
        message = json.loads(sent.read())
        assert sent.status == 201, message
        text = ""
        while "message.created" not in text and time.monotonic() - sent_at < 5:
            text += response.read1().decode()
        stream.close()
    events, _ = parse(text)
    created = next(e for e in events if e.kind == "message.created")
    assert created.data == {
        "client": str(world.client_a.id),
        "message": message["id"],
        "actor": str(world.gerant_a.id),
        # A plain message moves no left-menu count: the streams need not recount.
        "counts": False,
    }


def test_an_event_too_large_for_a_notify_is_read_from_the_table(world: World, tmp_path: Path):
    """A NOTIFY carries the event row itself up to NOTIFY_MAX bytes; a larger one is announced
    by id, and the listening process reads it back."""
    from relais.events.publish import NOTIFY_MAX, event_publish

    reader_token = ApiToken.issue(world.operateur_a)
    note = "é" * NOTIFY_MAX  # twice NOTIFY_MAX bytes in UTF-8
    with web_process(tmp_path) as port:
        stream = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        stream.request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {reader_token}"})
        response = stream.getresponse()
        assert response.status == 200
        response.read1()
        event_publish(
            permanence_id=world.perm_a.id, kind="call.ringing", data={"note": note, "n": 1}
        )
        event_publish(permanence_id=world.perm_a.id, kind="call.ringing", data={"n": 2})
        started = time.monotonic()
        raw = b""
        while raw.count(b"call.ringing") < 2 and time.monotonic() - started < 5:
            raw += response.read1()
        stream.close()
    events, _ = parse(raw.decode())
    ringing = [e.data for e in events if e.kind == "call.ringing"]
    assert [d["n"] for d in ringing] == [1, 2]
    assert ringing[0]["note"] == note
