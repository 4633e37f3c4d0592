"""Messages (threads), their recipients, per-user read state, replies, history and templates."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from relais.core.models import BaseModel
from relais.tenancy.models import Permanence


class MessageTemplate(BaseModel):
    """Modèle de messages: pre-written subject and body, with the options it ticks."""

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    name = models.CharField("nom", max_length=120)
    subject = models.CharField("sujet", max_length=200, blank=True)
    body = models.TextField("message", blank=True, max_length=20000)
    consigne = models.TextField("consigne", blank=True, max_length=1000)
    auto_vad = models.BooleanField("cocher VAD automatiquement", default=False)
    auto_circle = models.BooleanField(
        "cocher « Copie cercle compagnie » automatiquement", default=False
    )
    # Empty: available to every client of the permanence.
    clients = models.ManyToManyField("clients.Client", blank=True, related_name="templates")

    class Meta:
        verbose_name = "modèle de message"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Message(BaseModel):
    """A thread on a client's file."""

    STATUS_NORMAL = "normal"
    STATUS_TODO = "todo"
    STATUS_DONE = "done"
    STATUSES = [
        (STATUS_NORMAL, "Message"),
        (STATUS_TODO, "Tâche à faire"),
        (STATUS_DONE, "Tâche faite"),
    ]

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_written"
    )
    subject = models.CharField("sujet", max_length=200)
    body = models.TextField("message", max_length=20000)
    status = models.CharField(max_length=10, choices=STATUSES, default=STATUS_NORMAL)
    due_date = models.DateField("à faire le", null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    is_urgent = models.BooleanField("urgent", default=False)
    is_private = models.BooleanField("privé", default=False)
    is_vad = models.BooleanField("VAD", default=False)
    is_client_remark = models.BooleanField("remarque client", default=False)
    contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    template = models.ForeignKey(
        MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    copy_circle = models.BooleanField("copie cercle compagnie", default=False)
    copy_email = models.BooleanField(default=False)
    copy_sms = models.BooleanField(default=False)
    copy_fax = models.BooleanField(default=False)
    attach = models.JSONField(null=True, blank=True)
    # Moves with every reply: the inbox is sorted on it.
    last_activity_at = models.DateTimeField()
    reply_count = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=120, blank=True, default="")
    # The call it was written during (a screen pop's composer, or the API's "call").
    call = models.ForeignKey(
        "calls.Call",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        db_index=False,
    )

    class Meta:
        verbose_name = "message"
        ordering = ["-last_activity_at"]
        indexes = [
            models.Index(fields=["client", "-last_activity_at"], name="msg_client_activity"),
            # Open tasks by day and the filters of "Suivi des tâches"; the remark flag is in the
            # index so excluding remarks (every operator's view) needs no table read.
            models.Index(
                fields=["permanence", "due_date", "is_client_remark", "is_vad", "is_urgent"],
                name="msg_open_tasks",
                condition=models.Q(status="todo"),
            ),
            models.Index(
                fields=["permanence", "-last_activity_at", "-id"],
                name="msg_open_activity",
                condition=models.Q(status="todo"),
            ),
            models.Index(
                fields=["permanence", "-last_activity_at", "-id", "is_client_remark"],
                name="msg_urgent_open",
                condition=models.Q(is_urgent=True, status__in=["normal", "todo"]),
            ),
            # Search across the permanence, newest first (relais.messaging.search): a common
            # word's first page is read in this order, a rare one from the GIN index.
            models.Index(
                fields=["permanence", "-last_activity_at", "-id"], name="msg_perm_activity"
            ),
            models.Index(fields=["call"], name="msg_call", condition=models.Q(call__isnull=False)),
            models.Index(
                fields=["permanence", "-created_at"],
                name="msg_remarks",
                condition=models.Q(is_client_remark=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="msg_idempotency",
            )
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_task(self) -> bool:
        return self.status == self.STATUS_TODO

    @property
    def is_day_task(self) -> bool:
        return self.status == self.STATUS_TODO and self.due_date is not None


class Recipient(models.Model):
    """A user who receives the thread besides the client: a copy recipient or the circle."""

    CC = "cc"
    CIRCLE = "circle"

    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="copies_received"
    )
    reason = models.CharField(max_length=10, choices=[(CC, "Copie"), (CIRCLE, "Cercle")])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="recipient_unique")]
        indexes = [models.Index(fields=["user", "message"], name="recipient_user")]


class ReadState(models.Model):
    """That user has read that thread (up to its latest activity at read time)."""

    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "message"], name="read_unique")]


class UrgentCursor(models.Model):
    """Where a staff user's unread-urgent count starts reading (relais.messaging.urgent).

    Every urgent open message the user may see whose last activity is at or before `through`
    is read by the user, or listed in its UrgentException rows. `sees_remarks` is the
    visibility the cursor was built for (a change of rights starts it again)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    sees_remarks = models.BooleanField(default=False)
    through = models.DateTimeField()


class UrgentException(models.Model):
    """An urgent open message at or before the user's cursor that the user had not read when
    the cursor passed it."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "message"], name="urgent_exception_unique")
        ]


class Reply(BaseModel):
    """A reply in a thread: written in the pages or the API by a user, or taken in from an
    e-mail or SMS answering a copy (`via`), then by a user, a contact or the client's own
    address (`sender_name` says who when there is no user)."""

    PAGE = ""
    EMAIL = "email"
    SMS = "sms"
    VIAS = [(PAGE, "Relais"), (EMAIL, "par e-mail"), (SMS, "par SMS")]

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="replies")
    # Null for a reply taken in from someone who has no login (a contact, the client's address).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(max_length=20000)
    via = models.CharField(max_length=5, choices=VIAS, default=PAGE, blank=True)
    sender_contact = models.ForeignKey(
        "clients.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_name = models.CharField(max_length=254, blank=True)
    # What was dropped on the way in (an attachment too large…), shown under the reply.
    note = models.CharField(max_length=300, blank=True)

    @property
    def sender_label(self) -> str:
        if self.author_id is not None and self.author is not None:
            return self.author.name
        if self.sender_contact_id is not None and self.sender_contact is not None:
            return self.sender_contact.name
        return self.sender_name

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["message", "created_at"], name="reply_message")]


def reply_attachment_path(instance: ReplyAttachment, filename: str) -> str:
    # The name the sender gave is only shown, never used as a path.
    return f"replies/{instance.reply.message.permanence_id}/{instance.id}"


class ReplyAttachment(BaseModel):
    """A file that came with a reply taken in by e-mail; served only to readers of the thread."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to=reply_attachment_path, max_length=200)

    class Meta:
        ordering = ["created_at", "name"]


class HistoryEvent(models.Model):
    """One line of a thread's history: who did what, when."""

    CREATED = "created"
    READ = "read"
    UNREAD = "unread"
    REPLIED = "replied"
    TASK_TODO = "task_todo"
    TASK_DONE = "task_done"
    TASK_CANCEL = "task_cancel"
    COPY_QUEUED = "copy_queued"
    COPY_SENT = "copy_sent"
    COPY_DELIVERED = "copy_delivered"
    COPY_FAILED = "copy_failed"
    COPY_RETRY = "copy_retry"
    ACKNOWLEDGED = "acknowledged"
    ESCALATION_STEP = "escalation_step"
    ESCALATION_ALERT = "escalation_alert"
    ESCALATION_STOP = "escalation_stop"
    AUTO_REPLY = "auto_reply"
    KINDS = [
        (CREATED, "Message créé"),
        (READ, "Lu"),
        (UNREAD, "Marqué non lu"),
        (REPLIED, "Réponse"),
        (TASK_TODO, "Passé en tâche à faire"),
        (TASK_DONE, "Passé à tâche faite"),
        (TASK_CANCEL, "Tâche annulée"),
        (COPY_QUEUED, "Copie en attente d'envoi"),
        (COPY_SENT, "Copie envoyée"),
        (COPY_DELIVERED, "Copie remise"),
        (COPY_FAILED, "Échec de la copie"),
        (COPY_RETRY, "Nouvel essai prévu"),
        (ACKNOWLEDGED, "Pris en compte"),
        (ESCALATION_STEP, "Relance (escalade)"),
        (ESCALATION_ALERT, "Urgence non prise en compte — appeler"),
        (ESCALATION_STOP, "Escalade arrêtée"),
        (AUTO_REPLY, "Réponse automatique reçue"),
    ]

    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=KINDS)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["message", "at"], name="history_message")]


class InputPhrase(BaseModel):
    """Aide à la saisie: a predefined phrase an operator inserts into a message body."""

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    text = models.CharField("phrase", max_length=300)
    position = models.PositiveIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "phrase d'aide à la saisie"
        ordering = ["position", "text"]
        indexes = [models.Index(fields=["permanence", "position"], name="phrase_perm_position")]

    def __str__(self) -> str:
        return self.text


class Banner(BaseModel):
    """Bandeau message: a short text at the top of a staff page, set and removed by a gérant."""

    HOME = "home"
    SUPERVISION = "supervision"
    PLACES = [(HOME, "Page d'accueil"), (SUPERVISION, "Supervision")]
    TEXT_MAX = 200

    permanence = models.ForeignKey(Permanence, on_delete=models.CASCADE, related_name="+")
    text = models.CharField("texte", max_length=TEXT_MAX)
    place = models.CharField("affiché sur", max_length=20, choices=PLACES, default=HOME)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "bandeau message"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["permanence", "-created_at"], name="banner_perm_created")]

    def __str__(self) -> str:
        return self.text
