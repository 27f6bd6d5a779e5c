"""Why a pair scored what it did: the prior, one row per feature, the total, the score."""

from __future__ import annotations

from dataclasses import dataclass

from search_api.fusion.levels import Observed


@dataclass(frozen=True)
class ExplanationRow:
    feature: str
    level: str
    label: str
    missing_value: str
    found_value: str
    detail: str
    weight_bits: float


@dataclass(frozen=True)
class Explanation:
    prior_bits: float
    rows: tuple[ExplanationRow, ...]
    total_bits: float
    score: float

    @classmethod
    def build(cls, prior_bits: float, observations: list[Observed], weights: list[float], total: float, score: float) -> Explanation:
        rows = tuple(
            ExplanationRow(o.feature, o.level, o.label, o.left, o.right, o.detail, round(w, 3))
            for o, w in zip(observations, weights, strict=True)
        )
        return cls(round(prior_bits, 3), rows, round(total, 3), round(score, 4))

    def to_json(self) -> dict:
        return {
            "prior_bits": self.prior_bits,
            "features": {
                r.feature: {
                    "level": r.level,
                    "label": r.label,
                    "missing": r.missing_value,
                    "found": r.found_value,
                    "detail": r.detail,
                    "weight_bits": r.weight_bits,
                }
                for r in self.rows
            },
            "total_bits": self.total_bits,
            "score": self.score,
        }

    def lines(self) -> list[str]:
        """Plain-language lines for a reviewer, strongest evidence first."""
        out = []
        for r in sorted(self.rows, key=lambda r: -abs(r.weight_bits)):
            if r.level == "missing" and r.weight_bits == 0:
                continue
            detail = f" ({r.detail})" if r.detail else ""
            out.append(f"{r.feature.split('_')[0]}: {r.label}{detail} {r.weight_bits:+.1f}")
        return out
