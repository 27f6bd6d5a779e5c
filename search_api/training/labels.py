"""Reviewers' decisions as labels: confirmed pairs are the same child, rejected pairs are not.

Decisions are split once, by a hash of the pair (stable across fits): two thirds teach,
one third is held out to judge the fitted model (precision at k, calibration by age band).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from indexer import get_records_by_keys
from search_api.fusion.levels import Observed
from search_api.fusion.model import FusionModel
from search_api.fusion.service import Matcher
from search_api.fusion.views import Pair
from search_api.review.models import ReviewPairRow
from search_api.training.pairs import observe

HELD_OUT_SHARE = 3  # one pair in three is held out
AGE_BANDS = ((0, 5, "0–5"), (6, 11, "6–11"), (12, 17, "12–17"))
PRECISION_KS = (5, 10, 20, 50, 100)


@dataclass
class LabelledPair:
    missing_key: str
    found_key: str
    label: int  # 1 confirmed (same child), 0 rejected
    observations: list[Observed]
    age: float | None  # the found child's age, for the calibration table

    @property
    def held_out(self) -> bool:
        digest = hashlib.sha256(f"{self.missing_key}|{self.found_key}".encode()).digest()
        return digest[0] % HELD_OUT_SHARE == 0


def reviewer_labels(matcher: Matcher) -> list[LabelledPair]:
    """Every confirmed or rejected pair whose two records are still in the store, observed
    on the records as they are now."""
    from search_api.db import create_service_schema

    create_service_schema(matcher.res.engine)
    with matcher.res.session_factory() as session:
        rows = session.execute(
            select(ReviewPairRow.missing_key, ReviewPairRow.found_key, ReviewPairRow.status).where(
                ReviewPairRow.status.in_(("confirmed", "rejected"))
            )
        ).all()
        keys = sorted({k for r in rows for k in (r[0], r[1])})
        stored = get_records_by_keys(session=session, keys=keys) if keys else {}
    out = []
    for missing_key, found_key, status in rows:
        if missing_key not in stored or found_key not in stored:
            continue
        pair = Pair(matcher.view(stored[missing_key].record), matcher.view(stored[found_key].record))
        out.append(LabelledPair(missing_key, found_key, int(status == "confirmed"), observe(matcher, pair), pair.found.record.age))
    return out


def age_band(age: float | None) -> str:
    if age is None:
        return "unknown"
    for low, high, label in AGE_BANDS:
        if low <= age < high + 1:
            return label
    return "18+"


def precision_at_k(scores: np.ndarray, labels: np.ndarray) -> dict[int, float]:
    """Share of confirmed pairs among the k best-scored decisions, for each k there are pairs for."""
    order = np.argsort(-scores, kind="stable")
    return {k: float(labels[order[:k]].mean()) for k in PRECISION_KS if k <= len(labels)}


def held_out_report(models: dict[str, FusionModel], held: list[LabelledPair]) -> list[str]:
    """Precision at k and a calibration table by age band, for each model, on held-out decisions."""
    if not held:
        return ["no held-out reviewer decisions: nothing to judge the model on yet"]
    labels = np.array([p.label for p in held], dtype=float)
    lines = [f"held-out reviewer decisions: {len(held)} ({int(labels.sum())} confirmed, {int(len(labels) - labels.sum())} rejected)"]
    scored = {name: np.array([model.score(p.observations)[0] for p in held]) for name, model in models.items()}
    for name, scores in scored.items():
        prec = precision_at_k(scores, labels)
        shown = ", ".join(f"P@{k} {v:.2f}" for k, v in prec.items()) or f"fewer than {PRECISION_KS[0]} pairs"
        brier = float(np.mean((scores - labels) ** 2))
        lines.append(f"  {name}: {shown}; Brier {brier:.3f}")
    lines.append("  calibration by the found child's age band (mean predicted vs share confirmed):")
    header = f"    {'band':<8}{'pairs':>6}{'confirmed':>11} " + "".join(f"{name:>16}" for name in scored)
    lines.append(header)
    bands = [age_band(p.age) for p in held]
    for band in [b[2] for b in AGE_BANDS] + ["18+", "unknown"]:
        index = [i for i, b in enumerate(bands) if b == band]
        if not index and band in ("18+", "unknown"):
            continue
        if not index:
            lines.append(f"    {band:<8}{0:>6}{'-':>11} " + "".join(f"{'-':>16}" for _ in scored))
            continue
        observed = labels[index].mean()
        lines.append(
            f"    {band:<8}{len(index):>6}{observed:>11.2f} " + "".join(f"{scores[index].mean():>16.2f}" for scores in scored.values())
        )
    return lines
