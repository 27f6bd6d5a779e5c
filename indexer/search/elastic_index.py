"""The scale-out text engine: Elasticsearch 8 (and 9) through the official client.

Indexes the same ``IndexDocument`` terms as tantivy (phonetic keys and prefixes are
computed in our Python), and compiles the same ``QueryPlan``, so both engines rank on the
same evidence.

Generations. Documents live in numbered physical indices ``<alias>-000001``,
``<alias>-000002``… behind the alias ``<alias>``, which always points to exactly one of
them, marked ``is_write_index``. Every process that finds no alias tries to create
generation 1 *with* the alias in one request; exactly one wins, the others get
``resource_already_exists_exception`` and use it. A rebuild (``clear`` → writes →
``commit``) fills the next generation and swaps the alias atomically, so searches never see
a half-built index. The generation it replaces is kept (another process may still be
writing to it through a request resolved before the swap) and deleted by the next rebuild
or ``prune_generations``. A rebuild whose bulk fails is deleted at once (or marked
``failed`` if the server cannot be reached) and is never swapped in.

Each generation records ``MAPPING_VERSION`` in its mapping ``_meta``; code that finds a live
generation of another version refuses to read or write it and says to run
``trackchild reindex``, which builds a generation of the current version.

Every server call is wrapped once: transport failures (connection refused, timeouts, TLS)
raise ``BackendUnavailable`` and rejected requests ``TextIndexError``, each naming the
backend, the operation and the index. ``429 Too Many Requests`` is retried with
exponential backoff (bulk writes by the client's ``streaming_bulk``, other calls here).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from indexer.errors import BackendUnavailable, IndexMappingMismatch, TextIndexError
from indexer.search.base import SearchFilters, TextHit
from indexer.search.documents import IndexDocument, date_to_days
from indexer.search.query import DISMAX_TIE_BREAKER, Clause, QueryPlan, SearchFields, build_query_plan, explain_hit

try:
    from elastic_transport import TransportError
    from elasticsearch import Elasticsearch, helpers
    from elasticsearch import __versionstr__ as CLIENT_VERSION
    from elasticsearch import exceptions as es_exceptions
except ImportError as exc:  # pragma: no cover - exercised by test_optional_deps
    Elasticsearch = None  # type: ignore[assignment,misc]
    _IMPORT_ERROR: ImportError | None = exc
else:
    _IMPORT_ERROR = None

T = TypeVar("T")

# Bump whenever INDEX_SETTINGS or INDEX_MAPPINGS change: live generations of another
# version are refused until `trackchild reindex` has built one of this version.
MAPPING_VERSION = 2
STALE_BUILD_SECONDS = 24 * 3600  # a "building" generation this old is a crashed rebuild, not a running one

_KEYWORD_MULTI = ("name_tokens", "name_keys", "name_prefixes", "parent_tokens", "parent_keys")

INDEX_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "analysis": {
        "filter": {
            "name_edge_ngram": {"type": "edge_ngram", "min_gram": 1, "max_gram": 12},
        },
        "analyzer": {
            "name_folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
            "name_edge": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding", "name_edge_ngram"]},
            "description_en": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding", "porter_stem"]},
        },
    },
}

INDEX_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "key": {"type": "keyword"},
        "id": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "sex": {"type": "keyword"},
        "state": {"type": "keyword"},
        "district": {"type": "keyword"},
        "status": {"type": "keyword"},
        # display name, plus analysed forms for ad-hoc Kibana/console use
        "name": {
            "type": "text",
            "analyzer": "name_folded",
            "fields": {"edge": {"type": "text", "analyzer": "name_edge", "search_analyzer": "name_folded"}},
        },
        # our precomputed evidence; norms on so length normalisation matches tantivy's
        **{f: {"type": "keyword", "norms": True} for f in _KEYWORD_MULTI},
        "text": {"type": "text", "analyzer": "description_en"},
        "age_min": {"type": "float"},
        "age_max": {"type": "float"},
        "date_days": {"type": "integer"},
        "evidence": {"type": "object", "enabled": False},
    },
}


@dataclass(frozen=True)
class Generation:
    """One physical index behind the alias, as the server describes it."""

    name: str
    number: int  # 0 for indices named by releases before generations were numbered (<alias>-v<timestamp>)
    live: bool  # the alias points to it
    state: str  # building, complete, failed (complete for legacy indices)
    mapping_version: int | None
    created_at: float


def _error_type(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("type", ""))
    return ""


def _status(exc: Exception) -> int | None:
    meta = getattr(exc, "meta", None)
    return getattr(meta, "status", None)


class ElasticTextIndex:
    """``TextIndex`` over an Elasticsearch cluster (security on: basic auth or API key).

    Thread-safe: request threads may call ``upsert``/``delete``/``commit`` side by side; the
    pending writes are guarded by a lock and one bulk is sent at a time, in the order the
    writes were made.

    Example:
        >>> index = ElasticTextIndex("http://localhost:9200", index="trackchild-records")  # doctest: +SKIP
        >>> index.upsert(documents); index.commit()  # doctest: +SKIP
    """

    backend = "elasticsearch"

    def __init__(
        self,
        url: str,
        *,
        index: str = "trackchild-records",
        username: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        ca_certs: str | None = None,
        verify_certs: bool = True,
        request_timeout: float = 30.0,
        max_retries: int = 5,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
        flush_actions: int = 5000,
    ) -> None:
        """Connect, and create generation 1 behind the alias if no process has yet.

        Args:
            url: the cluster, e.g. ``https://localhost:9200``.
            index: the alias searches and writes go through; generations are ``<index>-000001``…
            max_retries: retries of a request the server answers with 429, waiting
                ``initial_backoff`` seconds, doubling up to ``max_backoff``.
            flush_actions: pending writes sent to the server as soon as this many are queued,
                so a rebuild of millions of records holds at most this many in memory.

        Raises:
            BackendUnavailable: the package is missing, the server cannot be reached, or it
                refuses this client's major version.
            TextIndexError: the server refused to prepare the index.
        """
        if Elasticsearch is None:
            raise BackendUnavailable(
                "the elasticsearch backend needs the 'elasticsearch' package: pip install 'trackchild[elasticsearch]'"
            ) from _IMPORT_ERROR
        if flush_actions < 1 or max_retries < 0:
            raise ValueError("flush_actions must be at least 1 and max_retries at least 0")
        auth: dict[str, Any] = {}
        if api_key:
            auth["api_key"] = api_key
        elif username:
            auth["basic_auth"] = (username, password or "")
        self.alias = index
        self.url = url
        self._max_retries = max_retries
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._flush_actions = flush_actions
        # 429 is retried here with backoff (the transport would retry it at once); 502-504 by the transport
        self._client = Elasticsearch(
            url,
            ca_certs=ca_certs,
            verify_certs=verify_certs,
            request_timeout=request_timeout,
            retry_on_status=(502, 503, 504),
            **auth,
        )
        self._lock = threading.Lock()  # guards _pending and _rebuild_index
        self._commit_lock = threading.RLock()  # one bulk at a time, so writes reach the server in order
        self._pending: list[dict[str, Any]] = []
        self._rebuild_index: str | None = None
        self._mapping_current = False
        self._generation_pattern = re.compile(rf"^{re.escape(index)}-(\d{{6}}|v\d{{14,}})$")
        self._check_server()
        self._ensure_alias()
        with suppress(IndexMappingMismatch):  # reads and writes refuse until `trackchild reindex` (which starts with clear()) has run
            self._require_current_mapping("open")

    # -- server calls ----------------------------------------------------------
    @contextmanager
    def _operation(self, operation: str) -> Iterator[None]:
        """Wrap the client's exceptions once, naming the backend, the operation and the index."""
        try:
            yield
        except TextIndexError:
            raise
        except es_exceptions.ApiError as exc:
            raise TextIndexError(f"elasticsearch: {operation} on {self.alias} failed: {exc}") from exc
        except TransportError as exc:  # connection refused, timeouts, TLS, serialisation
            raise BackendUnavailable(
                f"elasticsearch: {operation} on {self.alias} failed: cannot reach {self.url} ({type(exc).__name__}: {exc})"
            ) from exc

    def _call(self, operation: str, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Call the server; a 429 answer is retried with exponential backoff."""
        delay = self._initial_backoff
        with self._operation(operation):
            for attempt in range(self._max_retries + 1):
                try:
                    return fn(**kwargs)
                except es_exceptions.ApiError as exc:
                    if _status(exc) != 429 or attempt == self._max_retries:
                        raise
                time.sleep(delay)
                delay = min(delay * 2, self._max_backoff)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_server(self) -> None:
        try:
            info = self._call("connect", self._client.info)
        except TextIndexError as exc:
            cause = exc.__cause__
            if cause is not None and _error_type(cause) == "media_type_header_exception":
                raise BackendUnavailable(
                    f"elasticsearch: the server at {self.url} refuses client {CLIENT_VERSION} (a client talks to servers of its"
                    " own major version and the next one): for an Elasticsearch 8 server install 'elasticsearch>=8.13,<9'"
                ) from exc
            if cause is not None and _status(cause) == 403:
                return  # a key without the `monitor` privilege may not read the version; the index calls will tell
            raise
        server = str(info["version"]["number"])
        if int(server.split(".")[0]) < 8:
            raise BackendUnavailable(f"elasticsearch: the server at {self.url} runs {server}; TrackChild needs Elasticsearch 8 or 9")

    # -- generations -----------------------------------------------------------
    def _generation_name(self, number: int) -> str:
        return f"{self.alias}-{number:06d}"

    def _create_generation(self, number: int, *, live: bool) -> str:
        name = self._generation_name(number)
        meta = {"trackchild": {"mapping_version": MAPPING_VERSION, "state": "complete" if live else "building", "created_at": time.time()}}
        aliases = {self.alias: {"is_write_index": True}} if live else None
        self._call(
            f"create index {name}",
            self._client.indices.create,
            index=name,
            settings=INDEX_SETTINGS,
            mappings={**INDEX_MAPPINGS, "_meta": meta},
            aliases=aliases,
        )
        return name

    def _ensure_alias(self) -> None:
        """Create generation 1 with the alias in one request; a process that loses the race uses the winner's."""
        if self._call("check alias", self._client.indices.exists_alias, name=self.alias):
            return
        try:
            self._create_generation(1, live=True)
        except TextIndexError as exc:
            if exc.__cause__ is None or _error_type(exc.__cause__) != "resource_already_exists_exception":
                raise
            # another process created it a moment ago (with the alias, in the same request)
            if not self._call("check alias", self._client.indices.exists_alias, name=self.alias):
                raise TextIndexError(
                    f"elasticsearch: {self._generation_name(1)} exists but the alias {self.alias} does not:"
                    " point the alias at the generation to use (POST _aliases) or delete the index"
                ) from exc

    def generations(self) -> list[Generation]:
        """Every physical index of this alias, oldest first."""
        found = self._call(
            "list generations", self._client.indices.get, index=f"{self.alias}-*", allow_no_indices=True, expand_wildcards="open"
        )
        out: list[Generation] = []
        for name, body in found.items():
            match = self._generation_pattern.match(name)
            if not match:
                continue  # another alias sharing our prefix (trackchild-records-x)
            digits = match.group(1)
            meta = (body.get("mappings") or {}).get("_meta", {}).get("trackchild", {})
            created = float(meta.get("created_at") or int(body.get("settings", {}).get("index", {}).get("creation_date", 0)) / 1000)
            out.append(
                Generation(
                    name=name,
                    number=0 if digits.startswith("v") else int(digits),
                    live=self.alias in (body.get("aliases") or {}),
                    # no _meta: a release before mapping versions (-v names), or a stray index (e.g. auto-created)
                    state=str(meta.get("state", "complete" if digits.startswith("v") else "failed")),
                    mapping_version=meta.get("mapping_version"),
                    created_at=created,
                )
            )
        return sorted(out, key=lambda g: (g.number, g.created_at))

    def _delete_indices(self, names: Sequence[str], operation: str) -> None:
        for name in names:  # by exact name: servers refuse wildcard deletes (action.destructive_requires_name)
            try:
                self._call(f"{operation} {name}", self._client.indices.delete, index=name)
            except TextIndexError as exc:
                if exc.__cause__ is None or _status(exc.__cause__) != 404:
                    raise

    def prune_generations(self, *, keep_replaced: bool = True) -> list[str]:
        """Delete generations nobody needs; returns their names.

        Kept: the live generation, the one it replaced unless ``keep_replaced`` is false (a
        process may still be writing to it through a request resolved before the swap; the
        next rebuild deletes it), and generations being built (another process's rebuild)
        unless older than ``STALE_BUILD_SECONDS``, and complete generations newer than the
        live one (a rebuild between its last write and its swap). Deleted: older replaced
        generations, failed rebuilds, stale builds.
        """
        now = time.time()
        doomed: list[str] = []
        generations = self.generations()
        live = max((g.number for g in generations if g.live), default=0)
        retired = [g for g in generations if not g.live and g.name != self._rebuild_index]
        # a complete generation above the live one is a rebuild about to be swapped in, not a replaced one
        complete = [g for g in retired if g.state == "complete" and g.number < live]
        doomed += [g.name for g in (complete[:-1] if keep_replaced else complete)]
        doomed += [g.name for g in retired if g.state == "failed"]
        doomed += [g.name for g in retired if g.state == "building" and now - g.created_at > STALE_BUILD_SECONDS]
        self._delete_indices(doomed, "delete old generation")
        return doomed

    def delete_all_generations(self) -> None:
        """Delete the alias and every generation, by exact name (tests and benchmark scratch indices)."""
        with self._commit_lock:
            self._delete_indices([g.name for g in self.generations()], "delete generation")
            with self._lock:
                self._pending.clear()
                self._rebuild_index = None

    def _set_state(self, name: str, state: str) -> None:
        meta = {"trackchild": {"mapping_version": MAPPING_VERSION, "state": state, "created_at": time.time()}}
        self._call(f"mark {name} {state}", self._client.indices.put_mapping, index=name, meta=meta)

    def _abandon_rebuild(self, name: str) -> None:
        """A rebuild that failed is deleted, or marked failed if that fails too; it is never swapped in."""
        with self._lock:
            if self._rebuild_index == name:
                self._rebuild_index = None
        try:
            self._delete_indices([name], "delete failed rebuild")
        except TextIndexError:
            with suppress(TextIndexError):  # unreachable: still "building", pruned once stale; this process never swaps it in
                self._set_state(name, "failed")

    def _require_current_mapping(self, operation: str) -> None:
        if self._mapping_current:
            return
        found = self._call(f"{operation}: read mapping version", self._client.indices.get_mapping, index=self.alias)
        versions = {
            name: (body.get("mappings") or {}).get("_meta", {}).get("trackchild", {}).get("mapping_version") for name, body in found.items()
        }
        stale = {name: v for name, v in versions.items() if v != MAPPING_VERSION}
        if stale:
            described = ", ".join(f"{name} has version {v or 'none'}" for name, v in sorted(stale.items()))
            raise IndexMappingMismatch(
                f"elasticsearch: cannot {operation} {self.alias}: {described}, this code writes mapping version {MAPPING_VERSION};"
                " run `trackchild reindex` to rebuild the index from the store"
            )
        self._mapping_current = True

    # -- writing ---------------------------------------------------------------
    @staticmethod
    def _source(doc: IndexDocument) -> dict[str, Any]:
        source = {
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
            "text": doc.text,
            "evidence": doc.evidence,
        }
        for name in _KEYWORD_MULTI:
            source[name] = list(getattr(doc, name))
        if doc.date_days is not None:
            source["date_days"] = doc.date_days
        return source

    def _queue(self, actions: list[dict[str, Any]]) -> None:
        with self._lock:
            self._pending.extend(actions)
            full = len(self._pending) >= self._flush_actions
        if full:
            self._flush()

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        self._queue([{"_op_type": "index", "_id": d.key, "_source": self._source(d)} for d in documents])

    def delete(self, keys: Sequence[str]) -> None:
        self._queue([{"_op_type": "delete", "_id": k} for k in keys])

    def clear(self) -> None:
        """Start a rebuild: later writes fill a new generation, swapped in by ``commit``."""
        with self._commit_lock:
            with self._lock:
                self._pending.clear()
                previous, self._rebuild_index = self._rebuild_index, None
            if previous:
                self._abandon_rebuild(previous)
            self.prune_generations(keep_replaced=False)  # the generation the last rebuild replaced has had its grace period
            number = max((g.number for g in self.generations()), default=0) + 1
            for _ in range(20):  # another process may take the same number: take the next one
                try:
                    name = self._create_generation(number, live=False)
                    break
                except TextIndexError as exc:
                    if exc.__cause__ is None or _error_type(exc.__cause__) != "resource_already_exists_exception":
                        raise
                    number += 1
            else:  # pragma: no cover - twenty rebuilds started in the same instant
                raise TextIndexError(f"elasticsearch: cannot create a new generation of {self.alias}: every name is taken")
            with self._lock:
                self._rebuild_index = name

    def _flush(self) -> None:
        """Send the pending writes (to the generation being rebuilt, or through the alias)."""
        with self._commit_lock:
            with self._lock:
                actions, self._pending = self._pending, []
                rebuilding = self._rebuild_index
            if not actions:
                return
            if not rebuilding:
                self._require_current_mapping("write to")
            target = rebuilding or self.alias
            errors: list[dict[str, Any]] = []
            sent = ({**action, "_index": target} for action in actions)
            try:
                with self._operation(f"bulk write to {target}"):
                    for ok, item in helpers.streaming_bulk(
                        self._client,
                        sent,
                        chunk_size=1000,
                        raise_on_error=False,
                        max_retries=self._max_retries,
                        initial_backoff=self._initial_backoff,
                        max_backoff=self._max_backoff,
                        # through the alias only: never let a write auto-create an index named like the alias
                        require_alias=not rebuilding,
                    ):
                        # deleting an absent document is not an error for us
                        if not ok and item.get("delete", {}).get("status") != 404:
                            errors.append(item)
                if errors:
                    raise TextIndexError(
                        f"elasticsearch: bulk write to {target} rejected {len(errors)} of {len(actions)} actions, first: {errors[0]}"
                    )
            except TextIndexError as exc:
                if rebuilding:
                    self._abandon_rebuild(rebuilding)
                    raise type(exc)(f"{exc}; the rebuild was abandoned (run `trackchild reindex` again)") from exc
                raise

    def commit(self) -> None:
        with self._commit_lock:
            self._flush()
            with self._lock:
                rebuilding = self._rebuild_index
            if not rebuilding:
                self._require_current_mapping("commit")
            self._call("refresh", self._client.indices.refresh, index=rebuilding or self.alias)
            if rebuilding:
                self._swap_in(rebuilding)

    def _swap_in(self, name: str) -> None:
        """Point the alias at the rebuilt generation in one atomic request; the old one is kept."""
        found = self._call(f"check {name}", self._client.indices.get_mapping, index=name, ignore_unavailable=True)
        meta = (found.get(name, {}).get("mappings") or {}).get("_meta", {}).get("trackchild", {})
        if meta.get("state") not in ("building", "complete") or meta.get("mapping_version") != MAPPING_VERSION:
            with self._lock:
                self._rebuild_index = None
            raise TextIndexError(
                f"elasticsearch: rebuild {name} of {self.alias} is no longer ours ({meta or 'gone'}); run `trackchild reindex` again"
            )
        self._set_state(name, "complete")
        for attempt in range(3):
            current = list(self._call("read alias", self._client.indices.get_alias, name=self.alias))
            actions: list[dict[str, Any]] = [{"remove": {"index": o, "alias": self.alias}} for o in current if o != name]
            actions.append({"add": {"index": name, "alias": self.alias, "is_write_index": True}})
            try:
                self._call(f"swap alias to {name}", self._client.indices.update_aliases, actions=actions)  # atomic
                break
            except TextIndexError:
                if attempt == 2:  # another process swapped between our read and our request three times
                    raise
        with self._lock:
            self._rebuild_index = None
        self._mapping_current = True

    def close(self) -> None:
        with self._lock:
            rebuilding, self._pending = self._rebuild_index, []
        if rebuilding:  # a rebuild never committed is never swapped in
            with suppress(TextIndexError):  # closing must not fail
                self._abandon_rebuild(rebuilding)
        self._client.close()

    # -- reading ---------------------------------------------------------------
    def count(self) -> int:
        self._require_current_mapping("count")
        return int(self._call("count", self._client.count, index=self.alias)["count"])

    def document_frequency(self, field: str, term: str) -> int:
        self._require_current_mapping("count")
        return int(self._call("document frequency", self._client.count, index=self.alias, query={"term": {field: term}})["count"])

    @staticmethod
    def _clause(clause: Clause) -> dict[str, Any]:
        match clause.kind:
            case "term":
                return {"term": {clause.field: {"value": clause.value, "boost": clause.boost}}}
            case "fuzzy":
                fuzzy = {"fuzzy": {clause.field: {"value": clause.value, "fuzziness": "AUTO", "transpositions": True}}}
                return {"constant_score": {"filter": fuzzy, "boost": clause.boost}}
            case "text":
                return {"match": {clause.field: {"query": clause.value, "boost": clause.boost}}}
        raise ValueError(clause.kind)

    @staticmethod
    def _filters(filters: SearchFilters) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if filters.kind:
            out.append({"term": {"kind": filters.kind}})
        if filters.sex:
            out.append({"terms": {"sex": [filters.sex, "U"]}})
        if filters.status:
            out.append({"term": {"status": filters.status}})
        if filters.state:
            out.append({"term": {"state": filters.state.strip().lower()}})
        if filters.district:
            out.append({"term": {"district": filters.district.strip().lower()}})
        if filters.age_min is not None:
            out.append({"range": {"age_max": {"gte": filters.age_min}}})
        if filters.age_max is not None:
            out.append({"range": {"age_min": {"lte": filters.age_max}}})
        if filters.date_from or filters.date_to:
            bounds: dict[str, int] = {}
            if filters.date_from:
                bounds["gte"] = date_to_days(filters.date_from)
            if filters.date_to:
                bounds["lte"] = date_to_days(filters.date_to)
            out.append({"range": {"date_days": bounds}})
        return out

    def compile(self, plan: QueryPlan) -> dict[str, Any]:
        filters = self._filters(plan.filters)
        if plan.is_match_all:
            return {"bool": {"must": [{"match_all": {}}], "filter": filters}}
        words = [{"dis_max": {"queries": [self._clause(c) for c in g.clauses], "tie_breaker": DISMAX_TIE_BREAKER}} for g in plan.groups]
        return {"bool": {"must": [{"bool": {"should": words, "minimum_should_match": 1}}], "filter": filters}}

    def search(
        self, query: str, *, filters: SearchFilters | None = None, limit: int = 10, explain: bool = True, fields: SearchFields = "all"
    ) -> list[TextHit]:
        plan = build_query_plan(query, filters, fields=fields)
        self._require_current_mapping("search")
        response = self._call("search", self._client.search, index=self.alias, query=self.compile(plan), size=max(1, min(limit, 1000)))
        hits: list[TextHit] = []
        for hit in response["hits"]["hits"]:
            source = hit["_source"]
            hits.append(
                TextHit(
                    key=source["key"],
                    id=source["id"],
                    kind=source["kind"],
                    name=source.get("name", ""),
                    score=float(hit["_score"] or 0.0),
                    matched=explain_hit(plan, source.get("evidence", {})) if explain else (),
                )
            )
        return hits
