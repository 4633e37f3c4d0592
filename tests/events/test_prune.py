"""The replay window: events older than RELAIS_EVENTS_KEEP are deleted, newer ones kept."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from relais.events.models import Event
from relais.events.publish import events_prune
from tests.conftest import World


def test_it_prunes_the_events_past_the_replay_window(world: World):
    now = timezone.now()
    for minutes in (5, 59, 61, 600):
        Event.objects.create(
            permanence_id=world.perm_a.id,
            kind="message.created",
            at=now - dt.timedelta(minutes=minutes),
        )
    assert events_prune() == 2
    assert sorted(round((now - e.at).total_seconds() / 60) for e in Event.objects.all()) == [5, 59]
