"""Templates, placeholders, input-help phrases, banners, instructions and the default template:
the services behind the pages and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from relais.clients.models import Instruction
from relais.clients.services import (
    client_update_message_settings,
    instruction_create,
    instruction_delete,
    instruction_update,
)
from relais.core.errors import NotFound, PermissionDenied, ValidationFailed
from relais.messaging.models import Banner, InputPhrase, MessageTemplate
from relais.messaging.placeholders import (
    placeholder_values,
    placeholders_error,
    placeholders_fill,
    placeholders_unknown,
)
from relais.messaging.services import SendInput, message_send
from relais.messaging.templates_service import (
    banner_create,
    banner_delete,
    phrase_create,
    phrase_delete,
    phrase_move,
    phrase_update,
    template_create,
    template_delete,
    template_update,
    template_usable_for,
)
from tests import factories
from tests.conftest import World

f: Any = factories

pytestmark = pytest.mark.django_db


# --- placeholders ------------------------------------------------------------------------------


class TestPlaceholders:
    def test_it_knows_the_four_placeholders_whatever_their_case_spaces_or_accents(self) -> None:
        text = "{client} {Contact} { date } {opérateur} {OPERATEUR}"
        assert placeholders_unknown(text) == []

    def test_it_names_unknown_placeholders_once_in_order(self) -> None:
        text = "Bonjour {patient}, {client} {heure} {patient}"
        assert placeholders_unknown(text) == ["{patient}", "{heure}"]

    def test_it_explains_an_unknown_placeholder_in_french(self) -> None:
        message = placeholders_error("Bonjour {patient}", label="Message")
        assert message == (
            "Message : variable inconnue {patient}. "
            "Variables possibles : {client}, {contact}, {date}, {operateur}."
        )
        assert placeholders_error("Bonjour {client}", label="Message") is None

    def test_it_leaves_lone_braces_alone(self) -> None:
        assert placeholders_unknown("Code { porte 1234 et }") == ["{ porte 1234 et }"]
        assert placeholders_unknown("Tarif : 50 € {") == []

    def test_it_fills_the_known_values_and_keeps_the_others(self) -> None:
        values = placeholder_values(
            client_name="Dr Cécile Lemoine",
            operator_first_name="Léa",
            today=dt.date(2026, 3, 5),
        )
        text = "{client} — {date} — {operateur} — {contact}"
        assert placeholders_fill(text, values) == "Dr Cécile Lemoine — 05/03/2026 — Léa — {contact}"
        values["contact"] = "Hélène Durand"
        assert placeholders_fill("Rappeler {Contact}", values) == "Rappeler Hélène Durand"


# --- templates ---------------------------------------------------------------------------------


class TestTemplates:
    def test_it_creates_a_template_for_chosen_clients(self, world: World) -> None:
        template = template_create(
            user=world.gerant_a,
            name="  Rappel patient ",
            subject="Rappel de {contact}",
            body="Merci de rappeler {contact} au sujet de {client}.\n\n— {operateur}",
            consigne="Demander la date de naissance.",
            auto_vad=True,
            for_all=False,
            clients=[str(world.client_a.id)],
        )
        template.refresh_from_db()
        assert template.name == "Rappel patient"
        assert template.permanence_id == world.perm_a.id
        assert template.auto_vad and not template.auto_circle
        assert list(template.clients.all()) == [world.client_a]
        assert template.body.endswith("\n\n— {operateur}")

    def test_it_refuses_an_empty_name_and_saves_nothing(self, world: World) -> None:
        with pytest.raises(ValidationFailed) as exc:
            template_create(user=world.gerant_a, name="   ", subject="S", body="B")
        assert exc.value.errors == {"name": ["Nom : ce champ est obligatoire."]}
        assert not MessageTemplate.objects.exists()

    def test_it_refuses_an_unknown_placeholder_and_saves_nothing(self, world: World) -> None:
        with pytest.raises(ValidationFailed) as exc:
            template_create(
                user=world.gerant_a, name="RDV", subject="RDV {patient}", body="Le {jour}"
            )
        assert set(exc.value.errors) == {"subject", "body"}
        assert "variable inconnue {patient}" in exc.value.errors["subject"][0]
        assert "variable inconnue {jour}" in exc.value.errors["body"][0]
        assert not MessageTemplate.objects.exists()

    def test_it_reports_every_field_at_once(self, world: World) -> None:
        with pytest.raises(ValidationFailed) as exc:
            template_create(
                user=world.gerant_a,
                name="",
                subject="x" * 201,
                consigne="c" * 1001,
                body="{x}",
            )
        assert set(exc.value.errors) == {"name", "subject", "consigne", "body"}

    def test_it_needs_a_client_when_not_for_all(self, world: World) -> None:
        with pytest.raises(ValidationFailed) as exc:
            template_create(user=world.gerant_a, name="RDV", for_all=False, clients=[])
        assert "au moins un client" in exc.value.errors["clients"][0]
        assert not MessageTemplate.objects.exists()

    @pytest.mark.parametrize("bad", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
    def test_it_refuses_an_unknown_client(self, world: World, bad: str) -> None:
        with pytest.raises(ValidationFailed) as exc:
            template_create(user=world.gerant_a, name="RDV", for_all=False, clients=[bad])
        assert exc.value.errors == {"clients": ["Client introuvable."]}

    def test_it_refuses_another_permanences_client(self, world: World) -> None:
        with pytest.raises(ValidationFailed):
            template_create(
                user=world.gerant_a, name="RDV", for_all=False, clients=[str(world.client_b.id)]
            )
        assert not MessageTemplate.objects.exists()

    def test_it_needs_the_templates_right(self, world: World) -> None:
        for user in (world.operateur_a, world.client_user_a):
            with pytest.raises(PermissionDenied):
                template_create(user=user, name="RDV")
        assert not MessageTemplate.objects.exists()

    def test_it_updates_and_drops_the_default_of_clients_left_out(self, world: World) -> None:
        other = f.ClientFactory(permanence=world.perm_a)
        template = f.TemplateFactory(permanence=world.perm_a)
        world.client_a.default_template = template
        world.client_a.save()
        other.default_template = template
        other.save()
        template_update(
            user=world.gerant_a,
            template=template,
            name="Urgence",
            body="Dégât des eaux chez {contact}",
            auto_circle=True,
            for_all=False,
            clients=[str(other.id)],
        )
        template.refresh_from_db()
        world.client_a.refresh_from_db()
        other.refresh_from_db()
        assert (template.name, template.auto_circle) == ("Urgence", True)
        assert world.client_a.default_template is None
        assert other.default_template == template
        assert not template_usable_for(template, world.client_a)
        assert template_usable_for(template, other)

    def test_it_keeps_a_template_unchanged_on_error(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_a, name="Avant")
        template.clients.add(world.client_a)
        with pytest.raises(ValidationFailed):
            template_update(user=world.gerant_a, template=template, name="Après", body="{x}")
        template.refresh_from_db()
        assert template.name == "Avant"
        assert list(template.clients.all()) == [world.client_a]

    def test_it_answers_not_found_to_another_permanence(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_a)
        with pytest.raises(NotFound):
            template_update(user=world.gerant_b, template=template, name="Pirate")
        with pytest.raises(NotFound):
            template_delete(user=world.gerant_b, template=template)
        assert MessageTemplate.objects.filter(pk=template.pk).exists()

    def test_it_deletes_and_clients_lose_it_as_default(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_a)
        world.client_a.default_template = template
        world.client_a.save()
        template_delete(user=world.gerant_a, template=template)
        world.client_a.refresh_from_db()
        assert world.client_a.default_template is None
        assert not MessageTemplate.objects.exists()


class TestSendWithTemplate:
    def test_it_fills_placeholders_left_in_the_text_on_send(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_a)
        contact = f.ContactFactory(client=world.client_a, name="Hélène Durand")
        message, _ = message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=SendInput(
                subject="Rappel {contact}",
                body="Pour {client} : rappeler {contact}. {operateur}",
                contact=str(contact.id),
                template=str(template.id),
            ),
        )
        assert message.subject == "Rappel Hélène Durand"
        assert message.body == "Pour Dr Cécile Lemoine : rappeler Hélène Durand. Léa"

    def test_it_leaves_braces_alone_without_a_template(self, world: World) -> None:
        message, _ = message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=SendInput(subject="Code {1234}", body="Rappeler {contact}"),
        )
        assert (message.subject, message.body) == ("Code {1234}", "Rappeler {contact}")


# --- the client's default template ------------------------------------------------------------


class TestDefaultTemplate:
    def settings(self, world: World, **kwargs: Any) -> Any:
        values = {
            "default_copy_email": True,
            "default_copy_sms": False,
            "default_copy_fax": False,
            "message_info": "Absente",
            **kwargs,
        }
        return client_update_message_settings(user=world.gerant_a, client=world.client_a, **values)

    def test_it_sets_and_clears_a_usable_template(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_a)
        self.settings(world, default_template=str(template.id))
        world.client_a.refresh_from_db()
        assert world.client_a.default_template == template
        self.settings(world)  # left out: unchanged
        world.client_a.refresh_from_db()
        assert world.client_a.default_template == template
        self.settings(world, default_template="")
        world.client_a.refresh_from_db()
        assert world.client_a.default_template is None

    @pytest.mark.parametrize("which", ["other_client", "other_permanence", "malformed"])
    def test_it_refuses_a_template_not_usable_for_the_client(
        self, world: World, which: str
    ) -> None:
        if which == "other_client":
            template = f.TemplateFactory(permanence=world.perm_a)
            template.clients.add(f.ClientFactory(permanence=world.perm_a))
            value = str(template.id)
        elif which == "other_permanence":
            value = str(f.TemplateFactory(permanence=world.perm_b).id)
        else:
            value = "pas-un-id"
        with pytest.raises(ValidationFailed) as exc:
            self.settings(world, default_template=value, message_info="Changé")
        assert exc.value.errors == {
            "default_template": ["Ce modèle de message n'est pas disponible pour ce client."]
        }
        world.client_a.refresh_from_db()
        assert world.client_a.default_template is None
        assert world.client_a.message_info == ""


# --- input-help phrases ------------------------------------------------------------------------


class TestPhrases:
    def test_it_appends_phrases_in_order(self, world: World) -> None:
        first = phrase_create(user=world.gerant_a, text=" Le patient rappellera. ")
        second = phrase_create(user=world.gerant_a, text="Merci de rappeler au plus vite.")
        assert (first.text, first.position, second.position) == ("Le patient rappellera.", 1, 2)

    def test_it_refuses_empty_too_long_and_duplicate_phrases(self, world: World) -> None:
        phrase_create(user=world.gerant_a, text="Le patient rappellera.")
        for text, error in [
            ("", "Phrase : ce champ est obligatoire."),
            ("x" * 301, "Phrase : 300 caractères au maximum (301 saisis)."),
            ("le PATIENT rappèllera.", "Cette phrase existe déjà."),
        ]:
            with pytest.raises(ValidationFailed) as exc:
                phrase_create(user=world.gerant_a, text=text)
            assert exc.value.errors == {"text": [error]}
        assert InputPhrase.objects.count() == 1

    def test_it_moves_edits_and_deletes(self, world: World) -> None:
        a = phrase_create(user=world.gerant_a, text="A")
        b = phrase_create(user=world.gerant_a, text="B")
        c = phrase_create(user=world.gerant_a, text="C")
        phrase_move(user=world.gerant_a, phrase=c, direction="up")
        order = list(InputPhrase.objects.order_by("position").values_list("text", flat=True))
        assert order == ["A", "C", "B"]
        phrase_move(user=world.gerant_a, phrase=a, direction="up")  # already first
        phrase_update(user=world.gerant_a, phrase=b, text="B modifiée")
        phrase_delete(user=world.gerant_a, phrase=a)
        order = list(InputPhrase.objects.order_by("position").values_list("text", flat=True))
        assert order == ["C", "B modifiée"]

    def test_it_guards_phrases(self, world: World) -> None:
        phrase = phrase_create(user=world.gerant_a, text="A")
        with pytest.raises(PermissionDenied):
            phrase_create(user=world.operateur_a, text="B")
        with pytest.raises(NotFound):
            phrase_delete(user=world.gerant_b, phrase=phrase)
        with pytest.raises(ValidationFailed):
            phrase_move(user=world.gerant_a, phrase=phrase, direction="sideways")
        assert InputPhrase.objects.count() == 1


# --- banners -----------------------------------------------------------------------------------


class TestBanners:
    def test_it_creates_a_banner_signed_by_its_author(self, world: World) -> None:
        banner = banner_create(user=world.gerant_a, text=" Formation jeudi 14h — salle B ")
        assert (banner.text, banner.place, banner.created_by) == (
            "Formation jeudi 14h — salle B",
            Banner.HOME,
            world.gerant_a,
        )

    @pytest.mark.parametrize(
        ("text", "place", "errors"),
        [
            ("x" * 201, "home", {"text": ["Texte : 200 caractères au maximum (201 saisis)."]}),
            ("", "home", {"text": ["Texte : ce champ est obligatoire."]}),
            ("Deux\nlignes", "home", {"text": ["Texte : une seule ligne."]}),
            (
                "Bonjour",
                "ailleurs",
                {"place": ["Emplacement inconnu : page d'accueil ou supervision."]},
            ),
        ],
    )
    def test_it_refuses_bad_banners_and_saves_nothing(
        self, world: World, text: str, place: str, errors: dict[str, list[str]]
    ) -> None:
        with pytest.raises(ValidationFailed) as exc:
            banner_create(user=world.gerant_a, text=text, place=place)
        assert exc.value.errors == errors
        assert not Banner.objects.exists()

    def test_it_guards_banners(self, world: World) -> None:
        banner = banner_create(user=world.gerant_a, text="Formation")
        with pytest.raises(PermissionDenied):
            banner_create(user=world.operateur_a, text="Pirate")
        with pytest.raises(PermissionDenied):
            banner_delete(user=world.client_user_a, banner=banner)
        with pytest.raises(NotFound):
            banner_delete(user=world.gerant_b, banner=banner)
        banner_delete(user=world.gerant_a, banner=banner)
        assert not Banner.objects.exists()


# --- instructions ------------------------------------------------------------------------------


class TestInstructions:
    def test_it_creates_updates_and_deletes_an_instruction(self, world: World) -> None:
        instruction = instruction_create(
            user=world.gerant_a,
            client=world.client_a,
            text="Jamais de RDV le mercredi.",
            show_message=True,
            show_agenda=True,
        )
        assert instruction.visibility_labels == ["Message", "Agenda"]
        instruction_update(
            user=world.gerant_a,
            instruction=instruction,
            text="Urgences : SMS au Dr.",
            show_message=False,
            show_sheet=True,
        )
        instruction.refresh_from_db()
        assert (instruction.text, instruction.visibility_labels) == (
            "Urgences : SMS au Dr.",
            ["Levée de fiche"],
        )
        instruction_delete(user=world.gerant_a, instruction=instruction)
        assert not Instruction.objects.exists()

    def test_it_refuses_empty_text_or_no_visibility(self, world: World) -> None:
        with pytest.raises(ValidationFailed) as exc:
            instruction_create(
                user=world.gerant_a, client=world.client_a, text=" ", show_message=False
            )
        assert exc.value.errors == {
            "text": ["Instruction : ce champ est obligatoire."],
            "visibility": [
                "Visibilité : cochez au moins « Message », « Agenda » ou « Levée de fiche »."
            ],
        }
        assert not Instruction.objects.exists()

    def test_it_guards_instructions(self, world: World) -> None:
        with pytest.raises(PermissionDenied):
            instruction_create(user=world.operateur_a, client=world.client_a, text="X")
        with pytest.raises(NotFound):
            instruction_create(user=world.client_user_a, client=world.client_b, text="X")
        with pytest.raises(PermissionDenied):
            instruction_create(user=world.client_user_a, client=world.client_a, text="X")
        with pytest.raises(NotFound):
            instruction_create(user=world.gerant_b, client=world.client_a, text="X")
        assert not Instruction.objects.exists()
