"""Everything taken in, as it came: an e-mail or an SMS, what it became, and the original."""

from __future__ import annotations

from django.db import models

from relais.core.models import BaseModel
from relais.tenancy.models import Permanence


def raw_path(instance: InboundItem, filename: str) -> str:
    return f"inbound/{instance.permanence_id}/{instance.id}.eml"


class InboundItem(BaseModel):
    """One e-mail or SMS received. `result` says what it became: a reply in a thread, an
    acknowledgement, held in « Réponses à vérifier » (then attached or discarded), an
    auto-reply or a bounce (recorded, never a reply)."""

    EMAIL = "email"
    SMS = "sms"
    CHANNELS = [(EMAIL, "E-mail"), (SMS, "SMS")]

    REPLY = "reply"
    ACK = "ack"
    HELD = "held"
    IGNORED = "ignored"
    BOUNCE = "bounce"
    DISCARDED = "discarded"
    RESULTS = [
        (REPLY, "Réponse rattachée"),
        (ACK, "Prise en compte"),
        (HELD, "À vérifier"),
        (IGNORED, "Réponse automatique"),
        (BOUNCE, "Avis de non-remise"),
        (DISCARDED, "Écartée"),
    ]

    IMAP = "imap"
    RAW = "raw"
    PROVIDER = "provider"
    WEBHOOK = "webhook"
    SOURCES = [
        (IMAP, "Boîte IMAP"),
        (RAW, "Serveur de messagerie"),
        (PROVIDER, "Fournisseur"),
        (WEBHOOK, "Webhook SMS"),
    ]

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=5, choices=CHANNELS)
    source = models.CharField(max_length=10, choices=SOURCES)
    # The sender's Message-ID (or a digest of the bytes): the same e-mail taken in twice,
    # through two ways in or after a crash, is one item.
    dedupe_key = models.CharField(max_length=255)
    sender = models.CharField(max_length=254)
    sender_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    original = models.TextField(blank=True)
    raw = models.FileField(upload_to=raw_path, max_length=200, blank=True)
    result = models.CharField(max_length=10, choices=RESULTS)
    note = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply = models.OneToOneField(
        "messaging.Reply",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_item",
    )
    handled_by = models.ForeignKey(
        "tenancy.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "réponse reçue"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["permanence", "dedupe_key"], name="inbound_once")
        ]
        indexes = [
            models.Index(
                fields=["permanence", "-created_at"],
                name="inbound_held",
                condition=models.Q(result="held"),
            )
        ]
