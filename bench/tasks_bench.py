"""The left menu's counts and « Suivi des tâches » with 100,000 open tasks (issue 6's benchmark).

    .venv/bin/python bench/tasks_bench.py [--runs 200] [--messages 112000] [--reset] [--explain]

Uses its own PostgreSQL database, BENCH_TASKS_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/relais_bench_tasks; the name must contain "bench"). The first
run fills it with bench/generate.py's permanence and --todo-share 0.9: 112,000 messages of which
about 100,000 are open tasks (half of them day tasks), the rest done; urgent, VAD, remarks, read
states as generate.py makes them. Later runs reuse it (--reset rebuilds it).

Measured in-process, DEBUG off, through Django's test client (a whole request: session, user,
role, the queries, the template) and, for the counts, the selector alone (its one SQL query):

- GET /menu/compteurs/ — the left menu's live counts, polled every 5 s by every staff page;
- GET /taches/suivi/ — the « Suivi des tâches » popup: summary and first 50 rows, unfiltered
  and with each filter (VAD, Urgent, date);
- for information: « Tâche à faire » (first page), « Urgent », the date bar, and the envelope's
  list of today's day tasks.

For a gérant (who also sees remarks) and an opérateur. Target: ≤ 50 ms each (p50; p99 shown).
Not a test: prints a table and exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import SLUG, ensure_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/relais_bench_tasks"
TARGET_MS = 50.0
OPEN_TASKS_WANTED = 100_000


def database_url() -> str:
    url = os.environ.get("BENCH_TASKS_DATABASE_URL", DEFAULT_URL)
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if "bench" not in name:
        raise SystemExit(f"Refusing database {name!r}: its name must contain 'bench'.")
    return url


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(fn: Callable[[], Any], runs: int) -> tuple[list[float], list[float]]:
    """Wall time of each call, and the part spent waiting for PostgreSQL (ms)."""
    from django.db import connection

    for _ in range(min(10, runs)):  # warm the caches and the connection
        fn()
    spent = [0.0]

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    times, sql_times = [], []
    with connection.execute_wrapper(timed):
        for _ in range(runs):
            spent[0] = 0.0
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
            sql_times.append(spent[0] * 1000)
    return times, sql_times


def fill(messages: int, seed: int) -> None:
    from django.core.management import call_command

    from relais.tenancy.models import Permanence

    call_command("migrate", verbosity=0)
    if not Permanence.objects.filter(slug=SLUG).exists():
        _generate(messages, seed)
    # A steady state as autovacuum keeps it: statistics fresh, the visibility map set (index-only
    # scans need it; rows just written by COPY do not have it yet).
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("messaging_message", "messaging_readstate"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def _generate(messages: int, seed: int) -> None:
    from bench.generate import Generator

    print(f"Filling the bench database: {messages} messages, 90 % open tasks (about a minute)…")
    started = time.perf_counter()
    counts = Generator(messages=messages, seed=seed, todo_share=0.9).run()
    print(
        ", ".join(f"{v} {k}" for k, v in counts.items())
        + f" written in {time.perf_counter() - started:.0f} s."
    )


# The indexes this benchmark argues for, as the SQL Django's migration would run on PostgreSQL
# (see bench/README.md for the Meta.indexes change). --proposed-indexes creates them here only.
PROPOSED_INDEXES = {
    # Replaces msg_open_tasks (permanence, status, due_date) WHERE status = 'todo': the flags as
    # key columns make every count and filter of the open tasks an index-only scan, remarks
    # excluded or not; due_date second serves « Suivi des tâches »'s order.
    "bench_open_tasks": "(permanence_id, due_date, is_client_remark, is_vad, is_urgent) "
    "WHERE status = 'todo'",
    # « Tâche à faire »: newest activity first without sorting every open task.
    "bench_open_activity": "(permanence_id, last_activity_at DESC, id DESC) WHERE status = 'todo'",
    # « Urgent »: the open urgent messages newest first (the list walks it and stops at a page),
    # and counted without the heap (id for the read-state anti-join, remark flag for visibility).
    "bench_urgent_open": "(permanence_id, last_activity_at DESC, id DESC, is_client_remark) "
    "WHERE is_urgent AND status IN ('normal', 'todo')",
}


def set_proposed_indexes(on: bool) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for name, definition in PROPOSED_INDEXES.items():
            if on:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON messaging_message {definition}"
                )
            else:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
        if on:
            cursor.execute("DROP INDEX IF EXISTS msg_open_tasks")
        else:
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS msg_open_tasks ON messaging_message "
                "(permanence_id, status, due_date) WHERE status = 'todo'"
            )
        cursor.execute("ANALYZE messaging_message")


def explain(user: Any) -> None:
    """EXPLAIN ANALYZE of the two queries the target is about."""
    from django.db import connection
    from django.utils import timezone

    from relais.messaging.selectors import (
        task_follow,
        task_follow_order,
        task_follow_summary,
        visible_messages,
    )

    def show(label: str, sql: str, params: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print(f"\n-- {label}")
            for (line,) in cursor.fetchall():
                print("   " + line)

    from django.db.models import Count, Exists, OuterRef, Q

    from relais.messaging.models import Message, ReadState

    # menu_counts as SQL: the same aggregate, as a query set we can print.
    unread = ~Exists(ReadState.objects.filter(message_id=OuterRef("pk"), user_id=user.id))
    qs = (
        visible_messages(user)
        .filter(Q(status="todo") | Q(is_urgent=True) | Q(is_client_remark=True))
        .values("permanence_id")
        .annotate(
            todo=Count("pk", filter=Q(status=Message.STATUS_TODO)),
            urgent=Count("pk", filter=Q(is_urgent=True, status__in=["normal", "todo"]) & Q(unread)),
            follow=Count("pk", filter=Q(status="todo", due_date__lte=timezone.localdate())),
            remarks=Count("pk", filter=Q(is_client_remark=True) & Q(unread)),
        )
    )
    sql, params = qs.query.sql_with_params()
    show("menu counts", sql, params)
    follow = task_follow(user=user)
    sql, params = task_follow_order(follow)[:51].query.sql_with_params()
    show("Suivi des tâches: first rows", sql, params)
    sql, params = follow.values("permanence_id").annotate(n=Count("pk")).query.sql_with_params()
    show("Suivi des tâches: summary (as a count)", sql, params)
    _ = task_follow_summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200, help="timed calls per row (200)")
    parser.add_argument("--messages", type=int, default=112_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reset", action="store_true", help="drop and refill the database")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument(
        "--proposed-indexes",
        choices=["on", "off"],
        help="create (on) or drop (off) the indexes proposed in bench/README.md before measuring",
    )
    args = parser.parse_args(argv)

    url = database_url()
    ensure_database(url, reset=args.reset)
    os.environ.setdefault("SECURE_COOKIES", "0")
    setup_django(url)
    from django.conf import settings

    # Pages render {% static %}: no collectstatic manifest needed to measure them.
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    warnings.filterwarnings("ignore", message="No directory at")
    fill(args.messages, args.seed)
    if args.proposed_indexes:
        set_proposed_indexes(args.proposed_indexes == "on")

    from django.test import Client as HttpClient
    from django.utils import timezone

    from relais.messaging.models import Message
    from relais.messaging.selectors import menu_counts
    from relais.tenancy.models import Permanence, User

    perm = Permanence.objects.get(slug=SLUG)
    open_tasks = Message.objects.filter(permanence=perm, status=Message.STATUS_TODO).count()
    total = Message.objects.filter(permanence=perm).count()
    today = timezone.localdate()
    print(f"\nPermanence {perm.name!r}: {total} messages, {open_tasks} open tasks.")
    if open_tasks < OPEN_TASKS_WANTED:
        print(f"  (fewer than {OPEN_TASKS_WANTED}: run with --reset --messages 112000)")

    rows: list[tuple[str, str, tuple[list[float], list[float]]]] = []
    for email in ("gerant@bench.example", "operateur1@bench.example"):
        user = User.objects.select_related("role", "permanence").get(email=email)
        who = user.role_label.lower()
        http = HttpClient(headers={"Host": "127.0.0.1", "HX-Request": "true"})
        http.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        page = HttpClient(headers={"Host": "127.0.0.1"})
        page.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

        def get(client: HttpClient, url: str) -> Callable[[], Any]:
            def call() -> Any:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                return response

            return call

        def fresh_counts(email: str = email) -> dict[str, int]:
            # A new user object each time, as a request gets: no cached role or counts.
            return menu_counts(User.objects.select_related("role").get(email=email))

        counts = fresh_counts()
        print(f"  {who}: menu counts {counts}")
        plan: list[tuple[str, Callable[[], Any]]] = [
            ("menu counts: the selector (user + 1 query)", fresh_counts),
            ("GET /menu/compteurs/ (the poll)", get(http, "/menu/compteurs/")),
            ("GET /taches/suivi/ (popup)", get(http, "/taches/suivi/")),
            ("GET /taches/suivi/?vad=1", get(http, "/taches/suivi/?cible=resultats&vad=1")),
            ("GET /taches/suivi/?urgent=1", get(http, "/taches/suivi/?cible=resultats&urgent=1")),
            (
                "GET /taches/suivi/?jour=today",
                get(http, f"/taches/suivi/?cible=resultats&jour={today.isoformat()}"),
            ),
            ("GET /taches/ (first page)", get(http, "/taches/")),
            ("GET /urgent/", get(http, "/urgent/")),
            ("GET /jour/ (date bar)", get(http, "/jour/")),
            ("GET /taches/jour/ (envelope list)", get(http, "/taches/jour/")),
            ("GET / (home page, whole layout)", get(page, "/")),
        ]
        for label, fn in plan:
            rows.append((who, label, measure(fn, args.runs)))
        if args.explain:
            explain(user)

    print(f"\n{'who':<10} {'what':<46} {'p50':>6} {'p99':>6} {'mean':>6} {'SQL p50':>8}  target")
    for who, label, (times, sql) in rows:
        p50, p99 = pct(times, 50), pct(times, 99)
        verdict = "ok" if p50 <= TARGET_MS else "SLOW"
        print(
            f"{who:<10} {label:<46} {p50:6.1f} {p99:6.1f} {statistics.mean(times):6.1f} "
            f"{pct(sql, 50):8.1f}  {verdict}"
        )
    load = os.getloadavg()[0]
    print(
        f"\nTimes in ms: {args.runs} timed calls per row after 10 warm-up calls; SQL is the part "
        f"spent waiting for PostgreSQL. Target p50 ≤ {TARGET_MS} ms. "
        f"Load average {load:.1f} on {os.cpu_count()} cores."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
