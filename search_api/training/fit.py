"""``trackchild model fit``: the fusion model's parameters from the live registers and reviewers.

1. u from random pairs of the two registers (nearly all different children), and the value
   frequencies of names, parents' names and districts.
2. m and the prior by EM over the pairs blocking actually proposes, started from the model
   in use. u is left free inside EM (pairs that blocking proposes resemble each other more
   than random ones do), but the model keeps the random-pair u, as Splink does.
3. Each feature's levels keep their fixed meaning: the missing level is neutral, and along
   each feature's order ("full name" ≥ "one word" ≥ ... ≥ "names differ") weights may not
   cross (pooled where the data say otherwise). Face levels are not touched (photo pairs
   fit them; blocked pairs here carry no faces).
4. Reviewers' decisions: supervised m for a feature once enough confirmed pairs show it,
   and the calibration on them whenever both outcomes are there; one decision in three is
   held out to judge the result (precision at k, calibration by age band).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from search_api.fusion.model import FusionModel, LevelParams
from search_api.fusion.service import Matcher
from search_api.resources import Resources
from search_api.training.em import EMResult, monotone, run_em
from search_api.training.labels import LabelledPair, held_out_report, reviewer_labels
from search_api.training.pairs import (
    FEATURE_NAMES,
    LEVEL_INDEX,
    LEVEL_NAMES,
    blocked_pairs,
    code_version,
    level_matrix,
    random_pairs,
    snapshot,
    term_frequencies,
)

KEPT_FEATURES = ("face_cosine",)  # fitted on photo pairs, not here
# Text blocking selects pairs on these: among the pairs it proposes, different children agree
# on them far more often than random pairs do, so inside EM their u is free (estimated on the
# blocked pairs); the model keeps the random-pair u for scoring, as Splink does. Place and
# language are selected too, indirectly: names are regional (Shinde in Maharashtra, Reddy in
# the south), so namesakes that blocking pairs up live near each other far more often than
# random pairs do. With their u fixed at the random-pair u, EM took every nearby namesake for
# the same child (on an independent register of 3,000 × 2,000, recall@1 fell from 0.758 to
# 0.684; freeing them gave 0.768).
SELECTED_BY_BLOCKING = (
    "name_phonetic",
    "parents_phonetic",
    "sex_agreement",
    "age_gap_years",
    "marks_overlap",
    "distance_km",
    "languages_shared",
)
# The fixed order of each feature's levels, strongest evidence for "same child" first.
# Levels not in a chain (found shortly before the report) are free.
LEVEL_ORDER: dict[str, tuple[tuple[str, ...], ...]] = {
    "name_phonetic": (("full", "strong_one", "loose", "fuzzy", "else"),),
    "parents_phonetic": (("full", "strong_one", "loose", "fuzzy", "else"),),
    "sex_agreement": (("agree", "else"),),
    "age_gap_years": (("consistent", "near", "off", "else"),),
    "found_after_missing_days": (("within_month", "within_3_months", "within_year", "within_3y", "later"), ("shortly_before", "else")),
    "distance_km": (("same_area", "nearby", "region", "else"), ("far_hub", "else")),
    "languages_shared": (("shared", "else"),),
    "marks_overlap": (("strong", "some", "else"),),
    "clothing_overlap": (("strong", "some", "else"),),
    "height_gap_cm": (("consistent", "near", "else"),),
}
U_SMOOTHING = 1.0
U_FLOOR = 0.001
M_FLOOR = 0.002  # any level can occur for a true pair: registers contain errors
MIN_SUPERVISED = 30  # confirmed pairs with data on a feature before their levels set its m
SUPERVISED_PSEUDO = 10.0  # pairs' worth of pull towards the EM estimate
MIN_CALIBRATION = 5  # confirmed and rejected pairs each, to calibrate on decisions
RIDGE = 1.0
FALSE_ALERT_TARGET = 0.01  # expected share of found children without a report whose best candidate alerts


class FitError(ValueError):
    """The store cannot be fitted on (the message says what is missing)."""


@dataclass
class FitResult:
    model: FusionModel
    em: EMResult
    lines: list[str] = field(default_factory=list)
    held_out_brier: dict[str, float] = field(default_factory=dict)  # starting vs fitted model, on held-out decisions

    @property
    def judged_no_worse(self) -> bool | None:
        """Whether held-out reviewer decisions find the fitted model at least as good as the
        starting one (None: no decisions to judge on)."""
        if len(self.held_out_brier) < 2:
            return None
        return self.held_out_brier["fitted model"] <= self.held_out_brier["starting model"]

    @property
    def converged(self) -> bool:
        return self.em.converged


def _conditional(params: dict[str, LevelParams], names: list[str], attr: str) -> np.ndarray:
    """Shares of the non-missing levels (index 0, missing, is 1 by convention)."""
    values = np.array([1.0] + [getattr(params[n], attr) for n in names[1:]])
    values[1:] = values[1:] / values[1:].sum()
    return values


def _shares(column: np.ndarray, n_levels: int) -> np.ndarray:
    counts = np.bincount(column, minlength=n_levels).astype(float)
    out = np.ones(n_levels)
    body = counts[1:] + U_SMOOTHING
    out[1:] = np.maximum(U_FLOOR, body / body.sum())
    return out


def _floor(m: np.ndarray) -> np.ndarray:
    out = m.copy()
    out[1:] = np.maximum(M_FLOOR, out[1:])
    out[1:] /= out[1:].sum()
    return out


def _fix_order(feature: str, m: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, list[str]]:
    pooled: list[str] = []
    for chain in LEVEL_ORDER.get(feature, ()):
        m, merged = monotone(m, u, [LEVEL_INDEX[feature][lvl] for lvl in chain])
        pooled += [LEVEL_NAMES[feature][i] for i in merged if LEVEL_NAMES[feature][i] not in pooled]
    return m, pooled


def logistic(
    totals: np.ndarray, targets: np.ndarray, *, centre: tuple[float, float] = (1.0, 0.0), iterations: int = 100
) -> tuple[float, float]:
    """Fit P = σ(a·bits·ln2 + b) by Newton's method (targets may be soft), ridge-pulled to ``centre``."""
    x = np.clip(totals, -60, 60) * math.log(2)
    c = np.array(centre, dtype=float)
    theta = c.copy()
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(theta[0] * x + theta[1], -35, 35)))
        w = np.maximum(p * (1 - p), 1e-9)
        grad = np.array([np.sum((targets - p) * x), np.sum(targets - p)]) - RIDGE * (theta - c)
        hess = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]]) + RIDGE * np.eye(2)
        step = np.linalg.solve(hess, grad)
        theta = theta + np.clip(step, -1, 1)
        if np.abs(step).max() < 1e-8:
            break
    return float(theta[0]), float(theta[1])


def _supervised(m_em: list[np.ndarray], train: list[LabelledPair], features: list[str]) -> tuple[list[np.ndarray], dict[str, int]]:
    """m from confirmed pairs where at least MIN_SUPERVISED show the feature, pulled a little to EM's."""
    confirmed = [p for p in train if p.label == 1]
    out, used = [], {}
    for f, feature in enumerate(features):
        levels = [LEVEL_INDEX[feature][o.level] for p in confirmed for o in p.observations if o.feature == feature]
        counts = np.bincount(np.array(levels, dtype=np.int64), minlength=len(m_em[f])).astype(float)
        n = counts[1:].sum()
        if n < MIN_SUPERVISED:
            out.append(m_em[f])
            continue
        m = np.ones_like(m_em[f])
        m[1:] = (counts[1:] + SUPERVISED_PSEUDO * m_em[f][1:]) / (n + SUPERVISED_PSEUDO)
        out.append(m)
        used[feature] = int(n)
    return out, used


def _review_threshold(model: FusionModel, pairs: list, observed: list, matches: float, n_found: int, fallback: float) -> tuple[float, str]:
    best: dict[str, float] = {}
    for pair, observations in zip(pairs, observed, strict=True):
        key = pair.found.key
        best[key] = max(best.get(key, 0.0), model.score(observations)[0])
    without = n_found - matches
    if without < 20:
        return fallback, "kept from the starting model: too few found children without a report to set it"
    tops = np.array(sorted(best.values()))
    note = f"expected false alerts ≤ {FALSE_ALERT_TARGET:.0%} of found children without a report, by the model's own scores"
    for threshold in np.round(np.arange(0.5, 0.995, 0.01), 3):
        above = tops[tops >= threshold]
        if float(np.sum(1 - above)) / without <= FALSE_ALERT_TARGET:
            return float(threshold), note
    return 0.99, "capped at 0.99: the model expects more false alerts than the target at any threshold"


def fit_from_store(
    res: Resources,
    *,
    start: FusionModel,
    text_limit: int = 10,
    max_found: int | None = 5000,
    n_random: int = 30_000,
    use_labels: bool = True,
    max_iterations: int = 200,
    seed: int = 0,
) -> FitResult:
    """Fit a model on the records and review decisions in ``res``, starting from ``start``.

    Raises:
        FitError: a register is empty or blocking proposes no pair.

    Example:
        >>> result = fit_from_store(res, start=load_active(settings.data_dir))
        >>> print("\\n".join(result.lines)); save_version(result.model, settings.data_dir)
    """
    matcher = Matcher(res, start, text_limit=text_limit, use_faces=False, check_current=False)
    snap = snapshot(matcher)
    if not snap.missing or not snap.found:
        raise FitError(f"the store holds {len(snap.missing)} missing reports and {len(snap.found)} found children; fitting needs both")
    lines = [f"store: {len(snap.missing):,} missing reports, {len(snap.found):,} found children (fingerprint {snap.fingerprint[:12]})"]
    features = [f for f in FEATURE_NAMES if f not in KEPT_FEATURES]
    columns = [FEATURE_NAMES.index(f) for f in features]
    # 1. u and value frequencies
    n_random = min(n_random, len(snap.missing) * len(snap.found))
    random_levels, _ = level_matrix(matcher, random_pairs(snap, n=n_random, seed=seed))
    u_random = [_shares(random_levels[:, c], len(LEVEL_NAMES[f])) for f, c in zip(features, columns, strict=True)]
    frequencies = term_frequencies(snap)
    # 2. EM over the pairs blocking proposes, u fixed at the random-pair u except where blocking selects
    n_found_blocked = min(len(snap.found), max_found or len(snap.found))
    pairs = blocked_pairs(matcher, snap, text_limit=text_limit, max_found=max_found, seed=seed)
    if not pairs:
        raise FitError("blocking proposed no pair: is the text index built (trackchild reindex)?")
    levels, observed = level_matrix(matcher, pairs)
    share = start.match_share or 0.5
    em = run_em(
        levels[:, columns],
        m_start=[_conditional(start.levels[f], LEVEL_NAMES[f], "m") for f in features],
        u_start=u_random,
        prior_start=float(np.clip(share * n_found_blocked / len(pairs), 1e-4, 0.5)),
        fix_u=[f not in SELECTED_BY_BLOCKING for f in features],
        max_iterations=max_iterations,
        groups=np.array([hash(p.found.key) for p in pairs]),
    )
    lines += [
        f"u from {n_random:,} random pairs; EM over the {len(pairs):,} pairs blocking proposes for {n_found_blocked:,} found children"
        f" (text limit {text_limit}; u free inside EM for {', '.join(SELECTED_BY_BLOCKING)})",
        *em.lines(),
    ]
    m_em = em.m
    # 3. reviewers' decisions
    labelled = reviewer_labels(matcher) if use_labels else []
    train = [p for p in labelled if not p.held_out]
    held = [p for p in labelled if p.held_out]
    m_fit, supervised = _supervised(m_em, train, features) if train else (m_em, {})
    # 4. fixed meanings, floors, the model
    new_levels: dict[str, dict[str, LevelParams]] = {}
    pooled_all: dict[str, list[str]] = {}
    for f, feature in enumerate(features):
        m, pooled = _fix_order(feature, _floor(m_fit[f]), u_random[f])
        if pooled:
            pooled_all[feature] = pooled
        names = LEVEL_NAMES[feature]
        new_levels[feature] = {
            names[0]: LevelParams(1.0, 1.0),
            **{names[i]: LevelParams(float(m[i]), float(u_random[f][i])) for i in range(1, len(names))},
        }
    for feature in KEPT_FEATURES:
        new_levels[feature] = {lvl: LevelParams(p.m, p.u) for lvl, p in start.levels[feature].items()}
    # a found child is at most one missing child: its pairs' posteriors are capped at 1 in total
    owners: dict[str, float] = {}
    for pair, posterior in zip(pairs, em.posterior, strict=True):  # type: ignore[arg-type]
        owners[pair.found.key] = owners.get(pair.found.key, 0.0) + float(posterior)
    matches = max(1.0, sum(min(1.0, total) for total in owners.values()))
    lines.append(
        f"expected true pairs: {matches:,.1f} (each found child counted at most once; EM's λ alone says {em.prior * len(pairs):,.1f})"
    )
    model = FusionModel(
        prior=float(np.clip(matches / (len(snap.missing) * n_found_blocked), 1e-12, 0.5)),
        levels={f: new_levels[f] for f in FEATURE_NAMES},
        match_share=float(min(1.0, matches / n_found_blocked)),
        review_threshold=start.review_threshold,
        term_frequencies=frequencies,
    )
    # 5. calibration: on reviewers' decisions when both outcomes are there; else the
    # Fellegi–Sunter posterior as it stands (a=1, b=0)
    model.calibration_a, model.calibration_b = 1.0, 0.0
    calibrated_on = "none yet (no reviewer decisions of both kinds): the Fellegi–Sunter posterior as it stands"
    n_yes, n_no = sum(p.label for p in train), sum(1 - p.label for p in train)
    if n_yes >= MIN_CALIBRATION and n_no >= MIN_CALIBRATION:
        label_totals = np.array([model.score(p.observations)[1] for p in train])
        model.calibration_a, model.calibration_b = logistic(
            label_totals,
            np.array([p.label for p in train], dtype=float),
        )
        calibrated_on = f"{n_yes} confirmed and {n_no} rejected reviewer decisions"
    # 6. the review threshold: the lowest (from 0.5) at which the model itself expects at most
    # FALSE_ALERT_TARGET of found children without a report to raise an alert
    model.review_threshold, threshold_note = _review_threshold(model, pairs, observed, matches, n_found_blocked, start.review_threshold)
    lines.append(f"review threshold {model.review_threshold:.3f} ({threshold_note})")
    model.fitted_on = {
        "method": "EM on the live store" + (" + reviewer decisions" if labelled else ""),
        "fitted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "code_version": code_version(),
        "store_fingerprint": snap.fingerprint,
        "missing_reports": len(snap.missing),
        "found_children": len(snap.found),
        "found_children_blocked": n_found_blocked,
        "blocked_pairs": len(pairs),
        "random_pairs_for_u": n_random,
        "text_limit": text_limit,
        "em": {
            "pairs": em.pairs,
            "patterns": em.patterns,
            "iterations": em.iterations,
            "converged": em.converged,
            "max_change": em.max_change,
            "log_likelihood_first": em.log_likelihood[0] if em.log_likelihood else None,
            "log_likelihood_last": em.log_likelihood[-1] if em.log_likelihood else None,
            "lambda": em.prior,
            "u_free_inside_em": list(SELECTED_BY_BLOCKING),
        },
        "expected_true_pairs_in_blocked_pairs": round(matches, 1),
        "reviewer_decisions": {
            "confirmed": sum(p.label for p in labelled),
            "rejected": sum(1 - p.label for p in labelled),
            "held_out": len(held),
            "supervised_m": supervised,
        },
        "levels_pooled_to_keep_their_order": pooled_all,
        "calibration": calibrated_on,
        "kept_from_start": {f: start.source for f in KEPT_FEATURES},
        "review_threshold": threshold_note,
        "started_from": start.source,
    }
    if supervised:
        lines.append("supervised m from confirmed decisions: " + ", ".join(f"{f} ({n})" for f, n in supervised.items()))
    if pooled_all:
        lines.append("levels pooled to keep their order: " + "; ".join(f"{f}: {', '.join(v)}" for f, v in pooled_all.items()))
    lines.append(f"calibration on {calibrated_on}: a={model.calibration_a:.3f} b={model.calibration_b:.3f}")
    lines.append(f"prior {model.prior:.3g} (match share {model.match_share:.3f} of found children)")
    briers: dict[str, float] = {}
    if use_labels:
        report, briers = held_out_report({"starting model": start, "fitted model": model}, held)
        lines += report
    return FitResult(model, em, lines, held_out_brier=briers)
