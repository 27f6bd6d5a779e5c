"""The search interface every text engine implements, and its typed inputs and outputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from indexer.places import canonical_names

if TYPE_CHECKING:
    from indexer.search.documents import IndexDocument


@dataclass(frozen=True)
class SearchFilters:
    """Hard filters. Unknown values are kept: a child of unknown sex matches M and F."""

    kind: str | None = None
    sex: str | None = None
    age_min: float | None = None
    age_max: float | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    state: str | None = None
    district: str | None = None
    status: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in (None, "missing", "found"):
            raise ValueError(f"kind must be missing or found, not {self.kind!r}")
        if self.sex not in (None, "M", "F", "X"):
            raise ValueError(f"sex must be M, F or X, not {self.sex!r}")
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("age_min is greater than age_max")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        if self.state or self.district:  # records are stored under the gazetteer's names: Gurgaon finds Gurugram
            state, district = canonical_names(self.state or "", self.district or "", fill_state=False)
            object.__setattr__(self, "state", state or None)
            object.__setattr__(self, "district", district or None)


@dataclass(frozen=True)
class FieldMatch:
    """One piece of evidence for a hit: which field, how, and which words."""

    field: str  # name, aliases, father_name, mother_name, marks, clothing, description, …
    how: str  # exact, phonetic, phonetic_loose, metaphone, fuzzy, prefix, text
    query_term: str
    record_term: str


@dataclass(frozen=True)
class TextHit:
    """A record returned by a text search."""

    key: str
    id: str
    kind: str
    name: str
    score: float
    matched: tuple[FieldMatch, ...] = field(default=())

    @property
    def matched_fields(self) -> list[str]:
        return list(dict.fromkeys(m.field for m in self.matched))

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "score": round(self.score, 4),
            "matched_fields": self.matched_fields,
            "matches": [m.__dict__ for m in self.matched],
        }


@runtime_checkable
class TextIndex(Protocol):
    """A derived, rebuildable text index over child records."""

    backend: str

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        """Add or replace documents by key (visible after ``commit``)."""

    def delete(self, keys: Sequence[str]) -> None:
        """Remove documents by key (visible after ``commit``)."""

    def search(
        self, query: str, *, filters: SearchFilters | None = None, limit: int = 10, explain: bool = True, fields: str = "all"
    ) -> list[TextHit]:
        """Best hits first; ``explain=False`` skips saying which fields matched (blocking);
        ``fields="names"`` matches the child's own names only (``query.SearchFields``)."""

    def count(self) -> int:
        """Documents visible to search."""

    def commit(self) -> None:
        """Make writes durable and visible."""

    def clear(self) -> None:
        """Remove every document (for a rebuild); visible after ``commit``."""

    def document_frequency(self, field: str, term: str) -> int:
        """How many documents hold ``term`` in ``field``: how common a piece of evidence is."""

    def close(self) -> None:
        """Release writers and connections."""
