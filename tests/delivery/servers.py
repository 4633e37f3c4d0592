"""Real servers on 127.0.0.1 for the delivery tests and the benchmark.

- SmtpSink: an aiosmtpd SMTP server that keeps what it accepts, can refuse addresses (5xx/4xx),
  and can stall on a message until the client's connection drops (to kill a worker mid-send).
- FakeBrevo: an HTTP server answering like Brevo's transactional SMS API, error codes included,
  that calls the delivery receipt URL (webUrl) the way Brevo does.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import json
import socket
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float  # time.time() when the server accepted it

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _SinkHandler:
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    stall_after: int | None = None
    stalled: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall_after is not None and len(self.received) >= self.stall_after:
            # Hold the answer: the client is stuck waiting for "250" until it is killed, then
            # connection_lost cancels this coroutine and the message is never accepted.
            self.stalled.set()
            while True:
                await asyncio.sleep(0.05)
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, time.time())
            )
        return "250 2.0.0 Message accepted for delivery"


class SmtpSink:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = _SinkHandler()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> SmtpSink:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, data_size_limit=10_000_000
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def refuse(self, address: str, answer: str) -> None:
        self.handler.refuse[address] = answer

    def stall_after(self, count: int | None) -> None:
        self.handler.stall_after = count

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 15) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


class FakeBrevo:
    """POST /v3/transactionalSMS/send and GET /v3/transactionalSMS/statistics/events, like
    https://developers.brevo.com documents them."""

    API_KEY = "xkeysib-test-key"

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.invalid_numbers: set[str] = set()
        self.mode = ""  # "", "no_credits", "down", "rate_limited"
        self.auto_receipt = ""  # a msg_status to post to webUrl after each accepted SMS
        self._ids = itertools.count(1511882900176220)
        self.receipt_errors: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                fake.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "raw": raw,
                    }
                )
                if self.path != "/v3/transactionalSMS/send":
                    return self._answer(404, {"code": "not_found", "message": "Not found"})
                if self.headers.get("api-key") != fake.API_KEY:
                    return self._answer(401, {"code": "unauthorized", "message": "Key not found"})
                if fake.mode == "down":
                    return self._answer(503, {"code": "internal_error", "message": "Unavailable"})
                if fake.mode == "rate_limited":
                    return self._answer(429, {"code": "too_many_requests", "message": "Slow down"})
                if fake.mode == "no_credits":
                    return self._answer(
                        402, {"code": "not_enough_credits", "message": "Not enough credits"}
                    )
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._answer(400, {"code": "bad_request", "message": "Invalid JSON"})
                for name in ("sender", "recipient", "content"):
                    if not body.get(name):
                        return self._answer(
                            400, {"code": "missing_parameter", "message": f"{name} is missing"}
                        )
                recipient = str(body["recipient"])
                if not recipient.isdigit() or recipient in fake.invalid_numbers:
                    return self._answer(
                        400, {"code": "invalid_parameter", "message": "Invalid phone number"}
                    )
                if len(str(body["sender"])) > 11 and not str(body["sender"]).isdigit():
                    return self._answer(
                        400, {"code": "invalid_parameter", "message": "Invalid sender name"}
                    )
                message_id = next(fake._ids)
                record = {**body, "messageId": message_id}
                fake.sent.append(record)
                self._answer(201, {"messageId": message_id})
                if fake.auto_receipt and body.get("webUrl"):
                    status = fake.auto_receipt
                    threading.Thread(
                        target=fake.post_receipt, args=(record, status), daemon=True
                    ).start()

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if url.path != "/v3/transactionalSMS/statistics/events":
                    return self._answer(404, {"code": "not_found", "message": "Not found"})
                if self.headers.get("api-key") != fake.API_KEY:
                    return self._answer(401, {"code": "unauthorized", "message": "Key not found"})
                query = urllib.parse.parse_qs(url.query)
                tags = json.loads(query.get("tags", ["[]"])[0])
                events = [
                    {
                        "phoneNumber": s["recipient"],
                        "date": "2026-11-28T10:00:00.000Z",
                        "messageId": str(s["messageId"]),
                        "event": "sent",
                        "tag": s.get("tag", ""),
                    }
                    for s in fake.sent
                    if s.get("tag") in tags
                ]
                self._answer(200, {"events": events})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v3"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FakeBrevo:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def post_receipt(self, record: dict[str, Any], status: str) -> int:
        """What Brevo posts to webUrl when the SMS status changes."""
        payload = {
            "id": 26570,
            "to": record["recipient"],
            "sms_count": 1,
            "credits_used": 4.5,
            "messageId": record["messageId"],
            "remaining_credit": 11488.845,
            "msg_status": status,
            "date": "2026-11-28 10:00:03",
            "type": "transactional",
            "reference": {"1": f"ref-{record['messageId']}"},
            "tag": record.get("tag", ""),
        }
        request = urllib.request.Request(
            record["webUrl"],
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            self.receipt_errors.append(f"{exc.code}")
            return int(exc.code)
