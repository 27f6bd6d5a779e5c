"""Batched blocking: every found child's candidates from one in-memory index of the other register.

``candidates.candidate_keys`` asks the text engine once per pass for each record: right for
one record on a page, but at national scale the searches are most of a ``match --all`` run.
Here the other register is indexed once, in memory, as posting lists (term → row numbers)
over the very terms the text engine indexes: the child's name tokens, their strict, loose and
metaphone keys, prefixes, the parents' names and keys, and description words. A found
child's query is the engine's own query plan (``build_query_plan`` of ``text_query``); each
query word scores the records it reaches by its best clause (boost × rarity, as BM25's idf,
plus a tenth of the others), the words are summed, and the same passes as
``candidate_keys`` keep the best of each filter (sex, age window, district, state, date
window) with numpy over row numbers. Typing errors reach their record through deletion
keys (two words one edit apart share a word with one letter deleted), where the engine
uses fuzzy terms.

Rows of one query word are cached: common words (Kumar, Devi) are shared by thousands of
queries.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from indexer import build_query_plan
from search_api.fusion.candidates import AGE_WINDOW_OLDER, AGE_WINDOW_YOUNGER, text_query
from search_api.fusion.vectorised import VectorScorer
from search_api.fusion.views import ChildView

# as tantivy's indexed age range of a record (``indexer.search.documents.estimated_age_range``)
UNKNOWN_AGE_RANGE = (0.0, 30.0)
MIN_PREFIX = 3  # shorter typed prefixes reach too many records to be worth a pass of their own
DISMAX_TIE_BREAKER = 0.1
_TEXT_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_CACHE_MAX_ROWS = 5_000_000  # row numbers held by the per-word cache (40 MB of int32 + float32 per process)


def _stem(word: str) -> str:
    return word.rstrip("s") or word


def _deletions(text: str) -> list[str]:
    """The word and every form of it with one letter deleted: two words one edit apart
    (a letter typed wrong, missing, added or two letters swapped) share one of these."""
    return [text, *{text[:i] + text[i + 1 :] for i in range(len(text))}] if len(text) >= 3 else [text]


def _age_range(view: ChildView) -> tuple[float, float]:
    r = view.record
    if r.age is None:
        return UNKNOWN_AGE_RANGE
    if not r.age_is_estimate:
        return float(r.age), float(r.age)
    spread = max(2.0, 0.2 * r.age)
    return max(0.0, r.age - spread), r.age + spread


class BatchBlocker:
    """The other register in memory, and each record's candidate rows from it.

    ``targets`` are the views to search (one register); ``text_limit`` is the main pass's
    cap (the engine path's ``text_limit``), the extra passes keep a quarter of it (at least 10).
    """

    def __init__(
        self,
        targets: Sequence[ChildView],
        *,
        text_limit: int = 200,
        place_bonus: float = 2.0,
        names_pass: bool = True,
        scorer: VectorScorer | None = None,
    ) -> None:
        self.targets = list(targets)
        # with a scorer, records tied on their name score are ordered by what the model says
        # of their age, dates, place, sex and height, not by their place in the register
        self.scorer = scorer
        self._numeric = np.array([scorer.row(v) for v in self.targets], dtype=np.float64) if scorer is not None else None
        self.trace: list | None = None  # (rows, ranking, limit) of every pass, when a list (analysis)
        self.place_bonus = place_bonus
        self.names_pass = names_pass
        self.text_limit = text_limit
        self.extra_limit = max(10, text_limit // 4)
        n = len(self.targets)
        self.n = n
        postings: dict[str, list[int]] = {}

        def add(term: str, row: int) -> None:
            rows = postings.get(term)
            if rows is None:
                postings[term] = [row]
            elif rows[-1] != row:
                rows.append(row)

        sex = np.zeros(n, dtype=np.int8)  # 0 unknown, 1 M, 2 F, 3 X
        age_lo, age_hi = np.zeros(n), np.zeros(n)
        date = np.full(n, np.nan)
        districts: dict[str, int] = {"": -1}
        states: dict[str, int] = {"": -1}
        district, state = np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)
        for row, view in enumerate(self.targets):
            r = view.record
            sex[row] = {"M": 1, "F": 2, "X": 3}.get(r.sex or "", 0)
            age_lo[row], age_hi[row] = _age_range(view)
            if r.date is not None:
                date[row] = r.date.toordinal()
            d, s = r.place.district.strip().lower(), r.place.state.strip().lower()
            district[row] = districts.setdefault(d, len(districts)) if d else -1
            state[row] = states.setdefault(s, len(states)) if s else -1
            for name in view.names:
                for token in name.tokens:
                    add("t:" + token.text, row)
                    for key in token.keys:
                        add(key, row)
                    for word in (token.text, token.strict):
                        for end in range(MIN_PREFIX, min(len(word), 12) + 1):
                            add("p:" + word[:end], row)
                    for deleted in _deletions(token.text):
                        add("d:" + deleted, row)
            for parent in view.parents:
                for token in parent.tokens:
                    add("pt:" + token.text, row)
                    add("p" + token.keys[0], row)  # "ps:<strict key>"
            text = " ".join(getattr(r, f) for f in ("marks", "clothing", "description", "hair", "complexion") if getattr(r, f))
            for word in _TEXT_WORD.findall(text.lower()):
                add("x:" + _stem(word), row)
        self._postings = {term: np.array(rows, dtype=np.int32) for term, rows in postings.items()}
        self.sex, self.age_lo, self.age_hi, self.date = sex, age_lo, age_hi, date
        self.district, self.state = district, state
        self._districts, self._states = districts, states
        self._cache: dict[object, tuple[np.ndarray, np.ndarray]] = {}
        self._cached_rows = 0
        self._all = np.arange(n, dtype=np.int32)

    # -- scoring one query word ------------------------------------------------------
    def _idf(self, rows: np.ndarray) -> float:
        df = len(rows)
        return math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))

    def _clause_rows(self, clause) -> tuple[np.ndarray, float]:  # type: ignore[no-untyped-def]
        """Rows a clause reaches and what it scores there (constant per clause)."""
        empty = self._all[:0]
        match clause.kind, clause.field:
            case "fuzzy", _:
                parts = [self._postings.get("d:" + w, empty) for w in _deletions(clause.value)]
                rows = np.unique(np.concatenate(parts)) if parts else empty
                return rows, clause.boost  # constant-scored, as in both engines
            case "text", _:
                rows = self._postings.get("x:" + _stem(clause.value), empty)
            case _, "name_tokens":
                rows = self._postings.get("t:" + clause.value, empty)
            case _, "name_keys":
                rows = self._postings.get(clause.value, empty)
            case _, "name_prefixes":
                rows = self._postings.get("p:" + clause.value, empty) if len(clause.value) >= MIN_PREFIX else empty
            case _, "parent_tokens":
                rows = self._postings.get("pt:" + clause.value, empty)
            case _, "parent_keys":
                rows = self._postings.get("p" + clause.value, empty)
            case _:
                rows = empty
        return rows, (clause.boost * self._idf(rows) if len(rows) else 0.0)

    def _word(self, group) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
        """(rows, score) of one query word: its best clause, plus a tenth of the others."""
        hit = self._cache.get(group)
        if hit is not None:
            return hit
        parts = [(rows, score) for rows, score in map(self._clause_rows, group.clauses) if len(rows) and score > 0]
        if not parts:
            hit = (self._all[:0], np.zeros(0, dtype=np.float32))
        elif len(parts) == 1:
            rows, score = parts[0]
            hit = (rows, np.full(len(rows), score, dtype=np.float32))
        else:
            rows = np.concatenate([r for r, _ in parts])
            scores = np.concatenate([np.full(len(r), s, dtype=np.float32) for r, s in parts])
            unique, inverse = np.unique(rows, return_inverse=True)
            best = np.zeros(len(unique), dtype=np.float32)
            np.maximum.at(best, inverse, scores)
            total = np.bincount(inverse, weights=scores, minlength=len(unique)).astype(np.float32)
            hit = (unique.astype(np.int32), best + DISMAX_TIE_BREAKER * (total - best))
        if self._cached_rows + len(hit[0]) > _CACHE_MAX_ROWS:
            self._cache.clear()
            self._cached_rows = 0
        self._cache[group] = hit
        self._cached_rows += len(hit[0])
        return hit

    # -- one record's candidates -------------------------------------------------------
    def _cut(self, view: ChildView, matched: np.ndarray, passes: list[tuple[np.ndarray, np.ndarray, int]]) -> list[np.ndarray]:
        """Each pass's ``limit`` best rows (``passes``: positions in ``matched``, ranking of
        every matched row, limit). Rows tied with the last one a pass keeps are ordered by what
        the model says of their age, dates, place, sex and height (one ``numeric_evidence``
        call for the tied rows of every pass) where a scorer was given, then by row order (as
        the engine breaks ties by key)."""
        kept: list[np.ndarray] = []
        tied_passes: list[tuple[np.ndarray, int]] = []
        for keep, ranking, limit in passes:
            scores = ranking[keep]
            if self.trace is not None:
                self.trace.append((matched[keep], scores, limit))
            if len(keep) <= limit:
                kept.append(matched[keep])
            elif self.scorer is None or self._numeric is None:
                kept.append(matched[keep[np.lexsort((keep, -scores))[:limit]]])
            else:
                cut = np.partition(scores, len(scores) - limit)[len(scores) - limit]  # the limit-th best score
                above = keep[scores > cut]
                kept.append(matched[above])
                tied_passes.append((keep[scores == cut], limit - len(above)))
        if tied_passes:
            assert self.scorer is not None and self._numeric is not None
            positions = np.unique(np.concatenate([tied for tied, _ in tied_passes]))
            evidence = np.zeros(len(matched))
            evidence[positions] = self.scorer.numeric_evidence(view, self._numeric[matched[positions]])
            for tied, take in tied_passes:
                kept.append(matched[tied[np.lexsort((tied, -evidence[tied]))[:take]]])
        return kept

    def _scores(self, plan) -> np.ndarray:  # type: ignore[no-untyped-def]
        scores = np.zeros(self.n, dtype=np.float32)
        for group in plan.groups:
            rows, word_scores = self._word(group)
            scores[rows] += word_scores
        return scores

    def block(self, view: ChildView) -> np.ndarray:
        """Row numbers of ``view``'s candidates among the targets.

        The passes of ``candidate_keys`` (name, parents' names and description words within
        the sex and age window; the best at any age; for a child known by one word or none,
        its district, state and the district's reports of the year before), plus one pass on
        the child's own names alone. Within a pass, a record in the same state, the same
        district or the date window ranks above an equal name match elsewhere: where a common
        name ties with hundreds, the cap keeps the nearby ones.
        """
        r = view.record
        plan = build_query_plan(text_query(view))
        d = self._districts.get(r.place.district.strip().lower(), -2) if r.place.district else -2
        s = self._states.get(r.place.state.strip().lower(), -2) if r.place.state else -2
        day = r.date.toordinal() if r.date is not None else None
        # a report up to a year before a child was found, or a child found up to a year after
        before, after = (365, 30) if view.kind == "found" else (30, 365)
        if plan.groups:
            scores = self._scores(plan)
            matched = np.flatnonzero(scores > 0).astype(np.int32)
        else:
            scores, matched = np.zeros(self.n, dtype=np.float32), self._all
        in_state = self.state[matched] == s
        in_district = in_state & (self.district[matched] == d)
        in_window = np.zeros(len(matched), dtype=bool)
        if day is not None:
            with np.errstate(invalid="ignore"):
                in_window = (self.date[matched] >= day - before) & (self.date[matched] <= day + after)
        bonus = self.place_bonus * (in_state.astype(np.float32) + in_district + in_window)
        matched_scores = scores[matched] + bonus
        sex_ok = np.ones(len(matched), dtype=bool)
        if r.sex in ("M", "F"):
            code = 1 if r.sex == "M" else 2
            sex_ok = (self.sex[matched] == code) | (self.sex[matched] == 0)
        if r.age is not None:  # a report filed when the child was younger (as ``age_window``)
            low, high = max(0.0, r.age - AGE_WINDOW_YOUNGER), r.age + AGE_WINDOW_OLDER
            if view.kind == "missing":
                low, high = max(0.0, r.age - AGE_WINDOW_OLDER), r.age + AGE_WINDOW_YOUNGER
            aged = sex_ok & (self.age_hi[matched] >= low) & (self.age_lo[matched] <= high)
        else:
            aged = sex_ok
        passes: list[tuple[np.ndarray, np.ndarray, int]] = []

        def best(mask: np.ndarray, limit: int, ranking: np.ndarray = matched_scores) -> None:
            passes.append((np.flatnonzero(mask), ranking, limit))

        if plan.groups:
            best(aged, self.text_limit)
            if r.age is not None:  # ages are sometimes wildly wrong: the best name matches at any age
                best(sex_ok, self.extra_limit)
            if self.names_pass and view.names:
                # the child's own names alone: a common parent's name ("Aarav") must not crowd out
                # a misspelt given name
                own = build_query_plan(" ".join(view.record.names()), fields="names")
                if own.groups:
                    best(aged, self.extra_limit, self._scores(own)[matched] + bonus)
        weakly_named = max((len(n.tokens) for n in view.names), default=0) <= 1
        if weakly_named and plan.groups and r.place.state and r.place.district:
            best(aged & in_district, self.extra_limit)
            best(aged & in_state, self.extra_limit)
        if weakly_named and day is not None and r.place.state and r.place.district:
            best(aged & in_district & in_window, self.extra_limit)
        chosen = self._cut(view, matched, passes)
        if not chosen:
            return self._all[:0]
        return np.unique(np.concatenate(chosen))


__all__ = ["BatchBlocker"]
