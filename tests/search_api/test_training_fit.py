"""Fitting the fusion model on a real store (generated records, SQLite + tantivy), with and
without reviewers' decisions, and choosing the version in use through the CLI."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from indexer import RegisterGenerator
from search_api.app import create_app
from search_api.cli import app as cli
from search_api.config import Settings
from search_api.db import create_service_schema
from search_api.fusion.model import COLD_START, FusionModel, active_version, list_versions, load_active
from search_api.fusion.service import Matcher
from search_api.resources import Resources, open_resources
from search_api.review.models import ReviewPairRow
from search_api.training import fit_from_store
from search_api.training.fit import KEPT_FEATURES, LEVEL_ORDER
from tests.conftest import SAMPLE_RECORDS

runner = CliRunner()
SMALL = {"text_limit": 10, "n_random": 3000}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Resources, list[dict]]]:
    """400 missing reports, 240 found children (120 true pairs), loaded through the ingest path."""
    dataset = RegisterGenerator(seed=41).dataset(400, 240)
    settings = Settings(data_dir=tmp_path_factory.mktemp("fit") / "data")
    with open_resources(settings) as res:
        report = res.ingestor().ingest_records(dataset.records())
        assert report.ok
        create_service_schema(res.engine)
        yield res, dataset.truth


@pytest.fixture(scope="module")
def unlabelled(store: tuple[Resources, list[dict]]):  # type: ignore[no-untyped-def]
    return fit_from_store(store[0], start=FusionModel.load(), **SMALL)


def _assert_level_order(model: FusionModel) -> None:
    for feature, chains in LEVEL_ORDER.items():
        for chain in chains:
            weights = [model.levels[feature][lvl].weight for lvl in chain]
            assert all(a >= b - 1e-9 for a, b in itertools.pairwise(weights)), (feature, chain, weights)


def test_fit_from_the_live_store(unlabelled) -> None:  # type: ignore[no-untyped-def]
    start = FusionModel.load()
    result = unlabelled
    model = result.model
    # a usable, valid model file (round trip through the validator)
    again = FusionModel.from_json(json.loads(json.dumps(model.to_json())))
    assert set(again.levels) == set(start.levels)
    assert result.em.iterations >= 2 and result.em.log_likelihood[-1] >= result.em.log_likelihood[0]
    # what it was fitted on
    fitted = model.fitted_on
    assert fitted["missing_reports"] == 400 and fitted["found_children"] == 240
    assert len(fitted["store_fingerprint"]) == 64 and fitted["code_version"].startswith("trackchild")
    assert fitted["blocked_pairs"] > 240 and fitted["random_pairs_for_u"] == 3000
    # the data set the weights, the levels keep their meaning
    _assert_level_order(model)
    names = model.levels["name_phonetic"]
    assert names["full"].weight > 2 > 0 > names["else"].weight
    assert model.levels["sex_agreement"]["else"].weight < -3
    assert all(p.m == 1.0 and p.u == 1.0 for levels in model.levels.values() for p in [levels["missing"]])
    for feature in KEPT_FEATURES:  # face levels are fitted on photo pairs, not here
        assert {k: (p.m, p.u) for k, p in model.levels[feature].items()} == {k: (p.m, p.u) for k, p in start.levels[feature].items()}
    # a prior of the right order: 120 true pairs among 400 × 240
    assert 120 / (400 * 240) / 5 < model.prior < 120 / (400 * 240) * 5
    # term frequencies of names, parents' names and districts
    assert {"names", "parents", "districts"} <= set(model.term_frequencies)
    assert all(0 < v <= 1 for v in model.term_frequencies["districts"].values())
    assert any("EM" in line for line in result.lines)


def test_fit_learns_from_reviewers_decisions(store: tuple[Resources, list[dict]]) -> None:
    res, truth = store
    true_pairs = [(f"missing:{t['missing']}", f"found:{t['found']}") for t in truth]
    wrong_pairs = [(m, true_pairs[(i + 1) % len(true_pairs)][1]) for i, (m, _f) in enumerate(true_pairs)]
    with res.session_factory() as session:
        for (missing_key, found_key), status in [*((p, "confirmed") for p in true_pairs), *((p, "rejected") for p in wrong_pairs)]:
            session.add(
                ReviewPairRow(missing_key=missing_key, found_key=found_key, score=0.5, status=status, evidence_hash="x", explanation={})
            )
        session.commit()
    try:
        result = fit_from_store(res, start=FusionModel.load(), **SMALL)
    finally:
        with res.session_factory() as session:
            session.query(ReviewPairRow).delete()
            session.commit()
    decisions = result.model.fitted_on["reviewer_decisions"]
    assert decisions["confirmed"] == 120 and decisions["rejected"] == 120 and 40 < decisions["held_out"] < 120
    assert "name_phonetic" in decisions["supervised_m"]  # enough confirmed pairs to set m directly
    assert "reviewer decisions" in result.model.fitted_on["calibration"]
    assert (result.model.calibration_a, result.model.calibration_b) != (1.0, 0.0)
    text = "\n".join(result.lines)
    for expected in ("held-out reviewer decisions", "P@5", "P@10", "0–5", "6–11", "12–17", "starting model", "fitted model"):
        assert expected in text, expected
    # on held-out decisions the fitted model ranks confirmed pairs first
    line = next(x for x in result.lines if x.strip().startswith("fitted model:"))
    assert float(line.split("P@10 ")[1].split(",")[0].split(";")[0]) >= 0.9
    _assert_level_order(result.model)


def test_model_fit_show_use_and_roll_back_through_the_cli(settings: Settings) -> None:
    assert runner.invoke(cli, ["ingest", str(SAMPLE_RECORDS)]).exit_code == 0
    assert active_version(settings.data_dir) == COLD_START
    shown = runner.invoke(cli, ["model", "show"], catch_exceptions=False)
    assert shown.exit_code == 0 and "cold-start" in shown.output and "shipped" in shown.output
    fitted = runner.invoke(cli, ["model", "fit", "--random-pairs", "500"], catch_exceptions=False)
    assert fitted.exit_code == 0, fitted.output
    assert "saved fusion model v0001" in fitted.output and "EM" in fitted.output
    assert list_versions(settings.data_dir) == ["v0001"] and active_version(settings.data_dir) == "v0001"
    shown = runner.invoke(cli, ["model", "show"], catch_exceptions=False).output
    assert "fusion model v0001 (in use)" in shown and "store_fingerprint" in shown and "code_version" in shown
    for feature in ("name_phonetic", "face_cosine"):
        assert feature in shown
    assert "weight" in shown and "bits" in shown
    second = runner.invoke(cli, ["model", "fit", "--random-pairs", "500", "--no-activate"], catch_exceptions=False)
    assert second.exit_code == 0 and list_versions(settings.data_dir) == ["v0001", "v0002"] and active_version(settings.data_dir) == "v0001"
    listed = runner.invoke(cli, ["model", "list"]).output
    assert "* v0001" in listed and "  v0002" in listed and "cold-start" in listed
    # roll back to the shipped model, then forward again; the matcher and the server follow
    assert runner.invoke(cli, ["model", "use", "cold-start"]).exit_code == 0
    with open_resources(settings) as res:
        assert Matcher(res, check_current=False).model.fitted_on.get("store_fingerprint") is None
    assert runner.invoke(cli, ["model", "use", "v0001"]).exit_code == 0
    v1 = FusionModel.load(settings.data_dir / "fusion_models" / "v0001.json")
    with open_resources(settings) as res:
        assert Matcher(res, check_current=False).model.fitted_on == v1.fitted_on
    with TestClient(create_app(settings)) as client:
        assert client.app.state.fusion_model.source.startswith("v0001")
    unknown = runner.invoke(cli, ["model", "use", "v0099"])
    assert unknown.exit_code == 2 and "no fusion model version 'v0099'" in unknown.output
    assert active_version(settings.data_dir) == "v0001"


def test_a_broken_active_model_is_not_silently_replaced(settings: Settings) -> None:
    folder = settings.data_dir / "fusion_models"
    folder.mkdir(parents=True)
    (folder / "v0001.json").write_text(json.dumps({"version": 1, "prior": 2}))
    (folder / "ACTIVE").write_text("v0001\n")
    with pytest.raises(ValueError, match="prior must be a probability"):
        load_active(settings.data_dir)
    assert load_active(Path(settings.data_dir / "elsewhere")).source.startswith("cold-start")


def test_em_weights_agree_in_sign_with_weights_counted_on_true_pairs(unlabelled) -> None:  # type: ignore[no-untyped-def]
    """Weights EM finds without labels against the shipped weights, counted on labelled true
    pairs: the same sign for the strong levels of names, sex and place."""
    model = unlabelled.model
    shipped = FusionModel.load()
    for feature, level in (("name_phonetic", "full"), ("name_phonetic", "else"), ("sex_agreement", "else"), ("distance_km", "same_area")):
        assert np.sign(model.levels[feature][level].weight) == np.sign(shipped.levels[feature][level].weight), (feature, level)
