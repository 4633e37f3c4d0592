"""The delivery worker process.

    manage.py relais_worker            run until stopped (SIGTERM/SIGINT finish the current copy)
    manage.py relais_worker --once     send everything due now, then exit

Each pass: run the queued tasks when the tasks backend is the database one (this process is then
the only worker needed; with the Redis backend, `rqworker` runs them), then every --sweep
seconds deliver what is due without a wake-up: retries whose time has come, copies whose wake-up
was lost, copies held by a worker that died (after the lease).

Wake-ups (`send_deliveries` tasks) waiting together are run together: their ids go through one
delivery pass (which then takes up to a batch of other due copies, those of the wake-ups queued
behind), and each task is marked done with the number of its own copies sent. Any other task of
the queue runs as `db_worker` would run it.
"""

from __future__ import annotations

import logging
import signal
import time
from collections import defaultdict
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.db.utils import OperationalError
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from relais.audit.retention import purge_if_due
from relais.delivery.tasks import send_deliveries
from relais.delivery.worker import (
    BATCH,
    WORKER_NAME,
    Stats,
    deliver_due,
    deliver_ids_stats,
    worker_session,
)
from relais.escalation.services import escalation_take_due
from relais.inbound.imap import ImapSchedule

TaskRunner = Callable[[], tuple[int, Stats]]
logger = logging.getLogger(__name__)


def _claim(
    backend: DatabaseBackend, queue_names: list[str], worker_id: str, batch: int
) -> list[tuple[Any, str, Any]]:
    """Takes up to `batch` ready tasks: (id, task path, arguments) of each."""
    ready = DBTaskResult.objects.ready().filter(
        backend_name=backend.alias, queue_name__in=queue_names
    )
    with exclusive_transaction(ready.db):
        try:
            tasks = list(
                ready.order_by("-priority", "run_after", "enqueued_at")
                .select_for_update(skip_locked=True)
                .values_list("id", "task_path", "args_kwargs")[:batch]
            )
            # What DBTaskResult.claim() does, for all of them in one statement.
            DBTaskResult.objects.filter(id__in=[t[0] for t in tasks]).update(
                status=TaskResultStatus.RUNNING,
                started_at=timezone.now(),
                worker_ids=[worker_id],
            )
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            return []
    return tasks


def _run_wakeups(wanted: dict[Any, list[str]], batch: int) -> Stats:
    """One delivery pass for the wake-ups' ids, each task then marked done with the number
    of its own copies sent."""
    try:
        ids = [i for ids in wanted.values() for i in ids]
        # Then up to a batch of other due copies: those of the wake-ups queued behind.
        stats = deliver_ids_stats(ids, drain=batch)
    except Exception as exc:
        for task in DBTaskResult.objects.filter(id__in=list(wanted)):
            task.set_failed(exc)
        return Stats()
    sent = {str(i) for i in stats.sent_ids}
    by_count: dict[int, list[Any]] = defaultdict(list)
    for task_id, ids in wanted.items():
        by_count[sum(1 for i in ids if i in sent)].append(task_id)
    for count, task_ids in by_count.items():
        DBTaskResult.objects.filter(id__in=task_ids).update(
            status=TaskResultStatus.SUCCESSFUL,
            finished_at=timezone.now(),
            return_value=count,
            exception_class_path="",
            traceback="",
        )
    return stats


def _database_task_runner(batch: int) -> TaskRunner | None:
    """A callable running up to `batch` ready tasks of the database backend (it returns how many,
    and what the wake-ups among them sent), or None when the tasks backend is another one
    (Redis: its own workers run them)."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if not isinstance(backend, DatabaseBackend):
        return None
    worker_id = f"relais-{get_random_string(12)}"
    queue_names = sorted(backend.queues) or ["default"]
    worker = Worker(
        queue_names=queue_names,
        interval=0,
        batch=True,
        backend_name=backend.alias,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    send_path = send_deliveries.module_path

    def run() -> tuple[int, Stats]:
        tasks = _claim(backend, queue_names, worker_id, batch)
        wanted = {
            task_id: [str(i) for i in (args_kwargs["args"] or [[]])[0]]
            for task_id, path, args_kwargs in tasks
            if path == send_path
        }
        stats = _run_wakeups(wanted, batch) if wanted else Stats()
        others = [task_id for task_id, path, _ in tasks if path != send_path]
        if others:
            # Any other task of the queue, as db_worker runs it.
            for task in DBTaskResult.objects.filter(id__in=others):
                worker.run_task(task)
        return len(tasks), stats

    return run


class Command(BaseCommand):
    help = "Send the e-mail, SMS and fax copies (the outbox worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Send what is due, then exit.")
        parser.add_argument("--batch", type=int, default=BATCH, help="Copies per pass.")
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds between two polls when idle."
        )
        parser.add_argument(
            "--sweep", type=float, default=5.0, help="Seconds between two sweeps of due copies."
        )
        parser.add_argument(
            "--no-tasks",
            action="store_true",
            help="Do not run the database backend's queued tasks (sweep only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        batch = max(1, options["batch"])
        run_tasks = None if options["no_tasks"] else _database_task_runner(batch)
        verbose = options["verbosity"] >= 1
        if verbose:
            self.stdout.write(
                f"Worker d'envoi {WORKER_NAME} : "
                f"{'réveils par la file de la base + ' if run_tasks else ''}"
                f"balayage toutes les {options['sweep']:g} s, "
                f"bail de {settings.RELAIS_DELIVERY_LEASE} s"
            )
        with worker_session() as pool:
            if options["once"]:
                self._drain(run_tasks, batch, verbose)
                return
            next_sweep = next_escalation = 0.0
            # The replies' IMAP mailbox, when one is configured, is read by this same loop.
            mailbox = ImapSchedule()
            while self.running:
                close_old_connections()
                if time.monotonic() >= next_escalation:
                    # Escalation steps due (issue 14): one indexed query when none is.
                    escalation_take_due()
                    next_escalation = time.monotonic() + settings.RELAIS_ESCALATION_SCAN
                woken, stats = run_tasks() if run_tasks else (0, Stats())
                polled = mailbox.tick()
                if verbose and polled and polled.taken:
                    self.stdout.write(f"Réponses reçues (IMAP) : {polled.taken} prise(s) en compte")
                if time.monotonic() >= next_sweep:
                    self._daily_purge()
                    swept = deliver_due(limit=batch)
                    stats += swept
                    # A full batch handled: there is a backlog, sweep again straight away.
                    backlog = swept.handled >= batch
                    next_sweep = time.monotonic() + (0 if backlog else options["sweep"])
                if verbose and stats.handled:
                    self._report(stats)
                if not woken and not stats.handled and self.running:
                    pool.close()  # nothing to send: do not hold SMTP sessions open
                    time.sleep(options["interval"])

    def _daily_purge(self) -> None:
        """Once a day, what is past its lifetime goes (relais.audit.retention: small batches,
        one worker at a time). Checked in the database once per day and process."""
        today = timezone.localdate()
        if getattr(self, "_purged_on", None) == today:
            return
        try:
            purge_if_due()
        except Exception:  # the copies must go on whatever happens to the purge
            logger.exception("The daily purge failed; it is tried again at the next sweep.")
            return
        self._purged_on = today

    def _drain(self, run_tasks: TaskRunner | None, batch: int, verbose: bool) -> None:
        total = Stats()
        ImapSchedule().tick()
        while self.running:
            woken, stats = run_tasks() if run_tasks else (0, Stats())
            stats += deliver_due(limit=batch, grace=0)
            total += stats
            if not woken and not stats.handled:
                break
        if verbose:
            self._report(total)

    def _report(self, stats: Stats) -> None:
        self.stdout.write(
            f"Envoi des copies (e-mail, SMS, fax) : {stats.sent} envoyée(s), "
            f"{stats.retried} à réessayer, {stats.failed} en échec"
        )

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        # The copy being sent is finished and recorded; nothing new is claimed.
        self.running = False
