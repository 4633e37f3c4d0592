"""The « Joindre » PDF on the copies that leave the building: attached to the e-mail copy of
the client and of each copy recipient (each built for its reader), and after the message in the
fax, by the real worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from relais.delivery.backends import memory
from relais.delivery.models import Delivery, OutboxCopy
from relais.delivery.worker import deliver_ids
from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_send
from tests import factories as f
from tests.conftest import World
from tests.exports.helpers import in_order, pages, pdf_text
from tests.planning.scene import MONDAY, SUNDAY, Scene, build_scene, day, paris

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _memory_outbox() -> Iterator[None]:
    memory.reset()
    yield
    memory.reset()


@pytest.fixture
def scene(world: World) -> Scene:
    return build_scene(world)


def send_with_attachment(scene: Scene, kind: str, **fields: Any) -> Message:
    world = scene.world
    with time_machine.travel(paris(day(3), "09:00"), tick=False):
        message, _ = message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=SendInput(
                subject="Votre semaine",
                body="Ci-joint le récapitulatif.",
                attach={"kind": kind, "from": MONDAY, "to": SUNDAY},
                **fields,
            ),
        )
    return message


def deliver(message: Message) -> None:
    """The worker's wake-up for the message's copies, just after it was sent."""
    ids = list(Delivery.objects.filter(message=message).values_list("id", flat=True))
    with time_machine.travel(message.created_at + dt.timedelta(seconds=5), tick=False):
        assert deliver_ids(ids) == len(ids)


def pdf_sent_to(address: str) -> tuple[str, bytes]:
    (copy,) = memory.sent_to(address)
    (attachment,) = copy.attachments
    assert attachment.content_type == "application/pdf"
    return attachment.filename, attachment.content


def test_the_client_s_e_mail_and_each_copy_recipient_s_get_the_pdf_as_they_may_see_it(
    scene: Scene,
) -> None:
    world = scene.world
    company = f.CompanyFactory.create(permanence=world.perm_a, name="Cabinet du Port")
    world.client_a.company = company
    world.client_a.save()
    colleague = f.ClientUserFactory.create(
        client=f.ClientFactory.create(permanence=world.perm_a, company=company),
        email="collegue@port.test",
    )
    message = send_with_attachment(
        scene,
        "movements_all",
        copy_email=True,
        cc=[world.superviseur_a.id, colleague.id],
    )
    deliver(message)

    name, client_pdf = pdf_sent_to(world.client_a.email)
    assert name == "mouvements-dr-cecile-lemoine-2026-11-30-2026-12-06.pdf"
    client_text = pdf_text(client_pdf)
    assert in_order(
        client_text,
        "Mouvements et messages de tous les utilisateurs",
        "Rendez-vous pris",
        "Rappel Mme Durand",
        "Question du docteur",
        "Résultats confidentiels",  # private to the client: the client sees it
        "Rendez-vous déplacé",
    )
    for part in ("Remarque sur l'accueil", "Jamais de RDV", "Votre semaine"):
        assert part not in client_text

    # The supervisor sees at least what the client sees: the same document.
    _, staff_pdf = pdf_sent_to(world.superviseur_a.email)
    assert pdf_text(staff_pdf) == client_text

    # A user of another client of the company sees nothing of this file but this thread.
    _, colleague_pdf = pdf_sent_to(colleague.email)
    colleague_text = pdf_text(colleague_pdf)
    assert "Planning non communiqué" in colleague_text
    for part in ("Rappel Mme Durand", "Résultats confidentiels", "Rendez-vous pris"):
        assert part not in colleague_text


def test_the_fax_carries_the_message_then_the_planning(scene: Scene) -> None:
    message = send_with_attachment(scene, "planning", copy_fax=True, copy_email=True)
    deliver(message)
    (fax,) = [c for c in memory.outbox if c.channel == "fax"]
    (attachment,) = fax.attachments
    assert pages(attachment.content) == 2
    assert in_order(
        pdf_text(attachment.content),
        "Votre semaine",
        "Ci-joint le récapitulatif.",
        "Page 1 / 2",
        "Planning",
        "Lundi 30 novembre 2026 — 2 rendez-vous",
        "Marc Petit",
        "Page 2 / 2",
    )
    _, emailed = pdf_sent_to(scene.world.client_a.email)
    assert in_order(pdf_text(emailed), "Planning", "Marc Petit", "Page 1 / 1")


def test_a_message_without_joindre_has_no_pdf_on_its_e_mail(world: World) -> None:
    message, _ = message_send(
        author=world.operateur_a,
        client=world.client_a,
        data=SendInput(subject="Simple", body="Sans pièce jointe.", copy_email=True),
    )
    deliver(message)
    (copy,) = memory.sent_to(world.client_a.email)
    assert copy.attachments == []


def test_the_local_outbox_keeps_the_pdf(scene: Scene, settings: Any) -> None:
    settings.RELAIS_EMAIL_BACKEND = "outbox"
    message = send_with_attachment(scene, "planning", copy_email=True)
    deliver(message)
    stored = OutboxCopy.objects.get(message=message, channel="email")
    (attachment,) = stored.attachments.all()
    assert attachment.filename == "planning-dr-cecile-lemoine-2026-11-30-2026-12-06.pdf"
    assert attachment.size == len(bytes(attachment.content)) > 1000
    assert "Hélène Durand" in pdf_text(bytes(attachment.content))
