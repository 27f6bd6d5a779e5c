"""The system of record: SQLite by default, PostgreSQL by URL."""

from indexer.store.engine import create_schema, make_engine, make_session_factory, sqlite_url
from indexer.store.photos import PhotoStore, StoredPhoto
from indexer.store.service import (
    RecordCounts,
    StoredRecord,
    UpsertOutcome,
    UpsertResult,
    content_hash_of,
    count_records,
    delete_record,
    find_records_by_id,
    get_record,
    get_record_or_raise,
    get_records_by_keys,
    iter_records,
    list_records,
    mark_all_unindexed,
    mark_indexed,
    photo_paths,
    upsert_records,
)

__all__ = [
    "PhotoStore",
    "RecordCounts",
    "StoredPhoto",
    "StoredRecord",
    "UpsertOutcome",
    "UpsertResult",
    "content_hash_of",
    "count_records",
    "create_schema",
    "delete_record",
    "find_records_by_id",
    "get_record",
    "get_record_or_raise",
    "get_records_by_keys",
    "iter_records",
    "list_records",
    "make_engine",
    "make_session_factory",
    "mark_all_unindexed",
    "mark_indexed",
    "photo_paths",
    "sqlite_url",
    "upsert_records",
]
