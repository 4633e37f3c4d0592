"""The delivery worker: claim copies, send them, record what happened. The row is the truth.

Copies are claimed a chunk at a time by one conditional UPDATE (queued and due, or held by a
worker whose lease has run out; on PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED,
so two workers never wait on nor take the same row), their content is loaded in one query, and
each outcome is committed right after its send, in one statement on PostgreSQL: two workers
never send the same copy, and a worker that dies leaves at most one copy whose fate is unknown
(the one it was sending). Its other claimed copies, and that one, are taken back after the
lease; the worker then asks the provider first whether it already has them (Backend.lookup),
and e-mails keep their Message-ID.

Both entry points share that claim: `deliver_ids` (the queued task's wake-up, ids only) and
`deliver_due` (the sweep: lost wake-ups, retries whose time has come, dead workers' copies).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import socket
import threading
import uuid
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from relais.core.queries import PreparedInstances
from relais.delivery.backends import BackendPool
from relais.delivery.backends.base import DeliveryError, SendResult, temporary
from relais.delivery.content import ContentCache, build_copy
from relais.delivery.models import Delivery
from relais.messaging.models import HistoryEvent

logger = logging.getLogger("relais.delivery")

WORKER_NAME = f"{socket.gethostname()[:40]}:{os.getpid()}"
_claims = itertools.count(1)
BATCH = 100
# Copies claimed by one UPDATE. Small: a worker that dies leaves these waiting for the lease.
CLAIM_CHUNK = 20


@dataclass
class Stats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    sent_ids: set[uuid.UUID] = field(default_factory=set)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed

    def __iadd__(self, other: Stats) -> Stats:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.sent_ids |= other.sent_ids
        return self


_local = threading.local()


@contextmanager
def worker_session() -> Iterator[BackendPool]:
    """Keeps the channel backends open across batches (one SMTP session for many wake-ups) in
    a long-running worker; the caller closes idle connections with pool.close()."""
    pool = BackendPool()
    _local.pool = pool
    try:
        yield pool
    finally:
        _local.pool = None
        pool.close()


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.RELAIS_DELIVERY_LEASE)


def claimable(now: dt.datetime) -> Q:
    """Rows a worker may take now: queued and due, or held past the lease by a dead worker."""
    return Q(status=Delivery.QUEUED, next_attempt_at__lte=now) | Q(
        status=Delivery.SENDING, claimed_at__lt=now - lease()
    )


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 2 min, 8 min, 32 min, then the cap (1 h) with the default settings."""
    base = settings.RELAIS_DELIVERY_BACKOFF_BASE
    seconds = min(base * 4 ** max(attempts - 1, 0), settings.RELAIS_DELIVERY_BACKOFF_MAX)
    return dt.timedelta(seconds=seconds)


def _valid_ids(ids: Iterable[object]) -> list[uuid.UUID]:
    out = []
    for raw in ids:
        try:
            out.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    return out


def deliver_ids(ids: Iterable[object]) -> int:
    """The task's body: send those copies if they are still due (and what else is due, see
    deliver_ids_stats). Returns how many of its own copies were sent."""
    wanted = _valid_ids(ids)
    return len(deliver_ids_stats(wanted).sent_ids.intersection(wanted))


def deliver_ids_stats(ids: Iterable[object], *, drain: int = BATCH) -> Stats:
    """Sends those copies if they are still due, then up to `drain` other queued copies that are
    due: a backlog goes out through whichever wake-up runs first, and the wake-ups queued
    behind it find their copies sent. Stats of all."""
    wanted = _valid_ids(ids)
    if not wanted:
        return Stats()
    sources = [(Delivery.objects.filter(id__in=wanted), len(wanted))]
    if drain > 0:
        sources.append((Delivery.objects.filter(status=Delivery.QUEUED), drain))
    return _deliver(*sources)


def deliver_due(*, limit: int = BATCH, grace: float | None = None) -> Stats:
    """The sweep: retries whose time has come, copies held past the lease by a dead worker, and
    fresh copies still queued `grace` seconds after they were due (their wake-up was lost)."""
    # Imported here: escalation sits above delivery (its services enqueue through
    # relais.delivery.services, which reaches this module): a top import would be a cycle.
    from relais.escalation.services import escalation_take_due

    escalation_take_due()  # escalation steps due: their copies join the outbox (issue 14)
    now = timezone.now()
    grace = settings.RELAIS_DELIVERY_SWEEP_GRACE if grace is None else grace
    lost_after = now - dt.timedelta(seconds=grace)
    rows = Delivery.objects.filter(
        Q(status=Delivery.QUEUED, attempts__gt=0, next_attempt_at__lte=now)
        | Q(status=Delivery.QUEUED, next_attempt_at__lte=lost_after)
        | Q(status=Delivery.SENDING, claimed_at__lt=now - lease())
    )
    return _deliver((rows, limit))


def _deliver(*sources: tuple[QuerySet[Delivery], int]) -> Stats:
    """Claims up to `limit` of each `rows` (in turn), a chunk at a time, and sends them one by
    one."""
    stats = Stats()
    session: BackendPool | None = getattr(_local, "pool", None)
    pool = session or BackendPool()
    cache = ContentCache()
    down: set[str] = set()
    # Due as of the start of the pass: what falls due meanwhile goes with the next one.
    due_at = timezone.now()
    chosen: dict[tuple[int, int, frozenset[str]], tuple[str, tuple[Any, ...]]] = {}
    try:
        for source, (rows, limit) in enumerate(sources):
            while limit > 0:
                want = min(CLAIM_CHUNK, limit)
                key = (source, want, frozenset(down))
                if key not in chosen:
                    # Compiled once per pass and shape, not once per chunk.
                    pending = rows.exclude(channel__in=down) if down else rows
                    chosen[key] = _choose(pending, want, due_at)
                claim, won = _claim_chosen(*chosen[key])
                limit -= len(won)
                if _send_chunk(claim, won, pool, cache, down, stats):
                    return stats  # the claim got old: the next pass takes the rest
                if len(won) < want:
                    break  # nothing more of these is claimable now
    finally:
        if session is None:
            pool.close()
    return stats


def _send_chunk(
    claim: str,
    won: list[Delivery],
    pool: BackendPool,
    cache: ContentCache,
    down: set[str],
    stats: Stats,
) -> bool:
    """Sends the copies of one claim, one by one, each outcome recorded before the next send.
    True when the claim got too old to go on (see _lease_half_gone)."""
    released: list[Delivery] = []
    stale = False
    for delivery in won:
        stale = stale or _lease_half_gone(delivery)
        if stale or delivery.channel in down:
            # This claim is getting old (a slow provider), or the provider is unreachable:
            # hand the rest back untried for the next pass.
            released.append(delivery)
            continue
        outcome = _send_one(delivery, claim, pool, cache)
        if outcome is None:
            stats.sent += 1
            stats.sent_ids.add(delivery.id)
            continue
        if outcome.backend_down:
            down.add(delivery.channel)
        if _record_failure(delivery, claim, outcome):
            stats.failed += 1
        else:
            stats.retried += 1
    if released:
        _release(released, claim)
        stats.skipped += len(released)
    return stale


def _lease_half_gone(delivery: Delivery) -> bool:
    """A copy is sent only while its claim is younger than half the lease: a worker stuck
    behind a slow provider never sends a copy another worker may be taking back."""
    claimed_at = delivery.claimed_at
    return claimed_at is not None and timezone.now() - claimed_at > lease() / 2


def _relaxed_commit() -> None:
    """On PostgreSQL, this transaction's commit does not wait for the disk. Used for outcome
    records only: a worker that dies loses nothing (the server has the commit); a database
    server that crashes may forget the last fraction of a second of them, and those copies are
    then taken back as in doubt. Claims keep the full guarantee."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


_TABLE = Delivery._meta.db_table
_SQL_CLAIM = (
    "{prefix}"
    f"UPDATE {_TABLE} SET status = %s, claimed_at = %s, claimed_by = %s, "
    "attempts = attempts + 1, "
    # Taking a row back from a dead worker: its send may have gone through.
    "in_doubt = CASE WHEN status = %s THEN %s ELSE in_doubt END "
    "WHERE id IN ({chosen}) "
    # Still claimable: checked again on the row being written, whatever the plan.
    "AND ((status = %s AND next_attempt_at <= %s) OR (status = %s AND claimed_at < %s))"
)


def _choose(
    rows: QuerySet[Delivery], size: int, due_at: dt.datetime
) -> tuple[str, tuple[Any, ...]]:
    """The SELECT of the ids to claim: up to `size` of `rows` claimable at `due_at`, oldest due
    first."""
    chosen = rows.filter(claimable(due_at)).order_by("next_attempt_at").values("pk")[:size]
    sql, params = chosen.query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


def _claim(rows: QuerySet[Delivery], size: int) -> tuple[str, list[Delivery]]:
    """Takes up to `size` of `rows` that are claimable now. Returns the claim and the rows won
    (loaded with their content), oldest due first."""
    return _claim_chosen(*_choose(rows, size, timezone.now()))


def _claim_chosen(chosen_sql: str, chosen_params: tuple[Any, ...]) -> tuple[str, list[Delivery]]:
    """One conditional UPDATE claims the chosen rows; one query loads them with their content."""
    now = timezone.now()
    claim = f"{WORKER_NAME}:{next(_claims)}"
    if connection.features.has_select_for_update_skip_locked:
        # PostgreSQL. Rows another worker is claiming right now are passed over, not waited
        # for; a row changed since this statement began is checked again before it is locked.
        # MATERIALIZED: the choice is made once. As a plain subquery the planner may run it
        # again for the outer rows, and a second run (other rows skipped, ties ordered
        # otherwise) would claim more than asked.
        prefix = f"WITH chosen AS MATERIALIZED ({chosen_sql} FOR UPDATE SKIP LOCKED) "
        sql = _SQL_CLAIM.format(prefix=prefix, chosen="SELECT pk FROM chosen")
    else:
        # SQLite: one writer at a time, the statement runs alone.
        sql = _SQL_CLAIM.format(prefix="", chosen=chosen_sql)
    at = connection.ops.adapt_datetimefield_value(now)
    expired = connection.ops.adapt_datetimefield_value(now - lease())
    claimed = [Delivery.SENDING, at, claim, Delivery.SENDING, True]
    recheck = [Delivery.QUEUED, at, Delivery.SENDING, expired]
    if connection.features.has_select_for_update_skip_locked:
        params = [*chosen_params, *claimed, *recheck]
    else:
        params = [*claimed, *chosen_params, *recheck]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not cursor.rowcount:
            return claim, []
    return claim, _claimed_rows(claim)


# What the content of a copy needs (content.build_copy), loaded with the claimed rows.
_CONTENT = (
    "message__permanence",
    "message__client",
    "message__author",
    "message__contact",
    "ack_request",  # the personal « Pris en compte » link, when the copy asks for one
)
_CLAIM_MARK = "relais-claim-to-load"
_loaders: weakref.WeakKeyDictionary[Any, PreparedInstances] = weakref.WeakKeyDictionary()


def _claimed_rows(claim: str) -> list[Delivery]:
    """The rows of a claim, with their messages, permanences, clients, authors and contacts.
    By the claim's name (the index delivery_claim holds the rows being sent only)."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's connection (`connection` proxies it)
    loader = _loaders.get(wrapper)
    if loader is None:
        queryset = (
            Delivery.objects.filter(status=Delivery.SENDING, claimed_by=_CLAIM_MARK)
            .select_related(*_CONTENT)
            .order_by("next_attempt_at", "created_at")
        )
        loader = _loaders[wrapper] = PreparedInstances(queryset, _CLAIM_MARK)
    rows: list[Delivery] = loader.run(claim)
    # The copy recipient matters for the « Joindre » report only: loaded for those, at once.
    wanted = {d.recipient_id for d in rows if d.recipient_id and d.message.attach}
    if wanted:
        users = get_user_model().objects.in_bulk(wanted)
        for delivery in rows:
            if delivery.recipient_id in users:
                delivery.recipient = users[delivery.recipient_id]
    return rows


def _release(deliveries: list[Delivery], claim: str) -> None:
    """Gives untried copies back, as they were (their attempt is not counted)."""
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], status=Delivery.SENDING, claimed_by=claim
    ).update(status=Delivery.QUEUED, claimed_at=None, attempts=F("attempts") - 1)


def _send_one(
    delivery: Delivery, claim: str, pool: BackendPool, cache: ContentCache
) -> DeliveryError | None:
    try:
        copy = build_copy(delivery, cache)
        backend = pool.get(delivery.channel)
        result: SendResult | None = None
        if delivery.in_doubt:
            result = backend.lookup(copy)
            if result is not None:
                logger.info("delivery %s was already with the provider", delivery.id)
        if result is None:
            result = backend.send(copy)
    except DeliveryError as exc:
        return exc
    except Exception as exc:
        logger.exception("delivery %s: unexpected error", delivery.id)
        return temporary(f"Erreur inattendue ({type(exc).__name__} : {exc})."[:300])
    _record_sent(delivery, claim, result)
    return None


def _label(delivery: Delivery) -> str:
    return f"{delivery.get_channel_display()} → {delivery.to}"


def _history(delivery: Delivery, kind: str, detail: str, at: dt.datetime) -> None:
    HistoryEvent.objects.create(
        message_id=delivery.message_id, actor=None, kind=kind, detail=detail[:300], at=at
    )


def _record_sent(delivery: Delivery, claim: str, result: SendResult) -> None:
    """The sent status and its history line, committed together right after the send.

    On PostgreSQL one statement does it all (its own transaction, with the relaxed commit of
    _relaxed_commit set inside it): one round trip per copy. Elsewhere, two statements in one
    transaction. Written in SQL: this runs once per copy on the hot path, and building the
    statements through the ORM cost four times the time of running them."""
    now = timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    delivery_pk = _DELIVERY_PK.get_db_prep_value(delivery.pk, connection)
    message_pk = _HISTORY_MESSAGE.get_db_prep_value(delivery.message_id, connection)
    sent = [Delivery.SENT, at, result.provider_id, False, delivery_pk, Delivery.SENDING, claim]
    history = [message_pk, HistoryEvent.COPY_SENT, _label(delivery)[:300], at]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_SQL_SENT_PG, [*sent, *history])
            row = cursor.fetchone()
        updated = row[0] if row else 0
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_SQL_SENT, sent)
            updated = cursor.rowcount
            cursor.execute(_SQL_HISTORY, history)
    if not updated:
        # A delivery receipt came first (or the lease ran out): keep its status.
        Delivery.objects.filter(pk=delivery.pk, sent_at__isnull=True).update(
            sent_at=now, provider_id=result.provider_id
        )
    delivery.status = Delivery.SENT


_DELIVERY_PK = Delivery._meta.get_field("id")
_HISTORY_MESSAGE = HistoryEvent._meta.get_field("message")
_SQL_SENT = (
    f"UPDATE {_TABLE} SET status = %s, sent_at = %s, provider_id = %s, "
    "last_error = '', claimed_at = NULL, in_doubt = %s "
    "WHERE id = %s AND status = %s AND claimed_by = %s"
)
_SQL_HISTORY = (
    f"INSERT INTO {HistoryEvent._meta.db_table} (message_id, actor_id, kind, detail, at) "
    "VALUES (%s, NULL, %s, %s, %s)"
)
# The same two writes as one PostgreSQL statement. set_config(…, true) is local to the
# statement's own transaction: its commit does not wait for the disk (see _relaxed_commit), the
# session's setting is untouched. The history line is written even when the status was not
# (a receipt came first), like the two-statement form; the result says how many rows changed.
_SQL_SENT_PG = (
    "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)), "
    f"sent AS ({_SQL_SENT} RETURNING 1) "
    f"INSERT INTO {HistoryEvent._meta.db_table} (message_id, actor_id, kind, detail, at) "
    "SELECT %s, NULL, %s, %s, %s FROM relaxed "
    "RETURNING (SELECT count(*) FROM sent)"
)


def _record_failure(delivery: Delivery, claim: str, error: DeliveryError) -> bool:
    """Fails the copy (True) or schedules its next attempt (False)."""
    now = timezone.now()
    reason = error.reason[:500]
    max_attempts = settings.RELAIS_DELIVERY_MAX_ATTEMPTS
    final = error.permanent or delivery.attempts >= max_attempts
    mine = Delivery.objects.filter(pk=delivery.pk, status=Delivery.SENDING, claimed_by=claim)
    with transaction.atomic():
        _relaxed_commit()
        if final:
            if not error.permanent:
                reason = f"{reason} Abandon après {delivery.attempts} essais."[:500]
            changed = mine.update(
                status=Delivery.FAILED, last_error=reason, claimed_at=None, in_doubt=error.in_doubt
            )
            if changed:
                _history(delivery, HistoryEvent.COPY_FAILED, f"{_label(delivery)} : {reason}", now)
            delivery.status = Delivery.FAILED
        else:
            when = now + backoff(delivery.attempts)
            changed = mine.update(
                status=Delivery.QUEUED,
                last_error=reason,
                next_attempt_at=when,
                claimed_at=None,
                in_doubt=delivery.in_doubt or error.in_doubt,
            )
            if changed:
                local = timezone.localtime(when)
                _history(
                    delivery,
                    HistoryEvent.COPY_RETRY,
                    f"{_label(delivery)} : {reason} Nouvel essai à {local:%H:%M:%S} "
                    f"(essai {delivery.attempts + 1} sur {max_attempts}).",
                    now,
                )
            delivery.status = Delivery.QUEUED
    delivery.last_error = reason
    return final
