"""Writing a record through the service: store → indexes → faces → matching → review queue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from indexer import IngestReport, StoredRecord, get_record_or_raise, get_records_by_keys
from search_api.faces.flows import sync_faces
from search_api.fusion.service import Candidate, Matcher
from search_api.policy import authorize
from search_api.resources import Resources
from search_api.review import service as review
from search_api.users.models import UserRow


class RecordInvalid(ValueError):
    """The record was rejected; ``problems`` name each field."""

    def __init__(self, report: IngestReport) -> None:
        self.problems = [{"field": p.field, "message": p.message} for p in report.rejected]
        super().__init__("; ".join(f"{p['field']}: {p['message']}" for p in self.problems))


@dataclass
class SavedRecord:
    stored: StoredRecord
    candidates: list[Candidate]
    queued: int  # pairs that entered the review queue


def save_record(*, res: Resources, matcher: Matcher, session: Session, data: dict, user: UserRow) -> SavedRecord:
    """Validate and store a record, index it, embed its photos, match it, queue strong pairs."""
    kind = data.get("kind")
    authorize(user, "create_missing" if kind == "missing" else "create_found")
    report = res.ingestor().ingest_records([data])
    if not report.ok:
        raise RecordInvalid(report)
    stored = get_record_or_raise(session=session, kind=kind, record_id=str(data["id"]))  # type: ignore[arg-type]
    if stored.record.photos:
        sync_faces(res)
    return SavedRecord(stored, *match_and_queue(matcher=matcher, session=session, stored=stored))


def match_and_queue(*, matcher: Matcher, session: Session, stored: StoredRecord) -> tuple[list[Candidate], int]:
    """Match a record against the other register now; pairs above the threshold are queued."""
    matcher.refresh_register_size()
    candidates = matcher.rank(stored.record, limit=10)
    strong = [c for c in candidates if c.score >= matcher.model.review_threshold]
    others = get_records_by_keys(session=session, keys=[c.key for c in strong])
    queued = 0
    for candidate in strong:
        other = others.get(candidate.key)
        if other is None:
            continue
        missing, found = (stored, other) if stored.record.kind == "missing" else (other, stored)
        row = review.enqueue(
            session=session,
            missing_key=missing.key,
            found_key=found.key,
            score=candidate.score,
            explanation=candidate.explanation.to_json(),
            evidence=review.evidence_hash(missing.content_hash, found.content_hash),
            missing_district=missing.record.place.district,
            found_district=found.record.place.district,
        )
        queued += row is not None
    return candidates, queued
