"""Acknowledgement (« Pris en compte ») and escalation of a message, and the personal
acknowledgement link of each copy that asks for it.

The client's policy and on-call rota are columns of the client (`Client.ack_required`,
`Client.escalation`, `Client.on_call`): the send path reads them with the client, for free.
"""

from __future__ import annotations

import secrets

from django.db import models

from relais.core.models import BaseModel
from relais.tenancy.models import Permanence


def new_ack_secret() -> str:
    return secrets.token_urlsafe(24)


class Escalation(models.Model):
    """One per message that asks for an acknowledgement: where its escalation stands, and the
    acknowledgement itself (the first one wins, by a conditional UPDATE on `ack_at IS NULL`)."""

    WAITING = "waiting"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    EXHAUSTED = "exhausted"
    STATES = [
        (WAITING, "En attente de prise en compte"),
        (ACKNOWLEDGED, "Pris en compte"),
        (ESCALATED, "Escaladé"),
        (EXHAUSTED, "Escalade terminée"),
    ]
    OPEN = (WAITING, ESCALATED)

    VIA_LINK = "link"
    VIA_PORTAL = "portal"
    VIA_SMS = "sms"
    VIA_REPLY = "reply"
    VIAS = [(VIA_LINK, "lien"), (VIA_PORTAL, "portail"), (VIA_SMS, "SMS"), (VIA_REPLY, "réponse")]

    message = models.OneToOneField(
        "messaging.Message", on_delete=models.CASCADE, primary_key=True, related_name="escalation"
    )
    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=12, choices=STATES, default=WAITING)
    # The client's steps as they were when the message was sent (a later change of the
    # policy does not move a running escalation), and the final alert.
    steps = models.JSONField(default=list)
    final_alert = models.BooleanField(default=False)
    final_after_minutes = models.PositiveSmallIntegerField(default=10)
    started_at = models.DateTimeField()
    # Who the message's own copies went to ([{kind, id, name}]): the « same » of a step.
    first_to = models.JSONField(default=list)
    # The next step to take (index into steps; len(steps) is the final alert) and when. Steps
    # are planned from started_at, not from when the previous one was taken: a worker that was
    # down takes the late ones in order, each once.
    next_step = models.PositiveSmallIntegerField(default=0)
    next_step_at = models.DateTimeField(null=True, blank=True)
    # The acknowledgement.
    ack_at = models.DateTimeField(null=True, blank=True)
    ack_via = models.CharField(max_length=8, choices=VIAS, blank=True)
    ack_by_kind = models.CharField(max_length=8, blank=True)
    ack_by_id = models.UUIDField(null=True, blank=True)
    ack_by_name = models.CharField(max_length=160, blank=True)
    # The operators' alert (« Urgence non prise en compte — appeler »).
    alert_at = models.DateTimeField(null=True, blank=True)
    # Why what was left was dropped: "private", "task_cancel", "task_done".
    stopped_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name = "escalade"
        indexes = [
            # The worker's scan: open escalations whose next step is due.
            models.Index(
                fields=["next_step_at"],
                name="escalation_due",
                condition=models.Q(state__in=["waiting", "escalated"]),
            ),
            # The operators' alert lists (« Urgent », « Suivi des tâches »).
            models.Index(
                fields=["permanence", "-alert_at"],
                name="escalation_alert",
                condition=models.Q(state="exhausted", alert_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.state}"


class EscalationStep(models.Model):
    """A step taken: at most one row per (escalation, step), written in the same transaction
    as the step's copies."""

    id = models.BigAutoField(primary_key=True)
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="taken")
    step = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    at = models.DateTimeField()
    to = models.JSONField(default=list)  # [{kind, id, name}]
    channels = models.JSONField(default=list)

    class Meta:
        ordering = ["step"]
        constraints = [
            models.UniqueConstraint(fields=["escalation", "step"], name="escalation_step_once")
        ]


class AckRequest(BaseModel):
    """The personal acknowledgement link of one copy. The URL carries this row's id and its
    secret; the secret is compared in constant time. Valid LINK_DAYS days."""

    LINK_DAYS = 7

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey("messaging.Message", on_delete=models.CASCADE, related_name="+")
    delivery = models.OneToOneField(
        "delivery.Delivery", on_delete=models.CASCADE, related_name="ack_request"
    )
    # Who the copy went to: "client" (the client itself or a client user), "staff", "contact".
    person_kind = models.CharField(max_length=8)
    person_id = models.UUIDField()
    person_name = models.CharField(max_length=160, blank=True)
    secret = models.CharField(max_length=64, default=new_ack_secret)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "lien de prise en compte"
        indexes = [models.Index(fields=["message"], name="ackrequest_message")]
