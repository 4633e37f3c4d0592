"""The pages an operator opens all day, on a bench base (issue 8).

    .venv/bin/python bench/pages_bench.py --scale 100k      # relais_bench
    .venv/bin/python bench/pages_bench.py --scale 1m        # relais_bench_1m
    .venv/bin/python bench/pages_bench.py --scale 1m --explain

In-process, DEBUG off, through Django's test client as a browser behind the TLS proxy (a
whole request: session, user, role, queries, template), logged in as opérateur 1 of the bench
permanence (the gérant for one row), with the API calls authenticated by a bearer token:

- the client file of the busiest client (client0: 4 % of the permanence's messages, 310
  contacts) and of a typical one (client2500, the median: 71 messages a year, 11 contacts),
  and the file's thread list poll (every 5 s, 204 while nothing changed);
- the thread page of the longest thread and of a short one (no reply), and its poll;
- contact search: the composer's contact picker and the API's contacts, accent-insensitive
  ("helene") and by phone digits ("0612"); the composer's and the API's copy recipients; the
  client list's search;
- for context: the composer opening, the API's thread list of a client.

p50 / p99 in ms, the part spent in PostgreSQL, queries per call, and the CPU per call of
this process and of its PostgreSQL backend. Target: ≤ 50 ms p50. Opening a thread marks it
read for opérateur 1 (a row the first time): the only write. Not a test: prints a table.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    GERANT_EMAIL,
    OPERATOR_EMAIL,
    SLUG,
    Timing,
    add_database_arguments,
    api_token,
    database_url,
    explain_calls,
    getter,
    logged_in_client,
    measure,
    print_timings,
    scale_banner,
    setup_django,
    setup_pages,
)

TARGET_MS = 50.0


def subjects() -> dict[str, Any]:
    """The clients and threads measured: the same at every scale (generate.py gives client i
    the i-th largest share of the messages; the permanence is the same at both scales)."""
    from relais.clients.models import Client
    from relais.messaging.models import Message
    from relais.tenancy.models import Permanence, User

    perm = Permanence.objects.get(slug=SLUG)
    clients = Client.objects.filter(permanence=perm)
    total = clients.count()
    busy = clients.get(email="client0@bench.example")
    typical = clients.get(email=f"client{total // 2}@bench.example")
    visible = Message.objects.filter(permanence=perm, is_client_remark=False)
    long_thread = visible.order_by("-reply_count", "id").only("id", "reply_count").first()
    short_thread = (
        visible.filter(client=busy, reply_count=0, is_private=False)
        .order_by("-last_activity_at")
        .only("id")
        .first()
    )
    if long_thread is None or short_thread is None:
        raise SystemExit("The bench base has no threads: run bench/generate.py first.")
    return {
        "operator": User.objects.select_related("role", "permanence").get(email=OPERATOR_EMAIL),
        "gerant": User.objects.select_related("role", "permanence").get(email=GERANT_EMAIL),
        "busy": busy,
        "typical": typical,
        "busy_messages": Message.objects.filter(client=busy).count(),
        "typical_messages": Message.objects.filter(client=typical).count(),
        "busy_contacts": busy.contacts.count(),
        "typical_contacts": typical.contacts.count(),
        "long": long_thread.id,
        "long_replies": long_thread.reply_count,
        "short": short_thread.id,
    }


def plan(s: dict[str, Any]) -> list[tuple[str, Callable[[], Any]]]:
    from relais.clients.models import Client
    from relais.messaging.models import Message
    from relais.messaging.selectors import thread_list_version, thread_version

    operator, gerant = s["operator"], s["gerant"]
    busy, typical = s["busy"], s["typical"]
    page = logged_in_client(operator)
    htmx = logged_in_client(operator, htmx=True)
    boss = logged_in_client(gerant)
    api = logged_in_client(operator, api_token=api_token(operator))

    # Open each thread once first: the page marks it read, later calls read it as read.
    for mid in (s["long"], s["short"]):
        getter(page, f"/messages/{mid}/")()

    def threads_poll(client: Client) -> str:
        version = thread_list_version(user=operator, client=client)
        return f"/clients/{client.id}/fils/?v={quote(version)}"

    def thread_poll(mid: Any) -> str:
        return (
            f"/messages/{mid}/fil/?v={quote(thread_version(message=Message.objects.get(pk=mid)))}"
        )

    b, t = f"/clients/{busy.id}", f"/clients/{typical.id}"
    api_b = f"/api/v1/clients/{busy.id}"
    long_m, short_m = f"/messages/{s['long']}/", f"/messages/{s['short']}/"
    return [
        (f"client file, busiest ({s['busy_messages']:,} msgs)", getter(page, f"{b}/")),
        ("client file, busiest, as gérant", getter(boss, f"{b}/")),
        (f"client file, typical ({s['typical_messages']:,} msgs)", getter(page, f"{t}/")),
        ("thread list poll, busiest (204)", getter(htmx, threads_poll(busy), status=204)),
        ("thread list poll, typical (204)", getter(htmx, threads_poll(typical), status=204)),
        (f"thread page, longest ({s['long_replies']} replies)", getter(page, long_m)),
        ("thread page, short (no reply)", getter(page, short_m)),
        ("thread poll, longest (204)", getter(htmx, thread_poll(s["long"]), status=204)),
        ("composer opens, busiest", getter(htmx, f"{b}/ecrire/")),
        (
            f"contact picker 'helene', busiest ({s['busy_contacts']} contacts)",
            getter(htmx, f"{b}/contacts/?mode=pick&q=helene"),
        ),
        ("contact picker '0612', busiest", getter(htmx, f"{b}/contacts/?mode=pick&q=0612")),
        (
            f"contact picker 'helene', typical ({s['typical_contacts']} contacts)",
            getter(htmx, f"{t}/contacts/?mode=pick&q=helene"),
        ),
        ("composer recipients 'helene'", getter(htmx, f"{b}/destinataires/?q=helene")),
        ("API contacts ?search=helene, busiest", getter(api, f"{api_b}/contacts?search=helene")),
        ("API contacts ?search=0612, busiest", getter(api, f"{api_b}/contacts?search=0612")),
        ("API recipients ?search=helene", getter(api, f"{api_b}/recipients?search=helene")),
        ("client list search 'helene'", getter(htmx, "/clients/?q=helene")),
        ("API clients ?search=helene", getter(api, "/api/v1/clients?search=helene")),
        ("API clients ?search=0612", getter(api, "/api/v1/clients?search=0612")),
        ("API thread list, busiest", getter(api, f"{api_b}/messages")),
        ("API thread list, typical", getter(api, f"/api/v1/clients/{typical.id}/messages")),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_database_arguments(parser)
    parser.add_argument("--runs", type=int, default=100, help="timed calls per row (100)")
    parser.add_argument(
        "--max-seconds", type=float, default=15.0, help="at most this long per row (15)"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of the queries of each row taking 1 ms or more",
    )
    parser.add_argument("--only", help="only the rows whose label contains this text")
    args = parser.parse_args(argv)

    url = database_url(args.scale, args.database_url)
    setup_django(url)
    setup_pages()
    banner = scale_banner(url)
    rows = plan(subjects())
    if args.only:
        rows = [(label, fn) for label, fn in rows if args.only in label]
    timings: list[Timing] = []
    for label, fn in rows:
        timings.append(measure(label, fn, runs=args.runs, max_seconds=args.max_seconds))
        if args.explain:
            explain_calls(label, fn)
    print_timings(
        f"Pages, searches and the API's thread list, as opérateur 1 ({args.scale}). {banner}",
        timings,
        target_ms=TARGET_MS,
    )
    print(f"Target p50 ≤ {TARGET_MS:.0f} ms; 10 warm-up calls per row.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
