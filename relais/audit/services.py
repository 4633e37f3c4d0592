"""Writes of the trace: one read of a message (one INSERT), one audit event."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from relais.audit.models import AuditEvent, MessageRead
from relais.tenancy.models import User


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address as Django sees it (the TLS proxy in front passes REMOTE_ADDR
    through gunicorn's forwarded-allow-ips). Anything unparsable is None, never an error."""
    if request is None:
        return None
    raw = str(request.META.get("REMOTE_ADDR") or "").strip()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def message_read_record(
    *, user: User, message_id: Any, via: str, request: HttpRequest | None = None
) -> None:
    """Traces that user read that message's content: one INSERT, nothing read back."""
    MessageRead.objects.bulk_create(
        [
            MessageRead(
                permanence_id=user.permanence_id,
                message_id=message_id,
                user_id=user.pk,
                at=timezone.now(),
                via=via,
                ip=client_ip(request),
            )
        ]
    )


def message_reads_record(
    *, user: User, message_ids: Iterable[Any], via: str, request: HttpRequest | None = None
) -> int:
    """A report shows many messages: one row each, in one INSERT."""
    now, ip = timezone.now(), client_ip(request)
    rows = [
        MessageRead(
            permanence_id=user.permanence_id,
            message_id=message_id,
            user_id=user.pk,
            at=now,
            via=via,
            ip=ip,
        )
        for message_id in dict.fromkeys(message_ids)
    ]
    if rows:
        MessageRead.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def audit_record(
    *,
    permanence_id: Any,
    kind: str,
    actor: User | None = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    request: HttpRequest | None = None,
) -> None:
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                permanence_id=permanence_id,
                actor=actor,
                kind=kind,
                target=target[:200],
                detail=detail or {},
                ip=ip if ip is not None else client_ip(request),
                at=timezone.now(),
            )
        ]
    )
