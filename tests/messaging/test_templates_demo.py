"""The demo's message aids: templates written with placeholders, Horizon's own aids."""

from __future__ import annotations

import pytest

from relais.clients.models import Instruction
from relais.demo.seed import demo_seed
from relais.messaging.models import Banner, InputPhrase, MessageTemplate
from relais.messaging.placeholders import placeholders_unknown

pytestmark = pytest.mark.django_db


def test_it_writes_the_demo_templates_with_known_placeholders_only() -> None:
    demo_seed()
    templates = list(MessageTemplate.objects.select_related("permanence"))
    assert templates
    for t in templates:
        assert placeholders_unknown(t.subject) == [], t.name
        assert placeholders_unknown(t.body) == [], t.name
    azur = {t.name: t for t in templates if t.permanence.slug == "azur"}
    assert azur["Rappel patient"].subject == "Rappel patient : {contact}"
    assert "{date}" in azur["Urgence dégât des eaux"].body
    assert azur["Visite à domicile"].auto_vad
    assert all(t.consigne for name, t in azur.items() if name != "Information au cabinet")


def test_it_gives_each_permanence_its_own_aids_and_changes_nothing_the_second_time() -> None:
    demo_seed()
    for slug in ("azur", "horizon"):
        assert MessageTemplate.objects.filter(permanence__slug=slug).exists(), slug
        assert InputPhrase.objects.filter(permanence__slug=slug).exists(), slug
        assert Banner.objects.filter(permanence__slug=slug).exists(), slug
        assert Instruction.objects.filter(permanence__slug=slug, show_message=True).exists()
    before = sorted(MessageTemplate.objects.values_list("id", "subject", "body"))
    report = demo_seed()
    assert not report.changed
    assert sorted(MessageTemplate.objects.values_list("id", "subject", "body")) == before


def test_it_never_overwrites_a_template_the_gerant_changed() -> None:
    demo_seed()
    template = MessageTemplate.objects.get(permanence__slug="azur", name="Rappel patient")
    template.body = "Texte du gérant"
    template.save()
    demo_seed()
    template.refresh_from_db()
    assert template.body == "Texte du gérant"
