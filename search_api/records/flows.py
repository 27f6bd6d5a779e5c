"""Writing a record through the service: store → indexes → faces → matching → review queue."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from embeddings import decode_image
from indexer import IngestReport, StoredRecord, get_record, get_record_or_raise, get_records_by_keys, parse_record
from search_api.audit.service import Actor, append
from search_api.faces.flows import OPEN_STATUSES, sync_faces
from search_api.fusion.service import DUPLICATE_THRESHOLDS, Candidate, Matcher
from search_api.policy import PermissionDenied, authorize, authorize_edit, covers
from search_api.records.models import RecordEntryRow
from search_api.resources import Resources
from search_api.review import duplicates
from search_api.review import service as review
from search_api.review.models import ReviewPairRow
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
    duplicates_flagged: int = 0  # records of the same register that may be this child


def save_record(*, res: Resources, matcher: Matcher, session: Session, data: dict, user: UserRow, source: str = "") -> SavedRecord:
    """Validate and store a record, index it, embed its photos, match it, queue strong pairs.

    Police file for their own station and CCI staff for their own institution: an empty
    station or institution is filled in from the user, a different one is refused, and so is
    overwriting a record that belongs to someone else.
    """
    kind = data.get("kind")
    authorize(user, "create_missing" if kind == "missing" else "create_found")
    data = _with_own_unit(data, user)
    try:
        incoming = parse_record(data)
    except ValidationError:
        incoming = None  # the ingest below names every bad field
    if incoming is not None:
        authorize_edit(user, incoming)
        existing = get_record(session=session, kind=incoming.kind, record_id=incoming.id)
        if existing is not None:
            authorize_edit(user, existing.record)
    report = res.ingestor().ingest_records([data])
    if not report.ok:
        raise RecordInvalid(report)
    stored = get_record_or_raise(session=session, kind=kind, record_id=str(data["id"]))  # type: ignore[arg-type]
    _note_entry(session=session, record_key=stored.key, username=user.username)
    append(session=session, actor=Actor.of(user, source), action="record_edit", targets=[stored.key],
           detail={"changed": report.changed, "photos": len(stored.record.photos)})  # fmt: skip
    if stored.record.photos:
        sync_faces(res)
    saved = SavedRecord(stored, *match_and_queue(matcher=matcher, session=session, stored=stored))
    _candidates, saved.duplicates_flagged = flag_duplicates(matcher=matcher, session=session, stored=stored)
    return saved


def _with_own_unit(data: dict, user: UserRow) -> dict:
    field = {"police": "police_station", "cci": "cci_name"}.get(user.role)
    if field and user.unit and not str(data.get(field) or "").strip():
        return {**data, field: user.unit}
    return data


def store_photo(*, res: Resources, data: bytes) -> str:
    """Check an uploaded photo is a real, bounded image and keep it; returns its store path.

    The type comes from the decoded bytes, never from the uploader's file name.
    """
    decode_image(data, max_bytes=res.settings.max_photo_bytes, max_pixels=res.settings.face_config().max_pixels)
    return res.photo_store.put_bytes(data, suffix=_suffix_of(data)).relpath


def add_photo(
    *, res: Resources, matcher: Matcher, session: Session, stored: StoredRecord, data: bytes, user: UserRow, source: str = ""
) -> SavedRecord:
    """Attach a photo to a record and re-match it (a new photo is new evidence)."""
    authorize_edit(user, stored.record)
    relpath = store_photo(res=res, data=data)
    body = stored.record.model_dump(mode="json")
    if relpath not in body["photos"]:
        body["photos"].append(relpath)
    return save_record(res=res, matcher=matcher, session=session, data=body, user=user, source=source)


def _suffix_of(data: bytes) -> str:
    signatures = {b"\x89PNG": ".png", b"GIF8": ".gif", b"BM": ".bmp", b"II*\x00": ".tif", b"MM\x00*": ".tif"}
    for magic, suffix in signatures.items():
        if data.startswith(magic):
            return suffix
    return ".webp" if data[8:12] == b"WEBP" else ".jpg"


def _note_entry(*, session: Session, record_key: str, username: str) -> None:
    exists = session.scalar(select(RecordEntryRow.pk).where(RecordEntryRow.record_key == record_key, RecordEntryRow.username == username))
    if exists is None:
        session.add(RecordEntryRow(record_key=record_key, username=username))
        session.flush()


def list_entered_by(*, session: Session, username: str, limit: int = 20) -> list[StoredRecord]:
    """Records this user entered, newest first."""
    keys = list(
        session.scalars(
            select(RecordEntryRow.record_key).where(RecordEntryRow.username == username).order_by(RecordEntryRow.pk.desc()).limit(limit)
        )
    )
    found = get_records_by_keys(session=session, keys=keys)
    return [found[k] for k in keys if k in found]


def match_and_queue(*, matcher: Matcher, session: Session, stored: StoredRecord) -> tuple[list[Candidate], int]:
    """Match a record against the other register now; pairs above the threshold are queued."""
    matcher.refresh_register_size()
    candidates = matcher.rank(stored.record, limit=10, open_only=True)
    strong = [c for c in candidates if c.score >= matcher.model.review_threshold]
    others = get_records_by_keys(session=session, keys=[c.key for c in strong])
    queued = 0
    for candidate in strong:
        other = others.get(candidate.key)
        if other is not None:
            queued += queue_pair(session=session, stored=stored, other=other, candidate=candidate) is not None
    return candidates, queued


def flag_duplicates(*, matcher: Matcher, session: Session, stored: StoredRecord, limit: int = 5) -> tuple[list[Candidate], int]:
    """Possible duplicates of a record in its own register; those above the register's
    duplicate threshold are flagged for a person to decide."""
    candidates = matcher.rank(stored.record, limit=limit, same_side=True)
    threshold = DUPLICATE_THRESHOLDS[stored.record.kind]
    strong = [c for c in candidates if c.score >= threshold]
    others = get_records_by_keys(session=session, keys=[c.key for c in strong])
    flagged = 0
    for candidate in strong:
        other = others.get(candidate.key)
        if other is not None:
            row = duplicates.flag(session=session, a=stored, b=other, score=candidate.score, explanation=candidate.explanation.to_json())
            flagged += row is not None
    return candidates, flagged


def queue_pair(*, session: Session, stored: StoredRecord, other: StoredRecord, candidate: Candidate) -> ReviewPairRow | None:
    """Put one scored pair in the review queue (also used when a person sends a weaker candidate)."""
    missing, found = (stored, other) if stored.record.kind == "missing" else (other, stored)
    return review.enqueue(
        session=session,
        missing_key=missing.key,
        found_key=found.key,
        score=candidate.score,
        explanation=candidate.explanation.to_json(),
        evidence=review.evidence_hash(missing.content_hash, found.content_hash),
        missing_district=missing.record.place.district,
        found_district=found.record.place.district,
        missing_state=missing.record.place.state,
        found_state=found.record.place.state,
    )


class BatchQueue:
    """Feeds a batch run's strong pairs to the review queue (``match --all --queue``).

    Pairs at or above the review threshold whose two records are still open go through the
    review service's ``enqueue``: a pair already waiting gets its new score, a rejected pair
    comes back only if either record changed since. Commits every ``batch`` records.
    """

    def __init__(self, res: Resources, *, batch: int = 500) -> None:
        from search_api.db import create_service_schema

        create_service_schema(res.engine)
        self.res, self.batch = res, batch
        self.queued = 0
        self._pending: list = []

    def add(self, matched, *, threshold: float) -> None:  # type: ignore[no-untyped-def]
        strong = [p for p in matched.candidates if p.score >= threshold and p.key in matched.explanations]
        if strong:
            self._pending.append((matched.key, strong, matched.explanations))
        if len(self._pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        with self.res.session_factory() as session:
            keys = {k for key, strong, _ in self._pending for k in (key, *(p.key for p in strong))}
            stored = get_records_by_keys(session=session, keys=list(keys))
            for key, strong, explanations in self._pending:
                record = stored.get(key)
                if record is None or record.record.status not in OPEN_STATUSES:
                    continue
                for pair in strong:
                    other = stored.get(pair.key)
                    if other is None or other.record.status not in OPEN_STATUSES:
                        continue  # a traced child is nobody's candidate
                    candidate = Candidate(pair.key, pair.id, pair.kind, pair.score, pair.source, explanations[pair.key])
                    self.queued += queue_pair(session=session, stored=record, other=other, candidate=candidate) is not None
            session.commit()
        self._pending = []


def send_for_review(*, matcher: Matcher, session: Session, stored: StoredRecord, other_key: str, user: UserRow) -> ReviewPairRow:
    """A person asks for review of a candidate below the threshold; returns the pair (new or existing).

    Only for a record in the user's own jurisdiction: one cannot open a pair (and with it two
    full records) between strangers' children.
    """
    authorize(user, "search")
    if not covers(user, stored.record):
        raise PermissionDenied(f"{stored.record.kind} record {stored.record.id} is not in your jurisdiction")
    other = get_records_by_keys(session=session, keys=[other_key]).get(other_key)
    if other is None or other.record.kind == stored.record.kind:
        raise review.PairNotFound(f"no {('found' if stored.record.kind == 'missing' else 'missing')} record {other_key!r}")
    candidate = matcher.candidate_for(stored.record, other.record)
    queue_pair(session=session, stored=stored, other=other, candidate=candidate)
    missing, found = (stored, other) if stored.record.kind == "missing" else (other, stored)
    return review.get_by_keys_or_raise(session=session, missing_key=missing.key, found_key=found.key)
