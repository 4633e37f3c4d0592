"""Delivery throughput and latency: one worker process, a local SMTP sink (issue 5's benchmark).

    .venv/bin/python bench/delivery_bench.py                 # PostgreSQL bench database
    .venv/bin/python bench/delivery_bench.py --sqlite        # a throw-away SQLite file
    .venv/bin/python bench/delivery_bench.py --queue rq      # wake-ups through Redis

Measures, with e-mail copies sent through Django's SMTP backend to an aiosmtpd server on
127.0.0.1 (the real transport, no network beyond loopback):

1. throughput of ONE worker process: N messages with +EMAIL are written first (N outbox rows and
   N queued wake-ups), then one worker is started; copies/s between the first and the last
   acceptance by the SMTP server. Twice: through the queued wake-ups alone (`relais_worker` on
   the database queue, or `rqworker` on Redis; the sweep's grace is 300 s so it takes none) and
   through the sweep alone (`--no-tasks`). The CPU per copy of the worker process (and of all
   PostgreSQL processes) is read from /proc over the same window, with the load average.
2. latency from *Envoyer* to the SMTP server's acceptance, p50/p99: messages are sent one by
   one at a steady rate (message_send returns once the message and its outbox row are
   committed) while one worker with its default settings runs.

Every copy must arrive exactly once; the run says so. Targets: >= 200 e-mails/s per worker,
p50 < 1 s. The database is the bench database (see generate.py); only a small permanence of
its own ("bench-delivery") is written, and its copies are removed at each start.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import ensure_database, setup_django  # noqa: E402

DELIVERY_DB_URL = "postgres://postgres@127.0.0.1:5432/relais_bench_delivery"
from tests.delivery.servers import Received, SmtpSink  # noqa: E402

TARGET_RATE = 200.0
TARGET_P50_S = 1.0
SLUG = "bench-delivery"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")


class LeanSmtpSink:
    """A minimal SMTP server (asyncio, one thread) that accepts everything: EHLO, MAIL, RCPT,
    DATA read in one piece, RSET, QUIT. aiosmtpd reads DATA line by line and needs about
    three times the CPU per message; on a 2-core machine the sink would otherwise take the CPU
    the worker is measured on. `--sink aiosmtpd` measures with aiosmtpd instead."""

    def __init__(self) -> None:
        self.port = 0
        self.received: list[Received] = []
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ESMTP\r\n")
        mail_from, rcpt_tos = "", list[str]()
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                elif verb == b"MAIL":
                    mail_from, rcpt_tos = line[10:].strip().decode().strip("<>"), []
                    writer.write(b"250 OK\r\n")
                elif verb == b"RCPT":
                    rcpt_tos.append(line[8:].strip().decode().strip("<>"))
                    writer.write(b"250 OK\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    await writer.drain()
                    data = (await reader.readuntil(b"\r\n.\r\n"))[:-5]
                    self.received.append(
                        Received(
                            mail_from, rcpt_tos, data.replace(b"\r\n..", b"\r\n."), time.time()
                        )
                    )
                    writer.write(b"250 2.0.0 Message accepted for delivery\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 Bye\r\n")
                    break
                else:  # RSET, NOOP
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def start(self) -> LeanSmtpSink:
        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            server = loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)


Sink = SmtpSink | LeanSmtpSink


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def worker_env(sink: Sink, queue: str) -> dict[str, str]:
    env = {
        **os.environ,
        "RELAIS_EMAIL_BACKEND": "smtp",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.port),
        "TASKS_BACKEND": queue,
        "CONN_MAX_AGE": "60",
    }
    if queue == "rq":
        env["REDIS_URL"] = REDIS_URL
    return env


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Output to a file: a worker writing to a pipe nobody reads stops when the pipe is full.
    with (Path(tempfile.gettempdir()) / "relais-delivery-bench-workers.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and of its children it has waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3; utime, stime, cutime, cstime are 14 to 17.
    return sum(int(v) for v in fields[11:15]) / CLOCK_TICKS


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL server process on this machine (its backends included).
    Other databases' work lands here too: read it with the load average."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += process_cpu(int(entry.name))
            except OSError:
                continue
    return total


class CpuWindow:
    """CPU of the worker processes (and of PostgreSQL) between the first and the last copy the
    sink accepted: the same window as the rate, so start-up costs are left out."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start: tuple[float, float] | None = None
        self.end: tuple[float, float] | None = None

    def sample(self) -> tuple[float, float]:
        return sum(process_cpu(p) for p in self.pids), postgres_cpu()

    def per_copy_ms(self, copies: int) -> tuple[float, float]:
        if self.start is None or self.end is None or copies < 1:
            return float("nan"), float("nan")
        worker = (self.end[0] - self.start[0]) / copies * 1000
        database = (self.end[1] - self.start[1]) / copies * 1000
        return worker, database


def wait_for(sink: Sink, count: int, timeout: float, cpu: CpuWindow | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while len(sink.received) < count:
        if cpu is not None and cpu.start is None and sink.received:
            cpu.start = cpu.sample()
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    if cpu is not None:
        cpu.end = cpu.sample()
    return True


def rq_command(args: argparse.Namespace) -> list[str]:
    command = ["rqworker", "default", "--job-class", "django_tasks_rq.backend.Job"]
    if args.rq_simple:
        command += ["--worker-class", "rq.worker.SimpleWorker"]
    return command


class Bench:
    def __init__(self, args: argparse.Namespace, sink: Sink) -> None:
        self.args = args
        self.sink = sink
        self.env = worker_env(sink, args.queue)
        self.rows: list[tuple[str, str]] = []
        self.duplicates = 0

    def setup(self) -> None:
        from django.core.management import call_command

        from relais.clients.models import Client
        from relais.tenancy import permissions as perms
        from relais.tenancy.models import Permanence, Role, User

        call_command("migrate", verbosity=0)
        permanence, _ = Permanence.objects.get_or_create(
            slug=SLUG, defaults={"name": "Permanence Banc d'essai livraison"}
        )
        role, _ = Role.objects.get_or_create(
            permanence=permanence,
            kind=perms.OPERATEUR,
            defaults={"permissions": perms.DEFAULT_ROLE_PERMISSIONS[perms.OPERATEUR]},
        )
        self.author, _ = User.objects.get_or_create(
            email="operatrice@bench-delivery.test",
            defaults={
                "permanence": permanence,
                "first_name": "Léa",
                "kind": User.STAFF,
                "role": role,
            },
        )
        self.client, _ = Client.objects.get_or_create(
            permanence=permanence,
            name="Dr Cécile Lemoine",
            defaults={"email": "cecile.lemoine@cabinet.test", "mobile": "+33612345678"},
        )
        self.permanence = permanence

    def clean(self) -> None:
        from relais.delivery.models import Delivery

        Delivery.objects.filter(permanence=self.permanence).delete()
        if self.args.queue == "db":
            from django_tasks_db.models import DBTaskResult

            # The database is the benchmark's own: the results of earlier runs go too.
            DBTaskResult.objects.all().delete()
        else:
            import django_rq

            django_rq.get_queue("default").empty()
        self.vacuum()
        self.sink.received.clear()

    def vacuum(self) -> None:
        """Each run rewrites thousands of rows; without autovacuum (off on some machines) the
        dead ones of earlier runs pile up in the tables and indexes every run goes through,
        and each run would measure its predecessors' garbage."""
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        from django_tasks_db.models import DBTaskResult

        from relais.delivery.models import Delivery
        from relais.messaging.models import HistoryEvent, Message

        with connection.cursor() as cursor:
            for model in (Delivery, HistoryEvent, Message, DBTaskResult):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def send(self, n: int, *, tasks: bool = True) -> list[tuple[Any, float]]:
        """n messages with +EMAIL; (message id, time message_send returned)."""
        from django.test import override_settings

        from relais.messaging.services import SendInput, message_send

        sent = []
        quiet = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
        with override_settings(**({} if tasks else {"TASKS": quiet})):
            for i in range(n):
                message, _ = message_send(
                    author=self.author,
                    client=self.client,
                    data=SendInput(
                        subject=f"Rappel patient {i}",
                        body="Mme Durand a appelé à 10h12 : merci de la rappeler.\n"
                        "Disponible jusqu'à 11h, sinon après 17h.",
                        copy_email=True,
                        is_urgent=i % 5 == 0,
                    ),
                )
                sent.append((message.id, time.time()))
        return sent

    def check_once(self, expected: int) -> int:
        ids = [r.message["Message-ID"] for r in self.sink.received]
        duplicates = len(ids) - len(set(ids))
        self.duplicates += duplicates
        if len(set(ids)) != expected:
            deliveries = {r.message["X-Relais-Delivery"] for r in self.sink.received}
            print(
                f"  ! {len(set(ids))} distinct copies received ({len(deliveries)} distinct "
                f"deliveries, {len(ids)} messages), {expected} expected"
            )
        return duplicates

    def throughput(self, label: str, worker_args: list[str], *, tasks: bool) -> None:
        n = self.args.copies
        self.clean()
        t0 = time.perf_counter()
        self.send(n, tasks=tasks)
        write_s = time.perf_counter() - t0
        self.vacuum()  # and the planner's statistics see the rows just written
        # With wake-ups, the sweep leaves every copy to its wake-up (by default it would take
        # copies waiting more than 10 s as lost wake-ups, and the run would measure a mix).
        grace = "300" if tasks else "0"
        extra_env = {"RELAIS_DELIVERY_SWEEP_GRACE": grace}
        process = start(worker_args, {**self.env, **extra_env})
        cpu = CpuWindow([process.pid])
        try:
            complete = wait_for(self.sink, n, timeout=self.args.max_seconds, cpu=cpu)
        finally:
            stop(process)
        at = sorted(r.at for r in self.sink.received)
        rate = (len(at) - 1) / (at[-1] - at[0]) if len(at) > 1 and at[-1] > at[0] else 0.0
        # The CPU window opens at the first acceptance: the copies after it.
        worker_ms, database_ms = cpu.per_copy_ms(len(at) - 1)
        database = "" if self.args.sqlite else f", PostgreSQL {database_ms:.2f} ms"
        dup = self.check_once(n)
        note = "" if complete else f"timeout: {len(at)}/{n}"
        self.rows.append(
            (
                f"throughput, {label}",
                f"{rate:7.0f} copies/s  CPU/copy: worker {worker_ms:.2f} ms{database}  "
                f"({n} copies; writing them took {write_s:.1f} s; "
                f"duplicates {dup}; load {os.getloadavg()[0]:.2f}) {note}",
            )
        )

    def latency(self) -> None:
        from relais.delivery.models import Delivery

        self.clean()
        if self.args.queue == "rq":
            worker = start(rq_command(self.args), self.env)
            sweeper = start(["relais_worker"], self.env)
        else:
            worker = start(["relais_worker"], self.env)  # default interval and sweep
            sweeper = None
        time.sleep(2.0)  # let the worker start; the clock runs from Envoyer, not from boot
        n, rate = self.args.latency_sends, self.args.rate
        sent: list[tuple[Any, float]] = []
        try:
            t_next = time.perf_counter()
            for _ in range(n):
                sent += self.send(1)
                t_next += 1 / rate
                time.sleep(max(0.0, t_next - time.perf_counter()))
            complete = wait_for(self.sink, n, timeout=self.args.max_seconds)
        finally:
            stop(worker)
            if sweeper is not None:
                stop(sweeper)
        by_message = {m: t for m, t in sent}
        delivery_of = dict(
            Delivery.objects.filter(message_id__in=by_message).values_list("id", "message_id")
        )
        latencies = []
        for received in self.sink.received:
            message_id = delivery_of.get(uuid.UUID(received.message["X-Relais-Delivery"]))
            if message_id in by_message:
                latencies.append(received.at - by_message[message_id])
        dup = self.check_once(n)
        note = "" if complete else f"timeout: {len(latencies)}/{n}"
        self.rows.append(
            (
                "latency Envoyer → SMTP 250",
                f"p50 {pct(latencies, 50) * 1000:5.0f} ms  p99 {pct(latencies, 99) * 1000:5.0f} ms"
                f"  mean {statistics.fmean(latencies) * 1000:5.0f} ms  ({len(latencies)} sends at "
                f"{rate:g}/s, default worker settings; duplicates {dup}) {note}",
            )
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=2000, help="copies for the throughput runs")
    parser.add_argument("--latency-sends", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="sends/s during the latency run")
    parser.add_argument("--queue", choices=["db", "rq"], default="db")
    parser.add_argument(
        "--rq-simple",
        action="store_true",
        help="rqworker --worker-class rq.worker.SimpleWorker (no fork per job)",
    )
    parser.add_argument("--sqlite", action="store_true", help="a throw-away SQLite file")
    parser.add_argument("--sink", choices=["lean", "aiosmtpd"], default="lean")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args(argv)

    if args.sqlite:
        tmp = tempfile.mkdtemp(prefix="relais-delivery-bench-")
        url = f"sqlite:///{tmp}/bench.sqlite3"
        os.environ["RELAIS_DATA_DIR"] = tmp
    else:
        # A database of its own: the send benchmark leaves queued copies in the shared bench
        # base, which a worker here would drain and count.
        url = os.environ.get("BENCH_DELIVERY_DATABASE_URL", DELIVERY_DB_URL)
        ensure_database(url)
    os.environ["TASKS_BACKEND"] = args.queue
    if args.queue == "rq":
        os.environ["REDIS_URL"] = REDIS_URL
    sink: Sink = LeanSmtpSink().start() if args.sink == "lean" else SmtpSink().start()
    os.environ.update(worker_env(sink, args.queue))
    setup_django(url)

    bench = Bench(args, sink)
    try:
        bench.setup()
        engine = "SQLite (file, WAL)" if args.sqlite else "PostgreSQL"
        queue = args.queue + (" (SimpleWorker)" if args.rq_simple else "")
        print(
            f"Delivery benchmark — {engine}, queue {queue}, "
            f"SMTP sink ({args.sink}) on port {sink.port}"
        )
        if args.queue == "rq":
            wakeups = [*rq_command(args), "--burst"]
        else:
            wakeups = ["relais_worker", "--interval", "0.05"]
        bench.throughput("queued wake-ups (one task per message)", wakeups, tasks=True)
        bench.throughput(
            "sweep only (relais_worker --no-tasks)",
            ["relais_worker", "--no-tasks", "--sweep", "0.2", "--interval", "0.05"],
            tasks=False,
        )
        bench.latency()
    finally:
        sink.stop()

    width = max(len(label) for label, _ in bench.rows)
    for label, value in bench.rows:
        print(f"  {label:<{width}}  {value}")
    print(
        f"Targets: >= {TARGET_RATE:.0f} e-mails/s per worker, p50 < {TARGET_P50_S * 1000:.0f} ms;"
        f" copies received twice: {bench.duplicates}."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
