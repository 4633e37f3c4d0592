"""Shapes of acknowledgement and escalation in the API (API.md, "Acknowledgement and
escalation"). Kept apart from schemas.py so both can import them."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema

from relais.escalation.selectors import (
    acknowledgement_json,
    escalation_cached,
    escalation_json,
)


class PersonRef(Schema):
    kind: Literal["client", "staff", "contact"]
    id: str | None
    name: str = ""


class AcknowledgementOut(Schema):
    at: str
    by: PersonRef
    via: Literal["link", "portal", "sms", "reply"]


class StepTakenOut(Schema):
    at: str
    step: int = Field(description="1 for the first step.")
    to: list[dict[str, Any]]
    channels: list[str]


class EscalationStateOut(Schema):
    state: Literal["waiting", "acknowledged", "escalated", "exhausted"]
    next_step_at: str | None
    steps_taken: list[StepTakenOut]
    alert_at: str | None = Field(None, description="When the operators' alert was raised.")
    stopped_reason: str | None = Field(
        None, description='"private", "task_cancel" or "task_done" when stopped early.'
    )


def escalation_fields(message: Any) -> dict[str, Any]:
    """`acknowledgement` and `escalation` of a message (GET /api/v1/messages/{id})."""
    escalation = escalation_cached(message)
    return {
        "acknowledgement": acknowledgement_json(escalation),
        "escalation": escalation_json(escalation),
    }
