"""Writing a record through the service: store → indexes → faces → matching → review queue."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from embeddings import decode_image
from indexer import IngestReport, StoredRecord, TextIndexError, get_record, get_record_or_raise, get_records_by_keys, parse_record
from search_api.audit.service import Actor, append
from search_api.faces.flows import OPEN_STATUSES, sync_faces
from search_api.fusion.service import DUPLICATE_THRESHOLDS, Candidate, Matcher
from search_api.notifications import service as notifications
from search_api.policy import (
    UNIT_CODE_FIELD,
    UNIT_NAME_FIELD,
    UNIT_ROLES,
    PermissionDenied,
    authorize,
    authorize_edit,
    covers,
    may,
    may_override_proposal,
    may_send_for_review,
    unit_code_of,
)
from search_api.records import matching_jobs
from search_api.records.models import RecordEntryRow
from search_api.resources import Resources
from search_api.review import duplicates
from search_api.review import service as review
from search_api.review.models import ReviewPairRow
from search_api.users.models import UserRow

log = logging.getLogger(__name__)


class RecordInvalid(ValueError):
    """The record was rejected; ``problems`` name each field."""

    def __init__(self, report: IngestReport | None = None, problems: list[dict] | None = None) -> None:
        self.problems = problems if problems is not None else [{"field": p.field, "message": p.message} for p in report.rejected]  # type: ignore[union-attr]
        super().__init__("; ".join(f"{p['field']}: {p['message']}" for p in self.problems))


PHOTO_PATHS_REFUSED = (
    "photos arrive as uploads (POST /records/{kind}/{id}/photos), never as paths: keep this record's photos as they are, "
    "drop one, or upload a new one"
)


def _check_photos(data: dict, *, existing: StoredRecord | None, uploaded: list[str]) -> None:
    """Over the API a record's ``photos`` may only keep (or drop) the photos it has, plus the
    ones uploaded in this request: a path is never read from the server's disk. The message
    says nothing about the path or whether such a file exists."""
    photos = data.get("photos")
    if photos is None:
        return
    if not isinstance(photos, list):
        raise RecordInvalid(problems=[{"field": "photos", "message": "must be a list of this record's photos"}])
    allowed = set(existing.record.photos if existing is not None else ()) | set(uploaded)
    problems = [
        {"field": f"photos[{i}]", "message": PHOTO_PATHS_REFUSED}
        for i, given in enumerate(photos)
        if not isinstance(given, str) or given not in allowed
    ]
    if problems:
        raise RecordInvalid(problems=problems)


@dataclass
class SavedRecord:
    stored: StoredRecord
    candidates: list[Candidate]  # empty when matching is queued
    queued: int | None  # pairs that entered the review queue (None: matching is queued)
    duplicates_flagged: int | None = 0  # records of the same register that may be this child
    kept: list[str] = field(default_factory=list)  # what the store kept over the write (a closed status)
    matching: str = "done"  # "queued": a match job ranks the record soon after the answer
    match_job: int | None = None  # that job's id


def save_record(
    *,
    res: Resources,
    matcher: Matcher,
    session: Session,
    data: dict,
    user: UserRow,
    source: str = "",
    expected_version: str | None = None,
    uploaded: list[str] | None = None,
) -> SavedRecord:
    """Validate and store a record, index it, embed its photos; match it and queue strong pairs
    (by a match job after the answer, or before it with ``match_on_filing = "inline"``).

    Police file for their own station and CCI staff for their own institution, by unit code:
    an empty code (and name) is filled in from the user, a different code is refused, and so
    is overwriting a record that belongs to another unit or setting a closing status.
    ``photos`` may name only the record's own photos and those in ``uploaded`` (store paths of
    photos this request uploaded).

    Order: the record, its audit entry and its match job are committed in one transaction (the
    record marked *pending index*); the text index follows. A crash in between leaves the record
    pending, and the next ingest, ``reindex`` or server start indexes it; its job runs after
    ``matching_jobs.INDEXING_GRACE``.

    Args:
        expected_version: the version (``version`` of the record as read, the ETag) this write
            is based on; ``StaleWrite`` (HTTP 412) if the record has changed since.
        uploaded: store paths of photos this request uploaded.
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
    _check_photos(data, existing=existing, uploaded=uploaded or [])
    ingestor = res.ingestor()
    expected = {f"{kind}:{data.get('id')}": expected_version} if expected_version else None
    # a reviewer may move a closed case back to open; nobody else (and no import) can
    report = ingestor.stage_records(
        [data], session=session, source="api", reopen=may(user, "review_decide"), expected=expected, strict=True
    )  # a form is corrected by its author, not cleared
    if not report.ok:
        raise RecordInvalid(report)
    stored = get_record_or_raise(session=session, kind=kind, record_id=str(data["id"]))  # type: ignore[arg-type]
    _note_entry(session=session, record_key=stored.key, username=user.username)
    append(session=session, actor=Actor.of(user, source), action="record_edit", targets=[stored.key],
           detail={"changed": report.changed, "photos": len(stored.record.photos), "kept": [str(k) for k in report.kept]})  # fmt: skip
    if report.created:
        _tell_nodal_officers(session=session, stored=stored)
    if stored.record.kind == "missing" and stored.record.status != "open":
        from search_api.citizen.flows import withdraw_when_closed

        withdraw_when_closed(session=session, actor=Actor.of(user, source), record_keys=[stored.key])  # a public notice comes down
    ticket = ask_for_matching(res=res, session=session, stored=stored)
    session.commit()  # the record, its audit entry, its notifications and its match job, together
    saved = match_after_filing(res=res, matcher=matcher, session=session, stored=stored, ticket=ticket)
    saved.kept = [k.message for k in report.kept]
    return saved


def ask_for_matching(*, res: Resources, session: Session, stored: StoredRecord) -> matching_jobs.Ticket | None:
    """With ``match_on_filing = "background"``, the record's match job, in the filing's transaction."""
    if res.settings.match_on_filing != "background":
        return None
    return matching_jobs.enqueue(session=session, record_key=stored.key)


def match_after_filing(
    *, res: Resources, matcher: Matcher, session: Session, stored: StoredRecord, ticket: matching_jobs.Ticket | None
) -> SavedRecord:
    """After the commit: bring the text and face indexes up, then either make the match job due
    (background: the answer says matching is queued) or match now (inline)."""
    with res.index_writer():  # one writer for the indexes across every worker
        index_pending(res)
        if stored.record.photos:
            sync_faces(res)
    if ticket is not None:
        matching_jobs.release(session=session, ticket=ticket)
        session.commit()
        return SavedRecord(stored, [], None, None, matching="queued", match_job=ticket.pk)
    ranked, lookalikes = rank_both(matcher=matcher, stored=stored)  # before the first write
    saved = SavedRecord(stored, *match_and_queue(matcher=matcher, session=session, stored=stored, candidates=ranked))
    _candidates, saved.duplicates_flagged = flag_duplicates(session=session, stored=stored, candidates=lookalikes)
    return saved


def _tell_nodal_officers(*, session: Session, stored: StoredRecord) -> None:
    """The court's direction: a new missing report or found child goes at once to the nodal
    officers of its district (ids and place only)."""
    place = stored.record.place
    what = "missing report" if stored.record.kind == "missing" else "found child"
    notifications.notify(session=session, users=notifications.nodal_officers(session=session, state=place.state, district=place.district),
                         event=f"new_{stored.record.kind}", subject_key=stored.key,
                         text=f"New {what} {stored.key} in {place.district}, {place.state}",
                         link=f"/ui/records/{stored.record.kind}/{stored.record.id}")  # fmt: skip


def index_pending(res: Resources) -> int:
    """Bring the text index up to the store after a commit. If the index cannot be written now
    (another process holds it), the records stay pending for the next ingest or ``reindex``."""
    try:
        with res.index_writer():  # one writer across every worker (re-entrant)
            return res.ingestor().sync_pending()
    except TextIndexError as exc:
        log.warning("text index not updated now, records stay pending: %s", exc)
        return 0


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


def store_photo(*, res: Resources, session: Session, data: bytes) -> str:
    """Check an uploaded photo is a real, bounded image and keep it; returns its store path.

    The type comes from the decoded bytes, never from the uploader's file name. A new file goes
    again when ``session``'s transaction does not commit (no orphan photo in the store).
    """
    decode_image(data, max_bytes=res.settings.max_photo_bytes, max_pixels=res.settings.face_config().max_pixels)
    return res.photo_store.put_bytes(data, suffix=_suffix_of(data), session=session).relpath


def add_photo(
    *, res: Resources, matcher: Matcher, session: Session, stored: StoredRecord, data: bytes, user: UserRow, source: str = ""
) -> SavedRecord:
    """Attach a photo to a record and re-match it (a new photo is new evidence)."""
    authorize_edit(user, stored.record, previous_status=stored.record.status)
    relpath = store_photo(res=res, session=session, data=data)
    body = stored.record.model_dump(mode="json")
    if relpath not in body["photos"]:
        body["photos"].append(relpath)
    return save_record(res=res, matcher=matcher, session=session, data=body, user=user, source=source, uploaded=[relpath])


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


def find_candidates(*, matcher: Matcher, stored: StoredRecord, limit: int = 10) -> list[Candidate]:
    """Candidates from the other register, computed only: nothing is queued (what a page view shows)."""
    matcher.refresh_register_size()  # counts again only when the register changed
    return matcher.rank(stored.record, limit=limit, open_only=True)


def find_duplicates(*, matcher: Matcher, stored: StoredRecord, limit: int = 5) -> list[Candidate]:
    """Possible duplicates in the record's own register, computed only: nothing is flagged."""
    return matcher.rank(stored.record, limit=limit, same_side=True)


def rank_both(*, matcher: Matcher, stored: StoredRecord) -> tuple[list[Candidate], list[Candidate]]:
    """A record's candidates in the other register and its possible duplicates in its own,
    ranked before a transaction writes anything (see ``match_and_queue``)."""
    return find_candidates(matcher=matcher, stored=stored), find_duplicates(matcher=matcher, stored=stored)


def match_and_queue(
    *, matcher: Matcher, session: Session, stored: StoredRecord, candidates: list[Candidate]
) -> tuple[list[Candidate], int]:
    """Queue a record's strong candidates (``rank_both``'s first list) for review.

    A write: called on saving a record, by the matcher's batch jobs and by an explicit POST,
    never by a page view or a GET (those call ``find_candidates``). The candidates are ranked
    beforehand, before the transaction's first write, never while it holds the store's write
    lock (SQLite: one writer for every worker; a ranking takes 0.1–1 s).
    """
    strong = [c for c in candidates if c.score >= matcher.model.review_threshold]
    others = get_records_by_keys(session=session, keys=[c.key for c in strong])
    queued = 0
    for candidate in strong:
        other = others.get(candidate.key)
        if other is not None:
            queued += queue_pair(session=session, stored=stored, other=other, candidate=candidate) is not None
    return candidates, queued


def flag_duplicates(*, session: Session, stored: StoredRecord, candidates: list[Candidate]) -> tuple[list[Candidate], int]:
    """Of a record's possible duplicates in its own register (``rank_both``'s second list), those
    above the register's duplicate threshold are flagged for a person to decide (a write, like
    ``match_and_queue``)."""
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
    row = review.enqueue(
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
    if row is not None:
        # a candidate above the review threshold: the units on both sides hear of it
        units = [u for s in (missing, found) for u in notifications.units_of(session=session, record=s.record)]
        notifications.notify(session=session, users=units, event="candidate", subject_key=f"pair:{row.pk}",
                             text=f"Possible match for review: {missing.key} ~ {found.key} (pair {row.pk})",
                             link=f"/ui/review/{row.pk}")  # fmt: skip
    return row


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
    matcher.refresh_register_size()  # counts again only when the register changed
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


def queue_matches(*, matcher: Matcher, session: Session, stored: StoredRecord, user: UserRow, source: str = "") -> dict:
    """The explicit action behind ``POST /records/{kind}/{id}/match``: match a record of one's own
    jurisdiction now, queue strong pairs and flag strong duplicates; audited."""
    authorize(user, "search")
    if not covers(user, stored.record):
        raise PermissionDenied(f"{stored.record.kind} record {stored.record.id} is not in your jurisdiction")
    ranked, lookalikes = rank_both(matcher=matcher, stored=stored)  # before the first write
    candidates, queued = match_and_queue(matcher=matcher, session=session, stored=stored, candidates=ranked)
    _duplicates, flagged = flag_duplicates(session=session, stored=stored, candidates=lookalikes)
    append(session=session, actor=Actor.of(user, source), action="match_queue", targets=[stored.key, *[c.key for c in candidates]],
           detail={"results": len(candidates), "queued": queued, "flagged": flagged})  # fmt: skip
    return {"candidates": len(candidates), "queued_for_review": queued, "duplicates_flagged": flagged}
