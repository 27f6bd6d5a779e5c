"""The fitted model: validation, calibration range, the sex rule, rare names outweigh common ones."""

from __future__ import annotations

import json

import numpy as np
import pytest

from indexer import parse_record
from search_api.fusion.features import ALL_FEATURES
from search_api.fusion.model import DEFAULT_MODEL_PATH, FusionModel, FusionModelError
from search_api.fusion.views import ChildView, FaceVector, Pair
from tests.factories import found_child, missing_report


@pytest.fixture(scope="module")
def model() -> FusionModel:
    return FusionModel.load()


def score(model: FusionModel, missing: dict, found: dict, faces=((), ()), frequency=lambda k: 0.001):  # type: ignore[no-untyped-def]
    pair = Pair(ChildView.of(parse_record(missing_report(**missing)), faces[0]), ChildView.of(parse_record(found_child(**found)), faces[1]))
    observations = [c.compare(pair, frequency) for c in ALL_FEATURES]
    return model.score(observations), observations


def same_face() -> tuple:
    v = np.zeros(512, np.float32)
    v[3] = 1.0
    return ((FaceVector(v, 0.95, False),), (FaceVector(v, 0.95, False),))


def test_committed_model_loads_and_covers_every_feature(model: FusionModel) -> None:
    assert set(model.levels) == {c.name for c in ALL_FEATURES}
    assert 0 < model.prior < 1 and 0 < model.review_threshold < 1


def test_validation_reports_every_problem_at_once() -> None:
    data = json.loads(DEFAULT_MODEL_PATH.read_text())
    data["prior"] = 2
    del data["features"]["age_gap_years"]
    data["features"]["name_phonetic"]["full"]["m"] = 0
    data["features"]["bogus"] = {}
    with pytest.raises(FusionModelError) as info:
        FusionModel.from_json(data)
    message = str(info.value)
    for expected in ("prior", "age_gap_years is missing", "name_phonetic, level full", "unknown features ['bogus']"):
        assert expected in message


def test_scores_are_probabilities_and_agreement_beats_disagreement(model: FusionModel) -> None:
    (good, _, _), _ = score(
        model, {"name": "Pooja Devi", "age": 9, "sex": "F"}, {"name": "Puja", "age": 10, "sex": "F", "date": "2025-02-01"}
    )
    (bad, _, _), _ = score(model, {"name": "Pooja Devi", "age": 9, "sex": "F"}, {"name": "Imran", "age": 16, "sex": "F"})
    assert 0 <= bad < good <= 1


PLACE = {"city": "Patna", "district": "Patna", "state": "Bihar", "lat": 25.59, "lon": 85.13}


def test_a_face_never_pairs_a_boy_with_a_girl(model: FusionModel) -> None:
    alike = {"name": "", "age": 9, "date": "2025-01-20", "place": PLACE}
    (same_sex, _, same_weights), observations = score(model, {"name": "", "sex": "M"}, {**alike, "sex": "M"}, same_face())
    (boy_girl, _, weights), _ = score(model, {"name": "", "sex": "M"}, {**alike, "sex": "F"}, same_face())
    face = [o.feature for o in observations].index("face_cosine")
    assert same_weights[face] > 0 and weights[face] <= 0  # the identical face counts only for same-sex pairs
    assert boy_girl < same_sex and boy_girl < model.review_threshold / 2


def test_rare_names_weigh_more_than_common_ones(model: FusionModel) -> None:
    pair = ({"name": "Yadavi"}, {"name": "Yadavi"})
    (_, rare, _), _ = score(model, *pair, frequency=lambda k: 0.00005)
    (_, common, _), _ = score(model, *pair, frequency=lambda k: 0.05)
    assert rare > common + 5  # bits
