"""« Prévenir »: preview and send of a notice to 200 contacts (issue 16's benchmark).

    .venv/bin/python bench/notice_bench.py [--contacts 200] [--runs 20] [--reset]

Uses its own PostgreSQL database, BENCH_NOTICE_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/relais_bench_notice; the name must contain "bench"): the
notices write messages, copies and cancellations, which must not land in the shared bench bases.
The first run migrates it and fills one permanence ("bench-notice") with a client whose day
(1 June 2030) holds one appointment per contact from 08:00: nine in ten contacts have a mobile,
most others an e-mail, a few neither (« à appeler »).

Measured in-process (DEBUG off), through the API as a client would call it (bearer token):

1. the preview (POST /api/v1/clients/{id}/notices/preview) of a delay from 08:00: every
   contact, its channel, its filled-in text and its SMS count;
2. the send of that delay (POST …/notices, a new Idempotency-Key each time): the notice, the
   summary message, one outbox row and one history line per copy, the journal line;
3. the send of an absence that cancels the day (the appointments are booked again between
   runs, outside the measure);
4. the worker delivering the copies of one notice into the local outbox (OutboxCopy rows),
   the whole batch timed.

Each run's rows are deleted outside the measure. Not a test: prints a table and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Timing,
    api_token,
    check_bench_name,
    ensure_database,
    logged_in_client,
    measure,
    print_timings,
    setup_django,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/relais_bench_notice"
SLUG = "bench-notice"
DAY = dt.date(2030, 6, 3)  # a Monday
FIRST_NAMES = ["Hélène", "Marc", "Zoé", "Loïc", "Anaïs", "Jérôme", "Maëlle", "Inès", "Paul", "Léa"]
LAST_NAMES = ["Durand", "Petit", "Lefèvre", "Bézier", "Roche", "Nguyen", "Martin", "Bérard"]


def fill(contacts: int) -> None:
    from relais.clients.models import Client, Contact
    from relais.planning.models import Appointment
    from relais.tenancy import permissions as perms
    from relais.tenancy.models import Permanence, Role, User

    perm = Permanence.objects.create(name="Permanence Bench Prévenir", slug=SLUG)
    role = Role.objects.create(
        permanence=perm, kind=perms.GERANT, permissions=list(perms.CATALOGUE)
    )
    user = User.objects.create_user(
        f"operateur@{SLUG}.test", "x", permanence=perm, kind=User.STAFF, role=role, first_name="Léa"
    )
    client = Client.objects.create(permanence=perm, name="Dr Cécile Lemoine")
    rows = []
    for i in range(contacts):
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]} {i:03d}"
        if i % 10:
            phone, email = f"+336{10000000 + i:08d}", ""
        elif i % 20:
            phone, email = f"+3349{1000000 + i:07d}", f"patient{i}@exemple.test"
        else:
            phone, email = f"+3349{1000000 + i:07d}", ""
        rows.append(
            Contact(
                permanence=perm, client=client, name=name, phone=phone, email=email, search_text=""
            )
        )
    Contact.objects.bulk_create(rows)
    now = dt.datetime.now(dt.UTC)
    Appointment.objects.bulk_create(
        [
            Appointment(
                permanence=perm,
                client=client,
                contact=contact,
                date=DAY,
                start=dt.time(8 + (i * 3) // 60, (i * 3) % 60),
                duration=15,
                created_by=user,
                updated_at=now,
            )
            for i, contact in enumerate(rows)
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args(argv)

    url = check_bench_name(os.environ.get("BENCH_NOTICE_DATABASE_URL", DEFAULT_URL))
    ensure_database(url, reset=args.reset)
    os.environ.setdefault("RELAIS_EMAIL_BACKEND", "outbox")
    os.environ.setdefault("RELAIS_SMS_BACKEND", "outbox")
    setup_django(url)

    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from relais.clients.models import Client
    from relais.delivery.models import Delivery, OutboxCopy
    from relais.delivery.worker import deliver_ids_stats
    from relais.messaging.models import Message
    from relais.planning.models import Appointment, Movement, Notice
    from relais.tenancy.models import Permanence, User

    call_command("migrate", verbosity=0)
    perm = Permanence.objects.filter(slug=SLUG).first()
    client = Client.objects.filter(permanence=perm).first() if perm else None
    if client is None or client.contacts.count() != args.contacts:
        if perm is not None:
            Permanence.objects.filter(pk=perm.pk).delete()
        print(f"Filling the bench day: {args.contacts} contacts and appointments…")
        fill(args.contacts)
        perm = Permanence.objects.get(slug=SLUG)
        client = Client.objects.get(permanence=perm)
    user = User.objects.get(permanence=perm, kind=User.STAFF)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    def clean() -> None:
        Notice.objects.filter(client=client).delete()
        Message.objects.filter(client=client).delete()  # its copies and history go with it
        OutboxCopy.objects.filter(permanence=perm).delete()
        Movement.objects.filter(client=client).delete()
        Appointment.objects.filter(client=client).update(
            status=Appointment.BOOKED, cancelled_at=None, cancelled_by=None
        )

    clean()
    http = logged_in_client(user, api_token=api_token(user))
    base = f"/api/v1/clients/{client.id}/notices"
    delay = {"kind": "delay", "date": DAY.isoformat(), "from_time": "08:00", "minutes": 40}
    absence = {"kind": "absence", "date": DAY.isoformat(), "cancel_appointments": True}

    def post(path: str, body: dict[str, Any], status: int, key: str = "") -> Any:
        headers = {"Idempotency-Key": key} if key else {}
        response = http.post(path, body, content_type="application/json", headers=headers)
        if response.status_code != status:
            raise SystemExit(f"POST {path}: {response.status_code} {response.content[:300]!r}")
        return response.json()

    first = post(base + "/preview", delay, 200)
    sms = sum(1 for r in first["recipients"] if r["channel"] == "sms")
    emails = sum(1 for r in first["recipients"] if r["channel"] == "email")
    calls = len(first["recipients"]) - sms - emails
    print(
        f"Notice benchmark — PostgreSQL {url.rsplit('/', 1)[-1]}: {len(first['recipients'])} "
        f"contacts ({sms} SMS, {emails} e-mails, {calls} to call), {first['sms_total']} SMS "
        f"segments. Load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores."
    )
    timings: list[Timing] = [
        measure(
            f"preview, {args.contacts} contacts",
            lambda: post(base + "/preview", delay, 200),
            runs=args.runs,
            warmup=3,
        )
    ]

    def sender(body: dict[str, Any]) -> Any:
        def send() -> None:
            post(base, body, 201, key=uuid.uuid4().hex)

        return send

    for label, body in (("send a delay", delay), ("send an absence, cancelling", absence)):
        timing = Timing(f"{label}, {args.contacts} contacts")
        for _ in range(args.runs):
            clean()
            one = measure(timing.label, sender(body), runs=1, warmup=0)
            timing.wall_ms += one.wall_ms
            timing.sql_ms += one.sql_ms
            timing.queries = one.queries
            timing.app_cpu_ms = one.app_cpu_ms
            timing.db_cpu_ms = one.db_cpu_ms
        copies = Delivery.objects.filter(message__client=client).count()
        timing.note = f"{copies} copies"
        timings.append(timing)

    worker = Timing(f"worker: a notice's copies into the outbox ({args.contacts} contacts)")
    for _ in range(max(3, args.runs // 4)):
        clean()
        post(base, delay, 201, key=uuid.uuid4().hex)
        ids = list(Delivery.objects.filter(message__client=client).values_list("id", flat=True))
        started = time.perf_counter()
        stats = deliver_ids_stats(ids, drain=0)
        # deliver_ids_stats claims up to its ids' count; the rest waits for the next wake-up.
        while stats.sent < len(ids):
            more = deliver_ids_stats(ids, drain=0)
            if not more.sent:
                break
            stats += more
        worker.wall_ms.append((time.perf_counter() - started) * 1000)
        worker.sql_ms.append(float("nan"))
        worker.note = f"{stats.sent} sent, {stats.sent / (worker.wall_ms[-1] / 1000):.0f} copies/s"
    timings.append(worker)
    clean()
    print_timings(f"Preview and send of a notice ({timezone.localtime():%d/%m/%Y %H:%M})", timings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
