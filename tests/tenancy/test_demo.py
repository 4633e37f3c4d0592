"""The demo data: everything the logins promise is there, and a second run changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from pathlib import Path

import phonenumbers
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import models
from django.test import RequestFactory
from django.utils import timezone

from relais.clients.models import Client, ClientShare, Company, Contact, Instruction
from relais.delivery.models import Delivery
from relais.demo import LOGINS, PASSWORD
from relais.demo.seed import demo_seed
from relais.messaging.models import (
    Banner,
    HistoryEvent,
    InputPhrase,
    Message,
    MessageTemplate,
    ReadState,
    Recipient,
    Reply,
)
from relais.messaging.selectors import menu_counts, visible_messages
from relais.tenancy import permissions as perms
from relais.tenancy.models import Permanence, Role, User

MODELS: list[type[models.Model]] = [
    Permanence,
    Role,
    User,
    Company,
    Client,
    ClientShare,
    Contact,
    MessageTemplate,
    Message,
    Recipient,
    ReadState,
    Reply,
    HistoryEvent,
    Delivery,
    Instruction,
    InputPhrase,
    Banner,
]


def _counts() -> dict[str, int]:
    return {m.__name__: m._default_manager.count() for m in MODELS}


@pytest.fixture
def demo(db: None) -> None:
    demo_seed()


def test_it_is_idempotent(db: None) -> None:
    first = demo_seed()
    assert first.changed
    counts = _counts()
    snapshot = sorted(Message.objects.values_list("id", "last_activity_at", "status"))
    second = demo_seed()
    assert not second.changed
    assert _counts() == counts
    assert sorted(Message.objects.values_list("id", "last_activity_at", "status")) == snapshot


def test_it_runs_as_a_management_command(db: None) -> None:
    out = StringIO()
    call_command("seed_demo", "--logins", stdout=out)
    assert "Données de démonstration créées : 2 permanences, " in out.getvalue()
    assert "gerant@azur.example" in out.getvalue()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Données de démonstration déjà présentes : rien à faire." in out.getvalue()


def test_it_reports_in_french_everything_it_creates(db: None) -> None:
    from relais.core.management.commands.seed_demo import CREATED_FR

    assert set(demo_seed().created) <= set(CREATED_FR)


def test_the_readme_lists_every_login_the_console_prints() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = re.findall(r"^\| `([^`]+@[^`]+)` \| (.+?) \|$", readme, re.MULTILINE)
    assert rows == [(email, label) for email, label in LOGINS]


def test_it_lets_every_listed_login_in(demo: None) -> None:
    request = RequestFactory().post("/login/", REMOTE_ADDR="127.0.0.1")
    for email, _ in LOGINS:
        assert authenticate(request, username=email, password=PASSWORD) is not None, email
    client_user = User.objects.get(email="client@azur.example")
    assert client_user.is_client_user
    assert client_user.client is not None and client_user.client.name == "Dr Cécile Lemoine"
    assert User.objects.get(email="gerant@horizon.example").permanence.slug == "horizon"


def test_it_builds_permanence_azur(demo: None) -> None:
    azur = Permanence.objects.get(slug="azur")
    staff = User.objects.filter(permanence=azur, kind=User.STAFF)
    kinds = sorted(u.role.kind for u in staff.select_related("role") if u.role)
    assert kinds == sorted([perms.GERANT, perms.SUPERVISEUR] + [perms.OPERATEUR] * 3)
    clients = Client.objects.filter(permanence=azur)
    assert clients.count() >= 8
    assert len({c.trade for c in clients}) >= 7
    company = Company.objects.get(permanence=azur, name="Cabinet dentaire des Calanques")
    assert company.clients.count() == 3
    assert company.circle.count() == 3
    for client in clients:
        assert client.contacts.count() >= 1, client.name
    lemoine = clients.get(name="Dr Cécile Lemoine")
    assert lemoine.message_info.startswith("Absente jusqu'au")
    assert lemoine.default_copy_email and lemoine.email
    assert ClientShare.objects.filter(client=lemoine, user__email="remplacant@azur.example")
    assert MessageTemplate.objects.filter(permanence=azur).count() >= 4
    assert Instruction.objects.filter(client=lemoine, show_message=True).exists()
    assert InputPhrase.objects.filter(permanence=azur).count() >= 5
    assert Banner.objects.filter(permanence=azur).count() == 1
    horizon = Permanence.objects.get(slug="horizon")
    assert Client.objects.filter(permanence=horizon).count() == 2


def test_it_uses_valid_french_numbers(demo: None) -> None:
    numbers = [n for c in Client.objects.all() for n in (c.mobile, c.phone, c.fax) if n]
    numbers += [n for c in Contact.objects.all() for n in (c.phone, c.phone2) if n]
    numbers += [u.mobile for u in User.objects.all() if u.mobile]
    assert len(numbers) > 40
    for number in numbers:
        parsed = phonenumbers.parse(number, "FR")
        assert number.startswith("+33") and phonenumbers.is_valid_number(parsed), number


def test_it_has_messages_of_every_kind(demo: None) -> None:
    azur = Message.objects.filter(permanence__slug="azur")
    today = timezone.localdate()
    assert azur.count() >= 20
    assert azur.filter(status=Message.STATUS_TODO, due_date=today).exists()
    assert azur.filter(status=Message.STATUS_TODO, due_date=today + dt.timedelta(days=1))
    assert azur.filter(status=Message.STATUS_TODO, due_date=None).exists()
    done = azur.filter(status=Message.STATUS_DONE)
    assert done.exists() and all(m.done_by_id and m.done_at for m in done)
    assert azur.filter(is_vad=True).exists()
    assert azur.filter(is_private=True).exists()
    assert azur.filter(is_client_remark=True).exists()
    assert azur.filter(copy_circle=True, recipients__reason=Recipient.CIRCLE).exists()
    assert azur.filter(recipients__reason=Recipient.CC).exists()
    assert azur.filter(reply_count__gt=0).exists()
    # Spread over the past days, every history line no later than now.
    assert azur.filter(created_at__lt=timezone.now() - dt.timedelta(days=3)).exists()
    assert not HistoryEvent.objects.filter(at__gt=timezone.now()).exists()
    for message in azur:
        assert message.last_activity_at >= message.created_at


def test_it_only_requests_copies_the_client_can_receive(demo: None) -> None:
    copies = Message.objects.filter(
        models.Q(copy_email=True) | models.Q(copy_sms=True) | models.Q(copy_fax=True)
    )
    assert 1 <= copies.count() <= 3
    for message in copies.select_related("client"):
        assert not message.copy_email or message.client.email
        assert not message.copy_sms or message.client.mobile
        assert not message.copy_fax or message.client.fax
    assert Delivery.objects.count() == copies.count()


def test_it_gives_each_login_something_to_see(demo: None) -> None:
    operateur = User.objects.get(email="operateur@azur.example")
    counts = menu_counts(operateur)
    assert counts["todo"] > 0 and counts["urgent"] > 0
    assert "remarks" not in counts
    superviseur = User.objects.get(email="superviseur@azur.example")
    assert menu_counts(superviseur)["remarks"] > 0
    # The replacement doctor sees Dr Lemoine's messages, except the private one.
    remplacant = User.objects.get(email="remplacant@azur.example")
    seen = visible_messages(remplacant)
    assert seen.filter(client__name="Dr Cécile Lemoine").exists()
    assert not seen.filter(is_private=True).exists()
    horizon = User.objects.get(email="gerant@horizon.example")
    assert not visible_messages(horizon).filter(permanence__slug="azur").exists()
