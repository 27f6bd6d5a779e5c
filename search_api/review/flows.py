"""Review work spanning the queue and the registers: deciding a pair, showing its evidence."""

from __future__ import annotations

from sqlalchemy.orm import Session

from indexer import get_records_by_keys
from search_api.policy import authorize
from search_api.resources import Resources
from search_api.review import service
from search_api.review.models import ReviewPairRow
from search_api.review.schemas import DecisionRead, PairEvidence, ReviewPairRead
from search_api.users.models import UserRow

STATUS_ON_CONFIRM = {"missing": "traced", "found": "restored"}


class StatusUpdateFailed(RuntimeError):
    pass


def pair_evidence(*, session: Session, pair: ReviewPairRow, user: UserRow) -> PairEvidence:
    """Both children in full, the explanation and every decision so far."""
    authorize(user, "review_list")
    records = get_records_by_keys(session=session, keys=[pair.missing_key, pair.found_key])
    decisions = [DecisionRead.model_validate(d) for d in service.decisions_of(session=session, pair_pk=pair.pk)]

    def full(key: str) -> dict:
        return records[key].record.model_dump(mode="json") if key in records else {}

    return PairEvidence(
        pair=ReviewPairRead.model_validate(pair), missing=full(pair.missing_key), found=full(pair.found_key), decisions=decisions
    )


def decide_pair(*, res: Resources, session: Session, pair_pk: int, decision: str, note: str, user: UserRow) -> ReviewPairRow:
    """confirm / reject / need_info with a note. Confirming traces the missing report and
    restores the found child (through the ingest path, so the indexes follow)."""
    authorize(user, "review_decide")
    pair = service.get_or_raise(session=session, pair_pk=pair_pk)
    service.decide(session=session, pair=pair, decision=decision, note=note, user=user)
    # Commit the decision before the records change: SQLite has one writer, and the status
    # update goes through the ingest path (store, then text index) in its own session.
    session.commit()
    if decision == "confirm":
        records = get_records_by_keys(session=session, keys=[pair.missing_key, pair.found_key])
        updated = [
            {**stored.record.model_dump(mode="json"), "status": STATUS_ON_CONFIRM[stored.record.kind]} for stored in records.values()
        ]
        report = res.ingestor().ingest_records(updated, source="review")
        if not report.ok:
            raise StatusUpdateFailed(f"status update failed: {report.rejected}")
        session.expire_all()
    return pair
