"""Escalation: the cost of the worker's scan, and how late steps go out (issue 14's benchmark).

    .venv/bin/python bench/escalation_bench.py [--waiting 10000] [--due 300] [--spread 30]
                                               [--sweep 5] [--database-url URL]

Writes into a database of its own (`relais_bench_escalation`, dropped, created and migrated at
each run; the name must contain `bench`): one permanence, one client whose urgent messages ask for
acknowledgement, and `--waiting` urgent messages waiting for it, their next step spread over
the next ten hours.

1. The scan: `escalation_take_due()` as the sweep calls it, with nothing due, `--scans` times:
   p50/p99 wall time, its queries, and the plan (the partial index `escalation_due`).
2. The lateness of steps with ONE worker process (`relais_worker` as deployed: it looks for
   steps due every RELAIS_ESCALATION_SCAN seconds, 1, besides its sweep every `--sweep`, 5):
   `--due` of the waiting messages get a step due at instants spread over the next `--spread`
   seconds; once the worker has taken them all, lateness = when the step's copy was
   queued (the step's row, written in the copy's transaction) − when it was due; p50/p99/max.
   Every step must be taken exactly once; the run says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import ensure_database, loadavg, pct, setup_django  # noqa: E402

DB_URL = "postgres://postgres@127.0.0.1:5432/relais_bench_escalation"
SLUG = "bench-escalation"


def prepare(waiting: int) -> Any:
    """The permanence, its client and `waiting` urgent messages waiting for acknowledgement
    (made again at each start)."""
    from django.core.management import call_command
    from django.utils import timezone

    from relais.clients.models import Client
    from relais.escalation.models import Escalation
    from relais.messaging.models import Message
    from relais.tenancy import permissions as perms
    from relais.tenancy.models import Permanence, Role, User

    call_command("migrate", verbosity=0)
    perm = Permanence.objects.create(name="Permanence Escalade", slug=SLUG)
    role = Role.objects.create(
        permanence=perm,
        kind=perms.OPERATEUR,
        permissions=perms.DEFAULT_ROLE_PERMISSIONS["operateur"],
    )
    author = User.objects.create(
        permanence=perm,
        kind=User.STAFF,
        role=role,
        email=f"operateur@{SLUG}.example",
        first_name="Léa",
        last_name="Banc",
    )
    client = Client.objects.create(
        permanence=perm,
        name="Dr Banc",
        email="dr.banc@bench.example",
        mobile="+33612345678",
        escalation={
            "steps": [{"after_minutes": 10, "to": "same", "channels": ["sms"]}],
            "final_alert": False,
        },
    )
    now = timezone.now()
    messages = [
        Message(
            id=uuid.uuid4(),
            permanence=perm,
            client=client,
            author=author,
            subject=f"Urgence {i}",
            body="Rappeler le patient.",
            is_urgent=True,
            copy_sms=True,
            last_activity_at=now,
        )
        for i in range(waiting)
    ]
    Message.objects.bulk_create(messages, batch_size=2000)
    ref = {"kind": "client", "id": str(client.id), "name": client.name}
    Escalation.objects.bulk_create(
        [
            Escalation(
                message=m,
                permanence=perm,
                client=client,
                steps=client.escalation["steps"],
                started_at=now,
                first_to=[ref],
                # Spread over the next ten hours: a sweep finds none of them due.
                next_step_at=now + dt.timedelta(seconds=60 + i * 36000 / max(waiting, 1)),
            )
            for i, m in enumerate(messages)
        ],
        batch_size=2000,
    )
    with_connection_analyze()
    return perm


def with_connection_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE escalation_escalation")


def scan(runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from relais.escalation.models import Escalation
    from relais.escalation.services import escalation_take_due

    times = []
    with CaptureQueriesContext(connection) as captured:
        escalation_take_due()
    for _ in range(runs):
        started = time.perf_counter()
        taken = escalation_take_due()
        times.append((time.perf_counter() - started) * 1000)
        assert taken == 0
    waiting = Escalation.objects.filter(state__in=Escalation.OPEN).count()
    print(
        f"\n1. The sweep's escalation scan, {waiting:,} messages waiting, none due "
        f"[load {loadavg()}]"
    )
    print(f"   {runs} scans: p50 {pct(times, 50):.2f} ms, p99 {pct(times, 99):.2f} ms, "
          f"mean {statistics.mean(times):.2f} ms; {len(captured)} query per scan")  # fmt: skip
    qs = (
        Escalation.objects.filter(state__in=Escalation.OPEN, next_step_at__lte=timezone.now())
        .order_by("next_step_at")
        .values_list("pk", flat=True)[:200]
    )
    plan = qs.explain()
    print("   plan: " + " / ".join(line.strip() for line in plan.splitlines()[:3]))


def lateness(perm: Any, due: int, spread: float, sweep: float, url: str) -> int:
    from django.utils import timezone

    from relais.delivery.models import Delivery
    from relais.escalation.models import Escalation, EscalationStep
    from relais.messaging.models import HistoryEvent

    chosen = list(
        Escalation.objects.filter(permanence=perm)
        .order_by("next_step_at")
        .values_list("pk", flat=True)[:due]
    )
    start = timezone.now() + dt.timedelta(seconds=2)
    for i, pk in enumerate(chosen):
        Escalation.objects.filter(pk=pk).update(
            next_step_at=start + dt.timedelta(seconds=spread * i / max(due, 1))
        )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "RELAIS_DATA_DIR": tempfile.mkdtemp(prefix="relais-escalation-bench-"),
        "LOG_LEVEL": "ERROR",
        "RELAIS_SMS_BACKEND": "outbox",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "relais_worker",
            "--sweep",
            str(sweep),
            "--interval",
            "0.05",
            "--verbosity",
            "0",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + spread + sweep * 3 + 60
    try:
        while time.monotonic() < deadline:
            if EscalationStep.objects.filter(escalation_id__in=chosen).count() >= len(chosen):
                break
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    steps = list(EscalationStep.objects.filter(escalation_id__in=chosen))
    late = [(s.at - s.due_at).total_seconds() for s in steps]
    copies = Delivery.objects.filter(message_id__in=chosen).count()
    lines = HistoryEvent.objects.filter(
        message_id__in=chosen, kind=HistoryEvent.ESCALATION_STEP
    ).count()
    scan_every = os.environ.get("RELAIS_ESCALATION_SCAN", "1")
    print(f"\n2. Lateness of steps, one worker (scan every {scan_every} s, sweep every "
          f"{sweep:g} s), {len(chosen)} steps due "
          f"over {spread:g} s, {Escalation.objects.filter(permanence=perm).count():,} waiting "
          f"[load {loadavg()}]")  # fmt: skip
    if late:
        print(f"   due → copy queued: p50 {pct(late, 50):.2f} s, p99 {pct(late, 99):.2f} s, "
              f"max {max(late):.2f} s, min {min(late):.2f} s")  # fmt: skip
    once = len(steps) == len(chosen) == copies == lines
    print(f"   steps taken {len(steps)}/{len(chosen)}, copies queued {copies}, history lines "
          f"{lines}: {'each exactly once' if once else 'MISMATCH'}")  # fmt: skip
    return 0 if once else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--due", type=int, default=300)
    parser.add_argument("--spread", type=float, default=30.0)
    parser.add_argument("--sweep", type=float, default=5.0)
    parser.add_argument("--database-url", default=DB_URL)
    args = parser.parse_args(argv)
    url = args.database_url
    if "bench" not in url.rsplit("/", 1)[-1]:
        raise SystemExit("The escalation benchmark writes only into a database named *bench*.")
    ensure_database(url, reset=True)  # its own database: made anew at each run
    setup_django(url)
    perm = prepare(args.waiting)
    scan(args.scans)
    return lateness(perm, args.due, args.spread, args.sweep, url)


if __name__ == "__main__":
    raise SystemExit(main())
