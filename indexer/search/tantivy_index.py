"""The embedded text engine: tantivy (Rust, Lucene-like), in process, on disk in the data dir."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import orjson

from indexer.errors import BackendUnavailable, TextIndexError
from indexer.search.base import SearchFilters, TextHit
from indexer.search.documents import IndexDocument, date_to_days
from indexer.search.query import DISMAX_TIE_BREAKER, Clause, QueryPlan, build_query_plan, explain_hit

try:
    import tantivy
except ImportError as exc:  # pragma: no cover - exercised by test_optional_deps
    tantivy = None
    _IMPORT_ERROR: ImportError | None = exc
else:
    _IMPORT_ERROR = None

SCHEMA_VERSION = "2"  # 2: generations under CURRENT
_RAW_MULTI = ("name_tokens", "name_keys", "name_prefixes", "parent_tokens", "parent_keys")
_RAW_SINGLE = ("key", "id", "kind", "sex", "state", "district", "status")


def _build_schema():  # type: ignore[no-untyped-def]
    builder = tantivy.SchemaBuilder()
    for name in _RAW_SINGLE:
        builder.add_text_field(name, stored=name in ("key", "id", "kind"), tokenizer_name="raw", index_option="basic")
    builder.add_text_field("name", stored=True, tokenizer_name="raw", index_option="basic")
    for name in _RAW_MULTI:
        builder.add_text_field(name, stored=False, tokenizer_name="raw", index_option="freq")
    builder.add_text_field("text", stored=False, tokenizer_name="en_stem", index_option="position")
    builder.add_float_field("age_min", stored=False, indexed=True, fast=True)
    builder.add_float_field("age_max", stored=False, indexed=True, fast=True)
    builder.add_integer_field("date_days", stored=False, indexed=True, fast=True)
    builder.add_bytes_field("evidence", stored=True, indexed=False, fast=False)
    return builder.build()


class TantivyTextIndex:
    """``TextIndex`` over a tantivy directory.

    The directory holds generations (``gen-000001``…) and a ``CURRENT`` file naming the
    live one. A rebuild (``clear``, writes, ``commit``) fills a new generation and switches
    ``CURRENT`` atomically, so searches never see a half-built index and a rebuilt index
    has exactly the statistics of a fresh one (no deleted documents in BM25 figures).

    One writer per generation may exist across processes (tantivy holds a lock file), so
    the writer is opened on the first write and released by ``close``.
    """

    backend = "tantivy"

    def __init__(self, path: Path, *, writer_heap_bytes: int = 256_000_000, writer_threads: int = 2) -> None:
        if tantivy is None:
            raise BackendUnavailable(
                "the tantivy backend needs the 'tantivy' package: pip install 'trackchild[tantivy]'"
            ) from _IMPORT_ERROR
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._schema = _build_schema()
        self._check_version()
        self._generation = self._current_generation()
        self._index = self._open(self._generation)
        self._rebuild: tuple[str, object] | None = None  # (generation, Index) being filled
        self._writer = None
        self._writer_heap = writer_heap_bytes
        self._writer_threads = writer_threads
        self._lock = threading.Lock()
        # a batch run's fixed view of the index: one searcher, and the key of each document it
        # has returned (a stored-document read per hit otherwise dominates blocking)
        self._pinned: tuple[object, dict[tuple[int, int], TextHit]] | None = None

    def _check_version(self) -> None:
        marker = self.path / "trackchild-schema.json"
        if marker.exists():
            found = json.loads(marker.read_text()).get("schema_version")
            if found != SCHEMA_VERSION:
                raise TextIndexError(
                    f"tantivy: index at {self.path} has schema {found}, this code needs {SCHEMA_VERSION}; "
                    "delete it and run 'trackchild reindex'"
                )
        else:
            marker.write_text(json.dumps({"schema_version": SCHEMA_VERSION}))

    # -- generations -----------------------------------------------------------
    def _current_generation(self) -> str:
        current = self.path / "CURRENT"
        if current.exists():
            return current.read_text().strip()
        self._set_current("gen-000001")
        return "gen-000001"

    def _set_current(self, generation: str) -> None:
        tmp = self.path / "CURRENT.tmp"
        tmp.write_text(generation)
        os.replace(tmp, self.path / "CURRENT")  # atomic switch

    def _open(self, generation: str):  # type: ignore[no-untyped-def]
        folder = self.path / generation
        folder.mkdir(parents=True, exist_ok=True)
        try:
            return tantivy.Index(self._schema, path=str(folder), reuse=True)
        except ValueError as exc:
            raise TextIndexError(f"tantivy: cannot open the index at {folder}: {exc}; run 'trackchild reindex'") from exc

    # -- writing ---------------------------------------------------------------
    def _get_writer(self):  # type: ignore[no-untyped-def]
        if self._writer is None:
            target = self._rebuild[1] if self._rebuild else self._index
            try:
                self._writer = target.writer(self._writer_heap, self._writer_threads)  # type: ignore[attr-defined]
            except ValueError as exc:
                raise TextIndexError(f"tantivy: cannot open a writer on {self.path} (is another process ingesting?): {exc}") from exc
        return self._writer

    def _to_tantivy(self, doc: IndexDocument):  # type: ignore[no-untyped-def]
        fields: dict = {
            "key": doc.key,
            "id": doc.id,
            "kind": doc.kind,
            "name": doc.name,
            "sex": doc.sex,
            "state": doc.state,
            "district": doc.district,
            "status": doc.status,
            "age_min": doc.age_min,
            "age_max": doc.age_max,
            "evidence": orjson.dumps(doc.evidence),
        }
        for name in _RAW_MULTI:
            values = getattr(doc, name)
            if values:
                fields[name] = list(values)
        if doc.text:
            fields["text"] = doc.text
        if doc.date_days is not None:
            fields["date_days"] = doc.date_days
        return tantivy.Document.from_dict(fields, self._schema)

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        with self._lock:
            writer = self._get_writer()
            try:
                for doc in documents:
                    writer.delete_documents_by_term("key", doc.key)
                    writer.add_document(self._to_tantivy(doc))
            except ValueError as exc:
                raise TextIndexError(f"tantivy: upsert failed: {exc}") from exc

    def delete(self, keys: Sequence[str]) -> None:
        with self._lock:
            writer = self._get_writer()
            for key in keys:
                writer.delete_documents_by_term("key", key)

    def clear(self) -> None:
        """Start a rebuild: later writes fill a new, empty generation until ``commit``."""
        with self._lock:
            self._release_writer()
            number = int(self._generation.split("-")[1]) + 1
            generation = f"gen-{number:06d}"
            shutil.rmtree(self.path / generation, ignore_errors=True)  # leftover of a crashed rebuild
            self._rebuild = (generation, self._open(generation))

    def commit(self) -> None:
        with self._lock:
            self._pinned = None
            if self._writer is not None:
                try:
                    self._writer.commit()
                except ValueError as exc:
                    raise TextIndexError(f"tantivy: commit failed: {exc}") from exc
            if self._rebuild is not None:
                self._release_writer()
                old = self._generation
                self._generation, self._index = self._rebuild  # type: ignore[assignment]
                self._rebuild = None
                self._set_current(self._generation)
                shutil.rmtree(self.path / old, ignore_errors=True)
        self._index.reload()

    def _release_writer(self) -> None:
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None

    def close(self) -> None:
        with self._lock:
            self._release_writer()

    # -- reading ---------------------------------------------------------------
    def _search_pinned(self, plan: QueryPlan, limit: int) -> list[TextHit]:
        searcher, known = self._pinned  # type: ignore[misc]
        try:
            result = searcher.search(self.compile(plan), limit=max(1, min(limit, 1000)), count=False)  # type: ignore[attr-defined]
        except ValueError as exc:
            raise TextIndexError(f"tantivy: search failed: {exc}") from exc
        hits: list[TextHit] = []
        for score, address in result.hits:
            where = (address.segment_ord, address.doc)
            hit = known.get(where)
            if hit is None:
                stored = searcher.doc(address)  # type: ignore[attr-defined]
                hit = known[where] = TextHit(
                    stored.get_first("key"), stored.get_first("id"), stored.get_first("kind"), stored.get_first("name") or "", 0.0
                )
            hits.append(TextHit(hit.key, hit.id, hit.kind, hit.name, float(score)))
        return hits

    def count(self) -> int:
        return self._index.searcher().num_docs

    def document_frequency(self, field: str, term: str) -> int:
        return self._index.searcher().doc_freq(field, term)

    def _clause(self, clause: Clause):  # type: ignore[no-untyped-def]
        Q = tantivy.Query
        match clause.kind:
            case "term":
                query = Q.term_query(self._schema, clause.field, clause.value)
            case "fuzzy":
                query = Q.const_score_query(
                    Q.fuzzy_term_query(self._schema, clause.field, clause.value, distance=clause.distance, transposition_cost_one=True),
                    1.0,
                )
            case "text":
                query = self._index.parse_query(clause.value, [clause.field])
        return Q.boost_query(query, clause.boost)

    def _filters(self, filters: SearchFilters) -> list:
        Q, FT = tantivy.Query, tantivy.FieldType
        must: list = []
        if filters.kind:
            must.append(Q.term_query(self._schema, "kind", filters.kind))
        if filters.sex:
            must.append(Q.term_set_query(self._schema, "sex", [filters.sex, "U"]))
        if filters.status:
            must.append(Q.term_query(self._schema, "status", filters.status))
        if filters.state:
            must.append(Q.term_query(self._schema, "state", filters.state.strip().lower()))
        if filters.district:
            must.append(Q.term_query(self._schema, "district", filters.district.strip().lower()))
        if filters.age_min is not None:
            must.append(Q.range_query(self._schema, "age_max", FT.Float, float(filters.age_min), None))
        if filters.age_max is not None:
            must.append(Q.range_query(self._schema, "age_min", FT.Float, None, float(filters.age_max)))
        if filters.date_from or filters.date_to:
            low = date_to_days(filters.date_from) if filters.date_from else None
            high = date_to_days(filters.date_to) if filters.date_to else None
            must.append(Q.range_query(self._schema, "date_days", FT.Integer, low, high))
        return must

    def compile(self, plan: QueryPlan):  # type: ignore[no-untyped-def]
        Q, Occur = tantivy.Query, tantivy.Occur
        parts: list = []
        if plan.is_match_all:
            parts.append((Occur.Must, Q.all_query()))
        else:
            words = [Q.disjunction_max_query([self._clause(c) for c in g.clauses], DISMAX_TIE_BREAKER) for g in plan.groups]
            parts.append((Occur.Must, Q.boolean_query([(Occur.Should, w) for w in words])))
        parts.extend((Occur.Must, Q.const_score_query(f, 0.0)) for f in self._filters(plan.filters))
        return Q.boolean_query(parts)

    def pin(self) -> None:
        """Search one fixed snapshot from now on (for a batch run over a store nobody writes
        to): hits of unexplained searches are then resolved from memory after their first read."""
        self._pinned = (self._index.searcher(), {})

    def unpin(self) -> None:
        self._pinned = None

    def search(self, query: str, *, filters: SearchFilters | None = None, limit: int = 10, explain: bool = True) -> list[TextHit]:
        plan = build_query_plan(query, filters)
        if self._pinned is not None and not explain:
            return self._search_pinned(plan, limit)
        searcher = self._index.searcher()
        try:
            result = searcher.search(self.compile(plan), limit=max(1, min(limit, 1000)), count=False)
        except ValueError as exc:
            raise TextIndexError(f"tantivy: search failed: {exc}") from exc
        hits: list[TextHit] = []
        for score, address in result.hits:
            stored = searcher.doc(address)
            evidence = orjson.loads(bytes(stored.get_first("evidence"))) if explain else {}
            hits.append(
                TextHit(
                    key=stored.get_first("key"),
                    id=stored.get_first("id"),
                    kind=stored.get_first("kind"),
                    name=stored.get_first("name") or "",
                    score=float(score),
                    matched=explain_hit(plan, evidence) if explain else (),
                )
            )
        return hits
