"""Time evidence. Scale: days from the missing report's date to the found date. Soft, not a
hard cut: registers are often dated wrongly, and a child can be found a few days before
the family's report reaches the police."""

from __future__ import annotations

from search_api.fusion.levels import Comparison, Feature, Level, Observed, always
from search_api.fusion.views import Pair

_feature: Feature[int | None] = Feature(
    "found_after_missing_days",
    "found date minus missing date, in days",
    (
        Level("missing", "a date is unknown", lambda d: d is None),
        # most children are found within weeks: a child found 10 days after the report is far
        # likelier to be that report's child than one found 10 months after
        Level("within_month", "found within a month of going missing", lambda d: 0 <= d <= 30),  # type: ignore[operator]
        Level("within_3_months", "found 1–3 months after going missing", lambda d: 30 < d <= 91),  # type: ignore[operator]
        Level("within_year", "found 3–12 months after going missing", lambda d: 91 < d <= 365),  # type: ignore[operator]
        Level("within_3y", "found 1–3 years after going missing", lambda d: 365 < d <= 3 * 365),  # type: ignore[operator]
        Level("later", "found over 3 years after going missing", lambda d: d > 3 * 365),  # type: ignore[operator]
        Level("shortly_before", "found shortly before the report (dates may be off)", lambda d: -60 <= d < 0),  # type: ignore[operator]
        Level("else", "found long before the child was reported missing", always),
    ),
)


def _compare(pair: Pair, _frequency: object = None) -> Observed:
    m, f = pair.missing.record, pair.found.record
    days = (f.date - m.date).days if m.date and f.date else None
    level = _feature.level_of(days)
    detail = "" if days is None else f"{days} days"
    return Observed(_feature.name, level.name, level.label, str(m.date or ""), str(f.date or ""), detail)


found_after_missing_days = Comparison(_feature, _compare)
