"""Live events, kept for an hour so that a stream reconnecting with Last-Event-ID gets what it
missed (relais.events)."""

from __future__ import annotations

from django.db import models


class Event(models.Model):
    """One event of a permanence. The id orders them and is the stream's `id:`.

    Who may receive it is decided per reader from these columns (relais.events.audience):
    `user_id` set means that user only; `staff_only` keeps it from client users; a message
    event is checked against the reader's visibility of `message_id`; `remark` says it is
    about a client remark (staff need the remarks right)."""

    id = models.BigAutoField(primary_key=True)
    permanence_id = models.UUIDField()
    kind = models.CharField(max_length=30)
    client_id = models.UUIDField(null=True, blank=True)
    message_id = models.UUIDField(null=True, blank=True)
    user_id = models.UUIDField(null=True, blank=True)
    staff_only = models.BooleanField(default=False)
    remark = models.BooleanField(default=False)
    data = models.JSONField(default=dict)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["permanence_id", "id"], name="event_perm_id"),
            models.Index(fields=["at"], name="event_at"),
        ]
