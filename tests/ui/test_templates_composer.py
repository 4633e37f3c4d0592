"""The composer with the aids: the default template filled in, the consigne post-it, the
client's instructions in the left panel, the input-help phrases — for staff only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.clients.models import Instruction
from relais.messaging.models import InputPhrase, Message
from relais.messaging.placeholders import SLOT
from tests import factories
from tests.conftest import World, login

f: Any = factories

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def open_composer(http: Any, world: World) -> str:
    response = http.get(reverse("ui:composer", args=[world.client_a.id]), headers=HTMX)
    assert response.status_code == 200
    return str(response.content.decode())


def instruction(world: World, text: str, **flags: bool) -> Instruction:
    return Instruction.objects.create(
        permanence=world.perm_a, client=world.client_a, text=text, **flags
    )


@pytest.fixture
def default_template(world: World) -> Any:
    template = f.TemplateFactory(
        permanence=world.perm_a,
        name="Rappel patient",
        subject="Rappel pour {client}",
        body="Le {date}, {contact} a appelé.\n— {operateur}",
        consigne="Demander la date de naissance.",
        auto_vad=True,
    )
    world.client_a.default_template = template
    world.client_a.save()
    return template


class TestDefaultTemplate:
    def test_it_fills_the_placeholders_it_can_and_ticks_vad(
        self, world: World, default_template: Any
    ) -> None:
        html = open_composer(login(world.operateur_a), world)
        today = timezone.localdate().strftime("%d/%m/%Y")
        assert 'value="Rappel pour Dr Cécile Lemoine"' in html
        # {contact} is an empty, marked slot until a contact is chosen: never template syntax.
        assert f"Le {today}, {SLOT} a appelé.\n— Léa</textarea>" in html
        assert "{contact}" not in html
        assert re.search(r'<p class="slot-note small" data-slot-note >', html)
        assert re.search(r'name="is_vad" checked', html)
        assert "data-template-fresh" in html
        assert f'<option value="{default_template.id}" selected>' in html

    def test_it_shows_the_consigne_on_the_post_it(
        self, world: World, default_template: Any
    ) -> None:
        html = open_composer(login(world.operateur_a), world)
        assert re.search(
            r'<div class="postit" data-postit >.*Demander la date de naissance\.', html
        )
        assert 'class="composer-grid with-side"' in html

    def test_it_gives_the_script_no_template_text_to_fill(
        self, world: World, default_template: Any
    ) -> None:
        html = open_composer(login(world.operateur_a), world)
        # The script asks the server for filled text: no raw template, no values in the page.
        assert "composer-templates" not in html and "composer-fill" not in html
        assert "{date}" not in html
        assert f'data-text-url="{reverse("ui:composer_text", args=[world.client_a.id])}"' in html

    def test_it_ignores_a_default_template_no_longer_usable(
        self, world: World, default_template: Any
    ) -> None:
        default_template.clients.add(f.ClientFactory(permanence=world.perm_a))
        html = open_composer(login(world.operateur_a), world)
        assert "Rappel pour" not in html
        assert "data-template-fresh" not in html


class TestInstructions:
    def test_it_shows_the_message_instructions_in_the_left_panel(self, world: World) -> None:
        instruction(world, "Jamais de RDV le mercredi.", show_message=True)
        instruction(world, "Agenda seulement.", show_message=False, show_agenda=True)
        html = open_composer(login(world.operateur_a), world)
        assert "Jamais de RDV le mercredi." in html
        assert "Agenda seulement." not in html
        # The panel shows without a consigne; the post-it stays hidden.
        assert 'class="composer-grid with-side"' in html
        assert "data-composer-side hidden" not in html
        assert '<div class="postit" data-postit hidden>' in html

    def test_it_keeps_other_clients_instructions_out(self, world: World) -> None:
        other = f.ClientFactory(permanence=world.perm_a)
        Instruction.objects.create(permanence=world.perm_a, client=other, text="Pas ici.")
        html = open_composer(login(world.operateur_a), world)
        assert "Pas ici." not in html
        assert "data-composer-side hidden" in html


class TestPhrases:
    def test_it_offers_the_phrases_in_their_order(self, world: World) -> None:
        InputPhrase.objects.create(permanence=world.perm_a, text="Deuxième phrase.", position=2)
        InputPhrase.objects.create(permanence=world.perm_a, text="Première phrase.", position=1)
        InputPhrase.objects.create(permanence=world.perm_b, text="Phrase de Horizon.", position=1)
        html = open_composer(login(world.operateur_a), world)
        assert "Aide à la saisie" in html
        assert html.index("Première phrase.") < html.index("Deuxième phrase.")
        assert "Phrase de Horizon." not in html
        assert html.count('role="option"') == 2

    def test_it_shows_no_phrase_button_without_phrases(self, world: World) -> None:
        assert "data-phrases-open" not in open_composer(login(world.operateur_a), world)


class TestClientUser:
    """A client user never sees instructions, consignes, templates or phrases."""

    @pytest.fixture
    def everything(self, world: World, default_template: Any) -> Any:
        instruction(world, "Jamais de RDV le mercredi.", show_message=True)
        InputPhrase.objects.create(permanence=world.perm_a, text="Le patient rappellera.")
        return default_template

    def test_its_composer_has_none_of_the_aids(self, world: World, everything: Any) -> None:
        html = open_composer(login(world.client_user_a), world)
        for secret in [
            "Jamais de RDV",
            "Demander la date de naissance",
            "Rappel pour",
            "Le patient rappellera",
            "composer-templates",
            "data-text-url",
            "data-phrases",
        ]:
            assert secret not in html, secret
        assert "data-composer-side hidden" in html

    def test_a_posted_template_does_not_reveal_its_consigne(
        self, world: World, everything: Any
    ) -> None:
        response = login(world.client_user_a).post(
            reverse("ui:send", args=[world.client_a.id]),
            {"subject": "", "body": "", "template": str(everything.id)},
            headers=HTMX,
        )
        assert response.status_code == 422
        html = response.content.decode()
        assert "Demander la date de naissance" not in html
        assert "Jamais de RDV" not in html

    def test_its_portal_shows_no_instruction(self, world: World, everything: Any) -> None:
        html = login(world.client_user_a).get("/").content.decode()
        assert "Jamais de RDV" not in html
        assert "Demander la date de naissance" not in html


class TestSend:
    def test_it_sends_with_the_contact_filled_in(self, world: World, default_template: Any) -> None:
        contact = f.ContactFactory(client=world.client_a, name="Hélène Durand")
        response = login(world.operateur_a).post(
            reverse("ui:send", args=[world.client_a.id]),
            {
                "idempotency_key": "k-1",
                "subject": "Rappel pour Dr Cécile Lemoine",
                "body": "{contact} a appelé.",
                "template": str(default_template.id),
                "contact": str(contact.id),
                "contact_name": contact.name,
                "is_vad": "on",
            },
            headers=HTMX,
        )
        assert response.status_code == 200
        message = Message.objects.get()
        assert message.body == "Hélène Durand a appelé."
        assert message.is_vad and message.template == default_template


def test_it_opens_the_composer_in_fixed_queries_with_few_or_many_aids(
    world: World, django_assert_num_queries: Any
) -> None:
    http = login(world.operateur_a)

    def add(n: int) -> None:
        for i in range(n):
            t = f.TemplateFactory(permanence=world.perm_a)
            t.clients.add(world.client_a)
            instruction(world, f"Instruction {i}", show_message=True)
            InputPhrase.objects.create(permanence=world.perm_a, text=f"Phrase {i}", position=i)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = http.get(reverse("ui:composer", args=[world.client_a.id]), headers=HTMX)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    add(1)
    few = count()
    add(30)
    with django_assert_num_queries(few):
        response = http.get(reverse("ui:composer", args=[world.client_a.id]), headers=HTMX)
    html = response.content.decode()
    assert html.count('role="option"') == 31
    assert html.count("Instruction ") >= 31
    # session, user (with role and permanence), client, templates, instructions, phrases.
    assert few == 6


def test_it_opens_a_client_users_composer_without_the_aids_queries(
    world: World,
) -> None:
    http = login(world.client_user_a)
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(reverse("ui:composer", args=[world.client_a.id]), headers=HTMX)
    assert response.status_code == 200
    tables = ("messaging_messagetemplate", "clients_instruction", "messaging_inputphrase")
    read = [t for q in ctx.captured_queries for t in tables if f'FROM "{t}"' in q["sql"]]
    assert read == []


class TestComposerText:
    """The composer's text comes from the server (composer_text): one place fills placeholders."""

    def post(self, http: Any, world: World, **fields: str) -> Any:
        url = reverse("ui:composer_text", args=[world.client_a.id])
        return http.post(url, fields)

    def test_it_fills_a_template_with_a_slot_where_the_contact_will_go(
        self, world: World, default_template: Any
    ) -> None:
        response = self.post(
            login(world.operateur_a), world, mode="template", template=str(default_template.id)
        )
        assert response.status_code == 200
        today = timezone.localdate().strftime("%d/%m/%Y")
        assert response.json() == {
            "subject": "Rappel pour Dr Cécile Lemoine",
            "body": f"Le {today}, {SLOT} a appelé.\n— Léa",
            "consigne": "Demander la date de naissance.",
            "vad": True,
            "circle": False,
        }

    def test_it_fills_the_chosen_contact(self, world: World, default_template: Any) -> None:
        contact = f.ContactFactory(client=world.client_a, name="Hélène Moreau")
        http = login(world.operateur_a)
        answer = self.post(
            http, world, mode="template", template=str(default_template.id), contact=str(contact.id)
        ).json()
        assert answer["body"].startswith("Le ") and "Hélène Moreau a appelé." in answer["body"]
        # Text changed by hand: only its empty slots take the name.
        answer = self.post(
            http,
            world,
            mode="text",
            contact=str(contact.id),
            subject=f"Pour {SLOT}",
            body=f"{SLOT} rappellera. {{client}}",
        ).json()
        assert answer == {
            "subject": "Pour Hélène Moreau",
            "body": "Hélène Moreau rappellera. Dr Cécile Lemoine",
        }

    def test_it_drops_the_empty_slots_once_the_template_is_dropped(
        self, world: World, default_template: Any
    ) -> None:
        answer = self.post(
            login(world.operateur_a), world, mode="plain", subject=f"Rappel {SLOT}", body="x"
        ).json()
        assert answer == {"subject": "Rappel ", "body": "x"}

    def test_it_answers_404_for_another_permanences_template_or_contact(
        self, world: World, default_template: Any
    ) -> None:
        http = login(world.operateur_a)
        other = f.TemplateFactory(permanence=world.perm_b, name="Ailleurs", subject="x", body="y")
        response = self.post(http, world, mode="template", template=str(other.id))
        assert response.status_code == 404
        assert response.json() == {"detail": "Modèle de message introuvable."}
        stranger = f.ContactFactory(client=world.client_b, name="Inconnu")
        response = self.post(http, world, mode="text", contact=str(stranger.id), subject="a")
        assert response.status_code == 404
        response = self.post(http, world, mode="text", contact="pas-un-id", subject="a")
        assert response.status_code == 404

    def test_it_is_for_staff_who_may_write_only(self, world: World, default_template: Any) -> None:
        fields = {"mode": "template", "template": str(default_template.id)}
        assert self.post(login(world.client_user_a), world, **fields).status_code == 403
        assert self.post(login(world.gerant_b), world, **fields).status_code == 404

    def test_a_sent_slot_becomes_the_contact_or_nothing(
        self, world: World, default_template: Any
    ) -> None:
        http = login(world.operateur_a)
        contact = f.ContactFactory(client=world.client_a, name="Hélène Moreau")
        url = reverse("ui:send", args=[world.client_a.id])
        base = {"idempotency_key": "k1", "template": str(default_template.id)}
        http.post(url, base | {"subject": f"Rappel {SLOT}", "body": f"{SLOT} a appelé."})
        http.post(
            url,
            base
            | {
                "idempotency_key": "k2",
                "subject": f"Rappel {SLOT}",
                "body": f"{SLOT} a appelé.",
                "contact": str(contact.id),
            },
        )
        sent = list(Message.objects.order_by("created_at").values_list("subject", "body"))
        assert sent == [
            ("Rappel", " a appelé."),
            ("Rappel Hélène Moreau", "Hélène Moreau a appelé."),
        ]
