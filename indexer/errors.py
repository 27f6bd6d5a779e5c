"""The indexer's exceptions: one base, a subclass for each case a caller handles."""

from __future__ import annotations


class IndexerError(Exception):
    """Base of every error raised by the indexer package."""


class RecordNotFound(IndexerError):
    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"no {kind} record with id {record_id!r}")
        self.kind = kind
        self.record_id = record_id


class PhotoRejected(IndexerError):
    """A photo file cannot be stored (missing, too large, unsupported type)."""


class TextIndexError(IndexerError):
    """A search backend failed; the message names the backend and the operation."""


class BackendUnavailable(TextIndexError):
    """The chosen backend cannot be used here (package missing, server unreachable)."""


class IndexMappingMismatch(TextIndexError):
    """The live index was built with another mapping version than this code writes: run ``trackchild reindex``."""
