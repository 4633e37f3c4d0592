"""The delivery worker: claim copies, send them, record what happened. The row is the truth.

Copies are claimed with a conditional UPDATE (queued and due, or held by a worker whose lease
has run out) before anything leaves, a few at a time, and each outcome is committed right after
its send: two workers never send the same copy, and a worker that dies leaves at most one copy
whose fate is unknown (the one it was sending). Its other claimed copies, and that one, are
taken back after the lease; the worker then asks the provider first whether it already has
them (Backend.lookup), and e-mails keep their Message-ID.

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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

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
    """The task's body: send those copies if they are still due. Returns how many were sent."""
    return deliver_ids_stats(ids).sent


def deliver_ids_stats(ids: Iterable[object]) -> Stats:
    wanted = _valid_ids(ids)
    if not wanted:
        return Stats()
    return _deliver(Delivery.objects.filter(id__in=wanted), limit=len(wanted))


def deliver_due(*, limit: int = BATCH, grace: float | None = None) -> Stats:
    """The sweep: retries whose time has come, copies held past the lease by a dead worker, and
    fresh copies still queued `grace` seconds after they were due (their wake-up was lost)."""
    now = timezone.now()
    grace = settings.RELAIS_DELIVERY_SWEEP_GRACE if grace is None else grace
    lost_after = now - dt.timedelta(seconds=grace)
    rows = Delivery.objects.filter(
        Q(status=Delivery.QUEUED, attempts__gt=0, next_attempt_at__lte=now)
        | Q(status=Delivery.QUEUED, next_attempt_at__lte=lost_after)
        | Q(status=Delivery.SENDING, claimed_at__lt=now - lease())
    )
    return _deliver(rows, limit=limit)


def _deliver(rows: QuerySet[Delivery], *, limit: int) -> Stats:
    stats = Stats()
    candidates = list(
        rows.filter(claimable(timezone.now()))
        .select_related(
            "message__permanence", "message__client", "message__author", "message__contact"
        )
        .order_by("next_attempt_at")[:limit]
    )
    if not candidates:
        return stats
    session: BackendPool | None = getattr(_local, "pool", None)
    pool = session or BackendPool()
    cache = ContentCache()
    down: set[str] = set()
    try:
        for start in range(0, len(candidates), CLAIM_CHUNK):
            chunk = candidates[start : start + CLAIM_CHUNK]
            claim, won = _claim(chunk)
            stats.skipped += len(chunk) - len(won)
            released: list[Delivery] = []
            for delivery in won:
                if delivery.channel in down:
                    # The provider is unreachable: hand the rest back for the next pass.
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
    finally:
        if session is None:
            pool.close()
    return stats


def _relaxed_commit() -> None:
    """On PostgreSQL, this transaction's commit does not wait for the disk. Used for outcome
    records only: a worker that dies loses nothing (the server has the commit); a database
    server that crashes may forget the last fraction of a second of them, and those copies are
    then taken back as in doubt. Claims keep the full guarantee."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _claim(chunk: list[Delivery]) -> tuple[str, list[Delivery]]:
    """Takes the rows still claimable for this worker; returns the claim and the rows won."""
    now = timezone.now()
    claim = f"{WORKER_NAME}:{next(_claims)}"
    ids = [d.pk for d in chunk]
    Delivery.objects.filter(pk__in=ids).filter(claimable(now)).update(
        status=Delivery.SENDING,
        claimed_at=now,
        claimed_by=claim,
        attempts=F("attempts") + 1,
        # Taking a row back from a dead worker: its send may have gone through.
        in_doubt=Case(When(status=Delivery.SENDING, then=Value(True)), default=F("in_doubt")),
    )
    won = {
        pk: (attempts, in_doubt)
        for pk, attempts, in_doubt in Delivery.objects.filter(
            pk__in=ids, claimed_by=claim
        ).values_list("pk", "attempts", "in_doubt")
    }
    rows = []
    for delivery in chunk:
        if delivery.pk in won:
            delivery.attempts, delivery.in_doubt = won[delivery.pk]
            delivery.status, delivery.claimed_at, delivery.claimed_by = (
                Delivery.SENDING,
                now,
                claim,
            )
            rows.append(delivery)
    return claim, rows


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
    """The sent status and its history line, in one transaction, right after the send.

    Written in SQL: this runs once per copy on the hot path, and building the two statements
    through the ORM cost four times the time of running them."""
    now = timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    delivery_pk = Delivery._meta.pk.get_db_prep_value(delivery.pk, connection)  # type: ignore[union-attr]
    message_pk = HistoryEvent._meta.get_field("message").get_db_prep_value(
        delivery.message_id, connection
    )
    with transaction.atomic():
        _relaxed_commit()
        with connection.cursor() as cursor:
            cursor.execute(
                _SQL_SENT,
                [
                    Delivery.SENT,
                    at,
                    result.provider_id,
                    False,
                    delivery_pk,
                    Delivery.SENDING,
                    claim,
                ],
            )
            updated = cursor.rowcount
            cursor.execute(
                _SQL_HISTORY, [message_pk, HistoryEvent.COPY_SENT, _label(delivery)[:300], at]
            )
        if not updated:
            # A delivery receipt came first (or the lease ran out): keep its status.
            Delivery.objects.filter(pk=delivery.pk, sent_at__isnull=True).update(
                sent_at=now, provider_id=result.provider_id
            )
    delivery.status = Delivery.SENT


_SQL_SENT = (
    f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s, provider_id = %s, "
    "last_error = '', claimed_at = NULL, in_doubt = %s "
    "WHERE id = %s AND status = %s AND claimed_by = %s"
)
_SQL_HISTORY = (
    f"INSERT INTO {HistoryEvent._meta.db_table} (message_id, actor_id, kind, detail, at) "
    "VALUES (%s, NULL, %s, %s, %s)"
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
