"""The scale-out text engine: Elasticsearch 8/9 through the official client.

Indexes the same ``IndexDocument`` terms as tantivy (phonetic keys and prefixes are
computed in our Python), and compiles the same ``QueryPlan``, so both engines rank on the
same evidence. Writes go to a versioned physical index behind an alias; a rebuild
(``clear`` then writes then ``commit``) fills a new physical index and swaps the alias
atomically, so searches never see a half-built index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from indexer.errors import BackendUnavailable, TextIndexError
from indexer.search.base import SearchFilters, TextHit
from indexer.search.documents import IndexDocument, date_to_days
from indexer.search.query import DISMAX_TIE_BREAKER, Clause, QueryPlan, SearchFields, build_query_plan, explain_hit

try:
    from elasticsearch import Elasticsearch, helpers
    from elasticsearch import exceptions as es_exceptions
except ImportError as exc:  # pragma: no cover - exercised by test_optional_deps
    Elasticsearch = None  # type: ignore[assignment,misc]
    _IMPORT_ERROR: ImportError | None = exc
else:
    _IMPORT_ERROR = None

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


class ElasticTextIndex:
    """``TextIndex`` over an Elasticsearch cluster (security on: basic auth or API key)."""

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
    ) -> None:
        if Elasticsearch is None:
            raise BackendUnavailable(
                "the elasticsearch backend needs the 'elasticsearch' package: pip install 'trackchild[elasticsearch]'"
            ) from _IMPORT_ERROR
        auth: dict[str, Any] = {}
        if api_key:
            auth["api_key"] = api_key
        elif username:
            auth["basic_auth"] = (username, password or "")
        self.alias = index
        self._client = Elasticsearch(url, ca_certs=ca_certs, verify_certs=verify_certs, request_timeout=request_timeout, **auth)
        self._pending: list[dict[str, Any]] = []
        self._rebuild_index: str | None = None
        try:
            self._client.indices.put_index_template(
                name=f"{index}-template",
                index_patterns=[f"{index}-v*"],
                template={"settings": INDEX_SETTINGS, "mappings": INDEX_MAPPINGS},
            )
            if not self._client.indices.exists_alias(name=index):
                first = self._new_physical_index()
                self._client.indices.put_alias(index=first, name=index)
        except es_exceptions.ConnectionError as exc:
            raise BackendUnavailable(f"elasticsearch: cannot reach {url}: {exc}") from exc
        except es_exceptions.ApiError as exc:
            raise TextIndexError(f"elasticsearch: cannot prepare index {index}: {exc}") from exc

    def _new_physical_index(self) -> str:
        name = f"{self.alias}-v{dt.datetime.now(dt.UTC).strftime('%Y%m%d%H%M%S%f')}"
        self._client.indices.create(index=name)
        return name

    @property
    def _write_target(self) -> str:
        return self._rebuild_index or self.alias

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

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        self._pending.extend({"_op_type": "index", "_id": d.key, "_source": self._source(d)} for d in documents)

    def delete(self, keys: Sequence[str]) -> None:
        self._pending.extend({"_op_type": "delete", "_id": k} for k in keys)

    def clear(self) -> None:
        self._pending.clear()
        self._rebuild_index = self._new_physical_index()

    def _actions(self) -> Iterator[dict[str, Any]]:
        target = self._write_target
        for action in self._pending:
            yield {**action, "_index": target}

    def commit(self) -> None:
        try:
            errors = []
            for ok, item in helpers.streaming_bulk(self._client, self._actions(), chunk_size=1000, raise_on_error=False):
                # deleting an absent document is not an error for us
                if not ok and item.get("delete", {}).get("status") != 404:
                    errors.append(item)
            self._pending.clear()
            if errors:
                raise TextIndexError(f"elasticsearch: bulk write rejected {len(errors)} actions, first: {errors[0]}")
            self._client.indices.refresh(index=self._write_target)
            if self._rebuild_index:
                self._swap_alias(self._rebuild_index)
                self._rebuild_index = None
        except es_exceptions.ApiError as exc:
            raise TextIndexError(f"elasticsearch: commit failed: {exc}") from exc

    def _swap_alias(self, new_index: str) -> None:
        old = list(self._client.indices.get_alias(name=self.alias).keys())
        actions = [{"remove": {"index": o, "alias": self.alias}} for o in old]
        actions.append({"add": {"index": new_index, "alias": self.alias}})
        self._client.indices.update_aliases(actions=actions)  # atomic
        for name in old:
            self._client.indices.delete(index=name)

    def close(self) -> None:
        self._client.close()

    # -- reading ---------------------------------------------------------------
    def count(self) -> int:
        return int(self._client.count(index=self.alias)["count"])

    def document_frequency(self, field: str, term: str) -> int:
        return int(self._client.count(index=self.alias, query={"term": {field: term}})["count"])

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
        try:
            response = self._client.search(index=self.alias, query=self.compile(plan), size=max(1, min(limit, 1000)))
        except es_exceptions.ApiError as exc:
            raise TextIndexError(f"elasticsearch: search failed: {exc}") from exc
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
