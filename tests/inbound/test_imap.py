"""The worker reads the permanence's IMAP mailbox (a real dovecot on 127.0.0.1): what it took
in moves to the done folder, nothing is taken twice, nothing is lost if it dies halfway."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from relais.inbound import imap as imap_module
from relais.inbound.imap import ImapSchedule, imap_poll
from relais.inbound.models import InboundItem
from relais.messaging.models import Reply
from tests.conftest import World
from tests.inbound.conftest import answer, imap_append, imap_count, send, sent_copy
from tests.inbound.samples import vacation_reply

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_takes_a_reply_in_from_the_mailbox_and_moves_it(
    world: World, smtp_settings: Any, imap: Any
):
    message = send(world.operateur_a, world.client_a, copy_email=True, subject="Résultats labo")
    _, received = sent_copy(smtp_settings, message, world.client_a.email)
    imap_append(
        imap,
        answer(
            received,
            sender=world.client_a.email,
            attachments=[("analyse.pdf", "application/pdf", b"%PDF-1.4 analyse")],
        ),
    )
    imap_append(
        imap,
        vacation_reply(
            to=str(received["Reply-To"]),
            sender=world.client_a.email,
            in_reply_to=str(received["Message-ID"]),
        ),
    )

    stats = imap_poll()

    assert stats.taken == 2
    (reply,) = Reply.objects.filter(message=message)
    assert reply.body == "Je la rappelle demain matin."
    assert [a.name for a in reply.attachments.all()] == ["analyse.pdf"]
    assert InboundItem.objects.get(reply=reply).source == InboundItem.IMAP
    assert imap_count(imap, "INBOX") == 0
    assert imap_count(imap, "Relais-traites") == 2
    # A second pass finds nothing new.
    assert imap_poll().taken == 0
    assert Reply.objects.count() == 1


def test_a_reply_taken_in_both_ways_is_one_reply(world: World, smtp_settings: Any, imap: Any):
    from django.test import Client as HttpClient

    from tests.inbound.conftest import inbound_token

    message = send(world.operateur_a, world.client_a, copy_email=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)
    raw = answer(received, sender=world.client_a.email)
    HttpClient().post(
        f"/api/v1/inbound/email/{inbound_token(world.perm_a)}",
        data=raw,
        content_type="message/rfc822",
    )
    imap_append(imap, raw)

    imap_poll()

    assert Reply.objects.filter(message=message).count() == 1
    assert imap_count(imap, "INBOX") == 0


def test_a_worker_dying_before_the_move_loses_nothing_and_doubles_nothing(
    world: World, smtp_settings: Any, imap: Any
):
    message = send(world.operateur_a, world.client_a, copy_email=True)
    _, received = sent_copy(smtp_settings, message, world.client_a.email)
    imap_append(imap, answer(received, sender=world.client_a.email))

    # Taken in and committed, then the process dies before moving it.
    with (
        mock.patch.object(imap_module.MailBoxUnencrypted, "move", side_effect=SystemExit),
        pytest.raises(SystemExit),
    ):
        imap_poll()
    assert Reply.objects.filter(message=message).count() == 1
    assert imap_count(imap, "INBOX") == 1

    imap_poll()

    assert Reply.objects.filter(message=message).count() == 1
    assert imap_count(imap, "INBOX") == 0
    assert imap_count(imap, "Relais-traites") == 1


def test_the_schedule_polls_once_a_minute_and_survives_a_dead_server(
    world: World, settings: Any, imap: Any
):
    schedule = ImapSchedule()
    assert schedule.tick() is not None
    assert schedule.tick() is None  # not yet a minute
    settings.RELAIS_IMAP_PORT = 1  # nothing listens there
    schedule.next_at = 0
    assert schedule.tick() is None  # logged, not raised
