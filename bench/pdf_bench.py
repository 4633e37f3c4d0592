"""The « Joindre » PDFs over a busy month (issue 7's benchmark).

    .venv/bin/python bench/pdf_bench.py [--runs 5] [--appointments 300] [--messages 500] [--reset]
                                        [--parts N]

Uses its own PostgreSQL database, BENCH_PDF_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/relais_bench_pdf; the name must contain "bench"). The first
run fills it: one permanence, one client with 40 contacts and four appointment motifs, and in
one month (March 2030) 300 appointments (with their creation movements, a tenth of them moved
and a twentieth cancelled) and 500 messages (bodies of two or three lines, some urgent, some
tasks) with a reply to one in five, the client having read half of them. Later runs reuse it.

Measured in-process (DEBUG off), the report as the e-mail copy builds it (the client's view):
build (the queries) and render (WeasyPrint: layout and PDF; a long PDF in parts, one forked
process per processor, joined: relais.exports.pdf), for each kind over the month, and the fax
of a message with the planning, then with the month's journal attached. Target: ≤ 2 s per PDF
(best of the runs; the median is shown too). CPU: of all the processes of the render, and of
this one alone. --parts 1 renders every PDF whole in this process (for comparison). Not a test:
prints a table and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import ensure_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/relais_bench_pdf"
SLUG = "bench-pdf"
TARGET_S = 2.0
MONTH_START = dt.date(2030, 3, 1)
MONTH_END = dt.date(2030, 3, 31)
NAMES = [
    "Hélène Durand", "Marc Petit", "Zoé Lefèvre", "Loïc Bézier", "Anaïs Roche", "Jérôme Nguyen",
    "Maëlle Marchetti", "Inès Bérard", "François Dufour", "Gaëlle Ménard",
]  # fmt: skip
SUBJECTS = [
    "Rappel patient", "Demande de rendez-vous", "Annulation de rendez-vous", "Demande de VAD",
    "Résultats d'analyses", "Renouvellement d'ordonnance", "Message personnel", "Livraison",
]  # fmt: skip
BODY = (
    "{name} a appelé à {hour}h{minute:02d} et souhaite être rappelé(e) au plus vite.\n"
    "Motif : {subject}. Disponible en fin de matinée ou après 17h, au 06 12 34 56 78.\n"
    "Merci de confirmer par retour."
)


def database_url() -> str:
    url = os.environ.get("BENCH_PDF_DATABASE_URL", DEFAULT_URL)
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if "bench" not in name:
        raise SystemExit(f"Refusing database {name!r}: its name must contain 'bench'.")
    return url


def fill(appointments: int, messages: int, seed: int) -> None:
    """One client's busy month, written in bulk (the services' rows, without their cost)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from relais.clients.models import Client, Contact
    from relais.messaging.models import Message, ReadState, Reply
    from relais.planning.models import Appointment, AppointmentType, Movement
    from relais.planning.services import summary_of
    from relais.tenancy import permissions as perms
    from relais.tenancy.models import Permanence, User
    from relais.tenancy.services import roles_ensure

    rng = random.Random(seed)
    with transaction.atomic():
        perm = Permanence.objects.create(name="Permanence Banc PDF", slug=SLUG)
        roles = roles_ensure(permanence=perm)
        password = make_password("relais-bench")
        staff = [
            User.objects.create(
                permanence=perm,
                email=f"operateur{i}@bench-pdf.example",
                first_name=first,
                last_name="Martin",
                kind=User.STAFF,
                role=roles[perms.OPERATEUR],
                password=password,
            )
            for i, first in enumerate(["Léa", "Marc", "Sophie", "Noël"], start=1)
        ]
        client = Client.objects.create(
            permanence=perm,
            name="Dr Cécile Lemoine",
            trade="Médecin généraliste",
            email="cecile.lemoine@bench-pdf.example",
            fax="+33491000000",
        )
        client_user = User.objects.create(
            permanence=perm,
            email="client@bench-pdf.example",
            first_name="Cécile",
            last_name="Lemoine",
            kind=User.CLIENT,
            client=client,
            password=password,
        )
        contacts = [
            Contact.objects.create(
                permanence=perm,
                client=client,
                name=f"{NAMES[i % len(NAMES)]} {i // len(NAMES) or ''}".strip(),
                phone=f"+336{rng.randrange(10**7, 10**8)}",
            )
            for i in range(40)
        ]
        types = [
            AppointmentType.objects.create(
                permanence=perm, name=name, colour=colour, duration=minutes, position=i
            )
            for i, (name, colour, minutes) in enumerate(
                [
                    ("Consultation", "#1d4ed8", 15),
                    ("Première consultation", "#15803d", 30),
                    ("Visite à domicile", "#b45309", 45),
                    ("Vaccination", "#7c3aed", 15),
                ]
            )
        ]
        days = [MONTH_START + dt.timedelta(days=i) for i in range(31)]
        workdays = [d for d in days if d.weekday() < 6]
        rows = []
        for i in range(appointments):
            day = workdays[i % len(workdays)]
            minutes = 8 * 60 + (i // len(workdays)) * 20 + rng.choice([0, 5])
            kind = rng.choice(types)
            rows.append(
                Appointment(
                    permanence=perm,
                    client=client,
                    type=kind,
                    contact=rng.choice(contacts),
                    date=day,
                    start=dt.time(minutes // 60, minutes % 60),
                    duration=kind.duration,
                    note="Apporter la carte Vitale et l'ordonnance." if i % 7 == 0 else "",
                    status=Appointment.CANCELLED if i % 20 == 0 else Appointment.BOOKED,
                    created_by=rng.choice(staff),
                    updated_at=timezone.now(),
                )
            )
        Appointment.objects.bulk_create(rows)
        movements = []
        for i, appointment in enumerate(rows):
            booked = timezone.make_aware(
                dt.datetime.combine(
                    appointment.date - dt.timedelta(days=rng.randrange(0, 5)),
                    dt.time(8 + rng.randrange(0, 10), rng.randrange(0, 60)),
                )
            )
            booked = max(booked, timezone.make_aware(dt.datetime.combine(MONTH_START, dt.time(8))))
            movements.append(
                Movement(
                    permanence=perm,
                    client=client,
                    appointment=appointment,
                    actor=appointment.created_by,
                    kind=Movement.CREATED,
                    at=booked,
                    summary=summary_of(appointment),
                )
            )
            if i % 10 == 3:
                movements.append(
                    Movement(
                        permanence=perm,
                        client=client,
                        appointment=appointment,
                        actor=rng.choice(staff),
                        kind=Movement.MOVED,
                        at=booked + dt.timedelta(hours=2),
                        summary=summary_of(appointment),
                        detail=f"Déplacé du {appointment.date:%d/%m} 09:00 au "
                        f"{appointment.date:%d/%m} {appointment.start:%H:%M}",
                    )
                )
            if appointment.status == Appointment.CANCELLED:
                movements.append(
                    Movement(
                        permanence=perm,
                        client=client,
                        appointment=appointment,
                        actor=rng.choice(staff),
                        kind=Movement.CANCELLED,
                        at=booked + dt.timedelta(hours=3),
                        summary=summary_of(appointment),
                        detail="Annulé : patient indisponible",
                    )
                )
        Movement.objects.bulk_create(movements)
        msgs = []
        for i in range(messages):
            day = days[i % len(days)]
            hour, minute = 8 + rng.randrange(0, 11), rng.randrange(0, 60)
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
            subject = rng.choice(SUBJECTS)
            contact = rng.choice(contacts)
            body = BODY.format(name=contact.name, hour=hour, minute=minute, subject=subject)
            if i % 3 == 0:
                body = body.split("\n", 1)[0]
            msgs.append(
                Message(
                    permanence=perm,
                    client=client,
                    author=client_user if i % 25 == 0 else rng.choice(staff),
                    subject=subject,
                    body=body,
                    status=Message.STATUS_TODO if i % 6 == 0 else Message.STATUS_NORMAL,
                    is_urgent=i % 9 == 0,
                    is_vad=i % 17 == 0,
                    contact=contact,
                    last_activity_at=at,
                )
            )
        Message.objects.bulk_create(msgs)
        # created_at is auto_now_add: put each message at its time in the month.
        for message in msgs:
            Message.objects.filter(pk=message.pk).update(created_at=message.last_activity_at)
        replies = [
            Reply(
                message=message,
                author=client_user if i % 2 else rng.choice(staff),
                body="Bien noté, je rappelle dans l'après-midi.",
            )
            for i, message in enumerate(msgs[::5])
        ]
        Reply.objects.bulk_create(replies)
        for reply in replies:
            Reply.objects.filter(pk=reply.pk).update(
                created_at=reply.message.last_activity_at + dt.timedelta(minutes=30)
            )
        ReadState.objects.bulk_create(
            ReadState(message=m, user=client_user, read_at=m.last_activity_at) for m in msgs[::2]
        )


def cpu() -> tuple[float, float]:
    """CPU time of this process, and of the processes it forked and waited for: a long PDF is
    rendered in parts by forked processes (relais.exports.pdf)."""
    times = []
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        times.append(usage.ru_utime + usage.ru_stime)
    return times[0], times[1]


def spent(since: tuple[float, float]) -> tuple[float, float]:
    """(CPU of all the processes, CPU of this one) since `since`."""
    now = cpu()
    own = now[0] - since[0]
    return own + now[1] - since[1], own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--appointments", type=int, default=300)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument(
        "--parts",
        type=int,
        default=None,
        help="render each PDF in at most this many processes (default: as the application "
        "does, one per processor for a long PDF; 1: always in one process)",
    )
    args = parser.parse_args()

    url = database_url()
    ensure_database(url, reset=args.reset)
    setup_django(url)
    from django.core.management import call_command

    from relais.clients.models import Client
    from relais.exports.pdf import planned_parts
    from relais.exports.reports import (
        Reader,
        fax_pdf,
        fax_printable,
        report_build,
        report_pdf,
        report_printable,
    )
    from relais.messaging.models import Message
    from relais.planning.models import Appointment
    from relais.tenancy.models import Permanence

    call_command("migrate", verbosity=0)
    if not Permanence.objects.filter(slug=SLUG).exists():
        print("Filling the bench month…")
        fill(args.appointments, args.messages, args.seed)
    client = Client.objects.select_related("permanence").get(permanence__slug=SLUG)
    reader = Reader.of_client(client)
    booked = Appointment.objects.filter(client=client, status=Appointment.BOOKED).count()
    print(
        f"Client {client.name}: {Appointment.objects.filter(client=client).count()} appointments "
        f"({booked} booked), {Message.objects.filter(client=client).count()} messages in "
        f"{MONTH_START:%m/%Y}. Load average before: {os.getloadavg()[0]:.2f}"
    )
    carrier = (
        Message.objects.filter(client=client)
        .select_related("permanence", "client", "author", "contact")
        .order_by("-created_at")
        .first()
    )
    assert carrier is not None

    def one(kind: str) -> tuple[Any, ...]:
        started, cpu0 = time.perf_counter(), cpu()
        report = report_build(
            client=client, kind=kind, start=MONTH_START, end=MONTH_END, reader=reader
        )
        built = time.perf_counter()
        pdf = report_pdf(report, parts=args.parts)
        done = time.perf_counter()
        return built - started, done - built, done - started, spent(cpu0), pdf, report

    def fax(kind: str) -> tuple[Any, ...]:
        started, cpu0 = time.perf_counter(), cpu()
        report = report_build(
            client=client, kind=kind, start=MONTH_START, end=MONTH_END, reader=reader
        )
        built = time.perf_counter()
        pdf = fax_pdf(carrier, report, parts=args.parts)
        done = time.perf_counter()
        return built - started, done - built, done - started, spent(cpu0), pdf, report

    cases: list[tuple[str, Any]] = [
        ("planning", lambda: one("planning")),
        ("movements_all", lambda: one("movements_all")),
        ("movements_staff", lambda: one("movements_staff")),
        ("movements_staff_unread", lambda: one("movements_staff_unread")),
        ("fax + planning", lambda: fax("planning")),
        ("fax + movements_all", lambda: fax("movements_all")),
    ]
    one("planning")  # warm: WeasyPrint, fonts, templates
    header = (
        f"{'PDF (March 2030, client view)':<26} {'content':<34} {'pages':>5} {'procs':>5} "
        f"{'build':>7} {'render':>7} {'best':>7} {'median':>7} {'cpu':>6} {'(own)':>6} "
        f"{'size':>8}"
        f"  ≤ {TARGET_S:.0f} s"
    )
    print(header)
    print("-" * len(header))
    import subprocess

    for name, run in cases:
        results = [run() for _ in range(args.runs)]
        totals = [r[2] for r in results]
        best = min(results, key=lambda r: r[2])
        report, pdf = best[5], best[4]
        what = report.summary
        if name.startswith("fax"):
            procs = planned_parts(fax_printable(carrier, report))
        else:
            procs = planned_parts(report_printable(report))
        if args.parts is not None:
            procs = min(procs, args.parts) if args.parts > 1 else 1
        pdf_pages = "?"
        try:
            info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, text=False)
            for line in info.stdout.decode().splitlines():
                if line.startswith("Pages:"):
                    pdf_pages = line.split()[1]
        except OSError:
            pass
        print(
            f"{name:<26} {what[:34]:<34} {pdf_pages:>5} {procs:>5} {best[0]:>6.2f}s "
            f"{best[1]:>6.2f}s {best[2]:>6.2f}s {statistics.median(totals):>6.2f}s "
            f"{best[3][0]:>5.2f}s {best[3][1]:>5.2f}s {len(pdf) / 1024:>6.0f}kB  "
            f"{'ok' if best[2] <= TARGET_S else 'SLOW'}"
        )
    print(f"Load average after: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
