"""Text search over child records behind one ``TextIndex`` interface (tantivy, Elasticsearch)."""

from indexer.search.base import FieldMatch, SearchFilters, TextHit, TextIndex
from indexer.search.documents import IndexDocument, build_document, estimated_age_range
from indexer.search.factory import TextIndexConfig, open_text_index
from indexer.search.query import QueryPlan, build_query_plan, explain_hit

__all__ = [
    "FieldMatch",
    "IndexDocument",
    "QueryPlan",
    "SearchFilters",
    "TextHit",
    "TextIndex",
    "TextIndexConfig",
    "build_document",
    "build_query_plan",
    "estimated_age_range",
    "explain_hit",
    "open_text_index",
]
