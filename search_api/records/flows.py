"""Writing a record through the service: store → indexes → faces → matching → review queue."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from embeddings import decode_image
from indexer import IngestReport, StoredRecord, get_record, get_record_or_raise, get_records_by_keys, parse_record
from search_api.audit.service import Actor, append
from search_api.faces.flows import sync_faces
from search_api.fusion.service import DUPLICATE_THRESHOLDS, Candidate, Matcher
from search_api.policy import (
    UNIT_CODE_FIELD,
    UNIT_NAME_FIELD,
    UNIT_ROLES,
    PermissionDenied,
    authorize,
    authorize_edit,
    may_override_proposal,
    may_send_for_review,
    unit_code_of,
)
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

    Police file for their own station and CCI staff for their own institution, by unit code:
    an empty code (and name) is filled in from the user, a different code is refused, and so
    is overwriting a record that belongs to another unit or setting a closing status.
    """
    kind = data.get("kind")
    authorize(user, "create_missing" if kind == "missing" else "create_found")
    existing = get_record(session=session, kind=kind, record_id=str(data.get("id") or "")) if kind in ("missing", "found") else None
    data = _with_own_unit(data, user, existing)
    try:
        incoming = parse_record(data)
    except ValidationError:
        incoming = None  # the ingest below names every bad field
    previous_status = existing.record.status if existing is not None else None
    if incoming is not None:  # an invalid record is refused below, naming its fields, and writes nothing
        if existing is not None:
            authorize_edit(user, existing.record, previous_status=previous_status)
        authorize_edit(user, incoming, previous_status=previous_status)
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


def _with_own_unit(data: dict, user: UserRow, existing: StoredRecord | None) -> dict:
    """The owning unit's code stays with a record: a re-submission without it keeps the stored
    one; police and CCI staff file for their own unit when none is given."""
    kind = data.get("kind")
    if kind not in UNIT_CODE_FIELD:
        return data
    code_field, name_field = UNIT_CODE_FIELD[kind], UNIT_NAME_FIELD[kind]
    data = dict(data)
    if existing is not None and not str(data.get(code_field) or "").strip():
        data[code_field] = unit_code_of(existing.record)
    if UNIT_ROLES.get(user.role) == kind:
        if not str(data.get(code_field) or "").strip():
            data[code_field] = user.unit_code
        if user.unit and not str(data.get(name_field) or "").strip():
            data[name_field] = user.unit
    return {k: v for k, v in data.items() if not (k == code_field and not v)}


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
    authorize_edit(user, stored.record, previous_status=stored.record.status)
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


# how many of the matcher's candidates count as proposed: what the record page and the API show
PROPOSED_CANDIDATES = 10


class NotProposed(PermissionDenied):
    """The pair is not among the matcher's candidates, and no reviewer's override was given."""


def send_for_review(
    *, matcher: Matcher, session: Session, stored: StoredRecord, other_key: str, user: UserRow, reason: str = "", source: str = ""
) -> ReviewPairRow:
    """A person asks for review of a candidate below the threshold; returns the pair (new or existing).

    Only the record's own unit (police, CCI) or a reviewer whose jurisdiction holds it may
    send, and only a pair the matcher proposes: the matcher is re-run for the record now and
    the other record must be among its candidates. A reviewer (CWC, DCPU, admin) may send any
    other pair with a ``reason``; the override is audited with it. Every sending is audited.

    Raises:
        PermissionDenied: the role or unit may not send pairs of this record.
        NotProposed: the matcher does not propose the pair and there is no valid override.
        PairNotFound: no record of the other register under ``other_key``.
    """
    authorize(user, "review_send")
    if not may_send_for_review(user, stored.record):
        raise PermissionDenied(f"{stored.record.kind} record {stored.record.id} is not yours to send for review")
    other = get_records_by_keys(session=session, keys=[other_key]).get(other_key)
    if other is None or other.record.kind == stored.record.kind:
        raise review.PairNotFound(f"no {('found' if stored.record.kind == 'missing' else 'missing')} record {other_key!r}")
    matcher.refresh_register_size()
    proposed = {c.key: c for c in matcher.rank(stored.record, limit=PROPOSED_CANDIDATES, open_only=True)}
    candidate = proposed.get(other.key)
    reason = reason.strip()[:2000]
    if candidate is None:
        if not reason or not may_override_proposal(user, stored.record):
            raise NotProposed(
                f"{other.key} is not among the matcher's candidates for {stored.key}; "
                "a reviewer of the district (CWC, DCPU) may send it with a reason"
            )
        candidate = matcher.candidate_for(stored.record, other.record)
    queue_pair(session=session, stored=stored, other=other, candidate=candidate)
    missing, found = (stored, other) if stored.record.kind == "missing" else (other, stored)
    pair = review.get_by_keys_or_raise(session=session, missing_key=missing.key, found_key=found.key)
    detail: dict = {"proposed": other.key in proposed, "score": round(candidate.score, 4)}
    if other.key not in proposed:
        detail["override_reason"] = reason
    append(session=session, actor=Actor.of(user, source), action="review_send",
           targets=[f"pair:{pair.pk}", missing.key, found.key], detail=detail)  # fmt: skip
    return pair
