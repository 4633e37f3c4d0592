"""French text helpers."""

from __future__ import annotations

import pytest

from relais.core.text import french_of


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dr Antoine Roche", "du Dr Antoine Roche"),
        ("Docteur Martin", "du Docteur Martin"),
        ("Pr. Lefèvre", "du Pr. Lefèvre"),
        ("Le Bistrot du Port", "du Bistrot du Port"),
        ("La Pharmacie des Calanques", "de la Pharmacie des Calanques"),
        ("L'Atelier", "de L'Atelier"),
        ("Les Ambulances Bleues", "des Ambulances Bleues"),
        ("Alice Morel", "d'Alice Morel"),
        ("Élise Durand", "d'Élise Durand"),
        ("Mme Durand", "de Mme Durand"),
        ("Plomberie Durand", "de Plomberie Durand"),
        ("Cabinet  dentaire", "de Cabinet dentaire"),
    ],
)
def test_it_chooses_the_article_from_the_title(name: str, expected: str) -> None:
    assert french_of(name) == expected
