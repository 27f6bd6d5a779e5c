"""Child records, name normalisation, the store, text search engines and ingestion.

Public surface: import from the sub-packages named here (``indexer.records``,
``indexer.normalise``, ``indexer.store``, ``indexer.search``, ``indexer.ingest``,
``indexer.demo``) or from this root.
"""

from indexer.errors import BackendUnavailable, IndexerError, PhotoRejected, RecordNotFound, TextIndexError
from indexer.records import FoundChild, MissingReport, Place, ReportedBy, parse_record, record_key, split_record_key

__all__ = [
    "BackendUnavailable",
    "FoundChild",
    "IndexerError",
    "MissingReport",
    "PhotoRejected",
    "Place",
    "RecordNotFound",
    "ReportedBy",
    "TextIndexError",
    "parse_record",
    "record_key",
    "split_record_key",
]
