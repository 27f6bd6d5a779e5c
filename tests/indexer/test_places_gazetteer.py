"""The bundled gazetteer: usual spellings and old names resolve; ambiguous names do not guess."""

from __future__ import annotations

import math

import pytest

from indexer.places import district_count, locate_place, resolve_district, resolve_state
from indexer.places.gazetteer import DISTRICT_ALIASES, STATE_ALIASES


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_it_covers_india() -> None:
    assert 700 <= district_count() <= 800


@pytest.mark.parametrize(
    ("given", "state", "name", "near"),
    [
        ("Gurgaon", "", "Gurugram", (28.46, 77.03)),
        ("Allahabad", "Uttar Pradesh", "Prayagraj", (25.44, 81.85)),
        ("Bangalore", "", "Bengaluru Urban", (12.97, 77.59)),
        ("bengaluru urban district", "Karnataka", "Bengaluru Urban", (12.97, 77.59)),
        ("Calcutta", "", "Kolkata", (22.57, 88.36)),
        ("Bombay", "Maharashtra", "Mumbai", (18.96, 72.82)),
        ("Aurangabad", "Bihar", "Aurangabad", (24.75, 84.37)),  # not the Maharashtra namesake's post offices
        ("Aurangabad", "Maharashtra", "Aurangabad", (19.88, 75.34)),
        ("Bijapur", "Karnataka", "Vijayapura", (16.83, 75.71)),
        ("Bijapur", "Chhattisgarh", "Bijapur", (18.80, 80.82)),
        ("Firozabad", "UP", "Firozabad", (27.15, 78.40)),
        ("North East Delhi", "Delhi", "North East Delhi", (28.69, 77.29)),
    ],
)
def test_districts_by_usual_spellings_and_old_names(given: str, state: str, name: str, near: tuple[float, float]) -> None:
    district = resolve_district(given, state)
    assert district is not None and district.name == name
    assert km((district.lat, district.lon), near) < 60


@pytest.mark.parametrize(
    ("given", "state"), [("Orissa", "Odisha"), ("pondicherry", "Puducherry"), ("Tamilnadu", "Tamil Nadu"), ("J&K", "Jammu and Kashmir")]
)
def test_states(given: str, state: str) -> None:
    assert resolve_state(given) == state


def test_ambiguous_or_unknown_names_do_not_guess() -> None:
    assert resolve_district("Aurangabad") is None  # Bihar or Maharashtra
    assert resolve_district("Hamirpur") is None
    assert resolve_district("Gurugram", "Bihar") is None  # a district of another state is not moved
    assert resolve_district("Atlantis") is None


def test_a_city_that_names_a_district_locates_the_place() -> None:
    place = locate_place(city="Guwahati", state="Assam")
    assert place is not None and place.name == "Kamrup Metropolitan"


def test_every_alias_points_into_the_table() -> None:
    for alias, target in DISTRICT_ALIASES.items():
        state = alias.split("|")[0] if "|" in alias else ""
        assert resolve_district(target, state) is not None or any(
            resolve_district(target, s) for s in ("Karnataka", "Maharashtra", "Bihar", "Uttar Pradesh")
        ), (alias, target)
    for alias, target in STATE_ALIASES.items():
        assert resolve_state(target) == target, alias
