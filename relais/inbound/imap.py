"""The IMAP mailbox the worker reads (settings RELAIS_IMAP_*).

Each e-mail is taken in, committed, and only then moved to the done folder. A process that
dies in between leaves it in the inbox; the next pass takes it in again, and the service's
de-duplication (its Message-ID) makes that a no-op before the move: nothing is read twice,
nothing is lost.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from imap_tools import AND, MailBox, MailBoxUnencrypted
from imap_tools.errors import MailboxFolderCreateError

from relais.inbound.mime import MalformedMail
from relais.inbound.models import InboundItem
from relais.inbound.services import email_ingest

logger = logging.getLogger(__name__)
BATCH = 50


@dataclass
class PollStats:
    taken: int = 0
    unreadable: int = 0


def imap_configured() -> bool:
    return bool(settings.RELAIS_IMAP_HOST)


def _mailbox() -> MailBox | MailBoxUnencrypted:
    cls = MailBox if settings.RELAIS_IMAP_SSL else MailBoxUnencrypted
    return cls(settings.RELAIS_IMAP_HOST, port=settings.RELAIS_IMAP_PORT, timeout=30)


def imap_poll(*, limit: int = 500) -> PollStats:
    """Takes in what waits in the mailbox (up to `limit` e-mails), then returns."""
    stats = PollStats()
    done = settings.RELAIS_IMAP_DONE_FOLDER
    with _mailbox().login(
        settings.RELAIS_IMAP_USER, settings.RELAIS_IMAP_PASSWORD, settings.RELAIS_IMAP_FOLDER
    ) as box:
        if not box.folder.exists(done):
            # Created meanwhile by another worker: fine.
            with contextlib.suppress(MailboxFolderCreateError):
                box.folder.create(done)
        while stats.taken + stats.unreadable < limit:
            uids = box.uids(AND(all=True))[:BATCH]
            if not uids:
                break
            moved: list[str] = []
            for msg in box.fetch(AND(uid=uids), mark_seen=False, bulk=True):
                raw = msg.obj.as_bytes()
                try:
                    email_ingest(raw=raw, source=InboundItem.IMAP)
                    stats.taken += 1
                except MalformedMail:
                    stats.unreadable += 1
                except Exception:
                    logger.exception("Inbound e-mail %s could not be taken in", msg.uid)
                    stats.unreadable += 1
                if msg.uid:
                    moved.append(msg.uid)
            if moved:
                box.move(moved, done)
    return stats


class ImapSchedule:
    """The worker asks it on every loop; it polls once every RELAIS_IMAP_INTERVAL seconds."""

    def __init__(self) -> None:
        self.next_at = 0.0

    def tick(self) -> PollStats | None:
        if not imap_configured() or time.monotonic() < self.next_at:
            return None
        self.next_at = time.monotonic() + settings.RELAIS_IMAP_INTERVAL
        try:
            return imap_poll()
        except Exception:
            logger.exception(
                "IMAP mailbox unreachable; next try in %s s", settings.RELAIS_IMAP_INTERVAL
            )
            return None
