"""The in-memory twin of every channel, like django.core.mail's locmem backend.

Sent copies land in `outbox`; `fail(to, …)` makes copies to that address or number fail, the
way a real provider would, so tests can script permanent and temporary failures.
"""

from __future__ import annotations

import itertools
import threading

from relais.delivery.backends.base import (
    Backend,
    DeliveryError,
    OutgoingCopy,
    SendResult,
    check_email_address,
    parse_number,
)

outbox: list[OutgoingCopy] = []
_failures: dict[str, DeliveryError] = {}
_counter = itertools.count(1)
_lock = threading.Lock()


def fail(to: str, reason: str, *, permanent: bool, backend_down: bool = False) -> None:
    """Every copy to `to` fails with that error until reset()."""
    _failures[to] = DeliveryError(reason, permanent=permanent, backend_down=backend_down)


def reset() -> None:
    outbox.clear()
    _failures.clear()


def sent_to(to: str) -> list[OutgoingCopy]:
    return [copy for copy in outbox if copy.to == to]


class MemoryBackend(Backend):
    name = "memory"

    def send(self, copy: OutgoingCopy) -> SendResult:
        if copy.to in _failures:
            raise _failures[copy.to]
        # Same checks as the real transports: a bad address fails here too.
        if copy.channel == "email":
            check_email_address(copy.to)
        else:
            parse_number(copy.to, mobile=copy.channel == "sms")
        with _lock:
            outbox.append(copy)
            return SendResult(provider_id=f"memory-{next(_counter)}")

    def lookup(self, copy: OutgoingCopy) -> SendResult | None:
        for index, sent in enumerate(outbox):
            if sent.delivery_id == copy.delivery_id:
                return SendResult(provider_id=f"memory-found-{index}")
        return None
