"""The planning pages: week view, appointment popup, journal, activity and the PDFs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from relais.messaging.services import SendInput, message_send
from relais.planning.models import Appointment, Movement
from relais.planning.services import appointment_create, appointment_type_create, version_of
from tests import factories as f
from tests.conftest import World, login
from tests.exports.helpers import in_order, pdf_text
from tests.planning.scene import MONDAY, Scene, build_scene, day, paris

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def week_url(world: World, **query: str) -> str:
    url = reverse("ui:planning:week", args=[world.client_a.id])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def new_url(world: World) -> str:
    return reverse("ui:planning:appointment_new", args=[world.client_a.id])


def edit_url(world: World, appointment: Appointment) -> str:
    return reverse("ui:planning:appointment", args=[world.client_a.id, appointment.id])


@pytest.fixture
def scene(world: World) -> Scene:
    return build_scene(world)


class TestWeek:
    def test_it_shows_monday_to_sunday_in_french_with_today_highlighted(self, scene: Scene) -> None:
        world = scene.world
        with time_machine.travel(paris(day(2), "10:00"), tick=False):
            html = login(world.operateur_a).get(week_url(world)).content.decode()
        assert in_order(
            html,
            "Semaine du lun. 30/11 au dim. 06/12/2026",
            "lun. 30/11",
            "mar. 01/12",
            'class="today" aria-current="date"><span class="day">mer. 02/12',
            "jeu. 03/12",
            "ven. 04/12",
            "sam. 05/12",
            "dim. 06/12",
        )
        assert f"?semaine={dt.date(2026, 11, 23).isoformat()}" in html
        assert f"?semaine={dt.date(2026, 12, 7).isoformat()}" in html
        assert ">Aujourd'hui</a>" not in html  # this week is shown: no need to jump back

    def test_it_places_appointments_in_their_cells_and_marks_cancelled_ones(
        self, scene: Scene
    ) -> None:
        world = scene.world
        html = login(world.operateur_a).get(week_url(world, semaine="2026-12-02")).content.decode()
        assert in_order(html, 'data-date="2026-11-30" data-time="09:00"', "09:00–09:30")
        assert in_order(html, "09:00–09:30", "Première consultation", "Marc Petit")
        assert in_order(html, 'data-date="2026-12-03" data-time="16:00"', "16:00–16:15")
        assert in_order(html, 'class="appt cancelled"', "11:00–11:15", "Annulé")
        assert "Hors période" not in html  # the appointments of 29/11 and 07/12
        assert 'data-date="2026-12-07"' not in html
        # The journal's last lines are on the page too.
        assert in_order(
            html, "Derniers mouvements", "Rendez-vous annulé", "Annulé : Patient malade"
        )

    def test_it_says_du_dr_in_the_weeks_caption(self, scene: Scene) -> None:
        world = scene.world
        world.client_a.name = "Dr Antoine Roche"
        world.client_a.save()
        html = login(world.operateur_a).get(week_url(world)).content.decode()
        assert "Rendez-vous du Dr Antoine Roche, semaine du " in html
        assert "de Dr" not in html

    def test_another_week_offers_to_come_back_to_today(self, scene: Scene) -> None:
        html = (
            login(scene.world.operateur_a)
            .get(week_url(scene.world, semaine="2020-01-01"))
            .content.decode()
        )
        assert "Semaine du lun. 30/12 au dim. 05/01/2020" in html
        assert ">Aujourd'hui</a>" in html

    def test_a_bad_week_parameter_shows_this_week(self, scene: Scene) -> None:
        response = login(scene.world.operateur_a).get(week_url(scene.world, semaine="n'importe"))
        assert response.status_code == 200

    def test_agenda_instructions_show_and_message_ones_do_not(self, world: World) -> None:
        f_instr = world.client_a.instructions
        f_instr.create(permanence=world.perm_a, text="Jamais le mercredi", show_agenda=True)
        f_instr.create(permanence=world.perm_a, text="Pour le composer seulement")
        html = login(world.operateur_a).get(week_url(world)).content.decode()
        assert "Jamais le mercredi" in html
        assert "Pour le composer seulement" not in html

    def test_the_client_file_links_to_the_planning(self, world: World) -> None:
        html = login(world.operateur_a).get(reverse("ui:client", args=[world.client_a.id]))
        assert week_url(world) in html.content.decode()


def queries_for(http: HttpClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_week_view_runs_the_same_queries_with_few_or_many_appointments(
    world: World, django_assert_num_queries: Any
) -> None:
    http = login(world.operateur_a)
    url = week_url(world, semaine="2026-11-30")
    contact = f.ContactFactory.create(client=world.client_a)
    kind = appointment_type_create(user=world.gerant_a, name="Consultation", colour="#1d4ed8")
    appointment_create(
        user=world.operateur_a, client=world.client_a, data={"date": MONDAY, "start": "9:00"}
    )
    few = queries_for(http, url)
    for i in range(60):
        appointment_create(
            user=world.operateur_a,
            client=world.client_a,
            data={
                "date": MONDAY + dt.timedelta(days=i % 7),
                "start": f"{7 + i % 13}:{(i * 5) % 60:02d}",
                "type": kind.id,
                "contact": contact.id,
            },
        )
    with django_assert_num_queries(few):
        html = http.get(url).content.decode()
    assert html.count('class="appt') == 61
    # session, user (with role and permanence), client, appointments (with motif and contact),
    # last movements, agenda instructions, the left menu's counts, the date bar.
    assert few == 8


class TestPopup:
    def test_it_opens_the_form_for_the_clicked_slot(self, world: World) -> None:
        appointment_type_create(user=world.gerant_a, name="Consultation", colour="#1d4ed8")
        response = login(world.operateur_a).get(
            new_url(world) + "?date=2026-12-01&heure=14:30", headers=HTMX
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert 'value="2026-12-01"' in html and 'value="14:30"' in html
        assert "Nouveau rendez-vous — Dr Cécile Lemoine" in html
        assert 'data-duration="15"' in html and "Consultation" in html
        assert reverse("ui:contacts", args=[world.client_a.id]) + "?mode=pick" in html
        assert reverse("ui:contact_new", args=[world.client_a.id]) in html

    def test_it_books_and_answers_with_the_refreshed_week(self, world: World) -> None:
        contact = f.ContactFactory.create(client=world.client_a, name="Hélène Durand")
        response = login(world.operateur_a).post(
            new_url(world),
            {
                "date": "2026-12-01",
                "start": "14:30",
                "duration": "30",
                "type": "",
                "contact": str(contact.id),
                "contact_name": "Hélène Durand",
                "note": "Première visite",
            },
            headers=HTMX,
        )
        assert response.status_code == 200
        assert response["HX-Retarget"] == "#planning-body"
        assert "relais:planning-saved" in response["HX-Trigger-After-Settle"]
        html = response.content.decode()
        assert (
            "Rendez-vous pris : mardi 01/12/2026 14:30 (30 min) · Rendez-vous · Hélène Durand"
            in html
        )
        assert "Semaine du lun. 30/11 au dim. 06/12/2026" in html
        appointment = Appointment.objects.get()
        assert (appointment.contact, appointment.note) == (contact, "Première visite")

    def test_errors_come_back_in_french_with_what_was_typed(self, world: World) -> None:
        response = login(world.operateur_a).post(
            new_url(world),
            {"date": "2026-12-01", "start": "", "duration": "2", "note": "Gardez-moi"},
            headers=HTMX,
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert "Heure : ce champ est obligatoire." in html
        assert "Durée : entre 5 minutes et 12 heures." in html
        assert "Gardez-moi" in html and 'value="2026-12-01"' in html
        assert not Appointment.objects.exists()

    def test_without_htmx_it_is_a_page_and_a_redirect(self, world: World) -> None:
        http = login(world.operateur_a)
        page = http.get(new_url(world) + "?date=2026-12-01")
        assert (
            page.status_code == 200
            and "hx-post"
            not in page.content.decode().split('id="appointment-form"')[1].split(">")[0]
        )
        response = http.post(new_url(world), {"date": "2026-12-01", "start": "9:00"})
        assert response.status_code == 302
        assert response["Location"].endswith("?semaine=2026-12-01")

    def test_it_moves_an_appointment_and_the_journal_says_so(self, scene: Scene) -> None:
        world = scene.world
        appointment = scene.appointments["durand"]
        http = login(world.operateur_a)
        form = http.get(edit_url(world, appointment), headers=HTMX).content.decode()
        assert "Historique" in form and "Rendez-vous pris" in form
        assert version_of(appointment) in form
        response = http.post(
            edit_url(world, appointment),
            {
                "date": "2026-12-01",
                "start": "14:30",
                "duration": "15",
                "type": str(appointment.type_id),
                "contact": str(appointment.contact_id),
                "note": appointment.note,
                "version": version_of(appointment),
            },
            headers=HTMX,
        )
        assert response.status_code == 200
        movement = Movement.objects.order_by("id").last()
        assert movement is not None
        assert movement.detail == "Déplacé du 30/11 10:00 au 01/12 14:30"
        assert "Déplacé du 30/11 10:00 au 01/12 14:30" in response.content.decode()

    def test_a_stale_form_shows_the_new_version_instead_of_overwriting(self, scene: Scene) -> None:
        world = scene.world
        appointment = scene.appointments["durand"]
        stale = version_of(appointment)
        http = login(world.operateur_a)
        http.post(
            edit_url(world, appointment),
            {"date": "2026-11-30", "start": "11:00", "version": stale},
            headers=HTMX,
        )
        response = http.post(
            edit_url(world, appointment),
            {"date": "2026-11-30", "start": "12:00", "version": stale},
            headers=HTMX,
        )
        assert response.status_code == 422
        assert (
            "vient d&#x27;être changé par quelqu&#x27;un d&#x27;autre" in response.content.decode()
        )
        appointment.refresh_from_db()
        assert appointment.start == dt.time(11, 0)

    def test_it_cancels_with_a_reason(self, scene: Scene) -> None:
        world = scene.world
        appointment = scene.appointments["petit"]
        response = login(world.operateur_a).post(
            reverse("ui:planning:appointment_cancel", args=[world.client_a.id, appointment.id]),
            {"reason": "Patient hospitalisé", "version": version_of(appointment)},
            headers=HTMX,
        )
        assert response.status_code == 200
        appointment.refresh_from_db()
        assert appointment.is_cancelled
        assert "Annulé : Patient hospitalisé" in response.content.decode()


class TestJournalAndActivity:
    def test_the_journal_lists_every_movement_newest_first(self, scene: Scene) -> None:
        world = scene.world
        html = login(world.operateur_a).get(
            reverse("ui:planning:journal", args=[world.client_a.id])
        )
        assert in_order(
            html.content.decode(),
            "Journal des mouvements du planning",
            "Rendez-vous annulé",
            "Rendez-vous déplacé",
            "Déplacé du 02/12 14:30 au 03/12 16:00",
            "Rendez-vous pris",
        )

    def test_the_journal_pages_on_to_older_lines(self, world: World) -> None:
        for i in range(55):
            with time_machine.travel(paris(day(0), "08:00") + dt.timedelta(minutes=i), tick=False):
                appointment_create(
                    user=world.operateur_a,
                    client=world.client_a,
                    data={"date": MONDAY, "start": "9:00", "note": f"n{i}"},
                )
        http = login(world.operateur_a)
        url = reverse("ui:planning:journal", args=[world.client_a.id])
        first = http.get(url).content.decode()
        assert first.count('<li class="movement created">') == 50
        more = first.split(f'href="{url}?avant=')[1].split('"')[0]
        second = http.get(f"{url}?avant={more}").content.decode()
        assert second.count('<li class="movement created">') == 5
        assert "Mouvements plus anciens" not in second
        assert http.get(f"{url}?avant=nimportequoi").status_code == 200

    def test_the_activity_page_previews_the_pdf_and_links_to_it(self, scene: Scene) -> None:
        world = scene.world
        url = reverse("ui:planning:activity", args=[world.client_a.id])
        html = (
            login(world.operateur_a)
            .get(url + "?quoi=movements_staff&du=2026-11-30&au=2026-12-06")
            .content.decode()
        )
        pdf = reverse("ui:planning:activity_pdf", args=[world.client_a.id])
        assert in_order(
            html,
            f"{pdf}?quoi=movements_staff&amp;du=2026-11-30&amp;au=2026-12-06",
            "Télécharger le PDF",
            "Mouvements et messages des collaborateurs du 30/11/2026 au 06/12/2026",
            "Lundi 30 novembre 2026",
            "Rappel Mme Durand",
        )
        assert "Question du docteur" not in html

    @pytest.mark.parametrize(
        ("du", "au", "error"),
        [
            ("2026-12-06", "2026-11-30", "La période se termine avant de commencer."),
            ("2026-01-01", "2027-06-01", "La période ne peut pas dépasser un an."),
            ("hier", "2026-12-01", "Date invalide"),
        ],
    )
    def test_a_bad_period_is_refused_in_french(
        self, world: World, du: str, au: str, error: str
    ) -> None:
        http = login(world.operateur_a)
        for name in ("activity", "activity_pdf"):
            url = reverse(f"ui:planning:{name}", args=[world.client_a.id])
            response = http.get(f"{url}?quoi=planning&du={du}&au={au}")
            assert response.status_code == 422
            assert error in response.content.decode()

    def test_the_activity_pdf_downloads(self, scene: Scene) -> None:
        world = scene.world
        url = reverse("ui:planning:activity_pdf", args=[world.client_a.id])
        response = login(world.operateur_a).get(url + "?quoi=planning&du=2026-11-30&au=2026-12-06")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            'attachment; filename="planning-dr-cecile-lemoine-2026-11-30-2026-12-06.pdf"'
        )
        assert "Marc Petit" in pdf_text(response.content)


class TestMessageAttachment:
    def test_the_thread_links_to_its_pdf_and_the_pdf_downloads(self, scene: Scene) -> None:
        world = scene.world
        with time_machine.travel(paris(day(3), "09:00"), tick=False):
            message, _ = message_send(
                author=world.operateur_a,
                client=world.client_a,
                data=SendInput(
                    subject="Votre planning",
                    body="Ci-joint.",
                    attach={"kind": "planning", "from": "2026-11-30", "to": "2026-12-06"},
                ),
            )
        http = login(world.client_user_a)
        thread = http.get(reverse("ui:thread", args=[message.id])).content.decode()
        link = reverse("ui:planning:message_attachment", args=[message.id])
        assert link in thread
        response = http.get(link)
        assert response.status_code == 200
        assert in_order(
            pdf_text(response.content), "Planning", "Lundi 30 novembre 2026", "Marc Petit"
        )

    def test_a_message_without_attachment_has_no_pdf(self, world: World) -> None:
        message, _ = message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=SendInput(subject="Sans pièce jointe", body="Rien."),
        )
        response = login(world.operateur_a).get(
            reverse("ui:planning:message_attachment", args=[message.id])
        )
        assert response.status_code == 404


class TestComposer:
    @pytest.mark.parametrize(
        ("du", "au", "error"),
        [
            ("2026-12-06", "2026-11-30", "La période se termine avant de commencer."),
            ("2026-01-01", "2027-01-03", "La période ne peut pas dépasser un an."),
        ],
    )
    def test_a_bad_period_is_refused_and_nothing_is_sent(
        self, world: World, du: str, au: str, error: str
    ) -> None:
        response = login(world.operateur_a).post(
            reverse("ui:send", args=[world.client_a.id]),
            {
                "subject": "Planning",
                "body": "Ci-joint",
                "attach_kind": "planning",
                "attach_from": du,
                "attach_to": au,
            },
            headers=HTMX,
        )
        assert response.status_code == 422
        assert error in response.content.decode()
        from relais.messaging.models import Message

        assert not Message.objects.exists()

    def test_an_empty_period_means_today(self, world: World) -> None:
        with time_machine.travel(paris(day(2), "10:00"), tick=False):
            response = login(world.operateur_a).post(
                reverse("ui:send", args=[world.client_a.id]),
                {"subject": "Planning", "body": "Ci-joint", "attach_kind": "planning"},
            )
        assert response.status_code == 302
        from relais.messaging.models import Message

        assert Message.objects.get().attach == {
            "kind": "planning",
            "from": "2026-12-02",
            "to": "2026-12-02",
        }
