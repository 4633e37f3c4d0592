"""Every benchmark, on both bench bases, one after the other (`make bench`). Each prints its
own table; this prints a summary of what ran, for how long, and how it ended.

    .venv/bin/python bench/run_all.py                   # 100k then 1m, full runs
    .venv/bin/python bench/run_all.py --scale 1m        # one base
    .venv/bin/python bench/run_all.py --quick           # fewer calls: a smoke run
    .venv/bin/python bench/run_all.py --only pages,tasks

For each base: generate.py (once: nothing when the base is there; the 1m base takes about five
minutes), then the reading benchmarks (tasks, pages, memory; search on a migrated copy of the base,
dropped afterwards), then those that write into the
base (send, and the load test when locust is installed). Then, once, the benchmarks with a
database of their own (delivery, pdf, notice). The bases and their databases:
bench/common.py. Run on a quiet machine: anything else running shows in the wall-clock figures
(the CPU columns much less).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import SCALES, database_url, loadavg  # noqa: E402

# name: (script, full-run arguments, quick-run arguments)
Step = tuple[str, list[str], list[str]]
PER_SCALE: dict[str, Step] = {
    "generate": ("generate.py", [], []),
    "tasks": ("tasks_bench.py", [], ["--runs", "20", "--max-seconds", "5"]),
    "pages": ("pages_bench.py", [], ["--runs", "20", "--max-seconds", "5"]),
    "memory": ("memory_bench.py", [], ["--requests", "2000", "--copies", "2000"]),
    # On a copy of the base, migrated (the search index), dropped afterwards.
    "search": (
        "search_bench.py",
        ["--prepare", "--drop-after"],
        ["--prepare", "--drop-after", "--runs", "20", "--max-seconds", "5"],
    ),
    "send": ("send_bench.py", [], ["--sends", "200", "--max-seconds", "20"]),
    "load": ("load_test.py", [], ["--quick"]),
}
ONCE: dict[str, Step] = {
    "delivery": ("delivery_bench.py", [], ["--copies", "500", "--latency-sends", "50"]),
    "pdf": ("pdf_bench.py", [], ["--runs", "1"]),
    "notice": ("notice_bench.py", [], ["--runs", "3"]),
    "escalation": (
        "escalation_bench.py",
        [],
        ["--waiting", "2000", "--due", "50", "--spread", "10", "--scans", "50"],
    ),
    "inbound": ("inbound_bench.py", [], ["--replies", "100"]),
    # A copy of the 100k base of its own (relais_bench_calls, migrated by the script).
    "events": (
        "events_bench.py",
        [],
        ["--calls", "50", "--streams", "50", "--idle-seconds", "5", "--sends", "200"],
    ),
}
# Scripts that take --scale / --database-url (those of other issues read BENCH_DATABASE_URL).
SCALED = {"generate", "tasks", "pages", "memory", "search"}


def command(
    name: str, script: str, args: list[str], scale: str | None
) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    argv = [sys.executable, str(HERE / script), *args]
    if scale is not None:
        url = database_url(scale)
        if name in SCALED:
            argv += ["--scale", scale]
        elif name == "load":
            argv += ["--database-url", url]
        else:
            env["BENCH_DATABASE_URL"] = url
    return argv, env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--scale", choices=[*SCALES, "both"], default="both", help="which base(s) (both)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer calls per benchmark")
    parser.add_argument(
        "--only",
        help="comma-separated: " + ", ".join([*PER_SCALE, *ONCE]) + " (default: all)",
    )
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    unknown = (only or set()) - set(PER_SCALE) - set(ONCE)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    scales = list(SCALES) if args.scale == "both" else [args.scale]

    plan: list[tuple[str, str, list[str], str | None]] = []
    for scale in scales:
        for name, (script, full, quick) in PER_SCALE.items():
            plan.append((name, script, quick if args.quick else full, scale))
    for name, (script, full, quick) in ONCE.items():
        plan.append((name, script, quick if args.quick else full, None))
    if only is not None:
        # The base must be there for anything that reads it.
        plan = [p for p in plan if p[0] in only or (p[0] == "generate" and only - set(ONCE))]

    summary: list[tuple[str, str, int | str, float]] = []
    for name, script, extra, scale in plan:
        where = scale or "own base"
        if not (HERE / script).exists():
            summary.append((name, where, "missing", 0.0))
            continue
        if name == "load" and importlib.util.find_spec("locust") is None:
            print(f"\n=== {name} ({where}): skipped, locust is not installed "
                  "(.venv/bin/pip install -r bench/requirements.lock)", flush=True)  # fmt: skip
            summary.append((name, where, "skipped", 0.0))
            continue
        cmd, env = command(name, script, extra, scale)
        print(f"\n=== {name} ({where}): {' '.join(cmd[1:])}  [load {loadavg()}]", flush=True)
        started = time.monotonic()
        exit_code = subprocess.call(cmd, env=env, cwd=ROOT)
        elapsed = time.monotonic() - started
        print(f"--- {name} ({where}): exit {exit_code} in {elapsed:.0f} s", flush=True)
        summary.append((name, where, exit_code, elapsed))

    print("\nSummary")
    for name, where, outcome, elapsed in summary:
        status = (
            outcome if isinstance(outcome, str) else "ok" if outcome == 0 else f"exit {outcome}"
        )
        print(f"  {name:<10} {where:<9} {status:<8} {elapsed:6.0f} s")
    failed = [s for s in summary if isinstance(s[2], int) and s[2] != 0]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
