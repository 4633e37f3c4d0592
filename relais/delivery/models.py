"""The outbox: one row per copy that leaves the building. The row is the truth."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from relais.core.models import BaseModel
from relais.tenancy.models import Permanence


def new_callback_token() -> str:
    return secrets.token_urlsafe(24)


class Delivery(BaseModel):
    EMAIL = "email"
    SMS = "sms"
    FAX = "fax"
    CHANNELS = [(EMAIL, "E-mail"), (SMS, "SMS"), (FAX, "Fax")]

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    STATUSES = [
        (QUEUED, "En attente"),
        (SENDING, "En cours d'envoi"),
        (SENT, "Envoyée"),
        (DELIVERED, "Remise"),
        (FAILED, "Échec"),
    ]

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        "messaging.Message", on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=5, choices=CHANNELS)
    to = models.CharField(max_length=254)
    to_name = models.CharField(max_length=160, blank=True)
    # Null for the client itself; the user for copy recipients and the circle.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A notice's copy (planning.Notice) goes to one of the client's contacts with its own
    # text, filled in for that contact (never empty: the text is what marks such a copy); the
    # message is then the notice's summary message.
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=80, blank=True)
    provider_id = models.CharField(max_length=120, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    callback_token = models.CharField(max_length=64, default=new_callback_token)
    # A previous attempt may have reached the provider (worker died mid-send, timeout after the
    # request left): before sending again the worker asks the backend whether it already has it.
    in_doubt = models.BooleanField(default=False)

    class Meta:
        verbose_name = "copie"
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=models.Q(status__in=["queued", "sending"]),
            ),
            # A thread's copies: the message foreign key's own index (a second one on the
            # same column only cost every write).
            # The rows of one claim, loaded by the worker right after it claimed them: only
            # the rows being sent are in it.
            models.Index(
                fields=["claimed_by"],
                name="delivery_claim",
                condition=models.Q(status="sending"),
            ),
            # The sender's "Copies en échec" count and list.
            models.Index(
                fields=["permanence", "-created_at"],
                name="delivery_failed",
                condition=models.Q(status="failed"),
            ),
            # Brevo's account-wide SMS webhook names a copy by its message id only.
            models.Index(
                fields=["permanence", "provider_id"],
                name="delivery_sms_provider_id",
                condition=models.Q(channel="sms") & ~models.Q(provider_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to}"


class OutboxCopy(BaseModel):
    """What would have left the building: the local outbox backend keeps every copy here, so a
    newcomer (or the demo) sees the e-mails, SMS and faxes without any provider configured."""

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    # The delivery it stands for; unique, so sending the same copy twice keeps one row.
    delivery_id = models.UUIDField(unique=True)
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=5, choices=Delivery.CHANNELS)
    to = models.CharField(max_length=254)
    to_name = models.CharField(max_length=160, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "copie de la boîte d'envoi"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["permanence", "-created_at"], name="outbox_perm_created")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to}"


class OutboxAttachment(models.Model):
    id = models.BigAutoField(primary_key=True)
    copy = models.ForeignKey(OutboxCopy, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    size = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.filename
