"""« Tâche à faire » and « Suivi des tâches » count different things: the pages say what."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import World, login

pytestmark = pytest.mark.django_db

ALL_OPEN = "Le nombre du menu les compte toutes"
DAY_ONLY = "seulement les tâches du jour à faire aujourd’hui ou en retard"


def test_the_menu_says_what_each_count_counts(world: World) -> None:
    html = login(world.gerant_a).get(reverse("ui:tasks")).content.decode()
    assert 'title="Les tâches ouvertes que vous voyez ; le nombre les compte toutes"' in html
    assert "le nombre compte les tâches du jour à faire aujourd’hui ou en retard" in html


def test_the_task_list_and_the_follow_page_explain_their_counts(world: World) -> None:
    http = login(world.gerant_a)
    tasks = http.get(reverse("ui:tasks")).content.decode()
    assert ALL_OPEN in tasks and DAY_ONLY in tasks
    follow = http.get(reverse("ui:task_follow")).content.decode()
    assert "Les mêmes tâches que « Tâche à faire », classées par date." in follow
    assert '<h1 id="panel-title" data-panel-focus>Suivi des tâches</h1>' in follow
