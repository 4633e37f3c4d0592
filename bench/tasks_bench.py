"""The left menu's counts and « Suivi des tâches » (issues 6 and 8).

    .venv/bin/python bench/tasks_bench.py --scale 100k      # relais_bench: 10,000 open tasks
    .venv/bin/python bench/tasks_bench.py --scale 1m        # relais_bench_1m: 100,000
    .venv/bin/python bench/tasks_bench.py --scale tasks     # 112,000 messages, 90 % open tasks

--scale 100k and 1m measure the bench bases bench/generate.py fills (see bench/common.py for
their databases; --database-url for another). --scale tasks is issue 6's task-heavy base, in a
database of its own (BENCH_TASKS_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/relais_bench_tasks), filled on its first run by the same
generator with 90 % of the messages open tasks (--messages, 112,000 by default: 100,800 open
tasks, half of them day tasks); --reset refills it.

Each run first runs VACUUM ANALYZE on the message and read-state tables: the steady state
autovacuum keeps (index-only scans need the visibility map). Then, in-process, DEBUG off,
through Django's test client (a whole request: session, user, role, the queries, the
template), for a gérant (who also sees remarks) and an opérateur:

- GET /menu/compteurs/ — the left menu's live counts, polled every 5 s by every staff page;
  and the selector alone (its one SQL query);
- GET /taches/suivi/ — the « Suivi des tâches » popup: summary and first rows, unfiltered and
  with each filter (VAD, Urgent, date);
- for information: « Tâche à faire » (first page), « Urgent », the date bar, the envelope's
  list of today's day tasks, the home page.

Target: ≤ 50 ms each (p50; p99 shown). Not a test: prints a table and exits 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    GERANT_EMAIL,
    OPERATOR_EMAIL,
    SLUG,
    Timing,
    check_bench_name,
    database_url,
    ensure_database,
    explain_calls,
    getter,
    logged_in_client,
    measure,
    print_timings,
    scale_banner,
    setup_django,
    setup_pages,
)

TASKS_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/relais_bench_tasks"
TARGET_MS = 50.0


def tasks_database_url(override: str | None) -> str:
    return check_bench_name(
        override or os.environ.get("BENCH_TASKS_DATABASE_URL") or TASKS_DATABASE_URL
    )


def fill_tasks_base(messages: int, seed: int) -> None:
    """The task-heavy base: generate.py's permanence with 90 % of the messages open tasks."""
    from django.core.management import call_command
    from django.db import connection

    from bench.generate import PRESETS, Generator
    from relais.tenancy.models import Permanence

    call_command("migrate", verbosity=0)
    if Permanence.objects.filter(slug=SLUG).exists():
        return
    shape = replace(PRESETS["100k"], messages=messages, open_tasks=round(messages * 0.9))
    print(f"Filling the task-heavy base: {messages:,} messages, {shape.open_tasks:,} open tasks…")
    started = time.perf_counter()
    counts = Generator(shape=shape, seed=seed).run()
    print(
        ", ".join(f"{v:,} {k}" for k, v in counts.items())
        + f" written in {time.perf_counter() - started:.0f} s."
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def steady_state() -> None:
    """Statistics fresh and the visibility map set, as autovacuum keeps them (rows just
    written by COPY or by other benchmarks do not have it yet)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("messaging_message", "messaging_readstate"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def bench_user(email: str) -> Any:
    from relais.tenancy.models import User

    user = User.objects.select_related("role", "permanence").filter(email=email).first()
    if user is None:
        raise SystemExit(f"No user {email} in this base: run bench/generate.py first.")
    return user


def plan_for(user: Any) -> list[tuple[str, Callable[[], Any]]]:
    from django.utils import timezone

    from relais.messaging.selectors import menu_counts
    from relais.tenancy.models import User

    today = timezone.localdate()
    http = logged_in_client(user, htmx=True)
    page = logged_in_client(user)
    email = user.email

    def fresh_counts() -> dict[str, int]:
        # A new user object each time, as a request gets: no cached role or counts.
        return menu_counts(User.objects.select_related("role").get(email=email))

    return [
        ("menu counts: the selector (user + 1 query)", fresh_counts),
        ("GET /menu/compteurs/ (the poll)", getter(http, "/menu/compteurs/")),
        ("GET /taches/suivi/ (popup)", getter(http, "/taches/suivi/")),
        ("GET /taches/suivi/?vad=1", getter(http, "/taches/suivi/?cible=resultats&vad=1")),
        ("GET /taches/suivi/?urgent=1", getter(http, "/taches/suivi/?cible=resultats&urgent=1")),
        (
            "GET /taches/suivi/?jour=today",
            getter(http, f"/taches/suivi/?cible=resultats&jour={today.isoformat()}"),
        ),
        ("GET /taches/ (first page)", getter(http, "/taches/")),
        ("GET /urgent/", getter(http, "/urgent/")),
        ("GET /jour/ (date bar)", getter(http, "/jour/")),
        ("GET /taches/jour/ (envelope list)", getter(http, "/taches/jour/")),
        ("GET / (home page, whole layout)", getter(page, "/")),
    ]


def diligent_reader(*, runs: int, max_seconds: float) -> list[Timing]:
    """The menu counts of an opérateur who has read every open urgent message, as the « Urgent »
    list invites (it empties as one reads). The unread urgent count then probes every open
    urgent message of the permanence before it can say 0: the known limit of the counts
    (docs/DECISIONS.md). Measured in a transaction rolled back at the end: the base keeps its
    read states."""
    from django.db import connection, transaction

    from relais.messaging.selectors import menu_counts

    user = bench_user(OPERATOR_EMAIL)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO messaging_readstate (message_id, user_id, read_at) "
                "SELECT id, %s, now() FROM messaging_message WHERE permanence_id = %s "
                "AND is_urgent AND status IN ('normal', 'todo') ON CONFLICT DO NOTHING",
                [user.id, user.permanence_id],
            )
            added = cursor.rowcount
        print(f"  opérateur, every urgent message read: {menu_counts(user)}", flush=True)
        label = f"opérateur who read every urgent message (+{added:,} read states)"
        plan = dict(plan_for(user))
        found = [
            measure(f"{label}: {what}", plan[what], runs=runs, max_seconds=max_seconds)
            for what in ("menu counts: the selector (user + 1 query)", "GET /urgent/")
        ]
        transaction.set_rollback(True)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--scale",
        choices=["100k", "1m", "tasks"],
        default="100k",
        help="bench base: 100k, 1m (generate.py's), or tasks (the task-heavy base); 100k",
    )
    parser.add_argument("--database-url", help="another bench database (name with 'bench')")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per row (200)")
    parser.add_argument(
        "--max-seconds", type=float, default=20.0, help="at most this long per row (20)"
    )
    parser.add_argument("--messages", type=int, default=112_000, help="--scale tasks: messages")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reset", action="store_true", help="--scale tasks: refill its base")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    args = parser.parse_args(argv)

    if args.scale == "tasks":
        url = tasks_database_url(args.database_url)
        ensure_database(url, reset=args.reset)
    else:
        url = database_url(args.scale, args.database_url)
    setup_django(url)
    setup_pages()
    if args.scale == "tasks":
        fill_tasks_base(args.messages, args.seed)
    banner = scale_banner(url)
    steady_state()

    from relais.messaging.selectors import menu_counts

    timings: list[Timing] = []
    for email in (GERANT_EMAIL, OPERATOR_EMAIL):
        user = bench_user(email)
        who = user.role_label.lower()
        print(f"  {who}: menu counts {menu_counts(user)}", flush=True)
        for label, fn in plan_for(user):
            timings.append(
                measure(f"{who}: {label}", fn, runs=args.runs, max_seconds=args.max_seconds)
            )
        if args.explain:
            plan = dict(plan_for(user))
            explain_calls(f"{who}: menu counts", plan["GET /menu/compteurs/ (the poll)"])
            explain_calls(f"{who}: Suivi des tâches", plan["GET /taches/suivi/ (popup)"])
            explain_calls(f"{who}: Tâche à faire", plan["GET /taches/ (first page)"])
            explain_calls(f"{who}: Urgent", plan["GET /urgent/"])

    timings += diligent_reader(runs=args.runs, max_seconds=args.max_seconds)
    print_timings(
        f"Left-menu counts and task lists ({args.scale}). {banner}", timings, target_ms=TARGET_MS
    )
    print(f"Target p50 ≤ {TARGET_MS:.0f} ms; 10 warm-up calls per row.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
