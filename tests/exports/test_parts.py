"""A long PDF rendered in parts by forked processes (relais.exports.pdf) reads exactly as the
same PDF rendered whole: same lines in the same order, every page numbered « Page X / Y »
across the parts; and whatever goes wrong with a part, the PDF is still rendered, whole."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
from typing import Any

import pytest
from pypdf import PdfReader

from relais.exports import pdf as pdf_module
from relais.exports import reports
from relais.exports.pdf import Block, Printable, planned_parts, split_blocks
from relais.exports.reports import Reader, Report, fax_pdf, report_build, report_pdf
from relais.messaging.models import Message
from relais.messaging.services import SendInput, message_send
from tests.conftest import World
from tests.exports.helpers import in_order, pages, pdf_text
from tests.planning.scene import MONDAY, SUNDAY, Scene, build_scene, day, paris

pytestmark = pytest.mark.django_db

EDITED = paris(day(8), "10:42")


@pytest.fixture
def busy_week(world: World) -> Scene:
    """The planning scene's week, plus 150 messages of two lines: a journal of about 8 pages."""
    scene = build_scene(world)
    rows = Message.objects.bulk_create(
        Message(
            permanence=world.perm_a,
            client=world.client_a,
            author=world.operateur_a,
            subject=f"Appel n° {i:03d}",
            body=f"Patient {i:03d} : rappeler avant midi.\nNuméro laissé au standard.",
            last_activity_at=paris(day(i % 7), f"{8 + i // 14}:{(i * 7) % 60:02d}"),
        )
        for i in range(150)
    )
    for row in rows:  # created_at is auto_now_add: put each message at its time
        Message.objects.filter(pk=row.pk).update(created_at=row.last_activity_at)
    return scene


def activity(world: World) -> Report:
    return report_build(
        client=world.client_a,
        kind="movements_all",
        start=MONDAY,
        end=SUNDAY,
        reader=Reader.of_client(world.client_a),
        now=EDITED,
    )


FOOTER = re.compile(
    r"Dr Cécile Lemoine · Mouvements et messages de tous les utilisateurs du 30/11/2026 au "
    r"06/12/2026 ?|Page \d+ / \d+ ?"
)


def body_text(pdf: bytes) -> str:
    """The PDF's text without its footers: what is the same however it was paginated."""
    return re.sub(r"\s+", " ", FOOTER.sub(" ", pdf_text(pdf))).strip()


def numbered(pdf: bytes) -> list[str]:
    return re.findall(r"Page \d+ / \d+", pdf_text(pdf))


class TestSplitting:
    def test_blocks_are_cut_in_order_into_runs_of_about_the_same_weight(self) -> None:
        blocks = [Block(html=f"<p>{i}</p>", weight=w) for i, w in enumerate([8, 30, 30, 5, 40, 30])]
        halves = split_blocks(blocks, 2)
        assert [b for half in halves for b in half] == blocks
        assert [sum(b.weight for b in half) for half in halves] == [73, 70]
        thirds = split_blocks(blocks, 3)
        assert [sum(b.weight for b in third) for third in thirds] == [68, 45, 30]
        assert split_blocks(blocks, 1) == [blocks]
        assert split_blocks(blocks[:1], 4) == [blocks[:1]]

    def test_a_long_document_is_rendered_by_one_process_per_processor(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        long_doc = Printable(title="t", footer="f", blocks=[Block(html="", weight=700)])
        short_doc = Printable(title="t", footer="f", blocks=[Block(html="", weight=300)])
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
        assert (planned_parts(long_doc), planned_parts(short_doc)) == (2, 1)
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
        assert planned_parts(long_doc) == 1
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
        assert planned_parts(long_doc) == pdf_module.MAX_PARTS


class TestInParts:
    def test_it_reads_as_the_whole_pdf_with_every_page_numbered_across_the_parts(
        self, busy_week: Scene
    ) -> None:
        report = activity(busy_week.world)
        whole = report_pdf(report, parts=1)
        split = report_pdf(report, parts=2)
        n = pages(split)
        assert pages(whole) >= 6
        # A part starts on a new page: at most one more page than the whole document.
        assert n in (pages(whole), pages(whole) + 1)
        assert numbered(split) == [f"Page {i} / {n}" for i in range(1, n + 1)]
        assert body_text(split) == body_text(whole)
        assert in_order(
            pdf_text(split),
            "Mouvements et messages de tous les utilisateurs",
            "Période : du 30/11/2026 au 06/12/2026 · Édité le 08/12/2026 à 10:42",
            "Lundi 30 novembre 2026",
            "08:00 · Message · Léa Martin — Appel n° 000 Patient 000 : rappeler avant midi. "
            "Numéro laissé au standard.",
            "09:12 · Message · Léa Martin · URGENT — Rappel Mme Durand",
            "Dimanche 6 décembre 2026",
            "18:02 · Message · Léa Martin — Appel n° 146",
            f"Page {n} / {n}",
        )
        # The days stay bookmarks of the joined PDF, in order, under the report's title, and
        # take the reader to their page.
        assert outline(split) == outline(whole)
        reader = PdfReader(_stream(split))
        items: list[Any] = list(reader.outline)
        title, days = items
        assert title.title == "Mouvements et messages de tous les utilisateurs"
        assert reader.get_destination_page_number(days[-1]) == n - 1
        assert [day.title for day in days] == [
            "Lundi 30 novembre 2026",
            "Mardi 1er décembre 2026",
            "Mercredi 2 décembre 2026",
            "Jeudi 3 décembre 2026",
            "Vendredi 4 décembre 2026",
            "Samedi 5 décembre 2026",
            "Dimanche 6 décembre 2026",
        ]

    def test_a_part_starting_inside_a_day_repeats_the_day_s_title(
        self, busy_week: Scene, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(reports, "RUN_WEIGHT", 1)  # a block per line: cuts inside days
        report = activity(busy_week.world)
        split = report_pdf(report, parts=3)
        text = pdf_text(split)
        suite = re.findall(r"\w+ \d+(?:er)? \w+ 2026 \(suite\)", text)
        assert len(suite) == 2
        for title in suite:  # after the day's own title, once
            assert text.count(title.removesuffix(" (suite)")) == 2
        whole = body_text(report_pdf(report, parts=1))
        assert re.sub(r" \w+ \d+(?:er)? \w+ 2026 \(suite\)", "", body_text(split)) == whole
        n = pages(split)
        assert numbered(split) == [f"Page {i} / {n}" for i in range(1, n + 1)]

    def test_the_fax_of_a_long_journal_is_the_message_then_the_journal_numbered_as_one(
        self, busy_week: Scene
    ) -> None:
        world = busy_week.world
        carrier, _ = message_send(
            author=world.operateur_a,
            client=world.client_a,
            data=SendInput(
                subject="Votre semaine",
                body="Ci-joint le journal de la semaine.",
                attach={"kind": "movements_all", "from": MONDAY, "to": SUNDAY},
            ),
        )
        report = activity(world)
        pdf = fax_pdf(carrier, report, parts=2)
        n = pages(pdf)
        assert n >= 7
        assert numbered(pdf) == [f"Page {i} / {n}" for i in range(1, n + 1)]
        assert in_order(
            pdf_text(pdf),
            "Votre semaine",
            "Ci-joint le journal de la semaine.",
            "Permanence Azur · message pour Dr Cécile Lemoine",
            "Page 1 / ",
            "Mouvements et messages de tous les utilisateurs",
            "Lundi 30 novembre 2026",
            "Dimanche 6 décembre 2026",
            f"Page {n} / {n}",
        )


def _stream(pdf: bytes) -> Any:
    import io

    return io.BytesIO(pdf)


def outline(pdf: bytes) -> list[Any]:
    """The PDF's bookmarks: titles, sub-items as nested lists."""

    def titles(items: list[Any]) -> list[Any]:
        return [titles(item) if isinstance(item, list) else item.title for item in items]

    return titles(PdfReader(_stream(pdf)).outline)


class TestWhenAPartFails:
    def whole_and_split(self, scene: Scene) -> tuple[bytes, bytes]:
        report = activity(scene.world)
        return report_pdf(report, parts=1), report_pdf(report, parts=2)

    def test_an_error_in_a_part_gives_the_whole_pdf(
        self, busy_week: Scene, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        def failing(conn: Any, doc: Any, html: str) -> None:
            conn.send(("error", "RuntimeError: boom"))

        monkeypatch.setattr(pdf_module, "_part_process", failing)
        with caplog.at_level(logging.WARNING, logger="relais.exports.pdf"):
            whole, split = self.whole_and_split(busy_week)
        assert pdf_text(split) == pdf_text(whole)
        assert "RuntimeError: boom" in caplog.text

    def test_a_part_whose_process_dies_gives_the_whole_pdf(
        self, busy_week: Scene, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(pdf_module, "_part_process", lambda conn, doc, html: os._exit(3))
        whole, split = self.whole_and_split(busy_week)
        assert pdf_text(split) == pdf_text(whole)

    def test_a_part_too_slow_is_given_up_and_its_process_stopped(
        self, busy_week: Scene, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(pdf_module, "_part_process", lambda conn, doc, html: time.sleep(60))
        monkeypatch.setattr(pdf_module, "PART_TIMEOUT_S", 0.5)
        started = time.monotonic()
        whole, split = self.whole_and_split(busy_week)
        assert time.monotonic() - started < 30
        assert pdf_text(split) == pdf_text(whole)


def test_a_short_planning_is_still_one_document_whatever_the_processors(world: World) -> None:
    report = report_build(
        client=world.client_a,
        kind="planning",
        start=MONDAY,
        end=MONDAY + dt.timedelta(days=6),
        reader=Reader.of_client(world.client_a),
        now=EDITED,
    )
    assert planned_parts(reports.report_printable(report)) == 1
    assert in_order(pdf_text(report_pdf(report)), "Aucun rendez-vous sur la période.", "Page 1 / 1")
