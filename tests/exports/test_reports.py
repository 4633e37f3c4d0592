"""The « Joindre » PDFs read back with pdftotext: the right lines, in order, in French, and
nothing the reader may not see."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from relais.clients.models import ClientShare
from relais.exports.pdf import css_string
from relais.exports.reports import (
    Reader,
    fax_pdf,
    message_attachment,
    message_report,
    report_build,
    report_pdf,
)
from relais.messaging.models import Reply
from relais.messaging.services import SendInput, message_send
from relais.messaging.services.replies import reply_record
from relais.planning.models import Appointment
from relais.tenancy import permissions as perms
from tests import factories as f
from tests.conftest import World
from tests.exports.helpers import in_order, pages, pdf_text
from tests.planning.scene import MONDAY, SUNDAY, Scene, build_scene, day, paris

pytestmark = pytest.mark.django_db

EDITED = paris(day(8), "10:42")


@pytest.fixture
def scene(world: World) -> Scene:
    return build_scene(world)


def text_of(world: World, kind: str, reader: Reader | None = None, **period: Any) -> str:
    report = report_build(
        client=world.client_a,
        kind=kind,
        start=period.get("start", MONDAY),
        end=period.get("end", SUNDAY),
        reader=reader or Reader.of_client(world.client_a),
        now=EDITED,
    )
    return pdf_text(report_pdf(report))


def absent(text: str, *parts: str) -> None:
    for part in parts:
        assert part not in text, f"{part!r} should not be in the PDF"


ALWAYS_ABSENT = (
    "Remarque sur l'accueil",  # a client remark
    "Standard trop lent",
    "Jamais de RDV le mercredi",  # an instruction
    "Hors période",  # a message and an appointment outside the week
)


class TestPlanning:
    def test_it_prints_the_period_s_appointments_day_by_day_with_the_header(
        self, scene: Scene
    ) -> None:
        text = text_of(scene.world, "planning")
        assert in_order(
            text,
            "Permanence Azur",
            "Planning",
            "Dr Cécile Lemoine — Médecin généraliste",
            "Période : du 30/11/2026 au 06/12/2026 · Édité le 08/12/2026 à 10:42",
            "3 rendez-vous",
            "Lundi 30 novembre 2026 — 2 rendez-vous",
            "09:00 – 09:30 (30 min) · Première consultation · Marc Petit · 06 87 65 43 21",
            "10:00 – 10:15 (15 min) · Consultation · Hélène Durand · 06 12 34 56 78",
            "Note : Apporter l'ordonnance",
            "Jeudi 3 décembre 2026 — 1 rendez-vous",
            "16:00 – 16:15 (15 min) · Consultation",
            "Dr Cécile Lemoine · Planning du 30/11/2026 au 06/12/2026",
            "Page 1 / 1",
        )

    def test_it_leaves_out_cancelled_moved_away_out_of_period_and_other_things(
        self, scene: Scene
    ) -> None:
        text = text_of(scene.world, "planning")
        absent(
            text,
            *ALWAYS_ABSENT,
            "Semaine suivante",  # the appointment of Monday 07/12
            "Mercredi 2 décembre",  # moved to Thursday
            "Vendredi 4 décembre",  # cancelled
            "11:00 – 11:15",
            "Rappel Mme Durand",  # messages are not in the planning
            "Rendez-vous pris",
        )

    def test_an_empty_period_says_so(self, scene: Scene) -> None:
        text = text_of(scene.world, "planning", start=dt.date(2027, 1, 4), end=dt.date(2027, 1, 10))
        assert in_order(
            text,
            "Planning",
            "Période : du 04/01/2027 au 10/01/2027",
            "Aucun rendez-vous sur la période.",
            "Page 1 / 1",
        )

    def test_a_long_planning_numbers_its_pages(self, world: World) -> None:
        Appointment.objects.bulk_create(
            Appointment(
                permanence=world.perm_a,
                client=world.client_a,
                date=MONDAY + dt.timedelta(days=i % 7),
                start=dt.time(8 + i // 20, (i % 20) * 3),
                duration=15,
                note="Apporter la carte Vitale." if i % 2 else "",
                created_by=world.operateur_a,
                updated_at=EDITED,
            )
            for i in range(140)
        )
        pdf = report_pdf(
            report_build(
                client=world.client_a,
                kind="planning",
                start=MONDAY,
                end=SUNDAY,
                reader=Reader.of_client(world.client_a),
            )
        )
        n = pages(pdf)
        assert n >= 3
        assert in_order(
            pdf_text(pdf), "140 rendez-vous", "Page 1 / ", "Page 2 / ", f"Page {n} / {n}"
        )


class TestActivity:
    def test_staff_movements_and_messages_come_in_order_with_french_dates(
        self, scene: Scene
    ) -> None:
        text = text_of(scene.world, "movements_staff")
        assert in_order(
            text,
            "Mouvements et messages des collaborateurs",
            "Période : du 30/11/2026 au 06/12/2026",
            "3 messages, 1 réponse, 6 mouvements",
            "Lundi 30 novembre 2026",
            "08:05 · Rendez-vous pris · Léa Martin — lundi 30/11/2026 09:00 (30 min) · "
            "Première consultation · Marc Petit",
            "08:10 · Rendez-vous pris · Léa Martin — mercredi 02/12/2026 14:30 (15 min)",
            "09:12 · Message · Léa Martin · URGENT — Rappel Mme Durand · Contact : Hélène Durand "
            "· 06 12 34 56 78",
            "Mme Durand demande à être rappelée. Avant midi si possible.",
            "Mardi 1er décembre 2026",
            "08:30 · Message · Léa Martin · Privé — Résultats confidentiels",
            "09:30 · Rendez-vous déplacé · Léa Martin — jeudi 03/12/2026 16:00 (15 min)",
            "Déplacé du 02/12 14:30 au 03/12 16:00",
            "Mercredi 2 décembre 2026",
            "08:45 · Réponse · Léa Martin — Re : Rappel Mme Durand",
            "Elle a rappelé : c'est réglé.",
            "10:00 · Message · Léa Martin — Livraison matériel",
            "17:00 · Rendez-vous annulé · Léa Martin — vendredi 04/12/2026 11:00 (15 min)",
            "Annulé : Patient malade",
        )

    def test_staff_kinds_leave_out_client_users_and_the_rest(self, scene: Scene) -> None:
        text = text_of(scene.world, "movements_staff")
        absent(
            text,
            *ALWAYS_ABSENT,
            "Question du docteur",  # written by the client user
            "Je la rappelle cet après-midi",  # the client user's reply
            "Semaine suivante",  # the message of 07/12
            "Hélène Durand lundi 30/11/2026 10:00",
            "10:00 (15 min) · Consultation · Hélène Durand",  # booked on 27/11, before
        )

    def test_unread_leaves_out_what_a_client_user_has_read(self, scene: Scene) -> None:
        text = text_of(scene.world, "movements_staff_unread")
        assert in_order(
            text,
            "Mouvements et messages des collaborateurs non lus",
            "2 messages, 1 réponse, 6 mouvements",
            "09:12 · Message · Léa Martin · URGENT — Rappel Mme Durand",
            "08:30 · Message · Léa Martin · Privé — Résultats confidentiels",
            "08:45 · Réponse · Léa Martin — Re : Rappel Mme Durand",
            "17:00 · Rendez-vous annulé",
        )
        absent(text, *ALWAYS_ABSENT, "Livraison matériel", "Question du docteur")

    def test_all_users_adds_the_client_s_messages_and_replies_but_never_remarks(
        self, scene: Scene
    ) -> None:
        client_name = scene.world.client_user_a.name
        text = text_of(scene.world, "movements_all")
        assert in_order(
            text,
            "Mouvements et messages de tous les utilisateurs",
            "4 messages, 2 réponses, 6 mouvements",
            "09:12 · Message · Léa Martin · URGENT — Rappel Mme Durand",
            f"11:00 · Message · {client_name} — Question du docteur",
            "Ai-je un RDV ?",
            "Mardi 1er décembre 2026",
            "08:30 · Message · Léa Martin · Privé — Résultats confidentiels",
            "09:30 · Rendez-vous déplacé",
            f"10:00 · Réponse · {client_name} — Re : Rappel Mme Durand",
            "Je la rappelle cet après-midi.",
            "Mercredi 2 décembre 2026",
            "08:45 · Réponse · Léa Martin",
        )
        absent(text, *ALWAYS_ABSENT, "Semaine suivante")

    def test_a_reply_taken_in_from_a_contact_or_an_address_shows_who_sent_it(
        self, scene: Scene
    ) -> None:
        with time_machine.travel(paris(day(3), "11:20"), tick=False):
            reply_record(
                message=scene.messages["rappel"],
                author=None,
                body="OK merci, je serai là.",
                via=Reply.SMS,
                sender_contact=scene.durand,
            )
        with time_machine.travel(paris(day(3), "11:40"), tick=False):
            reply_record(
                message=scene.messages["rappel"],
                author=None,
                body="Bien reçu par le secrétariat.",
                via=Reply.EMAIL,
                sender_name="secretariat@cabinet.example",
            )
        text = text_of(scene.world, "movements_all")
        assert in_order(
            text,
            "11:20 · Réponse · Hélène Durand · par SMS — Re : Rappel Mme Durand",
            "OK merci, je serai là.",
            "11:40 · Réponse · secretariat@cabinet.example · par e-mail — Re : Rappel Mme Durand",
        )

    def test_an_empty_period_says_so(self, scene: Scene) -> None:
        for kind, words in [
            ("movements_all", "Aucun mouvement ni message sur la période."),
            ("movements_staff_unread", "Aucun mouvement ni message non lu sur la période."),
        ]:
            text = text_of(scene.world, kind, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 7))
            assert in_order(text, "Période : du 01/11/2026 au 07/11/2026", words, "Page 1 / 1")


class TestReaders:
    def test_a_user_shared_with_sees_no_private_message_of_others_and_no_planning(
        self, scene: Scene
    ) -> None:
        world = scene.world
        other = f.ClientFactory.create(permanence=world.perm_a, name="Dr Remplaçant")
        shared = f.ClientUserFactory.create(client=other, email="remplacant@a.test")
        ClientShare.objects.create(client=world.client_a, user=shared)
        reader = Reader.of_user(shared, world.client_a)

        text = text_of(world, "movements_all", reader=reader)
        assert in_order(
            text,
            "Planning non communiqué : il est réservé au client et à la permanence.",
            "Rappel Mme Durand",
            "Question du docteur",
            "Livraison matériel",
        )
        absent(text, *ALWAYS_ABSENT, "Résultats confidentiels", "Rendez-vous pris", "Déplacé du")

        planning = text_of(world, "planning", reader=reader)
        assert "Planning non communiqué" in planning
        absent(planning, "Marc Petit", "Aucun rendez-vous")

    def test_staff_see_private_messages_but_never_remarks_even_with_the_remarks_right(
        self, scene: Scene
    ) -> None:
        world = scene.world
        assert world.gerant_a.has_right(perms.MESSAGES_REMARKS)
        text = text_of(
            world, "movements_all", reader=Reader.of_user(world.gerant_a, world.client_a)
        )
        assert in_order(text, "Rappel Mme Durand", "Résultats confidentiels", "Rendez-vous annulé")
        absent(text, *ALWAYS_ABSENT)

    def test_staff_without_the_planning_right_get_messages_only(self, scene: Scene) -> None:
        world = scene.world
        role = world.operateur_a.role
        assert role is not None
        role.permissions = [p for p in role.permissions if p != perms.PLANNING_VIEW]
        role.save()
        text = text_of(
            world, "movements_staff", reader=Reader.of_user(world.operateur_a, world.client_a)
        )
        assert in_order(text, "Planning non communiqué", "Rappel Mme Durand")
        absent(text, "Rendez-vous pris", "Déplacé du")

    def test_a_copy_recipient_reader_sees_what_both_the_client_and_it_may_see(
        self, scene: Scene
    ) -> None:
        world = scene.world
        company = f.CompanyFactory.create(permanence=world.perm_a)
        world.client_a.company = company
        world.client_a.save()
        colleague_client = f.ClientFactory.create(permanence=world.perm_a, company=company)
        colleague = f.ClientUserFactory.create(client=colleague_client, email="collegue@a.test")
        reader = Reader.of_client(world.client_a).narrowed(
            Reader.of_user(colleague, world.client_a)
        )
        text = text_of(world, "movements_all", reader=reader)
        # Not shared with it and not in copy of these: nothing of the client's file.
        absent(text, "Rappel Mme Durand", "Résultats confidentiels", "Rendez-vous pris")
        assert "Planning non communiqué" in text


class TestAttachedToAMessage:
    def test_it_stops_at_the_message_and_leaves_it_out(self, scene: Scene) -> None:
        world = scene.world
        with time_machine.travel(paris(day(1), "12:00"), tick=False):
            carrier, _ = message_send(
                author=world.operateur_a,
                client=world.client_a,
                data=SendInput(
                    subject="Votre semaine",
                    body="Ci-joint les mouvements de la semaine.",
                    attach={"kind": "movements_all", "from": MONDAY, "to": SUNDAY},
                ),
            )
        report = message_report(message=carrier, reader=Reader.of_client(world.client_a))
        assert report is not None
        attached = message_attachment(message=carrier, reader=Reader.of_client(world.client_a))
        assert attached is not None
        filename, pdf = attached
        assert filename == "mouvements-dr-cecile-lemoine-2026-11-30-2026-12-06.pdf"
        text = pdf_text(pdf)
        assert in_order(text, "Rappel Mme Durand", "Résultats confidentiels", "Je la rappelle")
        absent(text, "Votre semaine", "Livraison matériel", "Annulé : Patient malade")

    def test_the_fax_prints_the_message_then_the_report_with_one_page_count(
        self, scene: Scene
    ) -> None:
        world = scene.world
        with time_machine.travel(paris(day(1), "12:00"), tick=False):
            carrier, _ = message_send(
                author=world.operateur_a,
                client=world.client_a,
                data=SendInput(
                    subject="Votre planning",
                    body="Voici le planning de la semaine.",
                    attach={"kind": "planning", "from": MONDAY, "to": SUNDAY},
                ),
            )
        report = message_report(message=carrier, reader=Reader.of_client(world.client_a))
        pdf = fax_pdf(carrier, report)
        assert pages(pdf) == 2
        assert in_order(
            pdf_text(pdf),
            "Permanence Azur",
            "Votre planning",
            "Pièce jointe",
            "Planning du 30/11/2026 au 06/12/2026 (pages suivantes)",
            "Voici le planning de la semaine.",
            "Page 1 / 2",
            "Planning",
            "Lundi 30 novembre 2026",
            "Marc Petit",
            "Page 2 / 2",
        )


def test_a_name_cannot_break_out_of_the_page_footer(world: World) -> None:
    assert css_string('a"b\\c\n</style>') == '"a\\22 b\\5c c\\a \\3c /style\\3e "'
    world.client_a.name = 'Dr "Quote" } body { display: none } </style>'
    world.client_a.save()
    text = text_of(world, "planning")
    assert in_order(text, 'Dr "Quote" } body { display: none } </style>', "Aucun rendez-vous")


def test_building_a_report_runs_the_same_queries_whatever_the_period_holds(
    scene: Scene, django_assert_num_queries: Any
) -> None:
    world = scene.world
    client = type(world.client_a).objects.select_related("permanence").get(pk=world.client_a.pk)

    def build(kind: str, start: dt.date, end: dt.date) -> Any:
        return report_build(
            client=client, kind=kind, start=start, end=end, reader=Reader.of_client(client)
        )

    empty = dt.date(2026, 1, 5), dt.date(2026, 1, 11)
    for kind, queries in [("planning", 1), ("movements_all", 3)]:
        with django_assert_num_queries(queries):
            build(kind, *empty)
        with django_assert_num_queries(queries):
            report = build(kind, MONDAY, SUNDAY)
        assert not report.is_empty
