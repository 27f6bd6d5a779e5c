"""Review work spanning the queue and the registers: listing, showing and deciding pairs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from indexer import get_records_by_keys
from search_api.audit.service import Actor, append
from search_api.policy import PermissionDenied, authorize, covers, may, may_decide, review_area, sees_pair
from search_api.resources import Resources
from search_api.review import duplicates, service
from search_api.review.models import ReviewPairRow
from search_api.review.schemas import DecisionRead, PairEvidence, ReviewPairRead
from search_api.users.models import UserRow

STATUS_ON_CONFIRM = {"missing": "traced", "found": "restored"}


class StatusUpdateFailed(RuntimeError):
    pass


def list_queue_for(
    *, session: Session, user: UserRow, status: str = "pending", district: str | None = None, min_score: float | None = None,
    limit: int = 50, offset: int = 0,
) -> list[ReviewPairRow]:  # fmt: skip
    """The queue within the user's jurisdiction (district, state or national)."""
    authorize(user, "review_list")
    return service.list_queue(
        session=session, status=status, district=district, min_score=min_score, limit=limit, offset=offset, area=review_area(user)
    )


def count_open_for(*, session: Session, user: UserRow) -> int:
    return service.count_open(session=session, area=review_area(user)) if may(user, "review_list") else 0


def _pair_records(session: Session, pair: ReviewPairRow):  # type: ignore[no-untyped-def]
    records = get_records_by_keys(session=session, keys=[pair.missing_key, pair.found_key])
    return records.get(pair.missing_key), records.get(pair.found_key)


def pair_evidence(*, session: Session, pair: ReviewPairRow, user: UserRow, source: str = "") -> PairEvidence:
    """Both children in full, the explanation and every decision so far.

    Opens to whoever has either child in their jurisdiction; a record outside it is shown in
    full only here, and the audit entry says which.
    """
    authorize(user, "read_record")
    missing, found = _pair_records(session, pair)
    if not sees_pair(user, missing.record if missing else None, found.record if found else None):
        raise PermissionDenied(f"review pair {pair.pk} involves none of the records in your jurisdiction")
    opened = [s.key for s in (missing, found) if s is not None and not covers(user, s.record)]
    targets = [f"pair:{pair.pk}", pair.missing_key, pair.found_key]
    append(session=session, actor=Actor.of(user, source), action="pair_view", targets=targets, detail={"opened_through_pair": opened})
    decisions = [DecisionRead.model_validate(d) for d in service.decisions_of(session=session, pair_pk=pair.pk)]
    return PairEvidence(
        pair=ReviewPairRead.model_validate(pair),
        missing=missing.record.model_dump(mode="json") if missing else {},
        found=found.record.model_dump(mode="json") if found else {},
        decisions=decisions,
    )


def decide_pair(
    *, res: Resources, session: Session, pair_pk: int, decision: str, note: str, user: UserRow, source: str = ""
) -> ReviewPairRow:
    """confirm / reject / need_info with a note, by the DCPU or CWC of either child's district.
    Confirming traces the missing report and restores the found child (through the ingest
    path, so the indexes follow)."""
    authorize(user, "review_decide")
    pair = service.get_or_raise(session=session, pair_pk=pair_pk)
    missing, found = _pair_records(session, pair)
    if not may_decide(user, missing.record if missing else None, found.record if found else None):
        raise PermissionDenied(f"review pair {pair.pk} belongs to the DCPU/CWC of another district")
    service.decide(session=session, pair=pair, decision=decision, note=note, user=user)
    append(session=session, actor=Actor.of(user, source), action="review_decision",
           targets=[f"pair:{pair.pk}", pair.missing_key, pair.found_key], detail={"decision": decision})  # fmt: skip
    # Commit the decision before the records change: SQLite has one writer, and the status
    # update goes through the ingest path (store, then text index) in its own session.
    session.commit()
    if decision == "confirm":
        updated = [
            {**stored.record.model_dump(mode="json"), "status": STATUS_ON_CONFIRM[stored.record.kind]}
            for stored in (missing, found)
            if stored is not None
        ]
        with res.index_writer():
            report = res.ingestor().ingest_records(updated, source="review")
        if not report.ok:
            raise StatusUpdateFailed(f"status update failed: {report.rejected}")
        session.expire_all()
    return pair


def list_duplicates_for(*, session: Session, user: UserRow, status: str = "pending", limit: int = 50, offset: int = 0):  # type: ignore[no-untyped-def]
    """Possible duplicates within the user's jurisdiction."""
    authorize(user, "review_list")
    return duplicates.list_flags(session=session, status=status, area=review_area(user), limit=limit, offset=offset)


def decide_duplicate(*, session: Session, flag_pk: int, decision: str, note: str, user: UserRow, source: str = ""):  # type: ignore[no-untyped-def]
    """Same child / different children, by the DCPU or CWC of either record's district."""
    authorize(user, "review_decide")
    row = duplicates.get_or_raise(session=session, flag_pk=flag_pk)
    records = get_records_by_keys(session=session, keys=[row.key_a, row.key_b])
    a, b = records.get(row.key_a), records.get(row.key_b)
    if not may_decide(user, a.record if a else None, b.record if b else None):
        raise PermissionDenied(f"duplicate flag {flag_pk} belongs to the DCPU/CWC of another district")
    duplicates.decide(session=session, row=row, decision=decision, note=note, username=user.username)
    append(session=session, actor=Actor.of(user, source), action="duplicate_decision",
           targets=[f"duplicate:{row.pk}", row.key_a, row.key_b], detail={"decision": decision})  # fmt: skip
    return row
