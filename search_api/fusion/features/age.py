"""Age evidence. Scale: years between the found child's (estimated) age and the age the
missing child would have now (age when missing + years elapsed). The tolerance grows with
the child's age and with the time elapsed, since estimates of older children and long
gaps are rougher."""

from __future__ import annotations

from dataclasses import dataclass

from search_api.fusion.levels import Comparison, Feature, Level, Observed, always
from search_api.fusion.views import Pair


@dataclass(frozen=True)
class AgeGap:
    gap: float | None  # found age − expected age, years
    tolerance: float = 1.0
    expected: float = 0.0
    years: float = 0.0


def age_gap(pair: Pair) -> AgeGap:
    m, f = pair.missing.record, pair.found.record
    if m.age is None or f.age is None:
        return AgeGap(None)
    years = 0.0
    if m.date and f.date:
        years = max(0.0, (f.date - m.date).days / 365.25)
    expected = m.age + years
    tolerance = 1.0 + 0.1 * expected + 0.2 * years + (0.5 if f.age_is_estimate else 0.0)
    return AgeGap(f.age - expected, tolerance, expected, years)


_feature: Feature[AgeGap] = Feature(
    "age_gap_years",
    "found age minus (age when missing + years elapsed), in years, against a tolerance",
    (
        Level("missing", "an age is unknown", lambda g: g.gap is None),
        Level("consistent", "ages consistent", lambda g: abs(g.gap) <= g.tolerance),  # type: ignore[arg-type]
        Level("near", "ages roughly consistent", lambda g: abs(g.gap) <= 2 * g.tolerance),  # type: ignore[arg-type]
        Level("off", "ages differ", lambda g: abs(g.gap) <= 3.5 * g.tolerance),  # type: ignore[arg-type]
        Level("else", "ages inconsistent", always),
    ),
)


def _compare(pair: Pair, _frequency: object = None) -> Observed:
    g = age_gap(pair)
    level = _feature.level_of(g)
    m, f = pair.missing.record, pair.found.record
    detail = "" if g.gap is None else f"{f.age:g} found vs {m.age:g} + {g.years:.1f}y = {g.expected:.1f} (±{g.tolerance:.1f})"
    return Observed(
        _feature.name, level.name, level.label, f"{m.age:g}" if m.age is not None else "", f"{f.age:g}" if f.age is not None else "", detail
    )


age_gap_years = Comparison(_feature, _compare)
