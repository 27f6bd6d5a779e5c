"""distance_km without lat/lon: places are put at their district's centre from the bundled gazetteer."""

from __future__ import annotations

import pytest

from indexer import parse_record
from search_api.fusion.features.place import distance_km, place_gap
from search_api.fusion.views import ChildView, Pair
from tests.factories import found_child, missing_report


def pair_of(missing_place: dict, found_place: dict) -> Pair:
    return Pair(ChildView.of(parse_record(missing_report(place=missing_place))), ChildView.of(parse_record(found_child(place=found_place))))


ROWS = [
    # old and new names of one district, no coordinates: the same place
    ({"district": "Gurgaon", "state": "Haryana"}, {"district": "Gurugram", "state": "Haryana"}, "same_area"),
    ({"district": "Allahabad", "state": "Uttar Pradesh"}, {"city": "Prayagraj", "state": "Uttar Pradesh"}, "same_area"),
    ({"district": "Gurgaon", "state": "Haryana"}, {"district": "Meerut", "state": "Uttar Pradesh"}, "nearby"),
    ({"district": "Patna", "state": "Bihar"}, {"district": "Howrah", "state": "West Bengal"}, "region"),  # ~470 km
    ({"district": "Patna", "state": "Bihar"}, {"city": "Mumbai", "district": "Mumbai", "state": "Maharashtra"}, "far_hub"),
    ({"district": "Patna", "state": "Bihar"}, {"district": "Wayanad", "state": "Kerala"}, "else"),
    # one side with coordinates, the other by its district only
    ({"district": "Patna", "state": "Bihar", "lat": 25.59, "lon": 85.13}, {"district": "Mysore", "state": "Karnataka"}, "else"),
    ({"district": "Atlantis"}, {"district": "Gaya"}, "else"),  # unknown place: no distance, different districts
]


@pytest.mark.parametrize(("missing_place", "found_place", "level"), ROWS)
def test_distance_from_the_gazetteer(missing_place: dict, found_place: dict, level: str) -> None:
    assert distance_km.compare(pair_of(missing_place, found_place), None).level == level


def test_recorded_coordinates_win_and_approximate_distances_say_so() -> None:
    exact = place_gap(pair_of({"district": "Patna", "lat": 25.59, "lon": 85.13}, {"district": "Gaya", "lat": 24.79, "lon": 85.0}))
    assert not exact.approximate and 80 < exact.km < 100  # type: ignore[operator]
    approx = place_gap(pair_of({"district": "Patna", "state": "Bihar"}, {"district": "Gaya", "state": "Bihar"}))
    assert approx.approximate and 60 < approx.km < 120  # type: ignore[operator]
    shown = distance_km.compare(pair_of({"district": "Patna", "state": "Bihar"}, {"district": "Gaya", "state": "Bihar"}), None)
    assert "district centres" in shown.detail
