"""Fitting the fusion model on labelled pairs (``trackchild fit-model``).

m (level share among true pairs) is counted over every true pair; u (level share among
different children) over random pairs of the two registers, as Fellegi–Sunter intends:
counting u on candidate pairs would be biased by blocking (blocking filters on sex and
names, so a sex conflict would look like evidence *for* a match). Missing-data levels
are neutral (m = u). Shares are floored so that what the generator never produces (a
true pair found far from any junction) is penalised, not ruled out. Face levels are
fitted on real photo pairs of the same / different people when a folder of identity
sub-folders is given. A ridge-regularised logistic calibration then maps summed weights
to probabilities on the candidate pairs blocking produces.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from search_api.fusion.candidates import candidate_keys
from search_api.fusion.features import ALL_FEATURES
from search_api.fusion.levels import Observed
from search_api.fusion.model import FusionModel, LevelParams
from search_api.fusion.service import Matcher
from search_api.fusion.views import Pair
from search_api.resources import Resources

SMOOTHING = 1.0
M_FLOOR = 0.02  # any level can occur for a true pair: registers contain errors
U_FLOOR = 0.001
RANDOM_PAIRS = 30_000
RIDGE = 1.0


def _placeholder_model() -> FusionModel:
    levels = {c.name: {lvl: LevelParams(0.5, 0.5) for lvl in c.feature.level_names()} for c in ALL_FEATURES}
    return FusionModel(prior=0.01, levels=levels)


def _observe(matcher: Matcher, pair: Pair) -> list[Observed]:
    return [c.compare(pair, matcher.frequency) for c in ALL_FEATURES]


def _shares(counts: Counter, levels: list[str], floor: float = 0.0) -> dict[str, float]:
    total = sum(counts.values()) + SMOOTHING * len(levels)
    return {lvl: max(floor, (counts[lvl] + SMOOTHING) / total) for lvl in levels}


def face_cosines(matcher: Matcher, photos_dir: Path) -> tuple[list[float], list[float]]:
    """Cosines of same-person and different-person photo pairs from identity folders."""
    pipeline = matcher.res.face_pipeline.load()
    vectors: list[tuple[str, np.ndarray]] = []
    for folder in sorted(p for p in photos_dir.iterdir() if p.is_dir() and p.name not in ("multi", "hard")):
        files = sorted(f for f in folder.iterdir() if f.suffix.lower() in (".jpg", ".jpeg", ".png"))
        for outcome in pipeline.embed_images([f.read_bytes() for f in files]):
            if outcome.primary is not None:
                vectors.append((folder.name, outcome.primary.embedding))
    same: list[float] = []
    different: list[float] = []
    for (who_a, a), (who_b, b) in itertools.combinations(vectors, 2):
        (same if who_a == who_b else different).append(float(a @ b))
    return same, different


def face_thresholds(different: np.ndarray) -> dict[str, float]:
    """Face-level thresholds: the scores that each level's share of different-person pairs reaches."""
    from search_api.fusion.features.face import FACE_LEVEL_FAR

    return {level: round(float(np.quantile(different, 1 - far)), 3) for level, far in FACE_LEVEL_FAR.items()}


def face_level_params(same: np.ndarray, different: np.ndarray, thresholds: dict[str, float]) -> dict[str, LevelParams]:
    """m and u of each face level from same- and different-person pair scores (missing is neutral)."""
    ordered = sorted(thresholds.items(), key=lambda item: -item[1])
    names = [name for name, _ in ordered] + ["else"]

    def counts(scores: np.ndarray) -> Counter:
        # the first level (highest threshold) a score reaches; "else" below them all
        index = np.full(len(scores), len(ordered))
        for k in range(len(ordered) - 1, -1, -1):
            index[np.asarray(scores) >= ordered[k][1]] = k
        return Counter({names[k]: int(n) for k, n in zip(*np.unique(index, return_counts=True), strict=True)})

    m = _shares(counts(same), names, M_FLOOR)
    u = _shares(counts(different), names, U_FLOOR)
    return {"missing": LevelParams(1.0, 1.0), **{n: LevelParams(m[n], u[n]) for n in names}}


def _face_level(cosine: float) -> Observed:
    from search_api.fusion.features.face import FaceMatch

    face = next(c for c in ALL_FEATURES if c.name == "face_cosine").feature
    level = face.level_of(FaceMatch(cosine))
    return Observed(face.name, level.name, level.label, "", "", f"cosine {cosine:.2f} (simulated)")


def _logistic(bits: np.ndarray, labels: np.ndarray, iterations: int = 100) -> tuple[float, float]:
    """Fit P = σ(a·bits·ln2 + b) by Newton's method, with a ridge pull towards a=1, b=0."""
    x = np.clip(bits, -60, 60) * math.log(2)
    theta = np.array([1.0, 0.0])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(theta[0] * x + theta[1], -35, 35)))
        w = np.maximum(p * (1 - p), 1e-9)
        grad = np.array([np.sum((labels - p) * x), np.sum(labels - p)]) - RIDGE * (theta - np.array([1.0, 0.0]))
        hess = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]]) + RIDGE * np.eye(2)
        step = np.linalg.solve(hess, grad)
        theta = theta + np.clip(step, -1, 1)
        if np.abs(step).max() < 1e-8:
            break
    return float(theta[0]), float(theta[1])


FALSE_ALERT_TARGET = 0.01  # a margin under the 2 % goal: registers grow after fitting (0.015 gave 2.1 % on bench match)


def _review_threshold(model: FusionModel, scored: list[tuple[list[Observed], int]], owners: list[str], matched: set[str]) -> float:
    """The lowest threshold at which at most FALSE_ALERT_TARGET of found children without a true match
    would raise an alert (their best candidate reaching it), and never below 0.5."""
    best: dict[str, float] = {}
    for (observations, _label), owner in zip(scored, owners, strict=True):
        if owner not in matched:
            best[owner] = max(best.get(owner, 0.0), model.score(observations)[0])
    if not best:
        return 0.5
    return round(max(0.5, float(np.quantile(list(best.values()), 1 - FALSE_ALERT_TARGET))), 3)


def _count_levels(matcher: Matcher, true_pairs: set[tuple[str, str]], features: list) -> tuple[dict[str, Counter], dict[str, Counter]]:
    """Level counts of ``features``: over every true pair (for m) and over RANDOM_PAIRS random
    missing/found pairs that are not true ones (for u), on the matcher's preloaded views."""
    views = matcher._views
    m_counts: dict[str, Counter] = {c.name: Counter() for c in features}
    u_counts: dict[str, Counter] = {c.name: Counter() for c in features}

    def count(into: dict[str, Counter], pair: Pair) -> None:
        for c in features:
            into[c.name][c.compare(pair, matcher.frequency).level] += 1

    for missing_key, found_key in true_pairs:
        count(m_counts, Pair(views[missing_key], views[found_key]))
    missing_views = [v for v in views.values() if v.kind == "missing"]
    found_views = [v for v in views.values() if v.kind == "found"]
    rng = np.random.default_rng(0)
    for _ in range(RANDOM_PAIRS):
        m_view = missing_views[int(rng.integers(len(missing_views)))]
        f_view = found_views[int(rng.integers(len(found_views)))]
        if (m_view.key, f_view.key) not in true_pairs:
            count(u_counts, Pair(m_view, f_view))
    return m_counts, u_counts


def fit_model(res: Resources, truth: Iterable[tuple[str, str]], *, photos_dir: Path | None = None, text_limit: int = 200) -> FusionModel:
    """Fit on the records in ``res`` (both registers) and (missing id, found id) true pairs."""
    matcher = Matcher(res, _placeholder_model(), text_limit=text_limit, use_faces=False, check_current=False)
    matcher.preload("missing")
    matcher.preload("found")
    views = matcher._views
    true_pairs = {(f"missing:{m}", f"found:{f}") for m, f in truth}
    m_counts, u_counts = _count_levels(matcher, true_pairs, ALL_FEATURES)
    missing_views = [v for v in views.values() if v.kind == "missing"]
    found_views = [v for v in views.values() if v.kind == "found"]
    levels: dict[str, dict[str, LevelParams]] = {}
    for comparison in ALL_FEATURES:
        names = comparison.feature.level_names()
        m = _shares(m_counts[comparison.name], names, M_FLOOR)
        u = _shares(u_counts[comparison.name], names, U_FLOOR)
        levels[comparison.name] = {lvl: LevelParams(1.0, 1.0) if lvl == "missing" else LevelParams(m[lvl], u[lvl]) for lvl in names}
    scored: list[tuple[list[Observed], int]] = []
    owners: list[str] = []  # the found child each scored pair belongs to
    n_candidates = n_true_retrieved = 0
    for found in found_views:
        for key in candidate_keys(found, text_index=res.text_index, face_index=None, text_limit=text_limit, face_limit=0):
            label = int((key, found.key) in true_pairs)
            n_candidates += 1
            n_true_retrieved += label
            scored.append((_observe(matcher, Pair(views[key], found)), label))
            owners.append(found.key)
    face_note = "no photos: face levels neutral"
    face_levels = levels["face_cosine"]
    levels["face_cosine"] = {lvl: LevelParams(1.0, 1.0) for lvl in face_levels}
    if photos_dir is not None and photos_dir.is_dir():
        same, different = face_cosines(matcher, photos_dir)
        names = [n for n in face_levels if n != "missing"]
        same_levels = Counter(_face_level(c).level for c in same)
        different_levels = Counter(_face_level(c).level for c in different)
        m, u = _shares(same_levels, names, M_FLOOR), _shares(different_levels, names, U_FLOOR)
        levels["face_cosine"] = {"missing": LevelParams(1.0, 1.0), **{n: LevelParams(m[n], u[n]) for n in names}}
        face_note = f"{len(same)} same-person and {len(different)} different-person photo pairs (adults)"
        # Generated records have no photos: give half of the calibration pairs a face
        # observation drawn from the real cosines, so calibration learns what a face is worth.
        rng_faces = np.random.default_rng(1)
        for observations, label in scored:
            if rng_faces.random() < 0.5:
                pool = same if label else different
                index = [o.feature for o in observations].index("face_cosine")
                observations[index] = _face_level(pool[int(rng_faces.integers(len(pool)))])
    # Fellegi–Sunter prior over all pairs of the two registers; calibration then rescales
    prior = max(1e-9, len(true_pairs) / max(1, len(missing_views) * len(found_views)))
    model = FusionModel(prior=prior, levels=levels, match_share=len(true_pairs) / max(1, len(found_views)))
    totals = np.array([model.score(obs)[1] for obs, _ in scored])
    labels = np.array([label for _, label in scored], dtype=float)
    model.calibration_a, model.calibration_b = _logistic(totals, labels)
    model.review_threshold = _review_threshold(model, scored, owners, {f for _, f in true_pairs})
    model.fitted_on = {
        "true_pairs": len(true_pairs),
        "candidate_pairs": n_candidates,
        "true_pairs_retrieved_by_text_blocking": n_true_retrieved,
        "random_pairs_for_u": RANDOM_PAIRS,
        "face": face_note,
    }
    return model


def refit_levels(res: Resources, truth: Iterable[tuple[str, str]], model: FusionModel, features: Iterable[str]) -> FusionModel:
    """``model`` with the m and u of the named features counted afresh, as ``fit_model``
    counts them (m over every true pair, u over random pairs, same floors); every other
    feature, the calibration and the threshold are kept. For a feature whose levels changed
    when the rest of the model (face levels fitted on photo pairs) must stay as it is."""
    wanted = set(features)
    matcher = Matcher(res, _placeholder_model(), use_faces=False, check_current=False)
    matcher.preload("missing")
    matcher.preload("found")
    chosen = [c for c in ALL_FEATURES if c.name in wanted]
    true_pairs = {(f"missing:{m}", f"found:{f}") for m, f in truth}
    m_counts, u_counts = _count_levels(matcher, true_pairs, chosen)
    levels = dict(model.levels)
    for c in chosen:
        names = c.feature.level_names()
        m = _shares(m_counts[c.name], names, M_FLOOR)
        u = _shares(u_counts[c.name], names, U_FLOOR)
        levels[c.name] = {lvl: LevelParams(1.0, 1.0) if lvl == "missing" else LevelParams(m[lvl], u[lvl]) for lvl in names}
    fitted_on = {**model.fitted_on, "refitted_levels": sorted(wanted | set(model.fitted_on.get("refitted_levels", ())))}
    return FusionModel(
        prior=model.prior,
        levels=levels,
        match_share=model.match_share,
        calibration_a=model.calibration_a,
        calibration_b=model.calibration_b,
        review_threshold=model.review_threshold,
        fitted_on=fitted_on,
        term_frequencies=model.term_frequencies,
    )
