"""The embedded text engine: tantivy (Rust, Lucene-like), in process, on disk in the data dir."""

from __future__ import annotations

import fcntl
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
from indexer.search.query import DISMAX_TIE_BREAKER, Clause, QueryPlan, SearchFields, build_query_plan, explain_hit

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


class GenerationMoved(TextIndexError):
    """Another process switched the index to a new generation while this one wrote to the old:
    the writes are not in the live index, and their records stay pending in the store."""


class TantivyTextIndex:
    """``TextIndex`` over a tantivy directory.

    The directory holds generations (``gen-000001``…) and a ``CURRENT`` file naming the
    live one. A rebuild (``clear``, writes, ``commit``) fills a new generation and switches
    ``CURRENT`` atomically, so searches never see a half-built index and a rebuilt index
    has exactly the statistics of a fresh one (no deleted documents in BM25 figures).

    Across processes: every reader and writer re-reads ``CURRENT`` before it works, so a
    ``reindex`` run while the server runs is picked up by the server. Each open generation is
    held with a shared ``flock`` on ``gen-NNNNNN.lock``; an old generation is deleted only when
    an exclusive lock on it succeeds, i.e. when no process holds it any more (the lock dies with
    its process, even on ``kill -9``). Until then it stays, and a later commit or open removes it.

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
        self._rebuild: tuple[str, object] | None = None  # (generation, Index) being filled
        self._rebuild_lock: int | None = None
        self._writer = None
        self._writer_generation: str | None = None
        self._writer_heap = writer_heap_bytes
        self._writer_threads = writer_threads
        self._lock = threading.RLock()
        self._generation = ""
        self._meta_seen: int | None = None  # meta.json's mtime when this process last reloaded its reader
        self._held: int | None = None  # fd with a shared flock on the open generation
        self._index = None
        self._follow_current()
        self._collect_garbage()
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
    def _read_current(self) -> str:
        current = self.path / "CURRENT"
        if current.exists():
            return current.read_text().strip()
        (self.path / "gen-000001").mkdir(exist_ok=True)
        self._set_current("gen-000001")
        return "gen-000001"

    def _set_current(self, generation: str) -> None:
        tmp = self.path / f"CURRENT.{os.getpid()}.tmp"
        tmp.write_text(generation)
        os.replace(tmp, self.path / "CURRENT")  # atomic switch

    def _hold(self, generation: str, mode: int = fcntl.LOCK_SH) -> int:
        fd = os.open(self.path / f"{generation}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, mode)
        return fd

    def _follow_current(self) -> None:
        """Open the generation ``CURRENT`` names, if it is not the one open (under ``_lock``)."""
        for _attempt in range(50):
            generation = self._read_current()
            if generation == self._generation:
                return
            fd = self._hold(generation)
            if self._read_current() != generation:  # switched before we held it: it may be gone
                os.close(fd)
                continue
            index = self._open(generation)
            self._release_writer()  # a writer on the old generation writes nowhere live
            if self._held is not None:
                os.close(self._held)
            self._generation, self._index, self._held = generation, index, fd
            return
        raise TextIndexError(f"tantivy: CURRENT at {self.path} keeps changing; is a reindex looping?")

    def _refresh(self) -> None:
        if self._rebuild is None:
            with self._lock:
                self._follow_current()
                self._reload_if_committed()

    def _reload_if_committed(self) -> None:
        """See another process's commit at once: tantivy's own watcher reloads only after a delay,
        so a search through one worker could miss what another worker just filed (one stat per read)."""
        try:
            stamp = (self.path / self._generation / "meta.json").stat().st_mtime_ns
        except OSError:
            return
        if stamp != self._meta_seen:
            self._meta_seen = stamp
            self._index.reload()  # type: ignore[attr-defined]

    def _collect_garbage(self) -> None:
        """Delete generations nobody holds, other than the live one and one being built."""
        keep = {self._read_current(), self._generation}
        if self._rebuild is not None:
            keep.add(self._rebuild[0])
        for folder in sorted(self.path.glob("gen-*")):
            generation = folder.name.removesuffix(".lock")
            if generation in keep or not generation.startswith("gen-"):
                continue
            try:
                fd = self._hold(generation, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a process still reads (or builds) it
            try:
                if generation not in {self._read_current()}:
                    shutil.rmtree(self.path / generation, ignore_errors=True)
                    (self.path / f"{generation}.lock").unlink(missing_ok=True)
            finally:
                os.close(fd)

    @property
    def generation(self) -> str:
        """The generation this process reads."""
        return self._generation

    def _open(self, generation: str):  # type: ignore[no-untyped-def]
        folder = self.path / generation
        if not folder.is_dir():
            raise TextIndexError(f"tantivy: generation {generation} named by {self.path / 'CURRENT'} is missing; run 'trackchild reindex'")
        try:
            return tantivy.Index(self._schema, path=str(folder), reuse=True)
        except ValueError as exc:
            raise TextIndexError(f"tantivy: cannot open the index at {folder}: {exc}; run 'trackchild reindex'") from exc

    # -- writing ---------------------------------------------------------------
    def _get_writer(self):  # type: ignore[no-untyped-def]
        if self._rebuild is None:
            self._follow_current()
        if self._writer is None:
            target = self._rebuild[1] if self._rebuild else self._index
            try:
                self._writer = target.writer(self._writer_heap, self._writer_threads)  # type: ignore[attr-defined]
            except ValueError as exc:
                raise TextIndexError(f"tantivy: cannot open a writer on {self.path} (is another process ingesting?): {exc}") from exc
            self._writer_generation = self._rebuild[0] if self._rebuild else self._generation
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
            numbers = [int(p.name.split("-")[1].split(".")[0]) for p in self.path.glob("gen-*") if p.name.split("-")[1][:6].isdigit()]
            generation = f"gen-{max([*numbers, int(self._generation.split('-')[1])]) + 1:06d}"
            try:
                fd = self._hold(generation, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise TextIndexError(f"tantivy: another process is building {generation} at {self.path}") from exc
            shutil.rmtree(self.path / generation, ignore_errors=True)  # leftover of a crashed rebuild
            (self.path / generation).mkdir()
            fcntl.flock(fd, fcntl.LOCK_SH)  # in use (being built): never collected
            self._rebuild = (generation, self._open(generation))
            self._rebuild_lock = fd

    def commit(self) -> None:
        """Commit the writes. Raises ``GenerationMoved`` when another process switched the live
        generation while this one wrote to the old one (the caller leaves its records pending)."""
        with self._lock:
            self._pinned = None
            written_to = self._writer_generation
            if self._writer is not None:
                try:
                    self._writer.commit()
                except ValueError as exc:
                    raise TextIndexError(f"tantivy: commit failed: {exc}") from exc
            if self._rebuild is not None:
                self._release_writer()
                generation, index = self._rebuild
                self._rebuild = None
                self._set_current(generation)
                if self._held is not None:
                    os.close(self._held)
                self._generation, self._index, self._held = generation, index, self._rebuild_lock
                self._rebuild_lock = None
                self._collect_garbage()
            elif written_to is not None and self._read_current() != written_to:
                self._release_writer()
                self._follow_current()
                raise GenerationMoved(
                    f"tantivy: a reindex switched {self.path} to a new generation during this write; the records stay pending"
                )
        self._index.reload()  # type: ignore[attr-defined]

    def _release_writer(self) -> None:
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None
            self._writer_generation = None

    def release_writer(self) -> None:
        """Let another process write (tantivy allows one writer): the next write reopens one."""
        with self._lock:
            if self._rebuild is None:
                self._release_writer()

    def close(self) -> None:
        with self._lock:
            self._release_writer()
            for fd in (self._held, self._rebuild_lock):
                if fd is not None:
                    os.close(fd)
            self._held = self._rebuild_lock = None
            self._generation = ""

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
        self._refresh()
        return self._index.searcher().num_docs  # type: ignore[attr-defined]

    def document_frequency(self, field: str, term: str) -> int:
        self._refresh()
        return self._index.searcher().doc_freq(field, term)  # type: ignore[attr-defined]

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
        self._refresh()
        self._pinned = (self._index.searcher(), {})  # type: ignore[attr-defined]

    def unpin(self) -> None:
        self._pinned = None

    def search(
        self, query: str, *, filters: SearchFilters | None = None, limit: int = 10, explain: bool = True, fields: SearchFields = "all"
    ) -> list[TextHit]:
        plan = build_query_plan(query, filters, fields=fields)
        if self._pinned is not None and not explain:
            return self._search_pinned(plan, limit)
        self._refresh()
        searcher = self._index.searcher()  # type: ignore[attr-defined]
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
        # equal scores in a stable order (by key): segment layout changes with a reindex
        hits.sort(key=lambda h: (-round(h.score, 4), h.key))
        return hits
