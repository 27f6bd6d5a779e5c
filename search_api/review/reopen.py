"""Decisions that can be undone: a confirmed or rejected pair reopened with a reason.

Nothing is deleted: the reopening is a decision row of its own, statuses roll back through
the ingest path (so the indexes follow), and a restoration case is suspended, not removed.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from indexer import get_records_by_keys
from search_api.audit.service import Actor, append
from search_api.db import utcnow
from search_api.policy import PermissionDenied, authorize, may_decide
from search_api.records.flows import index_pending
from search_api.resources import Resources
from search_api.restoration import service as restoration
from search_api.review import service
from search_api.review.models import ReviewPairRow
from search_api.users.models import UserRow

STATUS_ON_REOPEN = {"missing": "open", "found": "in_care"}


def reopen_pair(*, res: Resources, session: Session, pair_pk: int, reason: str, user: UserRow, source: str = "") -> ReviewPairRow:
    """Back to the queue, by a unit entitled to decide the pair, with a reason (audited)."""
    authorize(user, "review_decide")
    pair = service.get_or_raise(session=session, pair_pk=pair_pk)
    records = get_records_by_keys(session=session, keys=[pair.missing_key, pair.found_key])
    missing, found = records.get(pair.missing_key), records.get(pair.found_key)
    if not may_decide(user, missing.record if missing else None, found.record if found else None):
        raise PermissionDenied(f"review pair {pair.pk} belongs to the DCPU/CWC of another district")
    was = pair.status
    service.decide(session=session, pair=pair, decision="reopen", note=reason, user=user)  # checks the status and the reason
    reopened_others: list[int] = []
    if was == "confirmed":
        # the pairs the confirmation closed go back to the queue as well
        others = session.scalars(
            select(ReviewPairRow).where(
                ReviewPairRow.pk != pair.pk,
                ReviewPairRow.status == "closed",
                or_(ReviewPairRow.missing_key == pair.missing_key, ReviewPairRow.found_key == pair.found_key),
            )
        )
        for other in others:
            other.status, other.updated_at = "pending", utcnow()
            reopened_others.append(other.pk)
        case = restoration.case_of_pair(session=session, pair_pk=pair.pk)
        if case is not None:
            restoration.suspend(session=session, case=case)
    append(
        session=session,
        actor=Actor.of(user, source),
        action="review_reopen",
        targets=[f"pair:{pair.pk}", pair.missing_key, pair.found_key],
        detail={"was": was, "pairs_reopened": reopened_others},
    )
    if was == "confirmed":
        rolled = [{**s.record.model_dump(mode="json"), "status": STATUS_ON_REOPEN[s.record.kind]} for s in (missing, found) if s]
        # a reviewer's write may move a closed case back to open; in the same transaction as the decision
        report = res.ingestor().stage_records(rolled, session=session, source="review", reopen=True, strict=True)
        if not report.ok:
            raise service.CannotReopen(f"status roll-back failed: {report.rejected}")
    session.commit()
    if was == "confirmed":
        index_pending(res)
        session.expire_all()
    return pair
