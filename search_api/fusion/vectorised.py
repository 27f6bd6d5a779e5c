"""Scoring one record against many candidates at once: feature levels as arrays.

The features in ``features/`` say, for one pair, which level it lands on and why (the
explanation a reviewer reads). Ranking needs only the level of every pair and the sum of
its weights, so here each candidate is a row of numbers (age, date, coordinates, codes),
the numeric features are compared with numpy over all candidates at once, and weights are
looked up by level index. Names, descriptions and faces are compared per pair with the very
functions the features use. ``tests/search_api/test_fusion_vectorised.py`` checks that every
level and score equals the per-pair path on a generated register.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from search_api.fusion.features import ALL_FEATURES
from search_api.fusion.features.attributes import GROWTH_CM_PER_YEAR
from search_api.fusion.features.face import _feature as _face_feature
from search_api.fusion.features.names import NameAgreement, _name_feature, _parents_feature, compare_names, compare_parents
from search_api.fusion.features.place import RAILWAY_HUBS, near_hub
from search_api.fusion.model import MAX_ABS_WEIGHT, TF_FLOOR, FusionModel
from search_api.fusion.views import ChildView, Pair

FEATURE_NAMES = tuple(c.name for c in ALL_FEATURES)
_F = {name: i for i, name in enumerate(FEATURE_NAMES)}
_LEVELS = {c.name: {lvl: i for i, lvl in enumerate(c.feature.level_names())} for c in ALL_FEATURES}
_NAN = float("nan")
_NUMERIC = tuple(
    _F[name] for name in ("sex_agreement", "age_gap_years", "found_after_missing_days", "distance_km", "height_gap_cm", "languages_shared")
)

# columns of a record's numeric row
AGE, DATE, LAT, LON, HEIGHT, ESTIMATE, SEX, DISTRICT, DISTRICT_GIVEN, STATE, STATE_GIVEN, KNOWN, HUB_NEAR, HUB_NAMED, LANGS = range(15)
MAX_LANGUAGE_BITS = 52  # exact integers in a float64


class Codes:
    """Interned strings (districts, states, languages, sexes) → small integers."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        code = self._codes.get(value)
        if code is None:
            code = self._codes[value] = len(self._codes)
        return code


def numeric_row(view: ChildView, codes: Codes, languages: Codes) -> tuple[float, ...]:
    """The numbers the vectorised features read, in the ``AGE…LANGS`` column order.

    A language beyond the first 52 seen makes the row's language mask NaN: such pairs are
    compared per pair instead.
    """
    r = view.record
    p = r.place
    has_coords = p.lat is not None and p.lon is not None
    # found near a junction: by coordinates when both records have them, else by place name
    hub_near = has_coords and near_hub(p.lat, p.lon)  # type: ignore[arg-type]
    hub_named = p.city.strip().lower() in RAILWAY_HUBS or p.district.strip().lower() in RAILWAY_HUBS
    mask = 0
    for language in view.languages:
        bit = languages(language)
        if bit >= MAX_LANGUAGE_BITS:
            mask = -1
            break
        mask |= 1 << bit
    sex = r.sex or ""
    return (
        _NAN if r.age is None else float(r.age),
        _NAN if r.date is None else float(r.date.toordinal()),
        float(p.lat) if has_coords else _NAN,  # type: ignore[arg-type]
        float(p.lon) if has_coords else _NAN,  # type: ignore[arg-type]
        _NAN if r.height_cm is None else float(r.height_cm),
        1.0 if r.age_is_estimate else 0.0,
        -1.0 if sex in ("", "X") else float(codes("sex:" + sex)),
        float(codes("d:" + p.district.strip().lower())),
        1.0 if p.district else 0.0,
        float(codes("s:" + p.state.strip().lower())),
        1.0 if p.state else 0.0,
        1.0 if (p.district or p.state) else 0.0,
        1.0 if hub_near else 0.0,
        1.0 if hub_named else 0.0,
        _NAN if mask < 0 else float(mask),
    )


@dataclass(frozen=True)
class ScoredBatch:
    """Every candidate's score, total log2 odds and level index per feature (``FEATURE_NAMES`` order)."""

    scores: np.ndarray  # (n,)
    totals: np.ndarray  # (n,)
    levels: np.ndarray  # (n, features) int8


def _haversine_km(lat1, lon1, lat2, lon2):  # type: ignore[no-untyped-def]
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def _select(conditions: list[tuple[np.ndarray, int]], default: int, n: int) -> np.ndarray:
    """The first level whose condition holds, else ``default`` (levels are ordered)."""
    out = np.full(n, default, dtype=np.int8)
    decided = np.zeros(n, dtype=bool)
    for condition, level in conditions:
        take = condition & ~decided
        out[take] = level
        decided |= take
    return out


if _parents_feature.level_names() != _name_feature.level_names() or _parents_feature.tf_adjusted != _name_feature.tf_adjusted:
    raise ImportError("vectorised scoring assumes both name features share their levels")
_NAME_LEVEL_CACHE: dict[tuple, tuple[int, bool]] = {}


def _name_level(agreement: NameAgreement) -> tuple[int, bool]:
    """(level index, whether the weight is term-frequency adjusted); both name features share
    their levels and adjusted levels."""
    key = (agreement.has_data, agreement.strong, agreement.loose, agreement.fuzzy, agreement.shorter, bool(agreement.matched_keys))
    hit = _NAME_LEVEL_CACHE.get(key)
    if hit is None:
        name = _name_feature.level_of(agreement).name
        hit = _NAME_LEVEL_CACHE[key] = (_LEVELS["name_phonetic"][name], name in _name_feature.tf_adjusted and bool(agreement.matched_keys))
    return hit


class VectorScorer:
    """Scores one record against a list of candidate views with one model and prior."""

    def __init__(self, model: FusionModel) -> None:
        self.model = model
        self.codes = Codes()
        self.languages = Codes()
        self._rows: dict[str, tuple[tuple[float, ...], ChildView]] = {}
        self._weights = [
            np.array([model.levels[c.name][lvl].weight for lvl in c.feature.level_names()], dtype=np.float64) for c in ALL_FEATURES
        ]
        self._m = [np.array([model.levels[c.name][lvl].m for lvl in c.feature.level_names()]) for c in ALL_FEATURES]

    def row(self, view: ChildView) -> tuple[float, ...]:
        cached = self._rows.get(view.key)
        if cached is None or cached[1] is not view:
            row = numeric_row(view, self.codes, self.languages)
            self._rows[view.key] = (row, view)
            return row
        return cached[0]

    def forget(self, key: str) -> None:
        self._rows.pop(key, None)

    def score(self, view: ChildView, others: Sequence[ChildView], *, prior: float, frequency: Callable[[str], float]) -> ScoredBatch:
        n = len(others)
        if n == 0:
            empty = np.zeros(0)
            return ScoredBatch(empty, empty, np.zeros((0, len(FEATURE_NAMES)), dtype=np.int8))
        me = np.array(self.row(view), dtype=np.float64)
        them = np.array([self.row(o) for o in others], dtype=np.float64)
        if view.kind == "missing":
            m, f = me[None, :], them
        else:
            m, f = them, me[None, :]
        levels = np.zeros((n, len(FEATURE_NAMES)), dtype=np.int8)  # per-pair columns are filled below
        weights = np.empty((n, len(FEATURE_NAMES)), dtype=np.float64)
        self._numeric_levels(m, f, n, levels)
        for i, w in enumerate(self._weights):
            weights[:, i] = w[np.maximum(levels[:, i], 0)]
        self._per_pair(view, others, levels, weights, frequency)
        total = np.zeros(n)
        for i in range(len(FEATURE_NAMES)):  # in feature order, as the per-pair sum adds them
            total = total + weights[:, i]
        total = math.log2(prior / (1 - prior)) + total
        model = self.model
        scores = 1.0 / (1.0 + np.exp(-(model.calibration_a * total * math.log(2) + model.calibration_b)))
        sex_else = levels[:, _F["sex_agreement"]] == _LEVELS["sex_agreement"]["else"]
        capped = sex_else & (levels[:, _F["name_phonetic"]] != _LEVELS["name_phonetic"]["full"])
        scores = np.where(capped, np.minimum(scores, model.review_threshold * 0.5), scores)
        return ScoredBatch(scores, total, levels)

    def numeric_evidence(self, view: ChildView, rows: np.ndarray) -> np.ndarray:
        """Summed weights (bits) of the numeric features (sex, age, dates, place, height,
        languages) of ``view`` against candidates given as numeric rows (``row`` of each): what
        the model will say of them besides names and descriptions, for blocking to rank by."""
        n = len(rows)
        me = np.array(self.row(view), dtype=np.float64)[None, :]
        m, f = (me, rows) if view.kind == "missing" else (rows, me)
        levels = np.zeros((n, len(FEATURE_NAMES)), dtype=np.int8)
        self._numeric_levels(m, f, n, levels)
        total = np.zeros(n)
        for i in _NUMERIC:  # a language mask beyond 52 languages (level -1) counts as unknown here
            total += self._weights[i][np.maximum(levels[:, i], 0)]
        return total

    # -- numeric features, all candidates at once ---------------------------------
    def _numeric_levels(self, m: np.ndarray, f: np.ndarray, n: int, levels: np.ndarray) -> None:
        with np.errstate(invalid="ignore"):
            both_dates = ~np.isnan(m[:, DATE]) & ~np.isnan(f[:, DATE])
            days = f[:, DATE] - m[:, DATE]
            years = np.where(both_dates, np.maximum(0.0, days / 365.25), 0.0)
            days = np.broadcast_to(days, (n,))
            both_dates = np.broadcast_to(both_dates, (n,))
            years = np.broadcast_to(years, (n,))

            # sex
            sm, sf = np.broadcast_to(m[:, SEX], (n,)), np.broadcast_to(f[:, SEX], (n,))
            lv = _LEVELS["sex_agreement"]
            levels[:, _F["sex_agreement"]] = _select([((sm < 0) | (sf < 0), lv["missing"]), (sm == sf, lv["agree"])], lv["else"], n)

            # age
            lv = _LEVELS["age_gap_years"]
            expected = m[:, AGE] + years
            tolerance = 1.0 + 0.1 * expected + 0.2 * years + 0.5 * f[:, ESTIMATE]
            gap = np.abs(f[:, AGE] - expected)
            no_age = np.broadcast_to(np.isnan(m[:, AGE]) | np.isnan(f[:, AGE]), (n,))
            levels[:, _F["age_gap_years"]] = _select(
                [(no_age, lv["missing"]), (gap <= tolerance, lv["consistent"]), (gap <= 2 * tolerance, lv["near"]),
                 (gap <= 3.5 * tolerance, lv["off"])],
                lv["else"], n,
            )  # fmt: skip

            # dates
            lv = _LEVELS["found_after_missing_days"]
            levels[:, _F["found_after_missing_days"]] = _select(
                [(~both_dates, lv["missing"]), ((days >= 0) & (days <= 30), lv["within_month"]),
                 ((days > 30) & (days <= 91), lv["within_3_months"]), ((days > 91) & (days <= 365), lv["within_year"]),
                 ((days > 365) & (days <= 3 * 365), lv["within_3y"]), (days > 3 * 365, lv["later"]),
                 ((days >= -60) & (days < 0), lv["shortly_before"])],
                lv["else"], n,
            )  # fmt: skip

            # place
            lv = _LEVELS["distance_km"]
            coords = np.broadcast_to(~np.isnan(m[:, LAT]) & ~np.isnan(f[:, LAT]), (n,))
            km = np.broadcast_to(_haversine_km(m[:, LAT], m[:, LON], f[:, LAT], f[:, LON]), (n,))
            same_district = np.broadcast_to((m[:, DISTRICT_GIVEN] > 0) & (m[:, DISTRICT] == f[:, DISTRICT]), (n,))
            same_state = np.broadcast_to((m[:, STATE_GIVEN] > 0) & (m[:, STATE] == f[:, STATE]), (n,))
            known = np.broadcast_to(coords | ((m[:, KNOWN] > 0) & (f[:, KNOWN] > 0)), (n,))
            hub = np.broadcast_to(np.where(coords, f[:, HUB_NEAR], f[:, HUB_NAMED]) > 0, (n,))
            levels[:, _F["distance_km"]] = _select(
                [(~known, lv["missing"]), ((coords & (km <= 30)) | (~coords & same_district), lv["same_area"]),
                 (coords & (km <= 150), lv["nearby"]), ((coords & (km <= 700)) | (~coords & same_state), lv["region"]),
                 (hub, lv["far_hub"])],
                lv["else"], n,
            )  # fmt: skip

            # height
            lv = _LEVELS["height_gap_cm"]
            hgap = np.abs(f[:, HEIGHT] - (m[:, HEIGHT] + GROWTH_CM_PER_YEAR * years))
            no_height = np.broadcast_to(np.isnan(m[:, HEIGHT]) | np.isnan(f[:, HEIGHT]), (n,))
            levels[:, _F["height_gap_cm"]] = _select(
                [(no_height, lv["missing"]), (hgap <= 8, lv["consistent"]), (hgap <= 16, lv["near"])], lv["else"], n
            )

            # languages (a NaN mask: compared per pair)
            lv = _LEVELS["languages_shared"]
            lm, lf = np.broadcast_to(m[:, LANGS], (n,)), np.broadcast_to(f[:, LANGS], (n,))
            exact = ~np.isnan(lm) & ~np.isnan(lf)
            im, jf = np.where(exact, lm, 0).astype(np.int64), np.where(exact, lf, 0).astype(np.int64)
            levels[:, _F["languages_shared"]] = _select(
                [(exact & ((im == 0) | (jf == 0)), lv["missing"]), (exact & ((im & jf) != 0), lv["shared"]), (~exact, -1)], lv["else"], n
            )

    # -- names, descriptions, faces: per pair, with the features' own functions ---------
    def _per_pair(
        self, view: ChildView, others: Sequence[ChildView], levels: np.ndarray, weights: np.ndarray, frequency: Callable[[str], float]
    ) -> None:
        is_missing = view.kind == "missing"
        fn, fp = _F["name_phonetic"], _F["parents_phonetic"]
        fm, fc, fl, ff = _F["marks_overlap"], _F["clothing_overlap"], _F["languages_shared"], _F["face_cosine"]
        overlap = _LEVELS["marks_overlap"]  # marks and clothing share their levels
        m_name, m_parent = self._m[fn], self._m[fp]
        sex_col = _F["sex_agreement"]
        full = _LEVELS["name_phonetic"]["full"]
        sex_else = _LEVELS["sex_agreement"]["else"]
        # plain Python lists inside the loop (numpy item access costs more than the comparison)
        name_w, parent_w, marks_w, cloth_w = (self._weights[c].tolist() for c in (fn, fp, fm, fc))
        name_m, parent_m = m_name.tolist(), m_parent.tolist()
        strong, some, missing_overlap, differ = overlap["strong"], overlap["some"], overlap["missing"], overlap["else"]
        n = len(others)
        out_levels = [[0] * n for _ in range(4)]
        out_weights = [[0.0] * n for _ in range(4)]
        per_pair_languages = np.flatnonzero(levels[:, fl] < 0).tolist()
        for i, other in enumerate(others):
            a, b = (view, other) if is_missing else (other, view)
            names, parents = compare_names(a.names, b.names), compare_parents(a, b)
            for slot, agreement, w, m_ in ((0, names, name_w, name_m), (1, parents, parent_w, parent_m)):
                level, tf = _name_level(agreement)
                out_levels[slot][i] = level
                if tf:
                    freq = 1.0
                    for key in agreement.matched_keys if level != full else agreement.keys_for("full"):
                        freq *= frequency(key)
                    out_weights[slot][i] = max(-MAX_ABS_WEIGHT, min(MAX_ABS_WEIGHT, math.log2(m_[level] / max(TF_FLOOR, freq))))
                else:
                    out_weights[slot][i] = w[level]
            for slot, x, y, w in ((2, a.marks, b.marks, marks_w), (3, a.clothing, b.clothing, cloth_w)):
                if not x or not y:
                    level = missing_overlap
                else:
                    j = len(x & y) / len(x | y)  # as ``_jaccard``
                    level = strong if j >= 0.6 else some if j >= 0.25 else differ
                out_levels[slot][i] = level
                out_weights[slot][i] = w[level]
        for slot, col in enumerate((fn, fp, fm, fc)):
            levels[:, col] = out_levels[slot]
            weights[:, col] = out_weights[slot]
        for i in per_pair_languages:
            a, b = (view, others[i]) if is_missing else (others[i], view)
            lv = _LEVELS["languages_shared"]
            level = lv["missing"] if not a.languages or not b.languages else lv["shared"] if a.languages & b.languages else lv["else"]
            levels[i, fl] = level
            weights[i, fl] = self._weights[fl][level]
        levels[:, ff] = 0
        weights[:, ff] = self._weights[ff][0]
        if view.faces:
            for i, other in enumerate(others):
                if not other.faces:
                    continue
                a, b = (view, other) if is_missing else (other, view)
                observed = ALL_FEATURES[ff].compare(Pair(a, b), frequency)
                level = _face_feature.level_names().index(observed.level)
                levels[i, ff] = level
                weight = self._weights[ff][level] * observed.strength
                weights[i, ff] = min(0.0, weight) if levels[i, sex_col] == sex_else else weight


__all__ = ["FEATURE_NAMES", "ScoredBatch", "VectorScorer"]
