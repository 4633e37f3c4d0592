"""Who read what (MessageRead), what happened to accounts and settings (AuditEvent), and how
long each kind of data is kept (DataPolicy, one per permanence)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from relais.tenancy.models import Permanence


class MessageRead(models.Model):
    """One read of a message's content. Written on the read path itself: one INSERT, no
    foreign-key check on the message (db_constraint=False), so an erased message keeps the
    trace of who read it until the trace's own period runs out."""

    PAGE = "page"
    API = "api"
    PDF = "pdf"
    REPORT = "report"
    OUTBOX = "outbox"
    LINK = "link"
    VIAS = [
        (PAGE, "Page du message"),
        (API, "API"),
        (PDF, "PDF joint"),
        (REPORT, "Rapport PDF"),
        (OUTBOX, "Boîte d'envoi"),
        (LINK, "Lien de la copie e-mail"),
    ]

    id = models.BigAutoField(primary_key=True)
    permanence = models.ForeignKey(
        Permanence, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    message = models.ForeignKey(
        "messaging.Message", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=8, choices=VIAS)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "consultation"
        indexes = [
            models.Index(fields=["message", "-at"], name="read_message_at"),
            models.Index(fields=["permanence", "user", "-at"], name="read_user_at"),
            models.Index(fields=["permanence", "at"], name="read_permanence_at"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.via} {self.at:%Y-%m-%d %H:%M}"


class AuditEvent(models.Model):
    """One line of the permanence's security trace."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    SESSION_EXPIRED = "session_expired"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    RIGHTS_CHANGED = "rights_changed"
    ROLE_CHANGED = "role_changed"
    SETTINGS_CHANGED = "settings_changed"
    MESSAGE_ERASED = "message_erased"
    EXPORTED = "exported"
    PURGED = "purged"
    TOTP_ENABLED = "totp_enabled"
    TOTP_DISABLED = "totp_disabled"
    TOTP_FAILED = "totp_failed"
    KINDS = [
        (LOGIN, "Connexion"),
        (LOGIN_FAILED, "Échec de connexion"),
        (LOGOUT, "Déconnexion"),
        (SESSION_EXPIRED, "Session expirée (inactivité)"),
        (TOKEN_CREATED, "Jeton d'API créé"),
        (TOKEN_REVOKED, "Jeton d'API révoqué"),
        (RIGHTS_CHANGED, "Droits d'un rôle modifiés"),
        (ROLE_CHANGED, "Rôle d'un compte modifié"),
        (SETTINGS_CHANGED, "Paramètres modifiés"),
        (MESSAGE_ERASED, "Message effacé sur demande"),
        (EXPORTED, "Export de données personnelles"),
        (PURGED, "Purge des données échues"),
        (TOTP_ENABLED, "Double authentification activée"),
        (TOTP_DISABLED, "Double authentification retirée"),
        (TOTP_FAILED, "Code de double authentification refusé"),
    ]
    KIND_LABELS = dict(KINDS)

    id = models.BigAutoField(primary_key=True)
    # Null for a failed login on an unknown e-mail: it belongs to no permanence.
    permanence = models.ForeignKey(
        Permanence, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=20, choices=KINDS)
    # What it is about, e.g. "message:<id>", "role:gerant", "token:<id>", "user:<id>".
    target = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "trace"
        indexes = [
            models.Index(fields=["permanence", "-at"], name="audit_permanence_at"),
            models.Index(fields=["permanence", "kind", "-at"], name="audit_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def kind_label(self) -> str:
        return self.KIND_LABELS.get(self.kind, self.kind)


class DataPolicy(models.Model):
    """A permanence's lifetimes (in days) and session rules. Missing row = the defaults
    (relais.audit.policy.DEFAULTS)."""

    permanence = models.OneToOneField(
        Permanence, on_delete=models.CASCADE, primary_key=True, related_name="data_policy"
    )
    messages_days = models.PositiveIntegerField()
    outbox_days = models.PositiveIntegerField()
    calls_days = models.PositiveIntegerField()
    history_days = models.PositiveIntegerField()
    traces_days = models.PositiveIntegerField()
    session_idle_minutes = models.PositiveIntegerField()
    totp_required = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "durées de conservation"

    def __str__(self) -> str:
        return f"policy {self.permanence_id}"


class PurgeRun(models.Model):
    """One daily purge: claimed by one worker (started_at), done when finished_at is set. A
    worker killed halfway leaves it unfinished; after PURGE_LEASE another one runs it again
    (each batch is its own transaction, so the run picks up where it stopped)."""

    day = models.DateField(primary_key=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    removed = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"purge {self.day}"
