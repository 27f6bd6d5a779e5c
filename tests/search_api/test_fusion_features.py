"""Each feature, table-driven: (missing report fields, found child fields) → expected level."""

from __future__ import annotations

import numpy as np
import pytest

from indexer import parse_record
from search_api.fusion.features import ALL_FEATURES
from search_api.fusion.features.face import FACE_THRESHOLDS
from search_api.fusion.views import ChildView, FaceVector, Pair
from tests.factories import found_child, missing_report

BY_NAME = {c.name: c for c in ALL_FEATURES}
FREQUENT = lambda key: 0.01  # noqa: E731 - every name equally common here


def observe(feature: str, missing: dict, found: dict, faces: tuple = ((), ())) -> str:
    pair = Pair(ChildView.of(parse_record(missing_report(**missing)), faces[0]), ChildView.of(parse_record(found_child(**found)), faces[1]))
    return BY_NAME[feature].compare(pair, FREQUENT).level


ROWS = [
    ("name_phonetic", {"name": "Rahul Kumar"}, {"name": "Raahul Kumaar"}, "full"),
    ("name_phonetic", {"name": "Rahul Kumar"}, {"name": "KUMAR RAHUL"}, "full"),  # swapped order
    ("name_phonetic", {"name": "Rahul Kumar"}, {"name": "राहुल"}, "strong_one"),  # missing surname, other script
    ("name_phonetic", {"name": "Vikas Das"}, {"name": "Bikash"}, "loose"),
    # one word agrees and the other is a sound-alike spelling: the whole name, not one word
    ("name_phonetic", {"name": "Rakesh Singh"}, {"name": "Rakeshh Singh"}, "full"),
    ("name_phonetic", {"name": "Kunal Singh"}, {"name": "Rakeshh Singh"}, "strong_one"),
    ("name_phonetic", {"name": "Mahatm Kaul"}, {"name": "Manatm"}, "fuzzy"),
    ("name_phonetic", {"name": "Ramesh"}, {"name": "Suresh"}, "else"),  # 3 edits apart: not a variant
    ("name_phonetic", {"name": "Ramesh"}, {"name": "Pooja"}, "else"),
    ("name_phonetic", {"name": "Jackson", "aliases": ["Pappu"]}, {"name": "pappu"}, "strong_one"),  # nickname
    ("name_phonetic", {"name": "Rahul"}, {"name": ""}, "missing"),
    ("parents_phonetic", {"father_name": "Samarth Chad"}, {"father_name": "Samarth"}, "strong_one"),
    ("parents_phonetic", {"father_name": ""}, {"father_name": "Samarth"}, "missing"),
    # only the father on one side, only the mother on the other: nobody disagreed
    ("parents_phonetic", {"father_name": "Ramesh Yadav", "mother_name": ""}, {"father_name": "", "mother_name": "Sunita"}, "missing"),
    ("parents_phonetic", {"father_name": "Ramesh Yadav", "mother_name": ""}, {"father_name": "Dinesh", "mother_name": "Sunita"}, "else"),
    ("parents_phonetic", {"father_name": "", "mother_name": "Sunita Devi"}, {"father_name": "Sunita", "mother_name": ""}, "strong_one"),
    ("sex_agreement", {"sex": "M"}, {"sex": "M"}, "agree"),
    ("sex_agreement", {"sex": "M"}, {"sex": "F"}, "else"),
    ("sex_agreement", {"sex": "M"}, {"sex": ""}, "missing"),
    ("age_gap_years", {"age": 9, "date": "2024-01-01"}, {"age": 10, "date": "2024-06-01"}, "consistent"),
    ("age_gap_years", {"age": 9, "date": "2022-01-01"}, {"age": 12, "date": "2025-01-01"}, "consistent"),  # grew up meanwhile
    ("age_gap_years", {"age": 9, "date": "2024-01-01"}, {"age": 14, "date": "2024-02-01"}, "off"),
    ("age_gap_years", {"age": 3, "date": "2024-01-01"}, {"age": 15, "date": "2024-02-01"}, "else"),
    ("age_gap_years", {"age": None}, {"age": 5}, "missing"),
    ("found_after_missing_days", {"date": "2024-01-01"}, {"date": "2024-01-11"}, "within_month"),
    ("found_after_missing_days", {"date": "2024-01-01"}, {"date": "2024-03-01"}, "within_3_months"),
    ("found_after_missing_days", {"date": "2024-01-01"}, {"date": "2024-09-01"}, "within_year"),
    ("found_after_missing_days", {"date": "2024-01-10"}, {"date": "2024-01-01"}, "shortly_before"),  # soft, not a cut
    ("found_after_missing_days", {"date": "2024-06-01"}, {"date": "2023-01-01"}, "else"),
    ("found_after_missing_days", {"date": "2020-01-01"}, {"date": "2024-01-01"}, "later"),
    ("distance_km", {}, {"place": {"city": "Patna", "district": "Patna", "state": "Bihar", "lat": 25.60, "lon": 85.14}}, "same_area"),
    ("distance_km", {}, {"place": {"city": "Howrah", "district": "Howrah", "state": "West Bengal", "lat": 22.58, "lon": 88.34}}, "region"),
    ("distance_km", {}, {"place": {"city": "Mumbai", "district": "Mumbai", "state": "Maharashtra", "lat": 18.94, "lon": 72.84}}, "far_hub"),
    ("distance_km", {}, {"place": {"city": "Kochi", "district": "Ernakulam", "state": "Kerala", "lat": 9.93, "lon": 76.27}}, "else"),
    ("distance_km", {"place": {"district": "Patna", "state": "Bihar"}}, {"place": {"district": "patna", "state": "Bihar"}}, "same_area"),
    ("distance_km", {"place": {}}, {"place": {"district": "Patna"}}, "missing"),
    ("languages_shared", {"languages": ["Hindi", "Bengali"]}, {"languages": ["bengali"]}, "shared"),
    ("languages_shared", {"languages": ["Tamil"]}, {"languages": ["Hindi"]}, "else"),
    ("marks_overlap", {"marks": "cut mark above left eyebrow"}, {"marks": "cut mark above lt. eyebrow"}, "strong"),
    ("marks_overlap", {"marks": "scar on chin"}, {"marks": "mole on left cheek"}, "else"),
    ("clothing_overlap", {"clothing": "red frock"}, {"clothing": ""}, "missing"),
    ("height_gap_cm", {"height_cm": 120, "date": "2023-01-01"}, {"height_cm": 131, "date": "2025-01-01"}, "consistent"),
    ("height_gap_cm", {"height_cm": 120}, {"height_cm": 160}, "else"),
]


@pytest.mark.parametrize(("feature", "missing", "found", "level"), ROWS, ids=[f"{r[0]}-{r[3]}-{i}" for i, r in enumerate(ROWS)])
def test_feature_levels(feature: str, missing: dict, found: dict, level: str) -> None:
    assert observe(feature, missing, found) == level


@pytest.mark.parametrize(
    ("cosine", "level"),
    [(FACE_THRESHOLDS[lvl] + 0.005, lvl) for lvl in ("very_high", "high", "medium", "low")]
    + [(FACE_THRESHOLDS["low"] - 0.005, "else"), (FACE_THRESHOLDS["high"] - 0.005, "medium")],
)
def test_face_levels(cosine: float, level: str) -> None:
    a = np.zeros(512, np.float32)
    a[0] = 1
    b = np.zeros(512, np.float32)
    b[0], b[1] = cosine, (1 - cosine**2) ** 0.5
    faces = ((FaceVector(a, 0.9, False),), (FaceVector(b, 0.9, False),))
    assert observe("face_cosine", {}, {}, faces) == level
    assert observe("face_cosine", {}, {}) == "missing"


def test_every_feature_documents_its_scale_and_labels_every_level() -> None:
    for comparison in ALL_FEATURES:
        assert comparison.feature.scale
        assert all(level.label for level in comparison.feature.levels)
        assert comparison.feature.level_names()[0] == "missing" and comparison.feature.level_names()[-1] == "else"


def test_a_child_found_soon_after_the_report_outweighs_one_found_months_later() -> None:
    # most children are found within weeks: the date is evidence within the year too
    from search_api.fusion.model import FusionModel

    model = FusionModel.load()
    weights = model.levels["found_after_missing_days"]
    assert weights["within_month"].weight > weights["within_3_months"].weight > weights["within_year"].weight + 1.0
    assert weights["within_year"].weight > weights["within_3y"].weight


def test_a_full_name_with_a_sound_alike_word_outweighs_one_shared_word() -> None:
    # Rakeshh Singh (found) against Rakesh Singh and Kunal Singh (reports): both share only the
    # surname exactly; the first also shares the given name as a sound-alike spelling
    from search_api.fusion.model import FusionModel

    model = FusionModel.load()
    found = ChildView.of(parse_record(found_child(name="Rakeshh Singh", father_name="")))

    def weight(name: str) -> float:
        pair = Pair(ChildView.of(parse_record(missing_report(name=name, father_name=""))), found)
        observed = BY_NAME["name_phonetic"].compare(pair, lambda key: 0.05 if key.startswith("l:") else 0.02)
        return model.weight(observed)

    assert weight("Rakesh Singh") > weight("Kunal Singh") + 3
