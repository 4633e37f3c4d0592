"""Replies taken in per second (issue on replies by e-mail and SMS): through the raw MIME
endpoint and through an IMAP mailbox, on a base of 100,000 messages.

    .venv/bin/python bench/inbound_bench.py [--replies 300] [--database-url URL]

The database is a copy of the 100k bench base (`relais_bench_inbound`, made with
`createdb -T relais_bench` when missing, then migrated): the benchmark writes replies into it.
Each reply is a real MIME answer (quoted text, signature, a small attachment) to a real e-mail
copy of the base, addressed to that copy's reply address and sent from the client's address:

1. raw MIME: POST /api/v1/inbound/email/<token> in-process, one at a time: p50/p99 per reply
   and replies/s, with the CPU of this process and of its PostgreSQL backend;
2. IMAP: the same number of answers appended to a private dovecot on 127.0.0.1, then one
   `imap_poll()` takes them in and moves them: replies/s over the whole pass.

Every reply must land exactly once in its thread; the run says so. Needs Debian's
dovecot-imapd for part 2 (skipped with a notice without it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    check_bench_name,
    cpu_seconds,
    database_exists,
    database_name,
    loadavg,
    own_backend_pid,
    pct,
    setup_django,
    setup_pages,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/relais_bench_inbound"
TEMPLATE = "relais_bench"


def prepare(url: str) -> None:
    if not database_exists(url):
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", "-T", TEMPLATE, database_name(url)],
            check=True,
        )
        print(f"Copied {TEMPLATE} to {database_name(url)}.")
    setup_django(url)
    setup_pages()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def answers(count: int) -> list[tuple[Any, bytes]]:
    """(message id, raw answer) for `count` e-mail copies of the base, newest first."""
    from relais.delivery.models import Delivery
    from relais.delivery.reply_address import reply_address

    copies = list(
        Delivery.objects.filter(channel=Delivery.EMAIL, recipient__isnull=True)
        .select_related("message__client")
        .order_by("-created_at")[:count]
    )
    out = []
    for copy in copies:
        mail = EmailMessage()
        mail["From"] = f"{copy.message.client.name} <{copy.message.client.email}>"
        mail["To"] = reply_address(copy.id)
        mail["Subject"] = f"Re: {copy.message.subject}"
        mail["Message-ID"] = make_msgid(domain="bench-inbound.example")
        mail["In-Reply-To"] = f"<{copy.id}@relais.example>"
        mail.set_content(
            "Bien reçu, je rappelle le patient dans l'après-midi.\n\n-- \nDr Bench\n\n"
            "Le lun. 7 déc. 2026 à 10:42, Permanence a écrit :\n> " + copy.message.body[:300]
        )
        mail.add_attachment(
            b"%PDF-1.4 " + b"x" * 2000,
            maintype="application",
            subtype="pdf",
            filename="compte-rendu.pdf",
        )
        out.append((copy.message_id, mail.as_bytes()))
    return out


def token() -> str:
    from relais.tenancy.models import IntegrationSecrets, Permanence

    perm = Permanence.objects.get(slug="bench")
    secrets, _ = IntegrationSecrets.objects.get_or_create(
        permanence=perm,
        defaults={
            "cti_token": IntegrationSecrets.new_token(),
            "inbound_token": IntegrationSecrets.new_token(),
        },
    )
    return secrets.inbound_token


def bench_raw(items: list[tuple[Any, bytes]]) -> None:
    from django.test import Client

    http = Client(headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"})
    url = f"/api/v1/inbound/email/{token()}"
    walls: list[float] = []
    backend = own_backend_pid()
    cpu0, db0, started = time.process_time(), cpu_seconds([backend]), time.perf_counter()
    for _, raw in items:
        t0 = time.perf_counter()
        response = http.post(url, data=raw, content_type="message/rfc822")
        walls.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 202 and response.json()["result"] == "reply", response
    elapsed = time.perf_counter() - started
    n = len(items)
    print(
        f"raw MIME endpoint: {n} replies, {n / elapsed:.0f} replies/s, "
        f"p50 {pct(walls, 50):.1f} ms, "
        f"p99 {pct(walls, 99):.1f} ms, CPU app {(time.process_time() - cpu0) * 1000 / n:.1f} ms "
        f"and db {(cpu_seconds([backend]) - db0) * 1000 / n:.1f} ms per reply"
    )


def bench_imap(items: list[tuple[Any, bytes]]) -> None:
    from django.conf import settings
    from imap_tools import MailBoxUnencrypted

    from relais.inbound.imap import imap_poll
    from tests.inbound.imap_server import PASSWORD, USER, ImapServer, dovecot_available

    if not dovecot_available():
        print("IMAP: skipped (apt-get install -y dovecot-imapd)")
        return
    server = ImapServer().start()
    try:
        with MailBoxUnencrypted("127.0.0.1", port=server.port).login(USER, PASSWORD) as box:
            for _, raw in items:
                box.append(raw, "INBOX")
        settings.RELAIS_IMAP_HOST = "127.0.0.1"
        settings.RELAIS_IMAP_PORT = server.port
        settings.RELAIS_IMAP_SSL = False
        settings.RELAIS_IMAP_USER, settings.RELAIS_IMAP_PASSWORD = USER, PASSWORD
        started = time.perf_counter()
        stats = imap_poll(limit=len(items) + 10)
        elapsed = time.perf_counter() - started
        print(
            f"IMAP: {stats.taken} replies taken in and moved in {elapsed:.2f} s: "
            f"{stats.taken / elapsed:.0f} replies/s (one pass, batches of 50)"
        )
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--replies", type=int, default=300)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args(argv)
    url = check_bench_name(args.database_url)
    prepare(url)
    from relais.inbound.models import InboundItem
    from relais.messaging.models import Message, Reply

    print(f"Base: {Message.objects.count():,} messages; load {loadavg()}")
    InboundItem.objects.all().delete()
    Reply.objects.exclude(via="").delete()
    items = answers(args.replies * 2)
    raw_items, imap_items = items[: args.replies], items[args.replies :]
    bench_raw(raw_items)
    bench_imap(imap_items)
    threads = {m for m, _ in items}
    got = Reply.objects.filter(message_id__in=threads, via="email").count()
    print(
        f"Replies in their threads: {got} of {len(items)} "
        + ("(each once)" if got == len(items) else "(MISMATCH)")
    )
    return 0 if got == len(items) else 1


if __name__ == "__main__":
    raise SystemExit(main())
