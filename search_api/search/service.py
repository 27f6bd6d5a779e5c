"""Searching the registers by words and by face; both routes and pages call these."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from indexer import SearchFilters, StoredRecord, TextHit, get_records_by_keys
from search_api.policy import authorize
from search_api.resources import Resources
from search_api.users.models import UserRow


@dataclass(frozen=True)
class RecordHit:
    """A search result with its stored record (for showing photos, age and place)."""

    stored: StoredRecord
    score: float
    why: tuple[str, ...]  # matched fields (text) or "face"


@dataclass(frozen=True)
class PhotoHit:
    stored: StoredRecord
    face_score: float

    def to_json(self) -> dict:
        r = self.stored.record
        return {
            "id": r.id,
            "kind": r.kind,
            "name": r.name,
            "age": r.age,
            "sex": r.sex,
            "district": r.place.district,
            "state": r.place.state,
            "face_score": round(self.face_score, 4),
        }


def search_text(*, res: Resources, user: UserRow, query: str, filters: SearchFilters, limit: int = 20) -> list[TextHit]:
    """Partial names in any script, aliases, parents, marks and description words."""
    authorize(user, "search")
    return res.text_index.search(query, filters=filters, limit=limit)


def with_records(*, session: Session, hits: list[TextHit]) -> list[RecordHit]:
    """Text hits joined with their stored records (hits whose record vanished are dropped)."""
    stored = get_records_by_keys(session=session, keys=[h.key for h in hits])
    return [RecordHit(stored[h.key], h.score, tuple(h.matched_fields)) for h in hits if h.key in stored]


def search_photo(
    *, res: Resources, session: Session, user: UserRow, data: bytes, kind: str | None = None, limit: int = 10
) -> list[PhotoHit]:
    """Records whose photos look like the (largest) face in this photo, most alike first."""
    authorize(user, "search")
    face = res.face_pipeline.load().embed_image(data)[0]
    hits = res.face_index.search(face.embedding, k=limit, kind=kind)
    records = get_records_by_keys(session=session, keys=[h.record_key for h in hits])
    return [PhotoHit(records[h.record_key], h.score) for h in hits if h.record_key in records]
