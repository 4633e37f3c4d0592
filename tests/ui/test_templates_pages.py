"""« Modèles de messages » pages: list, create, edit, delete; the client's default template in
« Paramètres du compte / Message »; the menu entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from relais.messaging.models import MessageTemplate
from relais.tenancy import permissions as perms
from tests import factories
from tests.conftest import World, login

f: Any = factories

pytestmark = pytest.mark.django_db


def queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


class TestCreate:
    def test_it_documents_the_placeholders_on_the_form(self, world: World) -> None:
        html = login(world.gerant_a).get(reverse("ui:template_new")).content.decode()
        for code in ["{client}", "{contact}", "{date}", "{operateur}"]:
            assert f'data-insert-placeholder="{code}"' in html
        assert "la date du jour (jj/mm/aaaa)" in html
        assert "Dr Cécile Lemoine" in html  # a client that can be chosen

    def test_it_creates_a_template_for_chosen_clients(self, world: World) -> None:
        response = login(world.gerant_a).post(
            reverse("ui:template_new"),
            {
                "name": "Rappel patient",
                "subject": "Rappel de {contact}",
                "body": "Merci de rappeler {contact}.\r\n— {operateur}",
                "consigne": "Demander la date de naissance.",
                "auto_vad": "on",
                "for_all": "some",
                "clients": [str(world.client_a.id)],
            },
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("ui:templates")
        template = MessageTemplate.objects.get()
        assert template.permanence_id == world.perm_a.id
        assert (template.subject, template.consigne) == (
            "Rappel de {contact}",
            "Demander la date de naissance.",
        )
        assert template.auto_vad and not template.auto_circle
        assert list(template.clients.all()) == [world.client_a]

    def test_it_makes_a_template_for_everyone_whatever_clients_were_ticked(
        self, world: World
    ) -> None:
        login(world.gerant_a).post(
            reverse("ui:template_new"),
            {"name": "Pour tous", "for_all": "all", "clients": [str(world.client_a.id)]},
        )
        assert not MessageTemplate.objects.get().clients.exists()

    def test_it_refuses_an_empty_name_in_french_and_keeps_the_typed_text(
        self, world: World
    ) -> None:
        response = login(world.gerant_a).post(
            reverse("ui:template_new"),
            {"name": " ", "subject": "Rappel", "body": "Texte gardé", "for_all": "all"},
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert "Nom : ce champ est obligatoire." in html
        assert "Rien n'a été enregistré : corrigez les champs signalés." in html
        assert "Texte gardé" in html
        assert not MessageTemplate.objects.exists()

    def test_it_refuses_an_unknown_placeholder_in_french(self, world: World) -> None:
        response = login(world.gerant_a).post(
            reverse("ui:template_new"),
            {"name": "RDV", "subject": "RDV", "body": "Bonjour {patient}", "for_all": "all"},
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert "Message : variable inconnue {patient}." in html
        assert 'id="f-body" name="body"' in html and 'aria-invalid="true"' in html
        assert not MessageTemplate.objects.exists()

    def test_it_refuses_chosen_clients_when_none_is_ticked(self, world: World) -> None:
        response = login(world.gerant_a).post(
            reverse("ui:template_new"), {"name": "RDV", "for_all": "some"}
        )
        assert response.status_code == 422
        assert "Choisissez au moins un client" in response.content.decode()
        assert not MessageTemplate.objects.exists()


class TestEditAndDelete:
    def test_it_shows_the_template_in_its_form(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_a, consigne="Noter l'adresse.")
        template.clients.add(world.client_a)
        html = (
            login(world.gerant_a)
            .get(reverse("ui:template_edit", args=[template.id]))
            .content.decode()
        )
        assert "Noter l&#x27;adresse." in html
        assert f'value="{world.client_a.id}" checked' in html
        assert 'value="some" checked' in html

    def test_it_saves_changes(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_a, auto_vad=True)
        response = login(world.gerant_a).post(
            reverse("ui:template_edit", args=[template.id]),
            {"name": "Urgence dégât des eaux", "body": "Fuite chez {contact}", "for_all": "all"},
        )
        assert response.status_code == 302
        template.refresh_from_db()
        assert (template.name, template.body, template.auto_vad) == (
            "Urgence dégât des eaux",
            "Fuite chez {contact}",
            False,
        )

    def test_it_keeps_the_template_on_error(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_a, name="Avant")
        response = login(world.gerant_a).post(
            reverse("ui:template_edit", args=[template.id]),
            {"name": "Après", "subject": "{heure}", "for_all": "all"},
        )
        assert response.status_code == 422
        assert "Sujet : variable inconnue {heure}." in response.content.decode()
        template.refresh_from_db()
        assert template.name == "Avant"

    def test_it_asks_before_deleting_and_names_the_clients_using_it(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_a, name="Rappel patient")
        world.client_a.default_template = template
        world.client_a.save()
        http = login(world.gerant_a)
        url = reverse("ui:template_delete", args=[template.id])
        html = http.get(url).content.decode()
        assert "Supprimer le modèle « Rappel patient » ?" in html
        assert "Dr Cécile Lemoine" in html
        assert MessageTemplate.objects.exists()
        response = http.post(url)
        assert response.status_code == 302
        assert not MessageTemplate.objects.exists()
        world.client_a.refresh_from_db()
        assert world.client_a.default_template is None


class TestList:
    def test_it_lists_the_permanence_templates_with_what_they_do(self, world: World) -> None:
        mine = f.TemplateFactory(
            permanence=world.perm_a, name="VAD", auto_vad=True, consigne="Code d'accès"
        )
        mine.clients.add(world.client_a)
        f.TemplateFactory(permanence=world.perm_a, name="Pour tous")
        f.TemplateFactory(permanence=world.perm_b, name="De Horizon")
        html = login(world.gerant_a).get(reverse("ui:templates")).content.decode()
        assert "VAD" in html and "Pour tous" in html and "De Horizon" not in html
        assert "Tous les clients" in html
        assert "Dr Cécile Lemoine" in html
        assert "Code d&#x27;accès" in html

    def test_it_lists_3_or_60_templates_in_the_same_queries(
        self, world: World, django_assert_num_queries: Any
    ) -> None:
        http = login(world.gerant_a)
        clients = [f.ClientFactory(permanence=world.perm_a) for _ in range(5)]

        def add(n: int) -> None:
            for i in range(n):
                t = f.TemplateFactory(permanence=world.perm_a)
                if i % 2:
                    t.clients.set(clients)

        add(3)
        few = queries(lambda: http.get(reverse("ui:templates")))
        add(57)
        with django_assert_num_queries(few):
            response = http.get(reverse("ui:templates"))
        assert response.content.decode().count('href="/modeles/') >= 60
        # session, user (with role and permanence), templates, their clients, menu counts, the
        # day's missed calls (the gérant sees « Journal des appels »).
        assert few == 6


class TestMenu:
    def test_it_shows_the_aids_to_those_who_manage_them(self, world: World) -> None:
        html = login(world.gerant_a).get("/").content.decode()
        for label, url in [
            ("Modèles de messages", "/modeles/"),
            ("Aide à la saisie", "/aide-a-la-saisie/"),
            ("Bandeau message", "/bandeau/"),
        ]:
            assert f'href="{url}"' in html and label in html

    def test_it_hides_them_from_an_operator(self, world: World) -> None:
        html = login(world.operateur_a).get("/").content.decode()
        for url in ["/modeles/", "/aide-a-la-saisie/", "/bandeau/"]:
            assert f'href="{url}"' not in html
        assert "Réglages" not in html


class TestDefaultTemplateSetting:
    def url(self, world: World) -> str:
        return reverse("ui:client_settings", args=[world.client_a.id])

    def post(self, world: World, **data: str) -> Any:
        payload = {"message_info": "Absente jusqu'au 12/12", "default_copy_email": "on", **data}
        return login(world.gerant_a).post(self.url(world), payload)

    def test_it_offers_only_the_templates_usable_for_the_client(self, world: World) -> None:
        f.TemplateFactory(permanence=world.perm_a, name="Pour tous")
        other = f.TemplateFactory(permanence=world.perm_a, name="Pour un autre")
        other.clients.add(f.ClientFactory(permanence=world.perm_a))
        f.TemplateFactory(permanence=world.perm_b, name="De Horizon")
        html = login(world.gerant_a).get(self.url(world)).content.decode()
        assert "Modèle de message par défaut" in html
        assert "Pour tous" in html
        assert "Pour un autre" not in html and "De Horizon" not in html
        assert f'href="{reverse("ui:instructions", args=[world.client_a.id])}"' in html

    def test_it_saves_the_default_template(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_a)
        response = self.post(world, default_template=str(template.id))
        assert response.status_code == 302
        world.client_a.refresh_from_db()
        assert world.client_a.default_template == template
        assert world.client_a.message_info == "Absente jusqu'au 12/12"
        html = login(world.gerant_a).get(self.url(world)).content.decode()
        assert f'value="{template.id}" selected' in html

    def test_it_refuses_a_template_of_another_client_and_saves_nothing(self, world: World) -> None:
        template = f.TemplateFactory(permanence=world.perm_a)
        template.clients.add(f.ClientFactory(permanence=world.perm_a))
        response = self.post(world, default_template=str(template.id))
        assert response.status_code == 422
        assert "Ce modèle de message n&#x27;est pas disponible pour ce client." in (
            response.content.decode()
        )
        world.client_a.refresh_from_db()
        assert world.client_a.default_template is None
        assert world.client_a.message_info == ""

    def test_it_clears_the_default_template(self, world: World) -> None:
        world.client_a.default_template = f.TemplateFactory(permanence=world.perm_a)
        world.client_a.save()
        self.post(world, default_template="")
        world.client_a.refresh_from_db()
        assert world.client_a.default_template is None


def test_a_gerant_role_holds_the_templates_right_by_default() -> None:
    assert perms.TEMPLATES in perms.DEFAULT_ROLE_PERMISSIONS[perms.GERANT]
    assert perms.TEMPLATES not in perms.DEFAULT_ROLE_PERMISSIONS[perms.OPERATEUR]
