"""Bad input on send: a French error on the right field, and nothing saved at all."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from relais.core.errors import ValidationFailed
from relais.messaging.services import BODY_MAX, message_send
from relais.tenancy.models import User
from tests import factories as f
from tests.conftest import World
from tests.messaging.conftest import rows, send_input

Case = Callable[[World], dict[str, Any]]


def _other_client_contact(w: World) -> dict[str, Any]:
    other = f.ClientFactory.create(permanence=w.perm_a)
    return {"contact": f.ContactFactory.create(client=other).id}


def _inactive_staff(w: World) -> dict[str, Any]:
    user = f.StaffFactory.create(permanence=w.perm_a, is_active=False)
    return {"cc": [user.id]}


def _unrelated_client_user(w: World) -> dict[str, Any]:
    # A client user of another client, neither in a shared company nor sharing: not eligible.
    return {
        "cc": [f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=w.perm_a)).id]
    }


def _bare_client(w: World) -> None:
    w.client_a.email = w.client_a.mobile = w.client_a.fax = ""
    w.client_a.save()


CASES: dict[str, tuple[Case, str, str]] = {
    # name: (fields of the send, field in error, French words of the message)
    "empty subject": (lambda w: {"subject": ""}, "subject", "Sujet : ce champ est obligatoire."),
    "blank subject": (lambda w: {"subject": "  \n "}, "subject", "obligatoire"),
    "long subject": (lambda w: {"subject": "s" * 201}, "subject", "200 caractères au maximum"),
    "empty body": (lambda w: {"body": ""}, "body", "Message : ce champ est obligatoire."),
    "blank body": (lambda w: {"body": " \n\n \t "}, "body", "obligatoire"),
    "long body": (
        lambda w: {"body": "x" * (BODY_MAX + 1)},
        "body",
        "20000 caractères au maximum (20001 saisis)",
    ),
    "date not a date": (
        lambda w: {"is_task": True, "due_date": "demain"},
        "due_date",
        "Date invalide",
    ),
    "impossible date": (
        lambda w: {"is_task": True, "due_date": "31/02/2031"},
        "due_date",
        "Date invalide",
    ),
    "date without task": (
        lambda w: {"due_date": "2031-12-12"},
        "due_date",
        "demande de cocher « Tâche »",
    ),
    "unknown contact": (
        lambda w: {"contact": uuid.uuid4()},
        "contact",
        "Contact introuvable",
    ),
    "malformed contact": (lambda w: {"contact": "42"}, "contact", "Contact introuvable"),
    "other client's contact": (_other_client_contact, "contact", "Contact introuvable"),
    "other permanence's contact": (
        lambda w: {"contact": f.ContactFactory.create(client=w.client_b).id},
        "contact",
        "Contact introuvable",
    ),
    "unknown cc": (lambda w: {"cc": [uuid.uuid4()]}, "cc", "introuvable"),
    "malformed cc": (lambda w: {"cc": ["pas-un-id"]}, "cc", "introuvable"),
    "cc of another permanence": (lambda w: {"cc": [w.gerant_b.id]}, "cc", "introuvable"),
    "inactive cc": (_inactive_staff, "cc", "introuvable"),
    "unrelated client user in cc": (_unrelated_client_user, "cc", "introuvable"),
    "cc on a private message": (
        lambda w: {"is_private": True, "cc": [w.gerant_a.id]},
        "cc",
        "Un message privé",
    ),
    "circle on a private message": (
        lambda w: {"is_private": True, "copy_circle": True},
        "copy_circle",
        "Un message privé",
    ),
    "circle without a company": (
        lambda w: {"copy_circle": True},
        "copy_circle",
        "aucune compagnie",
    ),
    "remark by staff": (
        lambda w: {"is_client_remark": True},
        "is_client_remark",
        "Seul un compte client",
    ),
    "unknown template": (lambda w: {"template": uuid.uuid4()}, "template", "introuvable"),
    "other permanence's template": (
        lambda w: {"template": f.TemplateFactory.create(permanence=w.perm_b).id},
        "template",
        "introuvable",
    ),
    "bad attachment": (
        lambda w: {"attach": {"kind": "planning", "from": "2031-12-12", "to": "2031-01-01"}},
        "attach",
        "La période",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_it_refuses_bad_input_and_saves_nothing(world: World, case: str) -> None:
    build, field, words = CASES[case]
    fields = build(world)
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        message_send(author=world.operateur_a, client=world.client_a, data=send_input(**fields))
    assert field in exc.value.errors, exc.value.errors
    assert any(words in text for text in exc.value.errors[field]), exc.value.errors
    assert exc.value.status == 422
    assert exc.value.detail
    assert rows() == before


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        ("copy_email", "pas d'adresse e-mail"),
        ("copy_sms", "pas de numéro de mobile"),
        ("copy_fax", "pas de numéro de fax"),
    ],
)
def test_it_refuses_copies_the_client_cannot_receive(world: World, flag: str, words: str) -> None:
    _bare_client(world)
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        message_send(
            author=world.operateur_a, client=world.client_a, data=send_input(**{flag: True})
        )
    assert words in exc.value.errors[flag][0]
    assert rows() == before


def test_it_refuses_copies_asked_by_a_client_user(world: World) -> None:
    before = rows()
    for fields in ({"copy_email": True}, {"cc": [world.operateur_a.id]}, {"copy_sms": True}):
        with pytest.raises(ValidationFailed) as exc:
            message_send(
                author=world.client_user_a, client=world.client_a, data=send_input(**fields)
            )
        assert "cc" in exc.value.errors
    assert rows() == before


def test_it_reports_every_bad_field_at_once(world: World) -> None:
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=send_input(subject="", body="", due_date="hier", contact=uuid.uuid4()),
        )
    assert {"subject", "body", "due_date", "contact"} <= set(exc.value.errors)
    assert rows() == before


def test_it_accepts_a_body_of_exactly_the_maximum(world: World) -> None:
    message, created = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=send_input(body="é" * BODY_MAX, subject="s" * 200),
    )
    assert created and len(message.body) == BODY_MAX


def test_it_accepts_eligible_copy_recipients(world: World) -> None:
    # Staff of the permanence, client users of the same company, users the client shares with.
    company = f.CompanyFactory.create(permanence=world.perm_a)
    world.client_a.company = company
    world.client_a.save()
    sibling_user = f.ClientUserFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a, company=company)
    )
    sharer = f.ClientUserFactory.create(client=f.ClientFactory.create(permanence=world.perm_a))
    f.ClientShareFactory.create(client=world.client_a, user=sharer)
    cc: list[User] = [world.gerant_a, world.superviseur_a, sibling_user, sharer]
    message, _ = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=send_input(cc=[u.id for u in cc]),
    )
    assert set(message.recipients.values_list("user_id", flat=True)) == {u.id for u in cc}
