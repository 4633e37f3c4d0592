"""Messages written on a client's file by an action rather than typed: the summary of a notice
(« Retard de 40 min signalé à 9 patients »). The rows are built here, not saved: the action
inserts them with its own rows, in one round trip (relais.core.bulk), so the message and what
it summarises are written together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from relais.clients.models import Client
from relais.messaging.models import HistoryEvent, Message, ReadState
from relais.tenancy.models import User

SUBJECT_MAX = 200
BODY_MAX = 20000


@dataclass
class SummaryRows:
    message: Message
    read: ReadState
    created: HistoryEvent

    def queued(self, detail: str) -> HistoryEvent:
        """The thread's « Copie en attente d'envoi » line of one copy."""
        return HistoryEvent(
            message=self.message,
            actor=self.message.author,
            kind=HistoryEvent.COPY_QUEUED,
            detail=detail[:300],
            at=self.message.last_activity_at,
        )


def summary_message_build(
    *, author: User, client: Client, subject: str, body: str, at: dt.datetime
) -> SummaryRows:
    """A plain message (not private, not a task) on the client's file, visible to the client
    like any other, read by its author; with its « Message créé » history line."""
    message = Message(
        permanence_id=client.permanence_id,
        client=client,
        author=author,
        subject=subject[:SUBJECT_MAX],
        body=body[:BODY_MAX],
        status=Message.STATUS_NORMAL,
        last_activity_at=at,
    )
    return SummaryRows(
        message=message,
        read=ReadState(message=message, user=author, read_at=at),
        created=HistoryEvent(message=message, actor=author, kind=HistoryEvent.CREATED, at=at),
    )
