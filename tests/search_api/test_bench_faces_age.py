"""bench faces-age: the split, the figures, the fusion fit, and the command on a small LAG-shaped folder."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from search_api.bench_faces_age import (
    PairScores,
    PartVectors,
    auc_of,
    evaluate,
    fit_fusion_weights,
    lag_photos,
    lag_split,
    pair_scores,
)
from search_api.cli import app
from search_api.fusion.fit import face_level_params, face_thresholds

FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
runner = CliRunner()


def _names(split: str, n: int) -> list[str]:
    return [name for name in (f"person_{i}" for i in range(200)) if lag_split(name) == split][:n]


def _lag(root: Path, people: dict[str, tuple[list[str], list[str]]]) -> Path:
    """A LAG-shaped folder: <person>/<adult photos>, <person>/y/<child photos>."""
    for person, (adults, children) in people.items():
        (root / person / "y").mkdir(parents=True)
        for name in adults:
            shutil.copy(FACES / name, root / person / name)
        for name in children:
            shutil.copy(FACES / name, root / person / "y" / name)
    return root


def test_a_quarter_is_held_out_by_the_hash_of_the_name() -> None:
    splits = [lag_split(f"person_{i}") for i in range(4000)]
    assert 0.22 < splits.count("held_out") / len(splits) < 0.28
    assert lag_split("50_cent") == lag_split("50_cent")


def test_the_dev_split_never_lists_a_held_out_person(tmp_path: Path) -> None:
    dev, held = _names("dev", 2), _names("held_out", 1)
    root = _lag(tmp_path, {dev[0]: (["obama_4.jpg"], ["obama_5.jpg"]), dev[1]: (["biden_2.jpg"], []), held[0]: (["paul_allen_1.jpg"], [])})
    photos = lag_photos(root, split="dev")
    assert {p.identity for p in photos} == set(dev)
    assert [(p.relpath, p.child) for p in photos if p.identity == dev[0]] == [
        (f"{dev[0]}/obama_4.jpg", False),
        (f"{dev[0]}/y/obama_5.jpg", True),
    ]
    assert {p.identity for p in lag_photos(root, split="held_out")} == {held[0]}


def test_auc_counts_pairs_outscored_and_half_of_ties() -> None:
    rng = np.random.default_rng(0)
    genuine, impostor = rng.integers(0, 20, 50).astype(float), rng.integers(0, 20, 70).astype(float)
    brute = np.mean([1.0 if g > i else 0.5 if g == i else 0.0 for g, i in itertools.product(genuine, impostor)])
    assert auc_of(genuine, impostor) == pytest.approx(brute)


def test_rank_uses_each_persons_best_adult_photo_and_faceless_queries_count_as_misses() -> None:
    scores = np.array([[0.9, 0.2, 0.8], [0.1, 0.3, 0.5]])  # queries a, b × gallery photos a, a, b
    pairs = PairScores(scores, np.array([[True, True, False], [False, False, True]]), ["a", "b"], ["a", "a", "b"])
    result = evaluate(pairs, n_queries=4, unusable=2)
    assert (result.rank1, result.rank10) == (0.5, 0.5)  # both found at rank 1, but 2 of 4 queries had no face
    genuine, impostor = [0.9, 0.2, 0.5], [0.8, 0.1, 0.3]
    assert result.auc == pytest.approx(np.mean([g > i for g in genuine for i in impostor]))


def test_fusion_weights_favour_the_embedder_that_separates_people() -> None:
    rng = np.random.default_rng(1)
    same = np.eye(60, dtype=bool)
    good = np.where(same, 0.6, 0.0) + rng.normal(0, 0.1, same.shape)
    weak = np.where(same, 0.2, 0.0) + rng.normal(0, 0.1, same.shape)
    ids = [str(i) for i in range(60)]
    weights = fit_fusion_weights([PairScores(good, same, ids, ids), PairScores(weak, same, ids, ids)])
    assert sum(weights) == pytest.approx(1) and weights[0] > 0.6


def test_face_levels_are_fitted_to_the_share_of_different_people_above_them() -> None:
    rng = np.random.default_rng(2)
    different, same = rng.normal(0, 0.1, 200_000), rng.normal(0.4, 0.15, 5000)
    thresholds = face_thresholds(different)
    assert thresholds["very_high"] > thresholds["high"] > thresholds["medium"] > thresholds["low"]
    params = face_level_params(same, different, thresholds)
    assert params["high"].u == pytest.approx(0.009, abs=0.001) and params["very_high"].u == pytest.approx(0.001, abs=0.0005)
    assert (
        params["missing"].weight == 0 and params["very_high"].weight > params["high"].weight > params["low"].weight > params["else"].weight
    )


def test_pair_scores_drop_faceless_photos_and_children_without_adult_photos(tmp_path: Path) -> None:
    dev = _names("dev", 2)
    root = _lag(tmp_path, {dev[0]: (["obama_4.jpg"], ["obama_5.jpg", "obama_240p.jpg"]), dev[1]: ([], ["biden_2.jpg"])})
    photos = lag_photos(root, split="dev")
    vectors = np.eye(len(photos), 4, dtype=np.float32)
    ok = np.array([p.relpath != f"{dev[0]}/y/obama_240p.jpg" for p in photos])
    pairs, n_queries, unusable = pair_scores(photos, PartVectors(vectors, ok, np.ones(len(photos))))
    assert (n_queries, unusable, pairs.scores.shape) == (2, 1, (1, 1))  # biden has no adult photo: not a query


@pytest.mark.slow
def test_the_command_prints_each_embedder_and_the_fused_score_and_caches(tmp_path: Path) -> None:
    dev = _names("dev", 3)
    held = _names("held_out", 1)
    root = _lag(
        tmp_path / "lag",
        {
            dev[0]: (["obama_4.jpg"], ["obama_5.jpg"]),
            dev[1]: (["biden_2.jpg"], ["obama_240p.jpg"]),
            dev[2]: (["paul_allen_1.jpg"], ["steve_wozniak_3.jpg"]),
            held[0]: (["obama_partial_face2.jpg"], ["kit_with_rose.jpg"]),
        },
    )
    cache = tmp_path / "cache"
    args = ["bench", "faces-age", "--lag", str(root), "--cache", str(cache), "--fit"]
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "dev split: 3 people, 3 child photos (queries), 3 adult photos" in result.output
    lines = [line for line in result.output.splitlines() if "rank-1" in line and "AUC" in line]
    assert any(line.startswith("facenet-") for line in lines) and any(line.startswith("sface-") for line in lines)
    assert any(line.startswith("fused, configured weights") for line in lines)
    assert "face levels on" in result.output and "not derivable" in result.output
    assert len(list(cache.glob("*.npz"))) == 2  # one per embedder
    again = runner.invoke(app, args, catch_exceptions=False)
    assert again.output.splitlines()[2:] == result.output.splitlines()[2:]  # same figures, from the cache
    held_out = runner.invoke(app, [*args[:-1], "--held-out"], catch_exceptions=False)
    assert "held_out split: 1 people" in held_out.output


@pytest.mark.slow
def test_bench_faces_times_photos_into_the_index_and_searches_real_vectors_with_held_aside_queries(tmp_path: Path) -> None:
    dev = _names("dev", 2)
    root = _lag(tmp_path / "lag", {dev[0]: (["obama_4.jpg"], ["obama_5.jpg"]), dev[1]: (["biden_2.jpg"], ["paul_allen_1.jpg"])})
    photos = tmp_path / "photos"
    for person, names in {"obama": ["obama_4.jpg", "obama_5.jpg"], "biden": ["biden_2.jpg"]}.items():
        (photos / person).mkdir(parents=True)
        for name in names:
            shutil.copy(FACES / name, photos / person / name)
    args = ["bench", "faces", "--photos", str(photos), "--passes", "1", "--n", "3000", "--queries", "10"]
    result = runner.invoke(app, [*args, "--lag", str(root), "--cache", str(tmp_path / "cache"), "--no-synthetic"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "end to end (decode, detect, crop and align, both embedders, face index add): 3 photos" in result.output
    assert "load average" in result.output
    searches = [line for line in result.output.splitlines() if line.startswith("face search")]
    assert "[IDMap2,Flat]" in searches[0] and "[IDMap2,IVF64," in searches[1] and "p95" in searches[1] and "memory" in searches[1]
    # 2 LAG child photos and obama's held-aside photo; biden has one photo, so it is indexed, not a query
    recall = next(line for line in result.output.splitlines() if line.startswith("recall@10"))
    assert "3 queries" in recall and 0 <= float(recall.split()[4]) <= 1
