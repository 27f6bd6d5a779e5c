"""The system of record: SQLite by default, PostgreSQL by URL."""

from sqlalchemy import MetaData

from indexer.store.engine import SQLITE_SYNCHRONOUS, create_schema, make_engine, make_session_factory, sqlite_url
from indexer.store.photos import PhotoStore, StoredPhoto, is_store_path
from indexer.store.service import (
    RecordCounts,
    RecordPlace,
    RecordWrite,
    StoredPhotoRef,
    StoredRecord,
    UpsertOutcome,
    UpsertResult,
    archive_records,
    archived_pending_index,
    content_hash_of,
    content_hashes,
    count_archived,
    count_records,
    count_undated,
    delete_record,
    find_records_by_id,
    get_record,
    get_record_or_raise,
    get_records_by_keys,
    insert_for,
    iter_photos,
    iter_record_places,
    iter_records,
    list_records,
    mark_all_unindexed,
    mark_archived_dropped,
    mark_indexed,
    mark_unindexed_since,
    photo_paths,
    prepare_write,
    record_dates,
    stored_states,
    upsert_records,
    upsert_writes,
)
from indexer.store.written import keep_content


def store_metadata() -> MetaData:
    """The store's tables (for the service's schema migrations)."""
    from indexer.store.models import Base

    return Base.metadata


__all__ = [
    "SQLITE_SYNCHRONOUS",
    "PhotoStore",
    "RecordCounts",
    "RecordPlace",
    "RecordWrite",
    "StoredPhoto",
    "StoredPhotoRef",
    "StoredRecord",
    "UpsertOutcome",
    "UpsertResult",
    "archive_records",
    "archived_pending_index",
    "content_hash_of",
    "content_hashes",
    "count_archived",
    "count_records",
    "count_undated",
    "create_schema",
    "delete_record",
    "find_records_by_id",
    "get_record",
    "get_record_or_raise",
    "get_records_by_keys",
    "insert_for",
    "is_store_path",
    "iter_photos",
    "iter_record_places",
    "iter_records",
    "keep_content",
    "list_records",
    "make_engine",
    "make_session_factory",
    "mark_all_unindexed",
    "mark_archived_dropped",
    "mark_indexed",
    "mark_unindexed_since",
    "photo_paths",
    "prepare_write",
    "record_dates",
    "sqlite_url",
    "store_metadata",
    "stored_states",
    "upsert_records",
    "upsert_writes",
]
