"""Memory (RSS) of a web worker after 10,000 requests and of the delivery worker after 10,000
copies, in the production launch, on a bench base (issue 8).

    .venv/bin/python bench/memory_bench.py --scale 100k
    .venv/bin/python bench/memory_bench.py --scale 1m [--requests 10000] [--copies 10000]

Starts the production launch, `manage.py relais_serve --web-workers 1 --delivery-workers 1`
(gunicorn with config/gunicorn.conf.py, DEBUG off, a generated SECRET_KEY, `check --deploy`
and collectstatic as in production), on 127.0.0.1 with the bench base, and an SMTP sink on
127.0.0.1 for the e-mail copies (bench/delivery_bench.py's). Then:

1. web: a realistic mix of GETs from a logged-in opérateur (the menu counts poll 25 %, a
   client file 35 %, a thread 15 %, the contact picker 10 %, « Tâche à faire » 5 %, « Suivi
   des tâches » 5 %, the API's thread list of a client 5 %) over loopback, as from behind
   the TLS proxy (X-Forwarded-Proto: https), two requests in flight; clients and threads
   drawn from the whole permanence, busy clients more often. RSS of the gunicorn worker
   (VmRSS, and RssAnon, its private part, from /proc/<pid>/status) at start, after 1,000 and
   after 10,000 requests;
2. delivery: 10,000 e-mail copies queued on messages of the base (a wake-up task per 5 copies,
   as message_send enqueues them, so both the task path and the sweep run), delivered by the
   launch's relais_worker to the sink. Its RSS at start, after 1,000 and after 10,000 copies.
   The copies and the history lines they wrote are removed afterwards.

The launch is stopped at the end whatever happens. Bounded by --max-seconds per part.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    SLUG,
    add_database_arguments,
    api_token,
    bench_environment,
    children,
    cpu_seconds,
    database_url,
    free_port,
    loadavg,
    rss_kb,
    scale_banner,
    setup_django,
)

WEB_USER = "operateur2@bench.example"
SINK_DOMAIN = "memoire.bench.example"
LOG = Path(tempfile.gettempdir()) / "relais-memory-bench-launch.log"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Snapshot:
    label: str
    rss: int
    anon: int
    cpu: float
    count: int
    at: float = field(default_factory=time.monotonic)


def snapshot(label: str, pid: int, count: int) -> Snapshot:
    return Snapshot(label, rss_kb(pid), rss_kb(pid, "RssAnon"), cpu_seconds([pid]), count)


class Launch:
    """manage.py relais_serve with one web worker and one delivery worker, in its own process
    group; stop() ends the group."""

    def __init__(self, url: str, sink_port: int) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            **bench_environment(url),
            # The key of this process (sessions made here must be valid there), a strong one:
            # check --deploy refuses a weak key.
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "ALLOWED_HOSTS": "127.0.0.1",
            "RELAIS_EMAIL_BACKEND": "smtp",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink_port),
            "RELAIS_ERROR_LOG": str(LOG),
            "LOG_LEVEL": "WARNING",
        }
        env.pop("RELAIS_ACCESS_LOG", None)
        self.log = LOG.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "relais_serve",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--web-workers",
                "1",
                "--delivery-workers",
                "1",
            ],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90) -> tuple[int, int]:
        """Waits for the login page to answer; returns (gunicorn worker pid, relais_worker
        pid)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"relais_serve stopped (code {self.process.returncode}); see {LOG}"
                )
            try:
                status, _ = request(self.port, "/connexion/", {})
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.5)
        else:
            raise SystemExit(f"relais_serve did not answer within {timeout:.0f} s; see {LOG}")
        procs = descendants(self.process.pid)
        masters = [p for p in procs if "gunicorn" in cmdline(p)]
        workers = [p for p in procs if "relais_worker" in cmdline(p)]
        web = [c for m in masters for c in children(m)]
        if len(web) != 1 or len(workers) != 1:
            raise SystemExit(
                f"Expected one web worker and one relais_worker, found {web}, {workers}"
            )
        return web[0], workers[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def request(port: int, path: str, headers: dict[str, str]) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "GET",
            path,
            headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https", **headers},
        )
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        conn.close()


# -- 1. the web worker -----------------------------------------------------------------------


def web_mix(n: int, seed: int) -> list[tuple[str, dict[str, str]]]:
    """n GETs of an opérateur's day, drawn once (the same list at every run)."""
    from django.test import Client as HttpClient

    from relais.clients.models import Client
    from relais.messaging.models import Message
    from relais.tenancy.models import User

    rng = random.Random(seed)
    user = User.objects.select_related("role").get(email=WEB_USER)
    browser = HttpClient()
    browser.force_login(user, backend="relais.tenancy.backends.UserBackend")
    cookie = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}"}
    htmx = {**cookie, "HX-Request": "true"}
    bearer = {"Authorization": f"Bearer {api_token(user)}"}
    by_activity = list(
        Client.objects.filter(permanence__slug=SLUG).order_by("email").values_list("id", "email")
    )
    # client<i>@… gets the i-th share of the messages: draw clients the same way.
    ranked = sorted(by_activity, key=lambda row: int(row[1][6:].split("@")[0]))
    weights = [1 / (i + 1) ** 0.8 for i in range(len(ranked))]
    threads = list(
        Message.objects.filter(permanence__slug=SLUG, is_client_remark=False)
        .order_by("-last_activity_at")
        .values_list("id", flat=True)[:5000]
    )
    names = ["helene", "moreau", "leo", "0612", "dur", "chloe", "06"]
    picks = rng.choices(range(len(ranked)), weights=weights, k=n)
    mix: list[tuple[str, dict[str, str]]] = []
    for k in range(n):
        client = ranked[picks[k]][0]
        r = rng.random()
        if r < 0.25:
            mix.append(("/menu/compteurs/", htmx))
        elif r < 0.60:
            mix.append((f"/clients/{client}/", cookie))
        elif r < 0.75:
            mix.append((f"/messages/{rng.choice(threads)}/", cookie))
        elif r < 0.85:
            mix.append((f"/clients/{client}/contacts/?mode=pick&q={rng.choice(names)}", htmx))
        elif r < 0.90:
            mix.append(("/taches/", htmx))
        elif r < 0.95:
            mix.append(("/taches/suivi/", htmx))
        else:
            mix.append((f"/api/v1/clients/{client}/messages", bearer))
    return mix


def run_web(
    port: int, pid: int, requests: int, max_seconds: float, seed: int
) -> tuple[list[Snapshot], dict[int, int], float]:
    mix = web_mix(requests, seed)
    marks = sorted({1000, requests} & set(range(1, requests + 1)))
    snaps = [snapshot("start", pid, 0)]
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    done = [0]
    nxt = [0]
    deadline = time.monotonic() + max_seconds
    started = time.monotonic()

    def client() -> None:
        while True:
            with lock:
                if nxt[0] >= len(mix) or time.monotonic() > deadline:
                    return
                path, headers = mix[nxt[0]]
                nxt[0] += 1
            try:
                status, _ = request(port, path, headers)
            except OSError:
                status = 0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                done[0] += 1
                if done[0] % 1000 == 0:
                    elapsed = time.monotonic() - started
                    print(f"  {done[0]:,} requests in {elapsed:.0f} s", flush=True)
                if marks and done[0] >= marks[0]:
                    snaps.append(snapshot(f"after {marks.pop(0):,} requests", pid, done[0]))

    threads = [threading.Thread(target=client) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if done[0] and snaps[-1].count != done[0]:
        snaps.append(snapshot(f"stopped after {done[0]:,} (time bound)", pid, done[0]))
    return snaps, statuses, time.monotonic() - started


# -- 2. the delivery worker ------------------------------------------------------------------


def queue_copies(n: int, seed: int) -> tuple[list[Any], list[Any], list[Any]]:
    """n queued e-mail copies to the sink on messages of the base, with a wake-up per 5."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from relais.delivery.models import Delivery
    from relais.delivery.tasks import send_deliveries
    from relais.messaging.models import Message

    rng = random.Random(seed)
    perm_messages = list(
        Message.objects.filter(permanence__slug=SLUG)
        .order_by("-created_at")
        .values_list("id", "permanence_id")[: max(n, 1000)]
    )
    now = timezone.now()
    rows = []
    for i in range(n):
        mid, perm_id = rng.choice(perm_messages)
        rows.append(
            Delivery(
                permanence_id=perm_id,
                message_id=mid,
                channel=Delivery.EMAIL,
                to=f"rss{i}@{SINK_DOMAIN}",
                to_name="Banc mémoire",
                next_attempt_at=now,
            )
        )
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, batch_size=2000)
    task = send_deliveries.using(queue_name=settings.RELAIS_DELIVERY_QUEUE)
    results = []
    for start in range(0, n, 5):
        results.append(task.enqueue([str(d.id) for d in rows[start : start + 5]]).id)
    return [d.id for d in rows], sorted({m for m, _ in perm_messages}), results


def remove_copies(ids: list[Any], message_ids: list[Any], task_ids: list[Any]) -> None:
    from relais.delivery.models import Delivery
    from relais.messaging.models import HistoryEvent

    for start in range(0, len(ids), 2000):
        Delivery.objects.filter(id__in=ids[start : start + 2000]).delete()
    for start in range(0, len(message_ids), 2000):
        HistoryEvent.objects.filter(
            message_id__in=message_ids[start : start + 2000], detail__contains=f"@{SINK_DOMAIN}"
        ).delete()
    try:
        from django_tasks_db.models import DBTaskResult

        for start in range(0, len(task_ids), 2000):
            DBTaskResult.objects.filter(id__in=task_ids[start : start + 2000]).delete()
    except ImportError:
        pass


def run_delivery(
    sink: Any, pid: int, copies: int, max_seconds: float, seed: int
) -> tuple[list[Snapshot], float, int]:
    def ours() -> int:
        return sum(1 for r in list(sink.received) if any(SINK_DOMAIN in t for t in r.rcpt_tos))

    snaps = [snapshot("before the copies", pid, 0)]
    ids, message_ids, task_ids = queue_copies(copies, seed)
    started = time.monotonic()
    try:
        marks = sorted({1000, copies} & set(range(1, copies + 1)))
        deadline = started + max_seconds
        count = 0
        while marks and time.monotonic() < deadline:
            count = ours()
            if count >= marks[0]:
                snaps.append(snapshot(f"after {marks.pop(0):,} copies", pid, count))
                continue
            time.sleep(0.05)
        if marks:
            snaps.append(snapshot(f"stopped after {count:,} copies (time bound)", pid, count))
        return snaps, time.monotonic() - started, ours()
    finally:
        remove_copies(ids, message_ids, task_ids)


def print_snaps(title: str, snaps: list[Snapshot], unit: str) -> None:
    print(f"\n{title}")
    head = (
        f"{'when':<34} {unit:>9} {'VmRSS MB':>9} {'RssAnon MB':>11} {'growth MB':>10} "
        f"{'CPU ms/op':>10}"
    )
    print(head)
    print("-" * len(head))
    first = snaps[0]
    prev = first
    for s in snaps:
        per_op = (s.cpu - prev.cpu) * 1000 / (s.count - prev.count) if s.count > prev.count else 0
        print(
            f"{s.label:<34} {s.count:>9,} {s.rss / 1024:9.1f} {s.anon / 1024:11.1f} "
            f"{(s.rss - first.rss) / 1024:10.1f} {per_op:10.2f}"
        )
        prev = s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_database_arguments(parser)
    parser.add_argument("--requests", type=int, default=10_000, help="web requests (10000)")
    parser.add_argument("--copies", type=int, default=10_000, help="e-mail copies (10000)")
    parser.add_argument(
        "--max-seconds", type=float, default=600.0, help="at most this long per part (600)"
    )
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument("--skip-delivery", action="store_true")
    args = parser.parse_args(argv)

    url = database_url(args.scale, args.database_url)
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    setup_django(url)
    banner = scale_banner(url)
    from bench.delivery_bench import LeanSmtpSink

    sink = LeanSmtpSink().start()
    launch = Launch(url, sink.port)
    load_before = loadavg()
    try:
        web_pid, worker_pid = launch.wait_ready()
        print(
            f"relais_serve on 127.0.0.1:{launch.port}: gunicorn worker {web_pid}, "
            f"relais_worker {worker_pid}.",
            flush=True,
        )
        worker_start = snapshot("start (idle)", worker_pid, 0)
        if not args.skip_web:
            snaps, statuses, seconds = run_web(
                launch.port, web_pid, args.requests, args.max_seconds, args.seed
            )
            done = sum(statuses.values())
            print_snaps(
                f"Web worker (gunicorn sync, relais_serve), {done:,} GETs in {seconds:.0f} s "
                f"({done / seconds:.0f}/s); statuses {dict(sorted(statuses.items()))}",
                snaps,
                "requests",
            )
        if not args.skip_delivery:
            snaps, seconds, received = run_delivery(
                sink, worker_pid, args.copies, args.max_seconds, args.seed
            )
            snaps.insert(0, worker_start)
            print_snaps(
                f"Delivery worker (relais_worker), {received:,} copies accepted by the sink in "
                f"{seconds:.0f} s ({received / seconds:.0f}/s)",
                snaps,
                "copies",
            )
    finally:
        launch.stop()
        sink.stop()
    print(
        f"\n{banner}\nLoad average before {load_before}, after {loadavg()}. CPU ms/op: the "
        "process's CPU per request or copy since the previous line. The launch's log: "
        f"{LOG}."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
