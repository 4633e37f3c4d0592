"""Runs every benchmark in turn (`make bench`). Each prints its own table.

The bench database is PostgreSQL (see bench/README.md); run on a quiet machine.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STEPS = [
    ["generate.py"],
    ["send_bench.py"],
    ["tasks_bench.py"],
    ["delivery_bench.py"],
    ["pdf_bench.py"],
]


def main() -> int:
    failed = []
    for step in STEPS:
        script = HERE / step[0]
        if not script.exists():
            continue
        print(f"\n=== {' '.join(step)} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script), *step[1:]])
        print(f"--- {step[0]}: exit {code} in {time.monotonic() - started:.0f} s", flush=True)
        if code:
            failed.append(step[0])
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
