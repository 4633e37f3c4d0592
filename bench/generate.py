"""Fills a dedicated PostgreSQL database with a large permanence, for the benchmarks.

    .venv/bin/python bench/generate.py --scale 100k     # relais_bench: ~1 min
    .venv/bin/python bench/generate.py --scale 1m       # relais_bench_1m: the issue's base

One permanence, "Permanence Banc d'essai" (slug bench), the same at both scales:

    5,000 clients (a fifth of them in 250 companies with their circle, one client user each,
    contact books of 8 to 300 contacts), 50 staff (1 gérant, 4 superviseurs, 45 opérateurs),
    templates, instructions, sharing rules;

and its history, the one thing the scales change, at the same pace (about 2,740 messages a
day, a few busy clients and a long tail):

    --scale 100k   100,000 messages over the last 37 days,   10,000 open tasks
    --scale 1m   1,000,000 messages over the last 365 days, 100,000 open tasks

Each message has what a year of work leaves: replies (a fifth of the threads, a few long
ones), read states, copy recipients and company circles, its copies in the outbox (one row per
e-mail, SMS or fax: sent, delivered or failed; none left queued, so a delivery worker started
on the base has nothing stale to do) and its history lines. --clients, --staff, --messages,
--open-tasks and --days change one dimension of the preset. The same seed gives the same rows
(ids included); the permanence's rows do not depend on the number of messages.

Rows go in with COPY inside one transaction, with the bulk tables' secondary indexes, unique
and foreign-key constraints dropped first and rebuilt afterwards (the rebuild checks them all),
then VACUUM ANALYZE. The database (see bench/common.py) is created when missing and migrated;
if the permanence is already there nothing is written, unless --reset drops and recreates the
whole database first. Never point it at a database you care about: its name must contain
"bench".
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import random
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Re-exported: the other benchmarks import these from here.
from bench.common import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    PASSWORD,
    SLUG,
    database_url,
    ensure_database,
    setup_django,
)

__all__ = [
    "DEFAULT_DATABASE_URL",
    "PASSWORD",
    "PRESETS",
    "SLUG",
    "Generator",
    "Shape",
    "database_url",
    "ensure_database",
    "main",
    "setup_django",
]


@dataclass(frozen=True)
class Shape:
    clients: int
    staff: int
    messages: int
    open_tasks: int
    days: int


# The permanence of issue 8; 100k is the same one with a tenth of its history.
PRESETS = {
    "100k": Shape(clients=5000, staff=50, messages=100_000, open_tasks=10_000, days=37),
    "1m": Shape(clients=5000, staff=50, messages=1_000_000, open_tasks=100_000, days=365),
}

FIRST_NAMES = [
    "Léa", "Hélène", "Cécile", "Noël", "Maëlle", "Jérôme", "Zoé", "Loïc", "Anaïs", "Inès",
    "François", "Gaëlle", "Chloé", "Théo", "Rémi", "Agnès", "Grégory", "Océane", "Élodie", "René",
    "Julien", "Camille", "Mathieu", "Sandrine", "Karim", "Nathalie", "Thomas", "Émilie",
    "Antoine", "Valérie",
]  # fmt: skip
LAST_NAMES = [
    "Moreau", "Lefèvre", "Bézier", "Durand", "Girardot", "Roche", "Nguyen", "Marchetti",
    "Bérard", "Dufour", "Ménard", "Lopez", "Vidal", "Caron", "Barbier", "Bonnet", "Fabre",
    "Dumas", "Lacroix", "Chabert", "Perrin", "Garnier", "Fontaine", "Benali", "Chevalier",
    "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Mathieu", "Gautier",
    "Masson", "Marchand", "Duval", "Denis", "Lemaître", "Mercier",
]  # fmt: skip
TRADES = [
    "Médecin généraliste", "Chirurgien-dentiste", "Plombier chauffagiste", "Avocat",
    "Masseur-kinésithérapeute", "Vétérinaire", "Serrurier", "Infirmière libérale",
    "Ostéopathe", "Électricien", "Notaire", "Orthophoniste",
]  # fmt: skip
TITLES = ["Dr", "Cabinet", "Maître", "Ets"]
CITIES = ["Lyon", "Villeurbanne", "Vénissieux", "Bron", "Écully", "Caluire-et-Cuire"]
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
REPLIES = [
    "Bien noté, merci.",
    "Je le rappelle dans l'après-midi.",
    "Rendez-vous fixé, vous pouvez clore.",
    "Pouvez-vous lui demander son numéro de dossier ?",
    "Rappelé, pas de réponse : je réessaie demain matin.",
]
INSTRUCTIONS = [
    "Jamais de rendez-vous le mercredi après-midi.",
    "Urgences : transférer sur le portable du Dr, même le week-end.",
    "Ne pas donner le numéro personnel.",
    "Les devis sont envoyés par e-mail uniquement.",
]
PHRASES = [
    "souhaite être rappelé(e) au plus vite",
    "a appelé sans laisser de message",
    "rappellera dans la journée",
    "demande un rendez-vous cette semaine",
]

CHANNEL_LABEL = {"email": "E-mail", "sms": "SMS", "fax": "Fax"}
FAILED_REASON = {
    "email": "Adresse e-mail refusée par le serveur du destinataire (550 : boîte inconnue).",
    "sms": "SMS non remis : numéro inexistant ou injoignable (refus de l'opérateur).",
    "fax": "Fax non remis : la ligne ne répond pas. Abandon après 8 essais.",
}
# A few busy clients and a long tail: client i gets a share of the messages proportional to
# 1 / (i + 1) ** SKEW (with 5,000 clients the busiest gets 4 %, the median one 0.008 %).
SKEW = 0.8

# The tables COPY fills; their secondary indexes and constraints are dropped during the load.
BULK_TABLES = [
    "clients_contact",
    "messaging_message",
    "messaging_reply",
    "messaging_recipient",
    "messaging_readstate",
    "messaging_historyevent",
    "delivery_delivery",
]

_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def esc(value: str) -> str:
    """A text value in COPY's text format."""
    return value.translate(_ESCAPE)


class Clock:
    """Epoch seconds to PostgreSQL timestamps (UTC), with the dates cached: millions of them
    are written."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def day(self, seconds: int) -> str:
        d = seconds // 86400
        text = self._days.get(d)
        if text is None:
            text = (dt.date(1970, 1, 1) + dt.timedelta(days=d)).isoformat()
            self._days[d] = text
        return text

    def ts(self, seconds: int) -> str:
        rest = seconds % 86400
        return f"{self.day(seconds)} {rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}+00"


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


class TextCopy:
    """Lines in COPY's text format for one table, written by chunks. The columns are checked
    against the model: a column added to the model and not written here fails loudly."""

    def __init__(self, model: Any, columns: list[str]) -> None:
        from django.db import models

        expected = {
            f.column
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
        }
        if set(columns) != expected:
            raise SystemExit(
                f"bench/generate.py is out of date for {model._meta.db_table}: it writes "
                f"{sorted(set(columns) - expected)} and misses {sorted(expected - set(columns))}."
            )
        self.table = model._meta.db_table
        quoted = ", ".join(f'"{c}"' for c in columns)
        self.statement = f'COPY "{self.table}" ({quoted}) FROM STDIN'
        self.lines: list[str] = []
        self.count = 0

    def flush(self) -> None:
        if not self.lines:
            return
        from django.db import connection

        with connection.cursor() as cursor, cursor.cursor.copy(self.statement) as copy:  # type: ignore[attr-defined]
            copy.write("".join(self.lines))
        self.count += len(self.lines)
        self.lines.clear()


def uid(rng: random.Random) -> str:
    """A random (version 4) UUID from rng, as text."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Generator:
    """Writes the bench permanence with shape's dimensions (see PRESETS)."""

    def __init__(self, *, shape: Shape, seed: int = 42, verbose: bool = True) -> None:
        self.shape = replace(shape, open_tasks=min(shape.open_tasks, shape.messages))
        self.seed = seed
        self.verbose = verbose
        # Whole minutes, so two runs with the same seed differ only by when they ran.
        self.now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        self.now_s = int(self.now.timestamp())
        self.clock = Clock()
        self.counts: dict[str, int] = {}

    def log(self, text: str) -> None:
        if self.verbose:
            print(text, flush=True)

    # -- the permanence: staff, clients, contacts (the same whatever the history) ------------

    def phone(self, rng: random.Random, mobile: bool = True) -> str:
        head = rng.choice(["+336", "+337"]) if mobile else rng.choice(["+334", "+331"])
        if head == "+337":
            return head + str(rng.randint(3, 9)) + f"{rng.randrange(10**7):07d}"
        return head + f"{rng.randrange(10**8):08d}"

    def build_permanence(self) -> dict[str, Any]:
        from django.contrib.auth.hashers import make_password

        from relais.clients.models import Client, ClientShare, Company, Contact, Instruction
        from relais.messaging.models import Banner, InputPhrase, MessageTemplate
        from relais.tenancy import permissions as perms
        from relais.tenancy.models import Permanence, User
        from relais.tenancy.services import roles_ensure

        rng = random.Random(f"{self.seed}:permanence")
        shape = self.shape

        def name() -> tuple[str, str]:
            return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)

        perm = Permanence.objects.create(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            name="Permanence Banc d'essai",
            slug=SLUG,
        )
        roles = roles_ensure(permanence=perm)
        password = make_password(PASSWORD)
        supervisors = max(1, round(shape.staff * 0.08)) if shape.staff > 2 else 0
        operators = max(1, shape.staff - 1 - supervisors)
        staff_specs = [("gerant@bench.example", perms.GERANT)]  # Philippe Roux, below
        staff_specs += [
            (f"superviseur{i if i > 1 else ''}@bench.example", perms.SUPERVISEUR)
            for i in range(1, supervisors + 1)
        ]
        staff_specs += [
            (f"operateur{i}@bench.example", perms.OPERATEUR) for i in range(1, operators + 1)
        ]
        staff = []
        for email, kind in staff_specs:
            first, last = name()
            staff.append(
                User(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    permanence=perm,
                    email=email,
                    first_name=first,
                    last_name=last,
                    kind=User.STAFF,
                    role=roles[kind],
                    password=password,
                    mobile=self.phone(rng),
                )
            )
        staff[0].first_name, staff[0].last_name = "Philippe", "Roux"
        User.objects.bulk_create(staff)

        n = shape.clients
        in_company = rng.sample(range(n), n // 5)
        companies = [
            Company(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                permanence=perm,
                name=f"Groupe {LAST_NAMES[i % len(LAST_NAMES)]} {i // len(LAST_NAMES) + 1}",
            )
            for i in range(max(1, len(in_company) // 4))
        ]
        Company.objects.bulk_create(companies)
        company_of = {ci: companies[k % len(companies)] for k, ci in enumerate(in_company)}
        clients: list[Client] = []
        for i in range(n):
            first, last = name()
            has_fax = rng.random() < 0.1
            mobile = self.phone(rng) if rng.random() < 0.9 else ""
            client = Client(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                permanence=perm,
                name=f"{rng.choice(TITLES)} {first} {last}",
                trade=rng.choice(TRADES),
                email=f"client{i}@bench.example",
                mobile=mobile,
                phone=self.phone(rng, mobile=False) if rng.random() < 0.7 else "",
                fax=self.phone(rng, mobile=False) if has_fax else "",
                address=f"{rng.randint(1, 200)} rue {rng.choice(LAST_NAMES)}, {rng.choice(CITIES)}",
                company=company_of.get(i),
                default_copy_email=rng.random() < 0.3,
                default_copy_sms=bool(mobile) and rng.random() < 0.1,
                default_copy_fax=has_fax and rng.random() < 0.3,
            )
            client.save(force_insert=True)  # computes search_text
            clients.append(client)
        client_users = []
        for i, c in enumerate(clients):
            first, last = name()
            client_users.append(
                User(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    permanence=perm,
                    email=f"client{i}.user@bench.example",
                    first_name=first,
                    last_name=last,
                    kind=User.CLIENT,
                    client=c,
                    password=password,
                )
            )
        User.objects.bulk_create(client_users, batch_size=1000)
        circles: dict[Any, list[User]] = {}
        for i, company in company_of.items():
            circles.setdefault(company.id, []).append(client_users[i])
        Through = Company.circle.through
        Through.objects.bulk_create(
            [
                Through(company_id=cid, user_id=u.id)
                for cid, members in circles.items()
                for u in members
            ],
            batch_size=2000,
        )
        shares = set()
        for _ in range(max(1, n // 50)):
            a, b = rng.randrange(n), rng.randrange(n)
            if a != b:
                shares.add((a, b))
        ClientShare.objects.bulk_create(
            [
                ClientShare(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    client=clients[a],
                    user=client_users[b],
                )
                for a, b in sorted(shares)
            ]
        )
        templates = [
            MessageTemplate(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                permanence=perm,
                name=s,
                subject=s,
                body=BODY.format(name="{contact}", hour=9, minute=0, subject=s.lower()),
            )
            for s in SUBJECTS[:8]
        ]
        MessageTemplate.objects.bulk_create(templates)
        InputPhrase.objects.bulk_create(
            [
                InputPhrase(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    permanence=perm,
                    text=text,
                    position=k,
                )
                for k, text in enumerate(PHRASES)
            ]
        )
        Banner.objects.create(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            permanence=perm,
            text="Réunion d'équipe vendredi à 14h.",
            created_by=staff[0],
        )
        Instruction.objects.bulk_create(
            [
                Instruction(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    permanence=perm,
                    client=c,
                    text=rng.choice(INSTRUCTIONS),
                    show_agenda=rng.random() < 0.3,
                )
                for c in clients
                if rng.random() < 0.2
            ],
            batch_size=2000,
        )

        # Contact books: 8 to 22 contacts, up to 300 for the busiest clients.
        contacts: list[dict[str, Any]] = []
        contacts_of: list[list[str]] = []
        now = self.now
        for i, c in enumerate(clients):
            size = 8 + rng.randrange(15) + round(292 / (i + 1) ** SKEW)
            ids = []
            for _ in range(size):
                first, last = name()
                contact = Contact(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    permanence=perm,
                    client=c,
                    name=f"{first} {last}",
                    phone=self.phone(rng, mobile=rng.random() < 0.8),
                    phone2=self.phone(rng, mobile=False) if rng.random() < 0.1 else "",
                    email=f"contact{len(contacts)}@exemple.fr" if rng.random() < 0.3 else "",
                    note="Préfère être rappelé le matin." if rng.random() < 0.05 else "",
                )
                contacts.append(
                    {
                        "id": contact.id,
                        "created_at": now,
                        "permanence_id": perm.id,
                        "client_id": c.id,
                        "name": contact.name,
                        "phone": contact.phone,
                        "phone2": contact.phone2,
                        "email": contact.email,
                        "note": contact.note,
                        "search_text": contact.build_search_text(),
                    }
                )
                ids.append(str(contact.id))
            contacts_of.append(ids)
        self.counts["contacts"] = copy_rows(Contact, contacts)
        self.counts.update(staff=len(staff), clients=len(clients), client_users=len(clients))
        return {
            "perm": perm,
            "staff": staff,
            "clients": clients,
            "client_users": client_users,
            "circles": circles,
            "contacts_of": contacts_of,
            "templates": [str(t.id) for t in templates],
            "supervisors": supervisors,
        }

    # -- the history: messages and all they leave ------------------------------------------------

    def build_history(self, world: dict[str, Any]) -> None:
        from relais.delivery.models import Delivery
        from relais.messaging.models import HistoryEvent, Message, ReadState, Recipient, Reply

        rng = random.Random(f"{self.seed}:messages")
        shape = self.shape
        n = shape.messages
        ts, day = self.clock.ts, self.clock.day
        now_s = self.now_s
        perm_id = str(world["perm"].id)
        staff = world["staff"]
        staff_ids = [str(u.id) for u in staff]
        staff_contact = {str(u.id): (u.email, u.mobile, esc(u.name)) for u in staff}
        writers = staff_ids[1:]  # superviseurs and opérateurs take the calls
        operators = staff_ids[1 + world["supervisors"] :] or writers
        templates = world["templates"]
        contacts_of = world["contacts_of"]
        circles = world["circles"]
        clients = []
        for c, u in zip(world["clients"], world["client_users"], strict=True):
            circle = [
                (str(m.id), m.email, "", esc(m.name))
                for m in circles.get(c.company_id, [])
                if m.id != u.id
            ]
            clients.append(
                (
                    str(c.id),
                    str(u.id),
                    esc(c.name),
                    c.email,
                    c.mobile,
                    c.fax,
                    c.default_copy_email,
                    c.default_copy_sms,
                    c.default_copy_fax,
                    circle,
                )
            )

        messages = TextCopy(
            Message,
            [
                "id", "created_at", "permanence_id", "client_id", "author_id", "subject", "body",
                "status", "due_date", "done_by_id", "done_at", "is_urgent", "is_private",
                "is_vad", "is_client_remark", "contact_id", "template_id", "copy_circle",
                "copy_email", "copy_sms", "copy_fax", "attach", "last_activity_at",
                "reply_count", "idempotency_key", "call_id",
            ],
        )  # fmt: skip
        replies = TextCopy(
            Reply,
            [
                "id", "created_at", "message_id", "author_id", "body", "via",
                "sender_contact_id", "sender_name", "note",
            ],
        )  # fmt: skip
        recipients = TextCopy(Recipient, ["message_id", "user_id", "reason"])
        reads = TextCopy(ReadState, ["message_id", "user_id", "read_at"])
        history = TextCopy(HistoryEvent, ["message_id", "actor_id", "kind", "detail", "at"])
        deliveries = TextCopy(
            Delivery,
            [
                "id", "created_at", "permanence_id", "message_id", "channel", "to", "to_name",
                "recipient_id", "contact_id", "text", "status", "attempts", "last_error",
                "next_attempt_at",
                "claimed_at", "claimed_by", "provider_id", "sent_at", "delivered_at",
                "callback_token", "in_doubt",
            ],
        )  # fmt: skip
        tables = [messages, replies, recipients, reads, history, deliveries]

        # Creation times in order (rows are appended as time goes, as in a real table), the
        # client of each message, and exactly open_tasks open tasks.
        span = shape.days * 86400
        created_all = sorted(now_s - rng.randrange(60, span) for _ in range(n))
        cum: list[float] = []
        total = 0.0
        for i in range(len(clients)):
            total += 1.0 / (i + 1) ** SKEW
            cum.append(total)
        client_of = [
            min(bisect.bisect(cum, rng.random() * total), len(clients) - 1) for _ in range(n)
        ]
        open_set = set(rng.sample(range(n), shape.open_tasks))
        done_share = 0.15 * n / max(1, n - shape.open_tasks)
        t, f = "t", "f"
        started = time.perf_counter()
        next_report = 100_000

        for k in range(n):
            created = created_all[k]
            (
                client_id, client_user, client_name, client_email, client_mobile, client_fax,
                auto_email, auto_sms, auto_fax, circle,
            ) = clients[client_of[k]]  # fmt: skip
            mid = uid(rng)
            remark = rng.random() < 0.01
            by_client = remark or rng.random() < 0.07
            author = client_user if by_client else rng.choice(writers)
            due = done_by = done_at = None
            if k in open_set:
                status = "todo"
                if rng.random() < 0.5:
                    due = created + rng.randrange(0, 15) * 86400
            elif rng.random() < done_share:
                status = "done"
                done_by = rng.choice(staff_ids)
                done_at = min(created + rng.randrange(300, 36000), now_s)
            else:
                status = "normal"
            private = not remark and rng.random() < 0.02
            urgent = rng.random() < 0.05
            vad = rng.random() < 0.03
            subject = rng.choice(SUBJECTS)
            contact = rng.choice(contacts_of[client_of[k]]) if rng.random() < 0.7 else NULL
            template = rng.choice(templates) if not by_client and rng.random() < 0.1 else NULL
            staff_copy = not by_client
            copy_email = staff_copy and (auto_email and rng.random() < 0.95)
            copy_sms = staff_copy and auto_sms and rng.random() < 0.95
            copy_fax = staff_copy and auto_fax and rng.random() < 0.9
            cc: list[str] = []
            if staff_copy and not private and rng.random() < 0.1:
                cc = rng.sample([s for s in staff_ids if s != author], rng.randint(1, 2))
            copy_circle = bool(circle) and staff_copy and not private and rng.random() < 0.1
            cs = ts(created)

            hist = history.lines
            hist.append(f"{mid}\t{author}\tcreated\t\t{cs}\n")
            if status != "normal":
                detail = (
                    f"A faire le {day(due)[8:10]}/{day(due)[5:7]}/{day(due)[:4]}" if due else ""
                )
                hist.append(f"{mid}\t{author}\ttask_todo\t{detail}\t{cs}\n")
            for user in cc:
                recipients.lines.append(f"{mid}\t{user}\tcc\n")
            circle_users = [m for m in circle if m[0] not in cc] if copy_circle else []
            for member in circle_users:
                recipients.lines.append(f"{mid}\t{member[0]}\tcircle\n")

            # The outbox: what deliveries_plan writes, then what the worker and the provider
            # made of it.
            planned: list[tuple[str, str, str, str]] = []
            if copy_email:
                planned.append(("email", client_email, client_name, NULL))
            if copy_sms and client_mobile:
                planned.append(("sms", client_mobile, client_name, NULL))
            if copy_fax and client_fax:
                planned.append(("fax", client_fax, client_name, NULL))
            for user in cc:
                email, mobile, uname = staff_contact[user]
                if copy_email:
                    planned.append(("email", email, uname, user))
                if copy_sms and mobile:
                    planned.append(("sms", mobile, uname, user))
            for user, email, mobile, uname in circle_users:
                if copy_email:
                    planned.append(("email", email, uname, user))
                if copy_sms and mobile:
                    planned.append(("sms", mobile, uname, user))
            for channel, to, to_name, recipient in planned:
                label = f"{CHANNEL_LABEL[channel]} → {to}"
                hist.append(f"{mid}\t{author}\tcopy_queued\t{label}\t{cs}\n")
                sent = min(created + rng.randrange(1, 30), now_s)
                r = rng.random()
                error = ""
                sent_at = delivered_at = NULL
                provider = ""
                attempts = 1
                if r < (0.01 if channel == "email" else 0.02 if channel == "sms" else 0.03):
                    status_d = "failed"
                    error = FAILED_REASON[channel]
                    attempts = 8 if channel == "fax" else 1
                    hist.append(f"{mid}\t{NULL}\tcopy_failed\t{label} : {error}\t{ts(sent)}\n")
                else:
                    status_d = "sent"
                    sent_at = ts(sent)
                    provider = f"{rng.getrandbits(48):012x}"
                    hist.append(f"{mid}\t{NULL}\tcopy_sent\t{label}\t{sent_at}\n")
                    if channel == "sms" and r < 0.98:
                        status_d = "delivered"
                        delivered_at = ts(min(sent + rng.randrange(3, 90), now_s))
                        hist.append(f"{mid}\t{NULL}\tcopy_delivered\t{label}\t{delivered_at}\n")
                deliveries.lines.append(
                    f"{uid(rng)}\t{cs}\t{perm_id}\t{mid}\t{channel}\t{to}\t{to_name}\t{recipient}"
                    f"\t{NULL}\t\t{status_d}\t{attempts}\t{error}\t{cs}\t{NULL}\t\t{provider}\t{sent_at}"
                    f"\t{delivered_at}\t{rng.getrandbits(144):036x}\tf\n"
                )

            # Replies: a fifth of the threads, a few long ones. Each reply leaves only its
            # author's read state (the others' are reset); later readers read the last one.
            last = created
            last_author = author
            reply_count = 0
            r = rng.random()
            count = rng.randint(30, 120) if r < 0.0005 else rng.randint(1, 3) if r < 0.2 else 0
            for _ in range(count):
                at = last + rng.randrange(300, 14400 if count < 10 else 3600)
                if at > now_s:
                    break
                last = at
                who = client_user if rng.random() < 0.4 else rng.choice(operators)
                last_author = who
                at_s = ts(at)
                replies.lines.append(
                    f"{uid(rng)}\t{at_s}\t{mid}\t{who}\t{rng.choice(REPLIES)}\t\t{NULL}\t\t\n"
                )
                hist.append(f"{mid}\t{who}\treplied\t\t{at_s}\n")
                reply_count += 1
            if done_at is not None:
                done_at = max(done_at, last)
                hist.append(f"{mid}\t{done_by}\ttask_done\t\t{ts(done_at)}\n")

            readers = {last_author: last}
            if client_user not in readers and rng.random() < 0.6:
                readers[client_user] = 0
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                readers.setdefault(rng.choice(staff_ids), 0)
            for reader, at in readers.items():
                if not at:
                    at = min(last + rng.randrange(60, 7200), now_s)
                    hist.append(f"{mid}\t{reader}\tread\t\t{ts(at)}\n")
                reads.lines.append(f"{mid}\t{reader}\t{ts(at)}\n")

            messages.lines.append(
                f"{mid}\t{cs}\t{perm_id}\t{client_id}\t{author}\t{subject}\t"
                + esc(
                    BODY.format(
                        name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                        hour=rng.randrange(8, 20),
                        minute=rng.randrange(60),
                        subject=subject.lower(),
                    )
                )
                + f"\t{status}\t{day(due) if due else NULL}\t{done_by or NULL}"
                f"\t{ts(done_at) if done_at else NULL}\t{t if urgent else f}"
                f"\t{t if private else f}\t{t if vad else f}\t{t if remark else f}"
                f"\t{contact}\t{template}\t{t if copy_circle else f}\t{t if copy_email else f}"
                f"\t{t if copy_sms else f}\t{t if copy_fax else f}\t{NULL}\t{ts(last)}"
                f"\t{reply_count}\t\t{NULL}\n"
            )
            if len(messages.lines) >= 20_000:
                for table in tables:
                    table.flush()
            if k + 1 >= next_report:
                next_report += 100_000
                elapsed = time.perf_counter() - started
                self.log(f"  {k + 1:,} messages in {elapsed:.0f} s")
        for table in tables:
            table.flush()
        for label, table in (
            ("messages", messages),
            ("replies", replies),
            ("copy recipients", recipients),
            ("read states", reads),
            ("history lines", history),
            ("copies (outbox)", deliveries),
        ):
            self.counts[label] = table.count

    # -- the load ----------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        """Writes everything in one transaction; returns the rows written per kind."""
        from django.db import connection, transaction

        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                restore = drop_secondary(cursor, BULK_TABLES)
            started = time.perf_counter()
            world = self.build_permanence()
            self.log(f"  permanence written in {time.perf_counter() - started:.1f} s")
            self.build_history(world)
            self.log(f"  history written in {time.perf_counter() - started:.1f} s")
            mark = time.perf_counter()
            with connection.cursor() as cursor:
                for statement in restore:
                    cursor.execute(statement)
            self.log(
                f"  indexes and constraints rebuilt (and checked) in "
                f"{time.perf_counter() - mark:.1f} s"
            )
        return self.counts


def drop_secondary(cursor: Any, tables: list[str]) -> list[str]:
    """Drops the tables' indexes, unique and foreign-key constraints except primary keys, and
    returns the statements that recreate them exactly (as PostgreSQL itself prints them).

    Partial indexes stay: they hold few of the rows, and their conditions would come back
    printed differently (`IN` lists as ANY(ARRAY[...]) casts) from what the migrations wrote."""
    indexes: list[str] = []
    uniques: list[str] = []
    foreign: list[str] = []
    for table in tables:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY conname",
            [table],
        )
        for name, kind, definition in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            target = uniques if kind == "u" else foreign
            target.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND x.indpred IS NULL "
            "AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
            "  AND c.conrelid = x.indrelid) ORDER BY i.relname",
            [table],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
            indexes.append(definition)
    return indexes + uniques + foreign


def table_counts() -> dict[str, int]:
    """Exact rows per table of the bench base (the tables with rows)."""
    from django.apps import apps
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if model._meta.app_label not in {"tenancy", "clients", "messaging", "delivery"}:
                continue
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            n = cursor.fetchone()[0]
            if n:
                counts[table] = n
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        counts_size = cursor.fetchone()[0]
    print(f"Rows per table (database size {counts_size}):")
    for table, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {table:<32} {n:>12,}")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--scale",
        choices=sorted(PRESETS),
        default="100k",
        help="preset and its database: 100k (relais_bench, default) or 1m (relais_bench_1m)",
    )
    parser.add_argument("--database-url", help="another bench database (name with 'bench')")
    parser.add_argument("--clients", type=int, help="clients (preset: 5000)")
    parser.add_argument("--staff", type=int, help="staff users (preset: 50)")
    parser.add_argument("--messages", type=int, help="messages (preset: 100000 or 1000000)")
    parser.add_argument(
        "--open-tasks", type=int, help="open tasks (preset: a tenth of the messages)"
    )
    parser.add_argument("--days", type=int, help="days of history (preset: 37 or 365)")
    parser.add_argument(
        "--todo-share",
        type=float,
        help="open tasks as a share of the messages instead (0.9: a task-heavy base)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    args = parser.parse_args(argv)

    shape = PRESETS[args.scale]
    changes = {
        key: value
        for key in ("clients", "staff", "messages", "open_tasks", "days")
        if (value := getattr(args, key)) is not None
    }
    if "messages" in changes and "open_tasks" not in changes and args.todo_share is None:
        changes["open_tasks"] = round(changes["messages"] * shape.open_tasks / shape.messages)
    shape = replace(shape, **changes)
    if args.todo_share is not None:
        shape = replace(shape, open_tasks=round(shape.messages * args.todo_share))

    url = database_url(args.scale, args.database_url)
    ensure_database(url, reset=args.reset)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from relais.clients.models import Client
    from relais.messaging.models import Message
    from relais.tenancy.models import Permanence

    call_command("migrate", verbosity=0)
    existing = Permanence.objects.filter(slug=SLUG).first()
    if existing is not None:
        stored = Message.objects.filter(permanence=existing).count()
        clients = Client.objects.filter(permanence=existing).count()
        print(
            f"Permanence {SLUG!r} already in {url.rsplit('/', 1)[-1]} with {stored:,} messages "
            f"and {clients:,} clients (--reset to rebuild)."
        )
        if clients != shape.clients or abs(stored - shape.messages) > shape.messages // 10:
            print(
                f"  That is not the shape asked for ({shape.clients:,} clients, "
                f"{shape.messages:,} messages): run with --reset to rebuild it."
            )
        return 0
    print(
        f"Generating into {url.rsplit('/', 1)[-1]}: {shape.clients:,} clients, {shape.staff} "
        f"staff, {shape.messages:,} messages over {shape.days} days, {shape.open_tasks:,} open "
        f"tasks (seed {args.seed}).",
        flush=True,
    )
    started = time.perf_counter()
    generator = Generator(shape=shape, seed=args.seed)
    counts = generator.run()
    written = time.perf_counter() - started
    print(", ".join(f"{v:,} {k}" for k, v in counts.items()) + f" written in {written:.0f} s.")
    mark = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    vacuum = time.perf_counter() - mark
    print(f"VACUUM ANALYZE in {vacuum:.0f} s; {written + vacuum:.0f} s in all.")
    table_counts()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
