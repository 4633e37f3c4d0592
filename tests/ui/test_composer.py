from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.urls import reverse

from relais.delivery.models import Delivery
from relais.messaging.models import Message, Recipient
from tests import factories
from tests.conftest import World, login

f: Any = factories  # factory calls return model instances

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def open_composer(http: Any, world: World) -> str:
    response = http.get(reverse("ui:composer", args=[world.client_a.id]), headers=HTMX)
    assert response.status_code == 200
    return str(response.content.decode())


def send(http: Any, world: World, headers: dict[str, str] | None = None, **data: Any) -> Any:
    payload = {"idempotency_key": "k-" + data.pop("key", "1"), "subject": "Rappel", "body": "Texte"}
    payload.update(data)
    return http.post(
        reverse("ui:send", args=[world.client_a.id]),
        payload,
        headers=HTMX if headers is None else headers,
    )


class TestOpen:
    def test_it_titles_the_popup_with_the_client_and_its_message_info(self, world: World) -> None:
        world.client_a.message_info = "Absente jusqu'au 12/12"
        world.client_a.save()
        html = open_composer(login(world.operateur_a), world)
        assert "Nouveau message — Dr Cécile Lemoine" in html
        assert "« Absente jusqu&#x27;au 12/12 »" in html

    def test_it_pre_ticks_the_copies_from_the_client_settings(self, world: World) -> None:
        world.client_a.default_copy_sms = True
        world.client_a.save()
        html = open_composer(login(world.operateur_a), world)
        assert re.search(r'name="copy_sms" checked', html)
        assert not re.search(r'name="copy_email" checked', html)

    def test_it_carries_a_fresh_idempotency_key(self, world: World) -> None:
        http = login(world.operateur_a)
        key = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')
        first = key.search(open_composer(http, world))
        second = key.search(open_composer(http, world))
        assert first and second and first.group(1) != second.group(1)

    def test_it_lists_only_the_templates_usable_for_the_client(self, world: World) -> None:
        f.TemplateFactory(permanence=world.perm_a, name="Pour tous")
        mine = f.TemplateFactory(permanence=world.perm_a, name="Pour Dr Lemoine")
        mine.clients.add(world.client_a)
        other = f.TemplateFactory(permanence=world.perm_a, name="Pour un autre")
        other.clients.add(f.ClientFactory(permanence=world.perm_a))
        f.TemplateFactory(permanence=world.perm_b, name="De Horizon")
        html = open_composer(login(world.operateur_a), world)
        assert "Pour tous" in html and "Pour Dr Lemoine" in html
        assert "Pour un autre" not in html and "De Horizon" not in html

    def test_it_prefills_the_default_template(self, world: World) -> None:
        template = f.TemplateFactory(
            permanence=world.perm_a,
            subject="Rappel patient",
            body="Merci de rappeler.",
            consigne="Demander la date de naissance.",
            auto_vad=True,
        )
        world.client_a.default_template = template
        world.client_a.save()
        html = open_composer(login(world.operateur_a), world)
        assert 'value="Rappel patient"' in html
        assert "Demander la date de naissance." in html
        assert 'class="composer-grid with-side"' in html
        assert re.search(r'name="is_vad" checked', html)

    def test_it_shows_no_post_it_without_consigne(self, world: World) -> None:
        html = open_composer(login(world.operateur_a), world)
        assert "data-composer-side hidden" in html

    def test_it_offers_only_client_options_to_a_client_user(self, world: World) -> None:
        html = open_composer(login(world.client_user_a), world)
        for present in [
            'name="subject"',
            'name="body"',
            'name="is_urgent"',
            'name="is_private"',
            'name="is_client_remark"',
            "contact-q",
        ]:
            assert present in html, present
        for absent in [
            'name="is_task"',
            'name="is_vad"',
            'name="copy_email"',
            "data-cc-open",
            'name="template"',
            'name="attach_kind"',
            "Copie cercle",
        ]:
            assert absent not in html, absent

    def test_it_opens_as_a_page_without_htmx(self, world: World) -> None:
        response = login(world.operateur_a).get(reverse("ui:composer", args=[world.client_a.id]))
        assert "<html" in response.content.decode()
        assert 'id="composer-form"' in response.content.decode()


class TestSend:
    def test_it_sends_a_full_message(self, world: World) -> None:
        contact = f.ContactFactory(client=world.client_a, name="Hélène Durand")
        response = send(
            login(world.operateur_a),
            world,
            cc=[str(world.superviseur_a.id)],
            cc_name=["Sophie"],
            contact=str(contact.id),
            is_task="on",
            due_date="2026-12-01",
            is_urgent="on",
            is_vad="on",
            copy_email="on",
            attach_kind="planning",
            attach_from="2026-12-01",
            attach_to="2026-12-07",
        )
        assert response.status_code == 200
        event = json.loads(response["HX-Trigger"])["relais:sent"]
        message = Message.objects.get()
        assert event["url"] == reverse("ui:thread", args=[message.id])
        assert message.status == Message.STATUS_TODO
        assert message.due_date == dt.date(2026, 12, 1)
        assert message.is_urgent and message.is_vad and not message.is_private
        assert message.contact == contact
        assert message.attach == {"kind": "planning", "from": "2026-12-01", "to": "2026-12-07"}
        assert list(Recipient.objects.values_list("user_id", flat=True)) == [world.superviseur_a.id]
        assert Delivery.objects.filter(channel="email").count() == 2

    def test_it_redirects_to_the_thread_without_htmx(self, world: World) -> None:
        response = send(login(world.operateur_a), world, headers={})
        assert response.status_code == 302
        assert response["Location"] == reverse("ui:thread", args=[Message.objects.get().id])

    def test_it_creates_one_message_for_a_retried_post(self, world: World) -> None:
        http = login(world.operateur_a)
        first = send(http, world, key="same")
        second = send(http, world, key="same")
        assert first.status_code == second.status_code == 200
        assert Message.objects.count() == 1
        send(http, world, key="other")
        assert Message.objects.count() == 2

    def test_it_lets_a_client_user_write_a_remark(self, world: World) -> None:
        response = send(login(world.client_user_a), world, is_client_remark="on", is_urgent="on")
        assert response.status_code == 200
        message = Message.objects.get()
        assert message.is_client_remark and message.author == world.client_user_a

    def test_it_refuses_copies_from_a_client_user(self, world: World) -> None:
        response = send(login(world.client_user_a), world, copy_email="on")
        assert response.status_code == 422
        assert not Message.objects.exists()


class TestBadInput:
    @pytest.mark.parametrize(
        ("data", "field", "error"),
        [
            ({"subject": ""}, "subject", "Sujet : ce champ est obligatoire."),
            ({"body": "  \n "}, "body", "Message : ce champ est obligatoire."),
            ({"body": "x" * 20001}, "body", "Message : 20000 caractères au maximum"),
            ({"is_task": "on", "due_date": "32/13/2026"}, "due_date", "Date invalide"),
            ({"contact": "00000000-0000-0000-0000-000000000000"}, "contact", "Contact introuvable"),
            ({"contact": "nope"}, "contact", "Contact introuvable"),
            ({"cc": "00000000-0000-0000-0000-000000000000"}, "cc", "Destinataire en copie"),
            ({"attach_kind": "planning", "attach_from": "x"}, "attach", "Date invalide"),
        ],
    )
    def test_it_shows_a_french_error_and_keeps_the_text(
        self, world: World, data: dict[str, str], field: str, error: str
    ) -> None:
        typed: dict[str, Any] = {"subject": "Sujet tapé", "body": "Corps tapé\nsur deux lignes"}
        typed.update(data)
        response = send(login(world.operateur_a), world, **typed)
        html = response.content.decode()
        assert response.status_code == 422
        assert error in html
        assert "Le message n&#x27;est pas parti" in html or "Le message n'est pas parti" in html
        if typed["subject"]:
            assert f'value="{typed["subject"]}"' in html
        if typed["body"].strip() and len(typed["body"]) < 100:
            assert typed["body"] in html
        assert not Message.objects.exists()

    def test_it_refuses_a_contact_of_another_permanence(self, world: World) -> None:
        contact = f.ContactFactory(client=world.client_b)
        response = send(login(world.operateur_a), world, contact=str(contact.id))
        assert response.status_code == 422
        assert "Contact introuvable pour ce client." in response.content.decode()
        assert not Message.objects.exists()

    def test_it_refuses_a_copy_recipient_of_another_permanence(self, world: World) -> None:
        response = send(
            login(world.operateur_a), world, cc=[str(world.gerant_b.id)], cc_name=["Bruno"]
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert "Destinataire en copie introuvable." in html
        assert "Bruno" in html  # the chip comes back, to be removed by the operator
        assert not Message.objects.exists()

    def test_it_refuses_copy_recipients_on_a_private_message(self, world: World) -> None:
        response = send(
            login(world.operateur_a),
            world,
            is_private="on",
            cc=[str(world.superviseur_a.id)],
            cc_name=["Sophie"],
        )
        assert response.status_code == 422
        assert "Un message privé n&#x27;est envoyé qu&#x27;au destinataire" in (
            response.content.decode()
        )
        assert not Message.objects.exists()

    def test_it_re_renders_a_full_page_with_errors_without_htmx(self, world: World) -> None:
        response = send(login(world.operateur_a), world, headers={}, subject="")
        assert response.status_code == 422
        assert "<html" in response.content.decode()
        assert "Sujet : ce champ est obligatoire." in response.content.decode()


class TestRecipients:
    def test_it_searches_copy_recipients_and_skips_the_chosen(self, world: World) -> None:
        http = login(world.operateur_a)
        url = reverse("ui:recipients", args=[world.client_a.id])
        html = http.get(url, {"q": "sophie"}).content.decode()
        assert "Sophie" in html and "Gérard" not in html
        html = http.get(url, {"q": "", "cc": str(world.superviseur_a.id)}).content.decode()
        assert "Sophie" not in html and "Gérard" in html
        assert "Bruno" not in html  # another permanence
