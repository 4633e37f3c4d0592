"""The daily purge on a copy of a bench base (issue 19, point 9).

    createdb -h 127.0.0.1 -U postgres -T relais_bench relais_bench_purge   # a copy: it deletes
    .venv/bin/python bench/purge_bench.py --database-url \\
        postgres://postgres@127.0.0.1:5432/relais_bench_purge [--messages-days 30]

It DELETES rows: it refuses the shared bases (relais_bench, relais_bench_1m) and any database
whose name lacks "bench". The bench permanence keeps its messages and history
--messages-days days (30: about a fifth of the 100k base's 37 days) and its outbox copies 7
days; the script times each batch (one short transaction) and the whole run, prints the rows
removed per kind, the slowest batch (the longest any row lock is held), and runs it again to
show the second run finds nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import check_bench_name, database_name, loadavg, pct, setup_django  # noqa: E402

SHARED = {"relais_bench", "relais_bench_1m"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--messages-days", type=int, default=30)
    parser.add_argument("--outbox-days", type=int, default=7)
    args = parser.parse_args(argv)
    url = check_bench_name(args.database_url)
    if database_name(url) in SHARED:
        raise SystemExit("Refusing to purge a shared bench base: copy it first (createdb -T).")
    setup_django(url)

    from django.utils import timezone

    from relais.audit import retention
    from relais.audit.models import DataPolicy
    from relais.audit.policy import defaults
    from relais.tenancy.models import Permanence

    permanence = Permanence.objects.get(slug="bench")
    values = {
        **defaults(),
        "messages_days": args.messages_days,
        "history_days": args.messages_days,
        "outbox_days": args.outbox_days,
    }
    DataPolicy.objects.update_or_create(permanence=permanence, defaults=values)
    batches: list[float] = []
    last = [time.perf_counter()]

    def on_batch(name: str, total: int) -> None:
        now = time.perf_counter()
        batches.append((now - last[0]) * 1000)
        last[0] = now

    now = timezone.now()
    print(f"Purge of {database_name(url)} as of {now:%Y-%m-%d %H:%M} UTC; load {loadavg()}")
    start = time.perf_counter()
    last[0] = start
    removed = retention.purge_permanence(permanence_id=permanence.pk, now=now, on_batch=on_batch)
    total_s = time.perf_counter() - start
    for name, count in removed.items():
        print(f"  {name:<10} {count:>9,} rows")
    print(
        f"  {len(batches)} batches in {total_s:.1f} s; per batch p50 {pct(batches, 50):.0f} ms, "
        f"p99 {pct(batches, 99):.0f} ms, max {max(batches or [0]):.0f} ms"
    )
    start = time.perf_counter()
    again = retention.purge_permanence(permanence_id=permanence.pk, now=now)
    print(f"Second run: {again or 'nothing'} in {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
