"""Send latency and throughput with a large base already stored (issue 3's benchmark).

    .venv/bin/python bench/generate.py          # once: 100,000 messages in relais_bench
    .venv/bin/python bench/send_bench.py

Measures, on the bench database (see generate.py for how it is chosen):

1. message_send called in-process (no HTTP): the service's own cost, p50/p99, for a minimal
   message, a typical one (contact, one copy recipient, urgent, Idempotency-Key) and a typical
   one with an e-mail copy to the client (outbox row + queued wake-up);
2. POST /api/v1/clients/{id}/messages through gunicorn on 127.0.0.1 (sync workers, DEBUG off),
   with 1 and 4 concurrent clients (separate processes): server-side time from gunicorn's
   access log (%(D)s: request read to response written), client-side time, and sends/s.

Every phase is bounded (--sends, --max-seconds); gunicorn is stopped at the end whatever
happens. The messages a run sends (a few thousand, all urgent, by opérateur 1) are deleted at
the end, with their rows in the other tables: left in the base, they would pile up run after
run and change what the other benchmarks measure (opérateur 1's unread urgent count above all).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    children,
    cpu_seconds,
    free_port,
    loadavg,
    own_backend_pid,
    pct,
)
from bench.generate import SLUG, database_url, ensure_database, setup_django  # noqa: E402

SUBJECT = "Rappel patient"
TARGET_P50_MS = 15.0
TARGET_SENDS_PER_S = 300.0
BODY = (
    "Mme Hélène Moreau a appelé à 10h12 : elle souhaite être rappelée au sujet des résultats "
    "de sa prise de sang.\nDisponible ce matin jusqu'à 11h, sinon après 17h.\n"
    "Numéro : 06 12 34 56 78."
)


# What the TLS proxy in front of the production launch adds to every request.
PROXY = {"X-Forwarded-Proto": "https"}


@dataclass
class Row:
    path: str
    concurrency: int
    sends: int
    p50: float
    p99: float
    rate: float
    app_cpu: float = float("nan")  # CPU ms per send in Python (in-process or gunicorn)
    db_cpu: float = float("nan")  # CPU ms per send in the PostgreSQL backends serving it
    note: str = ""


# -- CPU accounting --------------------------------------------------------------------------
# Wall-clock figures suffer from anything else running on the machine; the CPU time each
# send costs does much less. Both are reported (bench/common.py reads /proc).


def db_backends() -> list[int]:
    """PostgreSQL backends connected to the bench database, other than this one."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


# -- in-process ------------------------------------------------------------------------------


def in_process(n: int, max_seconds: float, context: dict[str, Any]) -> list[Row]:
    from relais.messaging.services import SendInput, client_for_send, message_send
    from relais.tenancy.models import User

    author = User.objects.select_related("role").get(pk=context["author_id"])
    client_id = context["client_id"]
    variants: dict[str, dict[str, Any]] = {
        "minimal": {},
        "typical": {"contact": context["contact_id"], "cc": [context["cc_id"]], "is_urgent": True},
        "typical + e-mail copy": {
            "contact": context["contact_id"],
            "cc": [context["cc_id"]],
            "is_urgent": True,
            "copy_email": True,
        },
    }
    rows = []
    for name, extra in variants.items():
        keyed = name != "minimal"

        def once(extra: dict[str, Any] = extra, keyed: bool = keyed) -> None:
            # As the API and the composer send: the client read with the send's lookups.
            data = SendInput(subject=SUBJECT, body=BODY, **extra)
            message_send(
                author=author,
                client=client_for_send(author, client_id, data),
                data=data,
                idempotency_key=str(uuid.uuid4()) if keyed else "",
            )

        for _ in range(min(30, n)):  # warm-up: connection, caches
            once()
        timings: list[float] = []
        backend = [own_backend_pid()]
        db_before = cpu_seconds(backend)
        cpu_before = time.process_time()
        started = time.perf_counter()
        while len(timings) < n and time.perf_counter() - started < max_seconds:
            t0 = time.perf_counter()
            once()
            timings.append((time.perf_counter() - t0) * 1000)
        wall = time.perf_counter() - started
        app_cpu = (time.process_time() - cpu_before) * 1000 / len(timings)
        db_cpu = (cpu_seconds(backend) - db_before) * 1000 / len(timings)
        rows.append(
            Row(
                f"message_send in-process, {name}",
                1,
                len(timings),
                statistics.median(timings),
                pct(timings, 99),
                len(timings) / wall,
                app_cpu,
                db_cpu,
            )
        )
    return rows


# -- HTTP ------------------------------------------------------------------------------------


def http_worker(args: tuple[int, str, str, str, int, float, float]) -> dict[str, Any]:
    """One client process: sends until its share is done or time is up."""
    port, token, client_id, payload, count, deadline, start_at = args
    while time.time() < start_at:
        time.sleep(0.001)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    began = time.perf_counter()
    cpu_began = time.process_time()
    for _ in range(count):
        if time.time() > deadline:
            break
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            conn.request(
                "POST",
                f"/api/v1/clients/{client_id}/messages",
                body=payload,
                headers={
                    **PROXY,
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": str(uuid.uuid4()),
                },
            )
            response = conn.getresponse()
            response.read()
            status = response.status
        finally:
            conn.close()
        latencies.append((time.perf_counter() - t0) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "latencies": latencies,
        "statuses": statuses,
        "began": began,
        "cpu": time.process_time() - cpu_began,
    }


class Gunicorn:
    def __init__(self, workers: int, env: dict[str, str]) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="relais-bench-"))
        self.access_log = self.dir / "access.log"
        self.error_log = self.dir / "error.log"
        # The production launch itself (config/gunicorn.conf.py behind `relais_serve`), with
        # its access log in the format the server-side times are read from.
        env = {
            **env,
            "RELAIS_ACCESS_LOG": str(self.access_log),
            "RELAIS_ACCESS_LOG_FORMAT": "%(m)s %(U)s %(s)s %(D)s",
            "RELAIS_ERROR_LOG": str(self.error_log),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "relais_serve",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--web-workers",
                str(workers),
                "--delivery-workers",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.error_log.open("ab"),
            start_new_session=True,
        )

    def wait_ready(self, token: str, timeout: float = 30) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited: see {self.error_log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request(
                    "GET", "/api/v1/me", headers={**PROXY, "Authorization": f"Bearer {token}"}
                )
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s: see {self.error_log}")

    def web_pids(self) -> list[int]:
        """The gunicorn processes under relais_serve (master and workers)."""
        found, todo = [], [self.proc.pid]
        while todo:
            for pid in children(todo.pop()):
                todo.append(pid)
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"gunicorn" in cmdline:
                    found.append(pid)
        return found

    def log_offset(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def server_times(self, offset: int) -> list[float]:
        """Server-side durations (ms) of the sends logged after offset."""
        time.sleep(0.5)  # let the workers write their last lines
        with self.access_log.open() as fh:
            fh.seek(offset)
            lines = fh.read().splitlines()
        times = []
        for line in lines:
            parts = line.split()
            if (
                len(parts) == 4
                and parts[0] == "POST"
                and parts[1].endswith("/messages")
                and parts[2] == "201"
            ):
                times.append(int(parts[3]) / 1000)
        return times

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def over_http(
    sends: int, concurrencies: list[int], workers: int, max_seconds: float, context: dict[str, Any]
) -> list[Row]:
    from relais.tenancy.models import ApiToken, User

    author = User.objects.get(pk=context["author_id"])
    token = ApiToken.issue(author)
    payload = json.dumps(
        {
            "subject": SUBJECT,
            "body": BODY,
            "contact": str(context["contact_id"]),
            "cc": [str(context["cc_id"])],
            "is_urgent": True,
        }
    )
    # Connections kept for the whole run, so the backends measured are the ones serving it.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or database_url(),
        "CONN_MAX_AGE": "600",
    }
    server = Gunicorn(workers, env)
    rows: list[Row] = []
    try:
        server.wait_ready(token)
        # Warm every worker (imports, connection) before measuring.
        warm = (server.port, token, str(context["client_id"]), payload, 10, time.time() + 30, 0.0)
        with multiprocessing.Pool(workers) as pool:
            pool.map(http_worker, [warm] * workers)
        workers_pids = server.web_pids()
        backends = db_backends()
        for concurrency in concurrencies:
            offset = server.log_offset()
            app_before = cpu_seconds(workers_pids)
            db_before = cpu_seconds(backends)
            share = max(1, sends // concurrency)
            start_at = time.time() + 0.5
            deadline = start_at + max_seconds
            job = (
                server.port,
                token,
                str(context["client_id"]),
                payload,
                share,
                deadline,
                start_at,
            )
            t0 = time.time()
            with multiprocessing.Pool(concurrency) as pool:
                results = pool.map(http_worker, [job] * concurrency)
            wall = time.time() - max(t0, start_at)
            app_cpu = (cpu_seconds(workers_pids) - app_before) * 1000
            db_cpu = (cpu_seconds(backends) - db_before) * 1000
            latencies = [x for r in results for x in r["latencies"]]
            statuses: dict[int, int] = {}
            for r in results:
                for status, n in r["statuses"].items():
                    statuses[status] = statuses.get(status, 0) + n
            created = statuses.get(201, 0)
            client_cpu = sum(r["cpu"] for r in results) * 1000 / max(created, 1)
            server_ms = server.server_times(offset)
            note = "" if set(statuses) == {201} else f"statuses {statuses}"
            rows.append(
                Row(
                    "HTTP API, server-side (gunicorn)",
                    concurrency,
                    len(server_ms),
                    statistics.median(server_ms) if server_ms else float("nan"),
                    pct(server_ms, 99),
                    created / wall,
                    app_cpu / max(created, 1),
                    db_cpu / max(created, 1),
                    note,
                )
            )
            rows.append(
                Row(
                    "HTTP API, client-side (loopback)",
                    concurrency,
                    len(latencies),
                    statistics.median(latencies) if latencies else float("nan"),
                    pct(latencies, 99),
                    created / wall,
                    # What the load generator itself took of the same cores.
                    note=f"load generator: {client_cpu:.1f} ms CPU per send",
                )
            )
    finally:
        server.stop()
    return rows


# -- main ------------------------------------------------------------------------------------


def bench_context() -> dict[str, Any]:
    from relais.clients.models import Client, Contact
    from relais.messaging.models import Message
    from relais.tenancy.models import Permanence, User

    perm = Permanence.objects.filter(slug=SLUG).first()
    if perm is None:
        raise SystemExit("No bench data: run `.venv/bin/python bench/generate.py` first.")
    author = User.objects.get(email="operateur1@bench.example")
    client = Client.objects.filter(permanence=perm, company__isnull=False).order_by("name")[0]
    return {
        "stored": Message.objects.filter(permanence=perm).count(),
        "author_id": author.id,
        "client_id": client.id,
        "contact_id": Contact.objects.filter(client=client).order_by("name")[0].id,
        "cc_id": User.objects.get(email="superviseur@bench.example").id,
    }


def print_table(rows: list[Row], stored: int, workers: int, loads: tuple[str, str]) -> None:
    cpus = os.cpu_count() or 1
    print()
    print(f"Sending a message — {stored:,} messages already stored, PostgreSQL, {cpus} CPU")
    print(
        f"(gunicorn: {workers} sync workers; targets: p50 <= {TARGET_P50_MS:.0f} ms "
        f"server-side, >= {TARGET_SENDS_PER_S:.0f} sends/s; load average before/after: "
        f"{loads[0]} / {loads[1]})"
    )
    header = (
        f"{'path':<48} {'conc':>4} {'sends':>6} {'p50 ms':>7} {'p99 ms':>7} {'sends/s':>8} "
        f"{'app CPU':>8} {'db CPU':>7} {'cap/s':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        cpu = r.app_cpu + r.db_cpu
        capacity = f"{cpus * 1000 / cpu:>6.0f}" if cpu == cpu and cpu > 0 else f"{'':>6}"
        app = f"{r.app_cpu:>8.1f}" if r.app_cpu == r.app_cpu else f"{'':>8}"
        db = f"{r.db_cpu:>7.1f}" if r.db_cpu == r.db_cpu else f"{'':>7}"
        line = (
            f"{r.path:<48} {r.concurrency:>4} {r.sends:>6} {r.p50:>7.1f} {r.p99:>7.1f} "
            f"{r.rate:>8.0f} {app} {db} {capacity}"
        )
        print(line + (f"  {r.note}" if r.note else ""))
    print(
        "app CPU / db CPU: CPU ms per send spent in Python (this process or the gunicorn "
        "workers) and in the PostgreSQL backends serving it; cap/s: the sends per second "
        f"those two would allow on {cpus} otherwise idle cores (the load generator excluded)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sends", type=int, default=1000, help="sends per phase (default 1000)")
    parser.add_argument("--concurrency", default="1,4", help="HTTP clients, e.g. 1,4 (default)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--max-seconds", type=float, default=60, help="cap per phase (60)")
    parser.add_argument("--skip-http", action="store_true", help="in-process only")
    parser.add_argument("--skip-in-process", action="store_true", help="HTTP only")
    args = parser.parse_args(argv)

    url = database_url()
    ensure_database(url)
    setup_django(url)
    from django.utils import timezone

    load_before = loadavg()
    context = bench_context()
    started_at = timezone.now()
    try:
        rows = (
            []
            if args.skip_in_process
            else in_process(min(args.sends, 1000), args.max_seconds, context)
        )
        if not args.skip_http:
            from django.db import connections

            connections.close_all()  # the client processes fork from here
            concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
            rows += over_http(args.sends, concurrencies, args.workers, args.max_seconds, context)
    finally:
        removed = remove_sent(context, started_at)
    print_table(rows, context["stored"], args.workers, (load_before, loadavg()))
    print(f"{removed:,} messages sent by this run deleted (with their other rows).")
    return 0


def remove_sent(context: dict[str, Any], started_at: Any) -> int:
    """Deletes the messages this run sent (and, by cascade, their recipients, read states,
    history lines and copies)."""
    from relais.messaging.models import Message

    sent = Message.objects.filter(
        author_id=context["author_id"], subject=SUBJECT, created_at__gte=started_at
    )
    return sent.delete()[1].get("messaging.Message", 0)


if __name__ == "__main__":
    raise SystemExit(main())
