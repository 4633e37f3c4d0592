"""No page input can hurt the server: NUL characters (which PostgreSQL cannot store) in every
page form, search and the login form; unparsable form bodies; control characters in one-line
fields; oversized lists. Run these on PostgreSQL too (DATABASE_URL=postgres://…): that is
where a NUL reaching the database answers 500."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import models
from django.test import Client as HttpClient
from django.urls import reverse

from relais.clients.models import Client, Contact, Instruction
from relais.core.inputs import CC_MAX
from relais.messaging.models import Banner, InputPhrase, Message, MessageTemplate, Reply
from relais.messaging.services import SendInput, message_send
from relais.planning.models import Appointment, AppointmentType
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
CHECKED = [
    Message,
    Reply,
    Contact,
    Client,
    MessageTemplate,
    InputPhrase,
    Banner,
    Appointment,
    AppointmentType,
    Instruction,
]


def _no_nul_stored() -> None:
    for model in CHECKED:
        texts = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
        ]
        for row in model._default_manager.values(*texts):
            for name, value in row.items():
                assert "\x00" not in (value or ""), (model.__name__, name)


def _message(world: World) -> Message:
    message, _ = message_send(
        author=world.gerant_a,
        client=world.client_a,
        data=SendInput(subject="Appel", body="Rappeler."),
    )
    return message


def _forms(world: World) -> list[tuple[str, dict[str, Any]]]:
    """The 12 page forms that write text, each with a NUL in every text field."""
    client = world.client_a
    message = _message(world)
    motif = AppointmentType.objects.create(
        permanence=world.perm_a, name="Consultation", colour="#336699", duration=15
    )
    phrase = InputPhrase.objects.create(permanence=world.perm_a, text="Merci", position=1)
    return [
        (reverse("ui:send", args=[client.id]), {"subject": NUL, "body": NUL}),
        (reverse("ui:reply", args=[message.id]), {"body": NUL}),
        (
            reverse("ui:contact_new", args=[client.id]),
            {"name": NUL, "phone": NUL, "email": NUL, "note": NUL},
        ),
        (
            reverse("ui:client_edit", args=[client.id]),
            {"name": NUL, "trade": NUL, "address": NUL, "email": NUL, "mobile": NUL},
        ),
        (reverse("ui:client_settings", args=[client.id]), {"message_info": NUL}),
        (
            reverse("ui:template_new"),
            {"name": NUL, "subject": NUL, "body": NUL, "consigne": NUL, "for_all": "all"},
        ),
        (reverse("ui:phrases"), {"text": NUL}),
        (reverse("ui:phrase_edit", args=[phrase.id]), {"text": NUL}),
        (reverse("ui:banners"), {"text": NUL, "place": "home"}),
        (
            reverse("ui:planning:appointment_new", args=[client.id]),
            {"date": "2026-12-14", "start": "10:00", "type": str(motif.id), "note": NUL},
        ),
        (reverse("ui:planning:types"), {"name": NUL, "colour": "#112233", "duration": "15"}),
        (reverse("ui:instructions", args=[client.id]), {"text": NUL, "visibility": "message"}),
    ]


def test_it_never_answers_500_to_a_nul_character_in_a_page_form(world: World) -> None:
    http = login(world.gerant_a)
    forms = _forms(world)
    assert len(forms) == 12
    for url, data in forms:
        response = http.post(url, data)
        assert response.status_code < 500, url
        _no_nul_stored()
    # What was written kept the rest of the text.
    assert Message.objects.filter(subject="ab", body="ab").exists()
    assert Reply.objects.filter(body="ab").exists()
    assert Banner.objects.filter(text="ab").exists()


@pytest.mark.parametrize("path", ["/?q=", "/clients/?q=", "contacts"])
def test_it_never_answers_500_to_a_nul_character_in_a_page_search(world: World, path: str) -> None:
    if path == "contacts":
        path = reverse("ui:contacts", args=[world.client_a.id]) + "?q="
    response = login(world.gerant_a).get(path + "a%00b")
    assert response.status_code == 200


def test_it_never_answers_500_to_a_nul_character_in_the_login_form(world: World) -> None:
    response = HttpClient().post(
        reverse("ui:login"), {"username": "gerant@a.test\x00", "password": "x\x00"}
    )
    assert response.status_code == 400  # the login page's own answer to a failure
    assert "E-mail ou mot de passe incorrect." in response.content.decode()


def test_it_answers_400_to_a_form_body_that_cannot_be_parsed(world: World) -> None:
    """A multipart body without its boundary, on a page (logged in or not)."""
    for http in (HttpClient(), login(world.gerant_a)):
        response = http.post(
            reverse("ui:login"), data=b"username=x", content_type="multipart/form-data"
        )
        assert response.status_code == 400


def test_it_refuses_a_line_break_or_a_bidi_control_in_a_one_line_field(world: World) -> None:
    http = login(world.gerant_a)
    url = reverse("ui:send", args=[world.client_a.id])
    for subject, message in (
        ("Rappel\r\nBcc: x@y.z", "Sujet : une seule ligne."),
        ("facture\u202egpj.exe", "Sujet : caractère de contrôle de direction du texte interdit."),
    ):
        response = http.post(url, {"subject": subject, "body": "Texte"})
        assert response.status_code == 422
        assert message in response.content.decode()
    response = http.post(
        reverse("ui:contact_new", args=[world.client_a.id]), {"name": "Mme\nDurand"}
    )
    assert response.status_code == 422
    assert not Message.objects.exists()
    assert not Contact.objects.exists()


def test_it_refuses_a_subject_or_body_of_only_invisible_characters(world: World) -> None:
    http = login(world.gerant_a)
    response = http.post(
        reverse("ui:send", args=[world.client_a.id]),
        {"subject": "\u200b\u200d\ufeff", "body": "\u200b \u2060"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Sujet : ce champ est obligatoire." in html
    assert "Message : ce champ est obligatoire." in html
    assert not Message.objects.exists()


def test_it_refuses_too_many_copy_recipients_on_the_composer_in_french(world: World) -> None:
    http = login(world.gerant_a)
    ids = [str(world.operateur_a.id)] * 5 + [
        f"00000000-0000-4000-8000-{i:012d}" for i in range(10 * CC_MAX)
    ]
    started = time.perf_counter()
    response = http.post(
        reverse("ui:send", args=[world.client_a.id]),
        {"subject": "Copies", "body": "Texte", "cc": ids[: 4 * CC_MAX]},
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    assert f"Destinataires en copie : {CC_MAX} au maximum" in response.content.decode()
    assert not Message.objects.exists()
    assert elapsed < 2  # loose: a page render; the API test below measures the refusal alone


def test_it_answers_page_lists_at_ten_times_their_cap_without_a_lookup(world: World) -> None:
    """A page form cannot even carry that many fields (DATA_UPLOAD_MAX_NUMBER_FIELDS): 400,
    before the view; within that limit, the services' caps answer 422."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from relais.core.inputs import TEMPLATE_CLIENTS_MAX

    http = login(world.gerant_a)
    http.get("/")
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(10 * TEMPLATE_CLIENTS_MAX)]
    assert len(ids) > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = http.post(
            reverse("ui:template_new"), {"name": "Modèle", "for_all": "some", "clients": ids}
        )
        elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert not any('FROM "clients_client"' in q["sql"] for q in queries)
    assert not MessageTemplate.objects.exists()
    assert elapsed < 1.0
