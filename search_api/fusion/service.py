"""Ranking candidates for a record: blocking, features, fusion, explanation."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from embeddings import FaceIndex
from indexer import FoundChild, MissingReport, StoredRecord, content_hashes, count_records, get_records_by_keys, iter_records
from search_api.faces.flows import OPEN_STATUSES, EmbeddingCache
from search_api.fusion.blocking import BatchBlocker
from search_api.fusion.candidates import candidate_keys, other_kind
from search_api.fusion.explain import Explanation
from search_api.fusion.features import ALL_FEATURES
from search_api.fusion.features.names import given_names_agree, parents_given_names_agree
from search_api.fusion.model import FusionModel, load_active
from search_api.fusion.vectorised import FEATURE_NAMES, VectorScorer
from search_api.fusion.views import ChildView, FaceVector, Pair
from search_api.resources import Resources

PSEUDO_RECORDS = 2000
TYPICAL_NAME_FREQUENCY = 0.002
# Fusion was fitted on missing→found pairs; its scores for two records of one register are
# not calibrated, so each register's flag threshold is set from `trackchild bench duplicates`
# (false flags ≤ 1% on generated registers; see the README).
DUPLICATE_THRESHOLDS = {"missing": 0.97, "found": 0.50}
MAX_CACHED_VIEWS = 400_000  # both registers at national scale fit; beyond, the oldest views go


@dataclass(frozen=True)
class RankedPair:
    """A scored candidate without its explanation: the levels (index per feature, in
    ``FEATURE_NAMES`` order) say where the pair landed; ``None`` for same-register pairs."""

    key: str
    id: str
    kind: str
    score: float
    source: str
    levels: np.ndarray | None

    def level_names(self) -> dict[str, str]:
        if self.levels is None:
            return {}
        return {name: LEVEL_NAMES[name][int(i)] for name, i in zip(FEATURE_NAMES, self.levels, strict=True)}


LEVEL_NAMES = {c.name: c.feature.level_names() for c in ALL_FEATURES}


@dataclass(frozen=True)
class Candidate:
    key: str
    id: str
    kind: str
    score: float
    source: str  # text, face or text+face
    explanation: Explanation

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "score": self.score, "source": self.source, "explain": self.explanation.to_json()}


class Matcher:
    """Scores pairs and ranks candidates; holds caches for a batch run."""

    def __init__(
        self,
        res: Resources,
        model: FusionModel | None = None,
        *,
        text_limit: int = 200,
        face_limit: int = 20,
        use_faces: bool = True,
        check_current: bool = True,
    ) -> None:
        self.res = res
        self.model = model or load_active(res.settings.data_dir)  # the data dir's active version, else the shipped one
        self.text_limit = text_limit
        self.face_limit = face_limit
        self.use_faces = use_faces
        self._pinned_faces: FaceIndex | None = res.face_index if use_faces else None
        self._cache = EmbeddingCache(res.settings.data_dir / "embeddings", res.face_index.model_id) if use_faces else None
        self._views: dict[str, ChildView] = {}
        self._view_hashes: dict[str, str] = {}  # content hash each cached view was built from
        # re-check cached views against the store on every ranking (off for batch runs over a
        # store nobody else is writing to)
        self.check_current = check_current
        self._counted_at: int | None = None  # the text index's document count the register was last counted at
        self.refresh_register_size()
        self.frequency = lru_cache(maxsize=200_000)(self._frequency)
        self.scorer = VectorScorer(self.model)
        self.last_compared = 0  # pairs the last ranking scored (batch figures)

    @property
    def face_index(self) -> FaceIndex | None:
        """The face index to search: the store's current one for a serving matcher (another
        worker may have added photos since this matcher was made), the one it started with for
        a batch run over a store nobody else writes to."""
        if not self.use_faces:
            return None
        if self.check_current:
            self._pinned_faces = self.res.face_index  # reloaded by Resources when the manifest moved
        return self._pinned_faces

    def refresh_register_size(self) -> None:
        """Re-read how many missing reports there are: the prior of a pair depends on it.

        Counting them scans the store (40 ms of a 150 ms ranking at 20k per side on SQLite, and
        linear in the register), so it is re-read only when the text index's document count, a
        cheap number, has moved: a record was added or archived (a status change moves neither)."""
        documents = self.res.text_index.count()
        if documents == self._counted_at:
            return
        with self.res.session_factory() as session:
            self.prior = self.model.prior_for(count_records(session=session).missing)
        self._doc_count = max(1, documents)
        self._counted_at = documents

    def _frequency(self, key: str) -> float:
        """Share of records whose names carry this phonetic key (a strict key, or an indexed
        key with its family: "l:…", "m:…"): how common the name is.

        The two records being compared are not counted, and small registers are smoothed
        towards a typical name's frequency, so a name is not "common" merely because the
        register is young.
        """
        term = key if ":" in key else f"s:{key}"
        holders = max(0, self.res.text_index.document_frequency("name_keys", term) - 2)
        return (holders + PSEUDO_RECORDS * TYPICAL_NAME_FREQUENCY) / (self._doc_count + PSEUDO_RECORDS)

    def _faces(self, record: MissingReport | FoundChild) -> tuple[FaceVector, ...]:
        if self._cache is None or not record.photos:
            return ()
        out = []
        for relpath in record.photos:
            cached = self._cache.get(Path(relpath).stem)
            if cached is not None and cached[0] is not None:
                vector, meta = cached
                out.append(FaceVector(vector, float(meta.get("quality", 1.0)), bool(meta.get("low_quality"))))
        return tuple(out)

    def view(self, record: MissingReport | FoundChild) -> ChildView:
        view = self._views.get(record.key)
        if view is None or view.record != record:
            view = ChildView.of(record, self._faces(record))
            if len(self._views) >= MAX_CACHED_VIEWS:  # a long-running server must not grow without bound
                oldest = next(iter(self._views))
                del self._views[oldest]
                self._view_hashes.pop(oldest, None)
                self.scorer.forget(oldest)
            self._views[record.key] = view
        return view

    def candidate_for(self, record: MissingReport | FoundChild, other: MissingReport | FoundChild, *, source: str = "review") -> Candidate:
        """Score one named pair (a person asked for it), explained like a ranked candidate."""
        view, other_view = self.view(record), self.view(other)
        score, explanation = self.score_pair(view, other_view)
        return Candidate(other.key, other.id, other.kind, score, source, explanation)

    def preload(self, kind: str) -> int:
        """Build views of every record of one kind (for batch runs)."""
        with self.res.session_factory() as session:
            for stored in iter_records(session=session, kind=kind):
                self.scorer.row(self.view(stored.record))  # prepared once, before any worker forks
                self._view_hashes[stored.key] = stored.content_hash
        return sum(1 for v in self._views.values() if v.kind == kind)

    def _score(self, a: ChildView, b: ChildView) -> tuple[float, list, float, list[float]]:
        pair = Pair.of(a, b) if a.kind != b.kind else Pair.same_side(a, b)
        observations = [c.compare(pair, self.frequency) for c in ALL_FEATURES]
        score, total, weights = self.model.score(observations, prior=self.prior)
        return score, observations, total, weights

    def score_pair(self, a: ChildView, b: ChildView) -> tuple[float, Explanation]:
        score, observations, total, weights = self._score(a, b)
        return score, Explanation.build(total - sum(weights), observations, weights, total, score)

    def _views_for(self, keys: list[str]) -> dict[str, ChildView]:
        if self.check_current and keys:
            # a long-running server: records change under it (status, photos, edits by others)
            with self.res.session_factory() as session:
                current = content_hashes(session=session, keys=keys)
            for key in keys:
                if key in self._views and self._view_hashes.get(key) != current.get(key):
                    del self._views[key]
        out = {k: self._views[k] for k in keys if k in self._views}
        missing = [k for k in keys if k not in out]
        if missing:
            with self.res.session_factory() as session:
                stored: dict[str, StoredRecord] = get_records_by_keys(session=session, keys=missing)
            for k, s in stored.items():
                out[k] = self.view(s.record)
                self._view_hashes[k] = s.content_hash
        return out

    def ranked(
        self, record: MissingReport | FoundChild, *, limit: int = 10, same_side: bool = False, open_only: bool = False
    ) -> tuple[ChildView, list[RankedPair]]:
        """The best ``limit`` candidates of a record, scored but not explained (what ``rank``
        and the batch run share)."""
        view = self.view(record)
        sources = candidate_keys(
            view,
            text_index=self.res.text_index,
            face_index=self.face_index,
            text_limit=self.text_limit,
            face_limit=self.face_limit,
            target_kind=record.kind if same_side else None,
        )
        return view, self._rank_sources(view, sources, limit=limit, same_side=same_side, open_only=open_only)

    def ranked_in_batch(
        self, record: MissingReport | FoundChild, blocker: BatchBlocker, *, limit: int = 10
    ) -> tuple[ChildView, list[RankedPair]]:
        """``ranked`` with the batch run's blocking: candidates from the in-memory index of the
        other register (``blocker``) instead of the text engine; faces as ``ranked``."""
        view = self.view(record)
        sources = {blocker.targets[i].key: "text" for i in blocker.block(view).tolist()}
        if self.face_index is not None and len(self.face_index) and view.faces:
            for face in view.faces:
                for hit in self.face_index.search(face.vector, k=self.face_limit, kind=other_kind(view.kind)):
                    sources[hit.record_key] = "text+face" if sources.get(hit.record_key) == "text" else sources.get(hit.record_key, "face")
        sources.pop(view.key, None)
        return view, self._rank_sources(view, sources, limit=limit)

    def _rank_sources(
        self, view: ChildView, sources: dict[str, str], *, limit: int, same_side: bool = False, open_only: bool = False
    ) -> list[RankedPair]:
        others = self._views_for(list(sources))
        self.last_compared = len(others)
        if open_only:
            others = {k: o for k, o in others.items() if o.record.status in OPEN_STATUSES}
        if same_side:  # a duplicate shares what the child is called and who the parents are, not only the surname
            others = {
                k: o
                for k, o in others.items()
                if given_names_agree(view, o) is not False and parents_given_names_agree(view, o) is not False
            }
        views = list(others.values())
        if not views:
            return []
        if same_side:  # two records of one register: the per-pair path orients them by date
            scored = [(self._score(view, o)[0], o) for o in views]
            scored.sort(key=lambda item: (-item[0], item[1].id))
            return [RankedPair(o.key, o.id, o.kind, s, sources[o.key], None) for s, o in scored[:limit]]
        batch = self.scorer.score(view, views, prior=self.prior, frequency=self.frequency)
        scores = batch.scores
        if len(views) > limit:  # only those that can reach the top ``limit`` (ties included) are sorted
            kth = np.partition(scores, len(views) - limit)[len(views) - limit]
            chosen = np.nonzero(scores >= kth)[0].tolist()
        else:
            chosen = range(len(views))
        top = sorted(chosen, key=lambda i: (-scores[i], views[i].id))[:limit]
        return [RankedPair(views[i].key, views[i].id, views[i].kind, float(scores[i]), sources[views[i].key], batch.levels[i]) for i in top]

    def rank(
        self, record: MissingReport | FoundChild, *, limit: int = 10, same_side: bool = False, open_only: bool = False
    ) -> list[Candidate]:
        """The other register's best candidates for this record, best first; with
        ``same_side``, possible duplicates in its own register instead; with ``open_only``,
        only open reports and children still in care (a traced child is nobody's candidate)."""
        view, ranked = self.ranked(record, limit=limit, same_side=same_side, open_only=open_only)
        return [self.explained(view, pair) for pair in ranked]

    def explained(self, view: ChildView, pair: RankedPair) -> Candidate:
        """A ranked pair with its full explanation (computed per pair: only for what is shown)."""
        _, observations, total, weights = self._score(view, self._views[pair.key])
        explanation = Explanation.build(total - sum(weights), observations, weights, total, pair.score)
        return Candidate(pair.key, pair.id, pair.kind, pair.score, pair.source, explanation)

    def match_all(
        self,
        kind: str,
        *,
        limit: int = 10,
        workers: int = 1,
        explain: bool = False,
        explain_above: float | None = None,
        blocking: str = "batch",
    ) -> Iterator[MatchedRecord]:
        """Every record of ``kind`` with its best candidates, in store order.

        The other register is prepared once; with ``workers`` > 1 the records are split into
        chunks matched by forked processes that share the prepared register read-only.
        ``blocking`` "batch" finds candidates in an in-memory index of the other register
        built once (``BatchBlocker``); "index" asks the text engine per record, as ``rank``.
        Explanations are built only with ``explain`` (every candidate) or for candidates
        scoring at least ``explain_above`` (those going to the review queue).
        """
        if blocking not in ("batch", "index"):
            raise ValueError(f"blocking is 'batch' or 'index', not {blocking!r}")
        other = other_kind(kind)
        self.preload(other)
        blocker = self.batch_blocker(other) if blocking == "batch" else None
        with self.res.session_factory() as session:
            stored = list(iter_records(session=session, kind=kind))
        records = [s.record for s in stored]
        for s in stored:
            self._view_hashes[s.key] = s.content_hash
        del stored
        job = _BatchJob(self, records, limit, explain, explain_above, blocker)
        chunks = [(start, min(len(records), start + BATCH_CHUNK)) for start in range(0, len(records), BATCH_CHUNK)]
        if workers <= 1 or len(chunks) <= 1:
            _pin(self.res.text_index)
            try:
                for bounds in chunks:
                    yield from job.run(bounds)
            finally:
                _unpin(self.res.text_index)
            return
        global _JOB
        _JOB = job
        try:
            context = multiprocessing.get_context("fork")
            with context.Pool(min(workers, len(chunks)), initializer=_start_worker) as pool:
                for results in pool.imap(_run_chunk, chunks):
                    yield from results
        finally:
            _JOB = None

    def batch_blocker(self, kind: str) -> BatchBlocker:
        """The batch run's blocking over every record of ``kind`` (prepared here if not yet)."""
        if not any(v.kind == kind for v in self._views.values()):
            self.preload(kind)
        return BatchBlocker([v for v in self._views.values() if v.kind == kind], text_limit=self.text_limit, scorer=self.scorer)

    def content_hash(self, key: str) -> str | None:
        """The content hash a prepared record was built from (batch runs)."""
        return self._view_hashes.get(key)


@dataclass(frozen=True)
class MatchedRecord:
    """One record of a batch run: its best candidates and, where asked for, their explanations."""

    id: str
    key: str
    candidates: list[RankedPair]
    explanations: dict[str, Explanation]  # candidate key → explanation
    compared: int = 0  # pairs scored for this record (its blocked candidates)

    def to_json(self, *, explain: bool = False) -> dict:
        """The ``match --all`` line: each candidate's id, score, source and level per feature;
        the full explanation with ``explain``."""
        candidates = []
        for pair in self.candidates:
            line = {"id": pair.id, "score": pair.score, "source": pair.source, "levels": pair.level_names()}
            if explain and pair.key in self.explanations:
                line["explain"] = self.explanations[pair.key].to_json()
            candidates.append(line)
        return {"id": self.id, "candidates": candidates}


BATCH_CHUNK = 250
_JOB: _BatchJob | None = None  # the job forked workers inherit
_INHERITED: list = []


class _BatchJob:
    def __init__(
        self, matcher: Matcher, records: list, limit: int, explain: bool, explain_above: float | None, blocker: BatchBlocker | None = None
    ) -> None:
        self.matcher, self.records, self.limit = matcher, records, limit
        self.explain, self.explain_above = explain, explain_above
        self.blocker = blocker

    def run(self, bounds: tuple[int, int]) -> list[MatchedRecord]:
        out = []
        matcher = self.matcher
        for record in self.records[bounds[0] : bounds[1]]:
            if self.blocker is not None:
                view, ranked = matcher.ranked_in_batch(record, self.blocker, limit=self.limit)
            else:
                view, ranked = matcher.ranked(record, limit=self.limit)
            explanations = {
                pair.key: matcher.explained(view, pair).explanation
                for pair in ranked
                if self.explain or (self.explain_above is not None and pair.score >= self.explain_above)
            }
            out.append(MatchedRecord(record.id, record.key, ranked, explanations, matcher.last_compared))
        return out


def _start_worker() -> None:
    """In a forked worker: its own store connections and text index reader (never the parent's)."""
    from indexer import open_text_index

    assert _JOB is not None
    res = _JOB.matcher.res
    res.engine.dispose(close=False)
    # the parent's index object is kept, never dropped here: its native threads do not exist
    # in a forked child, and dropping it would try to join them
    _INHERITED.append(res.text_index)
    res.text_index = open_text_index(res.settings.text_index_config())
    _pin(res.text_index)


def _pin(index: object) -> None:
    """Batch runs search a fixed snapshot where the engine supports it (tantivy)."""
    if hasattr(index, "pin"):
        index.pin()


def _unpin(index: object) -> None:
    if hasattr(index, "unpin"):
        index.unpin()


def _run_chunk(bounds: tuple[int, int]) -> list[MatchedRecord]:
    assert _JOB is not None
    return _JOB.run(bounds)
