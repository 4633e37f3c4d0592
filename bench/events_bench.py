"""Live events (issue 13): how fast an event reaches a stream, what idle streams cost, and the
send throughput with them open.

    createdb -h 127.0.0.1 -U postgres -T relais_bench relais_bench_calls   # a copy of yours
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_calls \\
        .venv/bin/python bench/events_bench.py

The copy is migrated to this branch first (never relais_bench or relais_bench_1m themselves:
other benchmarks read them). Web processes are the demo's ASGI server (uvicorn, a bounded pool
of 4 connections, DEBUG off), started and stopped here. Phases:

1. webhook `answer` → `call.answered` received on the answering operator's stream (same
   process): p50 / p95 / p99 over --calls calls (target p95 ≤ 150 ms);
2. the same across processes: the webhook posted to process A, the stream open on process B
   (PostgreSQL LISTEN/NOTIFY);
3. --streams idle streams (staff of the bench permanence) open on process B for --idle-seconds:
   the CPU and memory of that process;
4. with those streams still open, the existing send benchmark (bench/send_bench.py: in-process
   and over HTTP through gunicorn), whose every send is an event the open streams receive and
   filter; and the CPU the streams' process spent meanwhile.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    OPERATOR_EMAIL,
    SLUG,
    bench_environment,
    check_bench_name,
    database_name,
    free_port,
    pct,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/relais_bench_calls"
SHARED = {"relais_bench", "relais_bench_1m"}
TARGET_P95_MS = 150.0
# What the TLS proxy in front of the production launch adds (DEBUG off redirects plain HTTP).
PROXY = {"X-Forwarded-Proto": "https"}


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """One uvicorn process of the demo launch on the bench copy."""

    def __init__(self, url: str, log_dir: Path) -> None:
        from relais.core.management.commands.relais_run import demo_web

        self.port = free_port()
        base = {k: v for k, v in os.environ.items() if k != "RELAIS_DB_POOL"}
        base.update(bench_environment(url))
        base["ALLOWED_HOSTS"] = "127.0.0.1"
        cmd, env = demo_web("127.0.0.1", self.port, base)
        self.log = (log_dir / f"uvicorn-{self.port}.log").open("wb")
        self.proc = subprocess.Popen(
            [*cmd, "--no-access-log"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.time() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1):
                    break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"uvicorn did not start (log: {self.log.name})") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Stream:
    """An open GET /api/v1/events; a thread collects (arrival time, kind, data)."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        headers = {"Authorization": f"Bearer {token}", **PROXY}
        self.conn.request("GET", "/api/v1/events", headers=headers)
        self.response = self.conn.getresponse()
        assert self.response.status == 200, self.response.status
        self.response.read1()
        self.events: list[tuple[float, str, dict[str, Any]]] = []
        self.lock = threading.Condition()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        buffer = ""
        try:
            while True:
                chunk = self.response.read1()
                if not chunk:
                    return
                now = time.perf_counter()
                buffer += chunk.decode()
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    fields = dict(
                        line.split(": ", 1) for line in block.splitlines() if ": " in line
                    )
                    if "event" in fields:
                        with self.lock:
                            self.events.append((now, fields["event"], json.loads(fields["data"])))
                            self.lock.notify_all()
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            return  # closed by close()

    def wait_for(self, kind: str, call: str, timeout: float = 5.0) -> float | None:
        deadline = time.perf_counter() + timeout
        with self.lock:
            while True:
                for at, k, data in self.events:
                    if k == kind and data.get("call") == call:
                        return at
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.lock.wait(left)

    def close(self) -> None:
        # Shut the socket first: closing the response while the reading thread is blocked in it
        # would wait on the reader's buffer lock forever.
        sock = self.conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)
        self.conn.close()


class _Dechunk:
    """The body of an HTTP/1.1 response sent with `Transfer-Encoding: chunked`, fed as it
    arrives."""

    def __init__(self) -> None:
        self.raw = b""
        self.state = "headers"  # then "size", "data" (self.left bytes to come), "crlf"
        self.left = 0

    def feed(self, data: bytes) -> bytes:
        self.raw += data
        body = []
        while True:
            if self.state == "headers":
                end = self.raw.find(b"\r\n\r\n")
                if end < 0:
                    break
                self.raw, self.state = self.raw[end + 4 :], "size"
            elif self.state == "size":
                end = self.raw.find(b"\r\n")
                if end < 0:
                    break
                self.left = int(self.raw[:end].split(b";")[0] or b"0", 16)
                self.raw, self.state = self.raw[end + 2 :], "data" if self.left else "end"
            elif self.state == "data":
                take = self.raw[: self.left]
                body.append(take)
                self.raw, self.left = self.raw[len(take) :], self.left - len(take)
                if self.left:
                    break
                self.state = "crlf"
            elif self.state == "crlf":
                if len(self.raw) < 2:
                    break
                self.raw, self.state = self.raw[2:], "size"
            else:  # the last chunk: nothing more
                break
        return b"".join(body)


class IdleStreams:
    """Many open GET /api/v1/events, read by one thread (a selector). They count the
    `message.created` frames they receive without parsing them: the benchmark's own readers
    must cost little beside the server they measure (the browsers run on other machines)."""

    MARK = b"\nevent: message.created\n"

    def __init__(self, port: int, tokens: list[str], n: int) -> None:
        self.selector = selectors.DefaultSelector()
        self.received = 0
        self.accepted = 0
        self.socks: list[socket.socket] = []
        self.tails: dict[int, bytes] = {}
        self.bodies: dict[int, _Dechunk] = {}
        self.per: dict[int, int] = {}
        proxy = "".join(f"{k}: {v}\r\n" for k, v in PROXY.items())
        for i in range(n):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(
                f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {tokens[i % len(tokens)]}\r\n{proxy}\r\n".encode()
            )
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, i)
            self.socks.append(sock)
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def __len__(self) -> int:
        return len(self.socks)

    def run(self) -> None:
        keep = len(self.MARK) - 1
        while not self.stopping:
            for key, _ in self.selector.select(0.2):
                sock = key.fileobj
                try:
                    data = sock.recv(1 << 18)  # type: ignore[union-attr]
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.selector.unregister(sock)
                    continue
                if key.data not in self.tails:
                    self.accepted += data.startswith(b"HTTP/1.1 200")
                    self.bodies[key.data] = _Dechunk()
                # The body without its chunked framing: a frame may straddle two chunks.
                buffer = self.tails.get(key.data, b"") + self.bodies[key.data].feed(data)
                found = buffer.count(self.MARK)
                self.received += found
                self.per[key.data] = self.per.get(key.data, 0) + found
                self.tails[key.data] = buffer[-keep:]

    def close(self) -> None:
        self.stopping = True
        self.thread.join(5)
        for sock in self.socks:
            with contextlib.suppress(OSError):
                sock.close()


def sent_count(output: str) -> int:
    """The messages send_bench.py sent (its last line: "N messages sent by this run…")."""
    for line in reversed(output.splitlines()):
        head = line.split(" messages sent by this run", 1)
        if len(head) == 2:
            return int(head[0].replace(",", "").strip())
    return 0


def post_json(port: int, path: str, body: dict[str, Any]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **PROXY})
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 200, response.status


def answer_latency(
    writer_port: int, stream: Stream, token: str, operator: str, calls: int, number: str
) -> list[float]:
    """ms from sending `answer` to `call.answered` arriving on the operator's stream."""
    path = f"/api/v1/cti/{token}"
    latencies = []
    for _ in range(calls):
        call_id = uuid.uuid4().hex
        base = {"callId": call_id, "from": "0671234589", "to": number, "direction": "in"}
        post_json(writer_port, path, {**base, "event": "newCall"})
        started = time.perf_counter()
        post_json(writer_port, path, {**base, "event": "answer", "answeringNumber": operator})
        # The answer's HTTP reply and the event race: the event's arrival time (stamped by the
        # reading thread) is what counts.
        arrived = _wait_any(stream, call_id)
        if arrived is not None:
            latencies.append((arrived - started) * 1000)
        post_json(writer_port, path, {**base, "event": "hangup", "cause": "normalClearing"})
    return latencies


def _wait_any(stream: Stream, pbx_id: str) -> float | None:
    """The stream's events carry Relais's call id; the PBX id maps to it through the table."""
    from relais.calls.models import Call

    call = Call.objects.filter(call_id=pbx_id).values_list("id", flat=True).first()
    if call is None:
        return None
    return stream.wait_for("call.answered", str(call))


def get_timed(port: int, path: str, token: str, n: int) -> list[float]:
    """n sequential GETs on one keep-alive connection: ms each."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", **PROXY}
    times = []
    for _ in range(n):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
        times.append((time.perf_counter() - started) * 1000)
    conn.close()
    return times


def compare_servers(url: str, log_dir: Path, path: str, token: str, n: int) -> list[str]:
    """The same API list through one gunicorn sync worker and one uvicorn process: latency
    and server CPU per request (why the pages stay on gunicorn in production)."""
    lines = []
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "RELAIS_DB_POOL"}
    env.update(bench_environment(url), WEB_CONCURRENCY="1", RELAIS_BIND=f"127.0.0.1:{port}")
    env["ALLOWED_HOSTS"] = "127.0.0.1"
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    uvicorn = Server(url, log_dir)
    try:
        deadline = time.time() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), 1):
                    break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        from bench.common import children

        for name, srv_port, pids in [
            ("gunicorn (1 sync worker)", port, lambda: children(gunicorn.pid)),
            ("uvicorn (1 process, ASGI)", uvicorn.port, lambda: [uvicorn.proc.pid]),
        ]:
            get_timed(srv_port, path, token, 30)  # warm-up
            cpu0 = sum(cpu_of(p) for p in pids())
            times = get_timed(srv_port, path, token, n)
            cpu1 = sum(cpu_of(p) for p in pids())
            lines.append(
                f"   {name}: p50 {pct(times, 50):.1f} ms, p99 {pct(times, 99):.1f} ms, "
                f"server CPU {1000 * (cpu1 - cpu0) / n:.1f} ms/request"
            )
    finally:
        gunicorn.terminate()
        gunicorn.wait(15)
        uvicorn.stop()
    return lines


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no event received"
    return (
        f"{name}: n={len(values)}  p50={pct(values, 50):.1f} ms  p95={pct(values, 95):.1f} ms  "
        f"p99={pct(values, 99):.1f} ms  max={max(values):.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=200, help="answers measured (200)")
    parser.add_argument("--streams", type=int, default=200, help="idle streams (200)")
    parser.add_argument("--idle-seconds", type=float, default=20, help="idle measure (20)")
    parser.add_argument("--sends", type=int, default=1000, help="send_bench.py --sends (1000)")
    parser.add_argument("--skip-send", action="store_true", help="no send benchmark")
    parser.add_argument(
        "--send-args", default="", help="more arguments for send_bench.py, e.g. '--concurrency 4'"
    )
    parser.add_argument(
        "--compare", type=int, default=300, help="GETs per server in phase 5 (0: skip)"
    )
    args = parser.parse_args(argv)

    url = check_bench_name(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL)
    if database_name(url) in SHARED:
        raise SystemExit(
            f"{database_name(url)} is shared: copy it first (createdb -T {database_name(url)} "
            "relais_bench_calls) and point BENCH_DATABASE_URL at the copy."
        )
    from bench.common import database_exists

    if not database_exists(url):
        raise SystemExit(
            f"No database {database_name(url)}: copy the 100k base first, e.g.\n"
            f"  createdb -h 127.0.0.1 -U postgres -T relais_bench {database_name(url)}"
        )
    for key, value in bench_environment(url).items():
        os.environ[key] = value
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)

    from relais.calls.services import secrets_for
    from relais.clients.models import Client, ClientNumber
    from relais.tenancy.models import ApiToken, Permanence, User

    perm = Permanence.objects.get(slug=SLUG)
    client = Client.objects.filter(permanence=perm).order_by("name").first()
    assert client is not None
    number = "+33491999001"
    ClientNumber.objects.get_or_create(permanence=perm, number=number, defaults={"client": client})
    cti = secrets_for(perm.id).cti_token
    operator = User.objects.get(email=OPERATOR_EMAIL)
    staff = list(User.objects.filter(permanence=perm, kind=User.STAFF, is_active=True)[:50])
    tokens = [ApiToken.issue(u) for u in staff]
    operator_token = ApiToken.issue(operator)

    log_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"events-bench-{os.getpid()}"
    log_dir.mkdir(exist_ok=True)
    a = Server(url, log_dir)
    b = Server(url, log_dir)
    lines = [f"Live events on {database_name(url)} ({os.cpu_count()} cores)"]

    class Lines(list[str]):
        def append(self, line: str) -> None:
            super().append(line)
            print(line, file=sys.stderr, flush=True)

    lines = Lines(lines)
    idle: IdleStreams | None = None
    try:
        # 1. Same process.
        stream = Stream(a.port, operator_token)
        answer_latency(a.port, stream, cti, operator.email, 10, number)  # warm-up
        same = answer_latency(a.port, stream, cti, operator.email, args.calls, number)
        stream.close()
        lines.append(summary("1. answer → call.answered, same process", same))
        # 2. Across processes.
        stream = Stream(b.port, operator_token)
        answer_latency(a.port, stream, cti, operator.email, 10, number)
        cross = answer_latency(a.port, stream, cti, operator.email, args.calls, number)
        lines.append(summary("2. answer on A → call.answered on B's stream", cross))
        # 3. Idle streams on B.
        rss_before = rss_mb(b.proc.pid)
        idle = IdleStreams(b.port, tokens, args.streams)
        time.sleep(2)
        assert idle.accepted == len(idle), f"{idle.accepted} of {len(idle)} streams opened"
        cpu0, t0 = cpu_of(b.proc.pid), time.perf_counter()
        time.sleep(args.idle_seconds)
        cpu1, t1 = cpu_of(b.proc.pid), time.perf_counter()
        lines.append(
            f"3. {len(idle)} idle streams on B: CPU {100 * (cpu1 - cpu0) / (t1 - t0):.2f} % of "
            f"one core over {t1 - t0:.0f} s; RSS {rss_before:.0f} → {rss_mb(b.proc.pid):.0f} MB"
        )
        # Latency with them open.
        loaded = answer_latency(a.port, stream, cti, operator.email, args.calls // 2, number)
        lines.append(summary(f"   answer → event with {len(idle)} streams open", loaded))
        stream.close()
        # 4. The send benchmark with the streams open.
        if not args.skip_send:
            cpu0, t0 = cpu_of(b.proc.pid), time.perf_counter()
            env = dict(os.environ, BENCH_DATABASE_URL=url)
            result = subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "bench" / "send_bench.py"),
                    "--sends",
                    str(args.sends),
                    *args.send_args.split(),
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            cpu1, t1 = cpu_of(b.proc.pid), time.perf_counter()
            # Let the last writes arrive: until the count stops growing for a second (a busy
            # stream writes every 0.25 s; its reader may lag behind on a loaded machine).
            received, waited = -1, time.perf_counter()
            while idle.received != received and time.perf_counter() - waited < 120:
                received = idle.received
                time.sleep(1.0)
            received = idle.received
            waited = time.perf_counter() - waited
            expected = len(idle) * sent_count(result.stdout)
            lines.append(
                f"4. send_bench.py with {len(idle)} streams open (exit {result.returncode}); "
                f"the streams' process used {cpu1 - cpu0:.1f} CPU s over {t1 - t0:.0f} s and "
                f"its streams received {received} message.created events "
                f"(expected {expected}: one per send per stream; per stream "
                f"{min(idle.per.values(), default=0)} to {max(idle.per.values(), default=0)}; "
                f"the last ones within {waited:.0f} s after the send benchmark ended):"
            )
            lines += ["   " + line for line in result.stdout.strip().splitlines()[-20:]]
            if result.returncode:
                lines += ["   " + line for line in result.stderr.strip().splitlines()[-10:]]
        if args.compare:
            a.stop()
            b.stop()
            path = f"/api/v1/clients/{client.id}/messages?limit=50"
            lines.append(f"5. GET {path.split('?')[0].replace(str(client.id), '<id>')}?limit=50:")
            lines += compare_servers(url, log_dir, path, operator_token, args.compare)
    finally:
        if idle is not None:
            idle.close()
        a.stop()
        b.stop()
        ApiToken.objects.filter(user__permanence=perm, created_at__gte=perm.created_at).filter(
            digest__in=[ApiToken.hash(t) for t in [*tokens, operator_token]]
        ).delete()
    print("\n".join(lines))
    if same and pct(same, 95) > TARGET_P95_MS:
        print(f"p95 above the {TARGET_P95_MS:.0f} ms target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
