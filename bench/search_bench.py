"""Message search (issue 17 point 11): the client file's search and the search across the
permanence, on the bench bases.

    .venv/bin/python bench/search_bench.py --scale 1m --prepare   # copy + migrate, then measure
    .venv/bin/python bench/search_bench.py --scale 1m             # measure the copy again
    .venv/bin/python bench/search_bench.py --scale 1m --drop      # drop the copy

Search needs this branch's migration (the tsvector column, its triggers and GIN index), and
the bench bases are shared and never migrated by a benchmark: the measure runs on a copy,
`<base>_search` (relais_bench_1m_search for --scale 1m). --prepare makes it (CREATE DATABASE
… TEMPLATE <base>, then migrate: about 10 minutes for the 1m base on 2 busy cores, most of it
indexing a million messages); --drop removes it (--drop-after: once measured).
--database-url names another database.

In-process, DEBUG off, through Django's test client (a whole request: session, user, role,
the queries, the template), for an opérateur, each query kind on the busiest client's file
(client0: 4 % of the messages, 43,366 at 1m) and across the permanence (the top bar's
search), as htmx asks for them (the results fragment); and the API's GET /api/v1/messages
for a few of them:

- a common word (« rappeler »: every generated message asks to be called back),
- a stemmed verb (« annuler » finds « Annulation de rendez-vous », 1 message in 12),
- a rare word (a time, « 10h42 »: about 1 message in 700), a word found nowhere,
- a contact's name (first and last name),
- a phrase in quotes, and the common word with filters (urgent, not read, last 30 days).

Each page counts its results (capped at 1,000: « 1 000+ ») and shows the first 50 with their
excerpts. Target: p95 ≤ 100 ms. Not a test: prints a table and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    OPERATOR_EMAIL,
    Timing,
    _admin,
    _with_name,
    api_token,
    bench_environment,
    database_exists,
    database_name,
    database_url,
    explain_calls,
    getter,
    logged_in_client,
    measure,
    pct,
    print_timings,
    scale_banner,
    setup_django,
    setup_pages,
)

TARGET_P95_MS = 100.0


def search_database_url(scale: str, override: str | None) -> str:
    """The copy of the scale's base this benchmark migrates: <base>_search."""
    if override:
        return database_url(scale, override)
    base = database_url(scale)
    return _with_name(base, database_name(base) + "_search")


def prepare(url: str, scale: str) -> None:
    """CREATE DATABASE <copy> TEMPLATE <base>, then this branch's migrations on the copy."""
    import dj_database_url
    from psycopg import sql

    source = database_name(database_url(scale))
    target = database_name(url)
    if not database_exists(url):
        print(f"Copying {source} to {target}…", flush=True)
        started = time.perf_counter()
        with _admin(dj_database_url.parse(url)) as admin:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(target), sql.Identifier(source)
                )
            )
        print(f"  copied in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"Migrating {target}…", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "1"],
        check=True,
        env={**os.environ, **bench_environment(url)},
    )
    print(f"  migrated in {time.perf_counter() - started:.0f} s", flush=True)


def drop(url: str) -> None:
    import dj_database_url
    from psycopg import sql

    target = database_name(url)
    with _admin(dj_database_url.parse(url)) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(target)))
    print(f"Dropped {target}.")


def steady_state() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("messaging_message", "messaging_readstate", "messaging_reply"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def queries_to_run() -> list[tuple[str, dict[str, str]]]:
    """(label, parameters of the page) for each query kind."""
    from django.utils import timezone

    from relais.clients.models import Contact

    contact = (
        Contact.objects.filter(client__email="client0@bench.example")
        .order_by("name")
        .values_list("name", flat=True)
        .first()
    ) or "Durand"
    month_ago = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    return [
        ("common word « rappeler »", {"q": "rappeler"}),
        ("stemmed verb « annuler »", {"q": "annuler"}),
        ("rare word « 10h42 »", {"q": "10h42"}),
        ("word found nowhere", {"q": "hippopotame"}),
        (f"contact name « {contact} »", {"q": contact}),
        ('phrase « "demande de rendez-vous" »', {"q": '"demande de rendez-vous"'}),
        (
            "« rappeler » + urgent, non lu, 30 days",
            {"q": "rappeler", "urgent": "1", "nonlu": "1", "du": month_ago},
        ),
    ]


def api_params(params: dict[str, str]) -> dict[str, str]:
    names = {"q": "search", "du": "from", "au": "to", "urgent": "urgent", "nonlu": "unread"}
    return {names[k]: ("true" if v == "1" else v) for k, v in params.items() if k in names}


def plan_for(user: Any) -> list[tuple[str, Callable[[], Any]]]:
    from relais.clients.models import Client

    busiest = Client.objects.get(email="client0@bench.example")
    page = logged_in_client(user, htmx=True)
    page.defaults["HTTP_HX_TARGET"] = "threads"
    api = logged_in_client(user, api_token=api_token(user))
    plan: list[tuple[str, Callable[[], Any]]] = [
        ("client file, first page (count + 50)", getter(page, f"/clients/{busiest.id}/")),
    ]
    for label, params in queries_to_run():
        query = urlencode(params)
        plan.append((f"client file: {label}", getter(page, f"/clients/{busiest.id}/?{query}")))
        plan.append((f"permanence: {label}", getter(page, f"/recherche/?{query}")))
    for label, params in queries_to_run()[:3]:
        query = urlencode({**api_params(params), "limit": "50"})
        plan.append((f"API permanence: {label}", getter(api, f"/api/v1/messages?{query}")))
    return plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--scale", choices=["100k", "1m"], default="1m")
    parser.add_argument("--database-url", help="the migrated copy (name with 'bench')")
    parser.add_argument("--prepare", action="store_true", help="copy the base and migrate it")
    parser.add_argument("--drop", action="store_true", help="drop the copy and exit")
    parser.add_argument(
        "--drop-after", action="store_true", help="drop the copy once measured (run_all.py)"
    )
    parser.add_argument("--runs", type=int, default=100, help="timed calls per row (100)")
    parser.add_argument(
        "--max-seconds", type=float, default=15.0, help="at most this long per row (15)"
    )
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    args = parser.parse_args(argv)

    url = search_database_url(args.scale, args.database_url)
    if args.drop:
        drop(url)
        return 0
    if args.prepare:
        prepare(url, args.scale)
    elif not database_exists(url):
        raise SystemExit(f"No database {database_name(url)}: run with --prepare first.")
    setup_django(url)
    setup_pages()
    banner = scale_banner(url)
    steady_state()

    from relais.tenancy.models import User

    user = User.objects.select_related("role", "permanence").get(email=OPERATOR_EMAIL)
    timings: list[Timing] = []
    for label, fn in plan_for(user):
        timing = measure(label, fn, runs=args.runs, warmup=3, max_seconds=args.max_seconds)
        p95 = pct(timing.wall_ms, 95)
        timing.note = f"p95 {p95:.1f} " + ("ok" if p95 <= TARGET_P95_MS else "SLOW")
        print(f"  {label}: p50 {timing.p50:.1f} ms, {timing.note}", flush=True)
        timings.append(timing)
    if args.explain:
        plan = dict(plan_for(user))
        for label, _params in queries_to_run():
            explain_calls(f"client file: {label}", plan[f"client file: {label}"])
            explain_calls(f"permanence: {label}", plan[f"permanence: {label}"])
    print_timings(f"Message search ({args.scale}), an opérateur. {banner}", timings)
    print(f"Target p95 ≤ {TARGET_P95_MS:.0f} ms (the note column); 3 warm-up calls per row.")
    if args.drop_after:
        from django.db import connections

        connections.close_all()
        drop(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
