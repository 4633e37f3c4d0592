"""What the benchmarks share: which database, Django set-up, timing, CPU and memory readings,
the in-process HTTP client, and the table they print.

The bench bases (bench/generate.py fills them):

    --scale 100k   relais_bench      5,000 clients, 50 staff, 100,000 messages (37 days)
    --scale 1m     relais_bench_1m   the same permanence, 1,000,000 messages (a year)

BENCH_DATABASE_URL names the 100k base (else DATABASE_URL, else relais_bench on 127.0.0.1);
the 1m base is the same URL with "_1m" appended to the database name, unless
BENCH_1M_DATABASE_URL says otherwise. `--database-url` on a script's command line wins over
both. Every name must contain "bench": the scripts write there, and --reset drops it.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/relais_bench"
SCALES = ("100k", "1m")
SLUG = "bench"
PASSWORD = "relais-bench"
GERANT_EMAIL = "gerant@bench.example"
OPERATOR_EMAIL = "operateur1@bench.example"


# -- which database --------------------------------------------------------------------------


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


def _with_name(url: str, name: str) -> str:
    head, _, tail = url.rpartition("/")
    query = tail.partition("?")[2]
    return f"{head}/{name}" + (f"?{query}" if query else "")


def check_bench_name(url: str) -> str:
    name = database_name(url)
    if "bench" not in name:
        raise SystemExit(
            f"Refusing to use database {name!r}: the benchmarks fill (and --reset drops) their "
            "database, so its name must contain 'bench'. Set BENCH_DATABASE_URL, e.g. "
            f"{DEFAULT_DATABASE_URL}."
        )
    return url


def database_url(scale: str = "100k", override: str | None = None) -> str:
    """The bench base of that scale (see the module's docstring); override wins."""
    if override:
        return check_bench_name(override)
    base = (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or DEFAULT_DATABASE_URL
    )
    if scale == "100k":
        return check_bench_name(base)
    if scale == "1m":
        explicit = os.environ.get("BENCH_1M_DATABASE_URL")
        if explicit:
            return check_bench_name(explicit)
        check_bench_name(base)
        return _with_name(base, database_name(base) + "_1m")
    raise SystemExit(f"Unknown scale {scale!r}: {', '.join(SCALES)}.")


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scale",
        choices=SCALES,
        default="100k",
        help="which bench base: 100k (relais_bench) or 1m (relais_bench_1m); default 100k",
    )
    parser.add_argument(
        "--database-url", help="a bench database of your choice (its name must contain 'bench')"
    )


def ensure_database(url: str, *, reset: bool = False) -> None:
    """Creates the PostgreSQL database named by url if missing (drops it first on reset)."""
    import dj_database_url
    from psycopg import sql

    cfg = dj_database_url.parse(url)
    if "postgresql" not in cfg["ENGINE"]:
        raise SystemExit(f"The benchmarks need PostgreSQL; DATABASE_URL is {url!r}.")
    name = cfg["NAME"]
    with _admin(cfg) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reset:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")


def _admin(cfg: Any) -> Any:
    """An autocommit connection to the server's `postgres` database, to create or drop one."""
    import psycopg

    return psycopg.connect(
        host=cfg.get("HOST") or "127.0.0.1",
        port=cfg.get("PORT") or 5432,
        user=cfg.get("USER") or "postgres",
        password=cfg.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


def database_exists(url: str) -> bool:
    import dj_database_url

    cfg = dj_database_url.parse(url)
    with _admin(cfg) as admin:
        found = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]
        ).fetchone()
    return found is not None


def bench_environment(url: str) -> dict[str, str]:
    """Production-like settings on the bench database: DEBUG off, a secret key, quiet logs."""
    return {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-" + "x" * 40,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "ERROR"),
    }


def setup_django(url: str) -> None:
    """Django on the bench database, with production-like settings (DEBUG off)."""
    os.environ["DATABASE_URL"] = url
    for key, value in bench_environment(url).items():
        os.environ.setdefault(key, value)
    import django

    django.setup()


def setup_pages() -> None:
    """After setup_django, for benchmarks that render pages in-process: {% static %} without
    a collectstatic manifest (whitenoise serves the manifest's files in production)."""
    import warnings

    from django.conf import settings

    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    warnings.filterwarnings("ignore", message="No directory at")


# -- CPU, memory, load -----------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Sequence[int]) -> float:
    """utime + stime of these processes (those gone count 0)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of /proc/<pid>/status, in kB: VmRSS (resident), RssAnon (private)…;
    0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def own_backend_pid() -> int:
    """The PostgreSQL backend serving this process's Django connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def free_port() -> int:
    """A TCP port free on 127.0.0.1 (for a server the benchmark starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# -- in-process measurement ------------------------------------------------------------------


@dataclass
class Timing:
    """One benchmarked call, repeated: wall times, the part waiting for PostgreSQL, and the
    CPU time per call of this process and of its PostgreSQL backend."""

    label: str
    wall_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    queries: int = 0
    app_cpu_ms: float = float("nan")
    db_cpu_ms: float = float("nan")
    note: str = ""

    @property
    def p50(self) -> float:
        return pct(self.wall_ms, 50)

    @property
    def p99(self) -> float:
        return pct(self.wall_ms, 99)

    @property
    def mean(self) -> float:
        return statistics.mean(self.wall_ms) if self.wall_ms else float("nan")


def measure(
    label: str,
    fn: Callable[[], Any],
    *,
    runs: int,
    warmup: int = 10,
    max_seconds: float = 60.0,
    note: str = "",
) -> Timing:
    """Calls fn warmup times, then up to runs times (stopping after max_seconds)."""
    from django.db import connection

    for _ in range(warmup):
        fn()
    backend = own_backend_pid()
    spent = [0.0]
    count = [0]

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        count[0] += 1
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    timing = Timing(label, note=note)
    deadline = time.monotonic() + max_seconds
    cpu_before, db_before = time.process_time(), cpu_seconds([backend])
    with connection.execute_wrapper(timed):
        for _ in range(runs):
            spent[0] = 0.0
            count[0] = 0
            started = time.perf_counter()
            fn()
            timing.wall_ms.append((time.perf_counter() - started) * 1000)
            timing.sql_ms.append(spent[0] * 1000)
            timing.queries = count[0]
            if time.monotonic() > deadline:
                break
    done = len(timing.wall_ms)
    timing.app_cpu_ms = (time.process_time() - cpu_before) * 1000 / done
    timing.db_cpu_ms = (cpu_seconds([backend]) - db_before) * 1000 / done
    return timing


def print_timings(title: str, timings: Sequence[Timing], *, target_ms: float | None = None) -> None:
    """The table every in-process benchmark prints."""
    width = max([len(t.label) for t in timings] + [20])
    print(f"\n{title}")
    head = (
        f"{'what':<{width}} {'p50':>7} {'p99':>7} {'mean':>7} {'SQL p50':>8} {'queries':>7} "
        f"{'CPU app':>8} {'CPU db':>7} {'runs':>5}"
    )
    if target_ms is not None:
        head += "  target"
    print(head)
    print("-" * len(head))
    for t in timings:
        line = (
            f"{t.label:<{width}} {t.p50:7.1f} {t.p99:7.1f} {t.mean:7.1f} "
            f"{pct(t.sql_ms, 50):8.1f} {t.queries:7d} {t.app_cpu_ms:8.1f} {t.db_cpu_ms:7.1f} "
            f"{len(t.wall_ms):5d}"
        )
        if target_ms is not None:
            line += "  " + ("ok" if t.p50 <= target_ms else "SLOW")
        if t.note:
            line += f"  {t.note}"
        print(line)
    print(
        "Times in ms. SQL: the part of a call spent waiting for PostgreSQL; queries: per call; "
        "CPU app / db: CPU ms per call in this process and in its PostgreSQL backend."
    )


# -- the in-process HTTP client --------------------------------------------------------------


def logged_in_client(user: Any, *, htmx: bool = False, api_token: str | None = None) -> Any:
    """Django's test client as a browser behind the TLS proxy would be (X-Forwarded-Proto:
    https, so SECURE_SSL_REDIRECT lets it through), logged in as user; with api_token, a
    bearer token instead of the session."""
    from django.test import Client as HttpClient

    headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
    if htmx:
        headers["HX-Request"] = "true"
    if api_token:
        headers["Authorization"] = f"Bearer {api_token}"
    client = HttpClient(headers=headers)
    if not api_token:
        client.force_login(user, backend="relais.tenancy.backends.UserBackend")
    return client


def getter(client: Any, url: str, *, status: int = 200) -> Callable[[], Any]:
    """A call that GETs url and checks the answer's status."""

    def call() -> Any:
        response = client.get(url)
        if response.status_code != status:
            raise SystemExit(f"GET {url}: {response.status_code}, expected {status}")
        return response

    return call


def scale_banner(url: str) -> str:
    """One line on the base being measured: its database, messages and open tasks."""
    from relais.messaging.models import Message
    from relais.tenancy.models import Permanence

    perm = Permanence.objects.filter(slug=SLUG).first()
    if perm is None:
        raise SystemExit(
            f"No bench permanence in {database_name(url)}: run bench/generate.py first "
            "(with the same --scale / --database-url)."
        )
    from django.db import connection

    with connection.cursor() as cursor:
        # The planner's row counts (fresh after generate.py's VACUUM ANALYZE): counting a
        # million rows exactly would take longer than what is measured.
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
            [Message._meta.db_table],
        )
        messages = int(cursor.fetchone()[0])
    open_tasks = Message.objects.filter(permanence=perm, status=Message.STATUS_TODO).count()
    return (
        f"Base {database_name(url)}: about {messages:,} messages, {open_tasks:,} open tasks. "
        f"Load average {loadavg()} on {os.cpu_count()} cores."
    )


def api_token(user: Any) -> str:
    """A bearer token for user, the same at every run (one ApiToken row per user, kept)."""
    from relais.tenancy.models import ApiToken

    token = f"relais-bench-token-{user.pk}"
    ApiToken.objects.get_or_create(digest=ApiToken.hash(token), defaults={"user": user})
    return token


def explain_calls(label: str, fn: Callable[[], Any], *, min_ms: float = 1.0) -> None:
    """Runs fn once, then prints EXPLAIN (ANALYZE, BUFFERS) of each SELECT it ran that took
    at least min_ms (the SQL as Django sent it, parameters bound)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    print(f"\n== {label}: {len(captured.captured_queries)} queries")
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or float(query["time"]) * 1000 < min_ms:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
        print(f"\n-- {float(query['time']) * 1000:.1f} ms: {sql[:2000]}")
        for line in plan:
            print("   " + line)
