"""A client's planning: appointments, their types (motifs) and the journal of their movements."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from relais.core.models import BaseModel
from relais.tenancy.models import Permanence


class AppointmentType(BaseModel):
    """Type / motif of an appointment, per permanence, with the colour the planning shows it in.

    A type in use is never deleted: it is archived (is_active off) and old appointments keep it."""

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    name = models.CharField("motif", max_length=80)
    colour = models.CharField("couleur", max_length=7, default="#1d4ed8")
    duration = models.PositiveSmallIntegerField("durée par défaut (minutes)", default=15)
    position = models.PositiveIntegerField("ordre", default=0)
    is_active = models.BooleanField("proposé", default=True)

    class Meta:
        verbose_name = "motif de rendez-vous"
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["permanence", "name"], name="appttype_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Appointment(BaseModel):
    """A rendez-vous on a client's planning. Cancelled ones stay (the journal refers to them)."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    STATUSES = [(BOOKED, "Réservé"), (CANCELLED, "Annulé")]

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="appointments"
    )
    type = models.ForeignKey(
        AppointmentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "clients.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
    )
    date = models.DateField("date")
    start = models.TimeField("heure")
    duration = models.PositiveSmallIntegerField("durée (minutes)")
    note = models.TextField("note", blank=True, max_length=1000)
    status = models.CharField(max_length=10, choices=STATUSES, default=BOOKED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Moves with every change: the edit form sends it back, so a concurrent change is noticed.
    updated_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "rendez-vous"
        verbose_name_plural = "rendez-vous"
        ordering = ["date", "start"]
        indexes = [models.Index(fields=["client", "date", "start"], name="appt_client_day")]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.start:%H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.CANCELLED

    @property
    def end(self) -> dt.time:
        moment = dt.datetime.combine(self.date, self.start) + dt.timedelta(minutes=self.duration)
        return moment.time()

    @property
    def type_name(self) -> str:
        return self.type.name if self.type_id and self.type else "Rendez-vous"

    @property
    def colour(self) -> str:
        return self.type.colour if self.type_id and self.type else "#6b7280"


class Notice(BaseModel):
    """« Prévenir d'un retard / d'une absence »: who asked, which kind, which period, which text.

    Its copies are outbox rows (delivery.Delivery, one per contact, with its own text) attached
    to the summary message written on the client's file; its line in the journal of movements
    is a Movement of kind « notice »."""

    DELAY = "delay"
    ABSENCE = "absence"
    KINDS = [(DELAY, "Retard"), (ABSENCE, "Absence")]

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=KINDS)
    date = models.DateField()
    to_date = models.DateField()
    from_time = models.TimeField(null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    cancel_appointments = models.BooleanField(default=False)
    # The text as typed (with its placeholders); each copy carries its own filled-in text.
    text = models.TextField(max_length=1000)
    message = models.ForeignKey(
        "messaging.Message", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    recipient_count = models.PositiveIntegerField(default=0)
    to_call = models.JSONField(default=list, blank=True)
    cancelled = models.JSONField(default=list, blank=True)
    idempotency_key = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        verbose_name = "avis de retard ou d'absence"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="notice_idempotency",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%d/%m/%Y}"


class NoticeSettings(models.Model):
    """Per client: the default texts of a notice (empty: the permanence's wording) and whether
    the client's own users may send notices from the client portal."""

    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    delay_text = models.TextField("texte par défaut d'un retard", blank=True, max_length=1000)
    absence_text = models.TextField("texte par défaut d'une absence", blank=True, max_length=1000)
    client_may_notify = models.BooleanField("le client peut prévenir lui-même", default=True)

    class Meta:
        verbose_name = "réglages des avis aux patients"


class Movement(models.Model):
    """One line of a client's planning journal: who created, moved, changed or cancelled which
    appointment, or warned the patients of a delay or an absence (a notice, no appointment),
    when, and what changed. Written with the change, never edited afterwards: the texts are
    what was true at that moment."""

    CREATED = "created"
    MOVED = "moved"
    MODIFIED = "modified"
    CANCELLED = "cancelled"
    NOTICE = "notice"
    KINDS = [
        (CREATED, "Rendez-vous pris"),
        (MOVED, "Rendez-vous déplacé"),
        (MODIFIED, "Rendez-vous modifié"),
        (CANCELLED, "Rendez-vous annulé"),
        (NOTICE, "Patients prévenus"),
    ]

    # Sequential: lines written in the same instant keep their order. Never shown in a URL.
    id = models.BigAutoField(primary_key=True)
    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.CASCADE, related_name="movements"
    )
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="movements"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=KINDS)
    at = models.DateTimeField()
    # The appointment as it stands after the movement ("lun. 30/11/2026 10:00 · Consultation ·
    # Hélène Durand") and what changed ("Déplacé du 30/11 10:00 au 01/12 14:30").
    summary = models.CharField(max_length=300)
    detail = models.CharField(max_length=500, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "mouvement"
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["client", "at"], name="movement_client_at"),
            models.Index(fields=["appointment", "at"], name="movement_appointment"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.summary}"
