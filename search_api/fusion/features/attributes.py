"""Sex, languages, identifying marks, clothing and height.

Sex: both known and different is near-disqualifying; unknown is neutral. Fusion also
enforces a rule: face similarity can never raise the score of a boy–girl pair.
Marks/clothing scale: Jaccard overlap of description words (lt. = left, til = mole).
Height scale: cm between the found height and the missing height plus 6 cm a year.
"""

from __future__ import annotations

from search_api.fusion.levels import Comparison, Feature, Level, Observed, always
from search_api.fusion.views import Pair

_sex: Feature[tuple[str, str]] = Feature(
    "sex_agreement",
    "recorded sex of both children",
    (
        Level("missing", "sex unknown on one side", lambda s: s[0] in ("", "X") or s[1] in ("", "X")),
        Level("agree", "same sex", lambda s: s[0] == s[1]),
        Level("else", "different sex", always),
    ),
)


def _compare_sex(pair: Pair, _frequency: object = None) -> Observed:
    values = (pair.missing.record.sex, pair.found.record.sex)
    level = _sex.level_of(values)
    return Observed(_sex.name, level.name, level.label, values[0] or "?", values[1] or "?")


sex_agreement = Comparison(_sex, _compare_sex)

_languages: Feature[tuple[frozenset[str], frozenset[str]]] = Feature(
    "languages_shared",
    "languages both records list",
    (
        Level("missing", "languages unknown on one side", lambda v: not v[0] or not v[1]),
        Level("shared", "speak a common language", lambda v: bool(v[0] & v[1])),
        Level("else", "no language in common", always),
    ),
)


def _compare_languages(pair: Pair, _frequency: object = None) -> Observed:
    a, b = pair.missing.languages, pair.found.languages
    level = _languages.level_of((a, b))
    return Observed(_languages.name, level.name, level.label, ", ".join(sorted(a)), ", ".join(sorted(b)), ", ".join(sorted(a & b)))


languages_shared = Comparison(_languages, _compare_languages)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float | None:
    if not a or not b:
        return None
    return len(a & b) / len(a | b)


def _overlap_feature(name: str, what: str) -> Feature[float | None]:
    return Feature(
        name,
        f"Jaccard overlap of {what} words, 0–1",
        (
            Level("missing", f"{what} not described on one side", lambda j: j is None),
            Level("strong", f"{what} agree", lambda j: j >= 0.6),  # type: ignore[operator]
            Level("some", f"{what} partly agree", lambda j: j >= 0.25),  # type: ignore[operator]
            Level("else", f"{what} differ", always),
        ),
    )


_marks = _overlap_feature("marks_overlap", "identifying marks")
_clothing = _overlap_feature("clothing_overlap", "clothing")


def _compare_marks(pair: Pair, _frequency: object = None) -> Observed:
    j = _jaccard(pair.missing.marks, pair.found.marks)
    level = _marks.level_of(j)
    return Observed(
        _marks.name, level.name, level.label, pair.missing.record.marks, pair.found.record.marks, "" if j is None else f"{j:.2f}"
    )


def _compare_clothing(pair: Pair, _frequency: object = None) -> Observed:
    j = _jaccard(pair.missing.clothing, pair.found.clothing)
    level = _clothing.level_of(j)
    return Observed(
        _clothing.name, level.name, level.label, pair.missing.record.clothing, pair.found.record.clothing, "" if j is None else f"{j:.2f}"
    )


marks_overlap = Comparison(_marks, _compare_marks)
clothing_overlap = Comparison(_clothing, _compare_clothing)

GROWTH_CM_PER_YEAR = 6.0

_height: Feature[float | None] = Feature(
    "height_gap_cm",
    "found height minus (missing height + 6 cm a year), in cm",
    (
        Level("missing", "a height is unknown", lambda d: d is None),
        Level("consistent", "heights consistent", lambda d: abs(d) <= 8),  # type: ignore[arg-type]
        Level("near", "heights roughly consistent", lambda d: abs(d) <= 16),  # type: ignore[arg-type]
        Level("else", "heights inconsistent", always),
    ),
)


def _compare_height(pair: Pair, _frequency: object = None) -> Observed:
    m, f = pair.missing.record, pair.found.record
    gap = None
    if m.height_cm is not None and f.height_cm is not None:
        years = max(0.0, (f.date - m.date).days / 365.25) if m.date and f.date else 0.0
        gap = f.height_cm - (m.height_cm + GROWTH_CM_PER_YEAR * years)
    level = _height.level_of(gap)
    show = lambda h: f"{h:g} cm" if h is not None else ""  # noqa: E731
    return Observed(_height.name, level.name, level.label, show(m.height_cm), show(f.height_cm), "" if gap is None else f"{gap:+.0f} cm")


height_gap_cm = Comparison(_height, _compare_height)
