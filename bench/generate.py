"""Fills a dedicated PostgreSQL database with a large permanence, for the benchmarks.

    .venv/bin/python bench/generate.py --messages 100000 --seed 42

The database is BENCH_DATABASE_URL (else DATABASE_URL; default
postgres://postgres@127.0.0.1:5432/relais_bench); its name must contain "bench". It is created
when missing and migrated. The permanence "Permanence Banc d'essai" (slug bench) gets 12 staff
users, 200 clients (some in companies, each with a client user and 20 contacts) and N messages
spread over the past year with replies, read states, copy recipients, tasks and history. Rows
are written with COPY: 100,000 messages (about 600,000 rows in all) take about a minute on a
2-core machine. The same seed gives the same structure.

If the permanence already exists nothing is written, unless --reset drops and recreates the
whole database first. Never point it at a database you care about.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/relais_bench"
SLUG = "bench"
PASSWORD = "relais-bench"

FIRST_NAMES = [
    "Léa", "Hélène", "Cécile", "Noël", "Maëlle", "Jérôme", "Zoé", "Loïc", "Anaïs", "Inès",
    "François", "Gaëlle", "Chloé", "Théo", "Rémi", "Agnès", "Grégory", "Océane", "Élodie", "René",
]  # fmt: skip
LAST_NAMES = [
    "Moreau", "Lefèvre", "Bézier", "Durand", "Girardot", "Roche", "Nguyen", "Marchetti",
    "Bérard", "Dufour", "Ménard", "Lopez", "Vidal", "Caron", "Barbier", "Bonnet", "Fabre",
    "Dumas", "Lacroix", "Chabert", "Perrin", "Garnier", "Fontaine", "Benali", "Chevalier",
]  # fmt: skip
TRADES = [
    "Médecin généraliste", "Chirurgien-dentiste", "Plombier chauffagiste", "Avocat",
    "Masseur-kinésithérapeute", "Vétérinaire", "Serrurier", "Infirmière libérale",
    "Ostéopathe", "Électricien", "Notaire", "Orthophoniste",
]  # fmt: skip
SUBJECTS = [
    "Rappel patient", "Demande de rendez-vous", "Annulation de rendez-vous", "Demande de VAD",
    "URGENCE – dégât des eaux", "Demande de devis", "Résultats d'analyses", "Appel du greffe",
    "Renouvellement d'ordonnance", "Porte claquée", "Livraison", "Message personnel",
]  # fmt: skip
BODY = (
    "{name} a appelé à {hour}h{minute:02d} et souhaite être rappelé(e) au plus vite.\n"
    "Motif : {subject}. Disponible en fin de matinée ou après 17h.\n"
    "Merci de confirmer par retour."
)


def database_url() -> str:
    """BENCH_DATABASE_URL, else DATABASE_URL, else relais_bench on 127.0.0.1. The benchmarks
    write (and --reset drops) that database: its name must contain "bench"."""
    url = (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or DEFAULT_DATABASE_URL
    )
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if "bench" not in name:
        raise SystemExit(
            f"Refusing to use database {name!r}: the benchmarks fill (and --reset drops) their "
            "database, so its name must contain 'bench'. Set BENCH_DATABASE_URL, e.g. "
            f"{DEFAULT_DATABASE_URL}."
        )
    return url


def ensure_database(url: str, *, reset: bool = False) -> None:
    """Creates the PostgreSQL database named by url if missing (drops it first on reset)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    cfg = dj_database_url.parse(url)
    if "postgresql" not in cfg["ENGINE"]:
        raise SystemExit(f"The benchmarks need PostgreSQL; DATABASE_URL is {url!r}.")
    name = cfg["NAME"]
    admin = psycopg.connect(
        host=cfg.get("HOST") or "127.0.0.1",
        port=cfg.get("PORT") or 5432,
        user=cfg.get("USER") or "postgres",
        password=cfg.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reset:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")


def setup_django(url: str) -> None:
    """Django on the bench database, with production-like settings (DEBUG off)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()


def copy_rows(model: Any, rows: Iterable[dict[str, Any]]) -> int:
    """COPY rows (dicts by attribute name) into the model's table; auto ids are left out,
    other missing values take the field default. Returns the number of rows."""
    from django.db import connection, models

    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]
    attnames = [f.attname for f in fields]
    defaults = {
        f.attname: (
            None if f.primary_key or (f.has_default() and callable(f.default)) else f.get_default()
        )
        for f in fields
    }
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    statement = f"COPY {table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row([row.get(a, defaults[a]) for a in attnames])
            count += 1
    return count


class Generator:
    def __init__(self, *, messages: int, seed: int, todo_share: float) -> None:
        self.n = messages
        self.rng = random.Random(seed)
        self.todo_share = todo_share
        # Whole minutes, so two runs with the same seed differ only by when they ran.
        self.now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def phone(self, mobile: bool = True) -> str:
        head = self.rng.choice(["+336", "+337"]) if mobile else self.rng.choice(["+334", "+331"])
        if head == "+337":
            head += str(self.rng.randint(3, 9))
            return head + f"{self.rng.randrange(10**7):07d}"
        return head + f"{self.rng.randrange(10**8):08d}"

    def run(self) -> dict[str, int]:
        from django.contrib.auth.hashers import make_password
        from django.db import connection, transaction

        from relais.clients.models import Client, ClientShare, Company, Contact
        from relais.messaging.models import (
            HistoryEvent,
            Message,
            MessageTemplate,
            ReadState,
            Recipient,
            Reply,
        )
        from relais.tenancy import permissions as perms
        from relais.tenancy.models import Permanence, User
        from relais.tenancy.services import roles_ensure

        rng = self.rng
        counts: dict[str, int] = {}
        with transaction.atomic():
            perm = Permanence.objects.create(name="Permanence Banc d'essai", slug=SLUG)
            roles = roles_ensure(permanence=perm)
            password = make_password(PASSWORD)

            def staff_user(email: str, first: str, last: str, kind: str) -> User:
                return User(
                    id=self.uid(),
                    permanence=perm,
                    email=email,
                    first_name=first,
                    last_name=last,
                    kind=User.STAFF,
                    role=roles[kind],
                    password=password,
                    mobile=self.phone(),
                )

            staff = [
                staff_user("gerant@bench.example", "Philippe", "Roux", perms.GERANT),
                staff_user("superviseur@bench.example", "Sophie", "Garnier", perms.SUPERVISEUR),
            ] + [
                staff_user(f"operateur{i}@bench.example", *self.name(), perms.OPERATEUR)
                for i in range(1, 11)
            ]
            User.objects.bulk_create(staff)
            companies = [
                Company(id=self.uid(), permanence=perm, name=f"Groupe médical {ln}")
                for ln in LAST_NAMES[:20]
            ]
            Company.objects.bulk_create(companies)

            clients: list[Client] = []
            for i in range(200):
                first, last = self.name()
                client = Client(
                    id=self.uid(),
                    permanence=perm,
                    name=f"{rng.choice(['Dr', 'Cabinet', 'Maître', 'Ets'])} {first} {last} {i}",
                    trade=rng.choice(TRADES),
                    email=f"client{i}@bench.example",
                    mobile=self.phone(),
                    phone=self.phone(mobile=False),
                    company=companies[i // 3] if i < 60 else None,
                    default_copy_email=i % 4 == 0,
                )
                client.save(force_insert=True)  # computes search_text
                clients.append(client)
            client_users = [
                User(
                    id=self.uid(),
                    permanence=perm,
                    email=f"client{i}.user@bench.example",
                    first_name=self.name()[0],
                    last_name=self.name()[1],
                    kind=User.CLIENT,
                    client=c,
                    password=password,
                )
                for i, c in enumerate(clients)
            ]
            User.objects.bulk_create(client_users)
            for company in companies:
                company.circle.set(
                    [u for u in client_users if u.client.company_id == company.id]  # type: ignore[union-attr]
                )
            ClientShare.objects.bulk_create(
                [
                    ClientShare(id=self.uid(), client=clients[i], user=client_users[i + 100])
                    for i in range(20)
                ]
            )
            contacts_by_client: dict[uuid.UUID, list[uuid.UUID]] = {}
            contacts = []
            for c in clients:
                for _ in range(20):
                    first, last = self.name()
                    contact = Contact(
                        id=self.uid(),
                        permanence=perm,
                        client=c,
                        name=f"{first} {last}",
                        phone=self.phone(),
                    )
                    contact.search_text = contact.build_search_text()
                    contact.created_at = self.now
                    contacts.append(contact)
                    contacts_by_client.setdefault(c.id, []).append(contact.id)
            Contact.objects.bulk_create(contacts, batch_size=2000)
            MessageTemplate.objects.bulk_create(
                [
                    MessageTemplate(id=self.uid(), permanence=perm, name=s, subject=s, body=s)
                    for s in SUBJECTS[:4]
                ]
            )
            counts.update(staff=len(staff), clients=len(clients), contacts=len(contacts))

            # A few busy clients and a long tail, like a real permanence.
            weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(clients))]
            client_users_by_client = {u.client_id: u for u in client_users}
            staff_ids = [u.id for u in staff]
            operators = staff_ids[2:]

            messages: list[dict[str, Any]] = []
            recipients: list[dict[str, Any]] = []
            reads: list[dict[str, Any]] = []
            replies: list[dict[str, Any]] = []
            history: list[dict[str, Any]] = []

            def flush() -> None:
                for label, model, rows in (
                    ("messages", Message, messages),
                    ("copy recipients", Recipient, recipients),
                    ("read states", ReadState, reads),
                    ("replies", Reply, replies),
                    ("history lines", HistoryEvent, history),
                ):
                    counts[label] = counts.get(label, 0) + copy_rows(model, rows)
                    rows.clear()

            year = 365 * 24 * 3600
            chosen = rng.choices(clients, weights=weights, k=self.n)
            for client in chosen:
                if len(messages) >= 10_000:
                    flush()
                mid = self.uid()
                client_user = client_users_by_client[client.id]
                created = self.now - dt.timedelta(seconds=rng.randrange(60, year))
                remark = rng.random() < 0.01
                by_client = remark or rng.random() < 0.08
                author = client_user.id if by_client else rng.choice(operators)
                r = rng.random()
                status, due, done_by, done_at = Message.STATUS_NORMAL, None, None, None
                if r < self.todo_share:
                    status = Message.STATUS_TODO
                    if rng.random() < 0.5:
                        due = (created + dt.timedelta(days=rng.randrange(0, 15))).date()
                elif r < self.todo_share + 0.1:
                    status = Message.STATUS_DONE
                    done_by = rng.choice(staff_ids)
                    done_at = created + dt.timedelta(minutes=rng.randrange(5, 600))
                private = not remark and rng.random() < 0.02
                subject = rng.choice(SUBJECTS)
                first, last = self.name()
                last_activity = created
                row: dict[str, Any] = {
                    "id": mid,
                    "created_at": created,
                    "permanence_id": perm.id,
                    "client_id": client.id,
                    "author_id": author,
                    "subject": subject,
                    "body": BODY.format(
                        name=f"{first} {last}",
                        hour=rng.randrange(8, 20),
                        minute=rng.randrange(60),
                        subject=subject.lower(),
                    ),
                    "status": status,
                    "due_date": due,
                    "done_by_id": done_by,
                    "done_at": done_at,
                    "is_urgent": rng.random() < 0.05,
                    "is_private": private,
                    "is_vad": rng.random() < 0.03,
                    "is_client_remark": remark,
                    "contact_id": (
                        rng.choice(contacts_by_client[client.id]) if rng.random() < 0.7 else None
                    ),
                }
                history.append(
                    {"message_id": mid, "actor_id": author, "kind": "created", "at": created}
                )
                if status != Message.STATUS_NORMAL:
                    history.append(
                        {"message_id": mid, "actor_id": author, "kind": "task_todo", "at": created}
                    )
                if done_at:
                    history.append(
                        {"message_id": mid, "actor_id": done_by, "kind": "task_done", "at": done_at}
                    )
                if not private and not remark and rng.random() < 0.1:
                    for uid in rng.sample([s for s in staff_ids if s != author], rng.randint(1, 2)):
                        recipients.append({"message_id": mid, "user_id": uid, "reason": "cc"})
                reply_count = 0
                if rng.random() < 0.2:
                    for _ in range(rng.randint(1, 2)):
                        last_activity += dt.timedelta(minutes=rng.randrange(5, 240))
                        who = client_user.id if rng.random() < 0.5 else rng.choice(operators)
                        replies.append(
                            {
                                "id": self.uid(),
                                "created_at": last_activity,
                                "message_id": mid,
                                "author_id": who,
                                "body": "Bien noté, merci.",
                            }
                        )
                        history.append(
                            {
                                "message_id": mid,
                                "actor_id": who,
                                "kind": "replied",
                                "at": last_activity,
                            }
                        )
                        reply_count += 1
                row["last_activity_at"] = last_activity
                row["reply_count"] = reply_count
                messages.append(row)
                readers = {author}
                if client_user.id != author and rng.random() < 0.6:
                    readers.add(client_user.id)
                if rng.random() < 0.3:
                    readers.add(rng.choice(staff_ids))
                for reader in readers:
                    at = last_activity + dt.timedelta(minutes=rng.randrange(0, 120))
                    reads.append({"message_id": mid, "user_id": reader, "read_at": at})
                    if reader != author:
                        history.append(
                            {"message_id": mid, "actor_id": reader, "kind": "read", "at": at}
                        )

            flush()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000, help="messages (default 100000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--todo-share",
        type=float,
        default=0.2,
        help="share of open tasks among the messages (default 0.2; 0.9 for a task-heavy base)",
    )
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    args = parser.parse_args(argv)

    url = database_url()
    ensure_database(url, reset=args.reset)
    setup_django(url)
    from django.core.management import call_command

    from relais.messaging.models import Message
    from relais.tenancy.models import Permanence

    call_command("migrate", verbosity=0)
    existing = Permanence.objects.filter(slug=SLUG).first()
    if existing is not None:
        stored = Message.objects.filter(permanence=existing).count()
        print(f"Permanence {SLUG!r} already there with {stored} messages (--reset to rebuild).")
        return 0
    started = time.perf_counter()
    counts = Generator(messages=args.messages, seed=args.seed, todo_share=args.todo_share).run()
    elapsed = time.perf_counter() - started
    print(", ".join(f"{v} {k}" for k, v in counts.items()) + f" written in {elapsed:.1f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
