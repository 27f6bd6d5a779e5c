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


class StaleWrite(IndexerError):
    """A write named the version it read, and the record has changed since (HTTP 412)."""

    def __init__(self, key: str, expected: str, current: str | None) -> None:
        now = f"it is now at version {current}" if current else "it no longer exists"
        super().__init__(f"record {key} changed since version {expected} was read ({now}); reload it and apply the change again")
        self.key, self.expected, self.current = key, expected, current
