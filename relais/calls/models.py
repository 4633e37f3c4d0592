"""Calls told by the permanence's telephone system (the CTI webhook)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from relais.core.models import BaseModel
from relais.core.phones import display_phone
from relais.tenancy.models import Permanence


class Call(BaseModel):
    """One call, as the PBX's events describe it.

    Its state is a function of the phases seen, not of their order: each event stamps its
    own phase once (answered_at, ended_at) with a conditional update, so a repeated event
    changes nothing and a `hangup` before its `answer` ends in the same state as the other
    way round."""

    RINGING = "ringing"
    ANSWERED = "answered"
    MISSED = "missed"
    ENDED = "ended"
    STATE_LABELS = {
        RINGING: "En cours",
        ANSWERED: "Répondu",
        MISSED: "Manqué",
        ENDED: "Terminé",
    }
    IN = "in"
    OUT = "out"

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    call_id = models.CharField(max_length=250)
    direction = models.CharField(max_length=3, default=IN)
    # As the PBX sent them, and their E.164 form when they are numbers ("" when withheld).
    from_raw = models.CharField(max_length=60, blank=True)
    to_raw = models.CharField(max_length=60, blank=True)
    from_number = models.CharField(max_length=20, blank=True)
    to_number = models.CharField(max_length=20, blank=True)
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    # Staff users the call rings at (the newCall's user[]); empty: every operator.
    ring_users = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=30, blank=True)

    class Meta:
        verbose_name = "appel"
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["permanence", "call_id"], name="call_unique_pbx_id")
        ]
        indexes = [
            models.Index(fields=["permanence", "-started_at"], name="call_perm_started"),
            models.Index(fields=["client", "-started_at"], name="call_client_started"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} ({self.state})"

    @property
    def state(self) -> str:
        if self.ended_at is not None:
            return self.ENDED if self.answered_at is not None else self.MISSED
        if self.answered_at is not None:
            return self.ANSWERED
        return self.RINGING

    @property
    def state_label(self) -> str:
        return self.STATE_LABELS[self.state]

    @property
    def duration(self) -> dt.timedelta | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(self.ended_at - self.answered_at, dt.timedelta(0))

    @property
    def duration_s(self) -> int | None:
        duration = self.duration
        return int(duration.total_seconds()) if duration is not None else None

    @property
    def caller_display(self) -> str:
        """The contact's name, else the number; « Numéro masqué » when withheld."""
        if self.contact is not None:
            return self.contact.name
        return self.number_display

    @property
    def number_display(self) -> str:
        if self.from_number:
            return display_phone(self.from_number)
        return "Numéro masqué" if self.withheld else self.from_raw

    @property
    def withheld(self) -> bool:
        return not self.from_number and self.from_raw.strip().lower() in WITHHELD


# What PBXs send for a withheld caller id.
WITHHELD = {"", "anonymous", "unknown", "private", "restricted", "unavailable", "masqué"}
