"""Child records, name normalisation, the store, text search engines and ingestion.

This root is the package's public surface: other packages import from ``indexer`` only.
"""

from indexer.demo import Dataset, NoiseProfile, RegisterGenerator, render_in_script
from indexer.errors import BackendUnavailable, IndexerError, PhotoRejected, RecordNotFound, TextIndexError
from indexer.ingest import Ingestor, IngestReport, RowProblem
from indexer.normalise import NameToken, NormalisedName, TokenMatch, best_token_match, detect_script, match_token, normalise_name
from indexer.records import FoundChild, MissingReport, Place, ReportedBy, parse_record, record_key, split_record_key
from indexer.search import FieldMatch, IndexDocument, SearchFilters, TextHit, TextIndex, TextIndexConfig, build_document, open_text_index
from indexer.store import (
    PhotoStore,
    RecordCounts,
    StoredPhoto,
    StoredRecord,
    count_records,
    create_schema,
    find_records_by_id,
    get_record,
    get_record_or_raise,
    get_records_by_keys,
    iter_records,
    list_records,
    make_engine,
    make_session_factory,
    photo_paths,
    sqlite_url,
)

__all__ = [
    "BackendUnavailable",
    "Dataset",
    "FieldMatch",
    "FoundChild",
    "IndexDocument",
    "IndexerError",
    "IngestReport",
    "Ingestor",
    "MissingReport",
    "NameToken",
    "NoiseProfile",
    "NormalisedName",
    "PhotoRejected",
    "PhotoStore",
    "Place",
    "RecordCounts",
    "RecordNotFound",
    "RegisterGenerator",
    "ReportedBy",
    "RowProblem",
    "SearchFilters",
    "StoredPhoto",
    "StoredRecord",
    "TextHit",
    "TextIndex",
    "TextIndexConfig",
    "TextIndexError",
    "TokenMatch",
    "best_token_match",
    "build_document",
    "count_records",
    "create_schema",
    "detect_script",
    "find_records_by_id",
    "get_record",
    "get_record_or_raise",
    "get_records_by_keys",
    "iter_records",
    "list_records",
    "make_engine",
    "make_session_factory",
    "match_token",
    "normalise_name",
    "open_text_index",
    "parse_record",
    "photo_paths",
    "record_key",
    "render_in_script",
    "split_record_key",
    "sqlite_url",
]
