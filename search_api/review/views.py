from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from indexer import get_records_by_keys
from search_api.deps import CurrentUser, DbSession, ResourcesDep
from search_api.policy import authorize
from search_api.review import service
from search_api.review.schemas import DecisionCreate, DecisionRead, PairEvidence, ReviewPairRead

router = APIRouter(prefix="/review", tags=["review"])


@router.get("/queue", response_model=list[ReviewPairRead])
def queue(
    user: CurrentUser,
    session: DbSession,
    status: Annotated[str, Query(pattern="^(pending|need_info|confirmed|rejected|closed)$")] = "pending",
    district: Annotated[str | None, Query(max_length=100)] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ReviewPairRead]:
    authorize(user, "review_list")
    rows = service.list_queue(session=session, status=status, district=district, min_score=min_score, limit=limit, offset=offset)
    return [ReviewPairRead.model_validate(r) for r in rows]


def _evidence(session, pair) -> PairEvidence:  # type: ignore[no-untyped-def]
    records = get_records_by_keys(session=session, keys=[pair.missing_key, pair.found_key])
    show = lambda key: records[key].record.model_dump(mode="json") if key in records else {}  # noqa: E731
    decisions = [DecisionRead.model_validate(d) for d in service.decisions_of(session=session, pair_pk=pair.pk)]
    return PairEvidence(
        pair=ReviewPairRead.model_validate(pair), missing=show(pair.missing_key), found=show(pair.found_key), decisions=decisions
    )


@router.get("/pairs/{pair_pk}", response_model=PairEvidence, summary="Both children side by side with the evidence")
def pair(pair_pk: int, user: CurrentUser, session: DbSession) -> PairEvidence:
    authorize(user, "review_list")
    return _evidence(session, service.get_or_raise(session=session, pair_pk=pair_pk))


@router.post("/pairs/{pair_pk}/decision", response_model=PairEvidence)
def decide(pair_pk: int, body: DecisionCreate, user: CurrentUser, session: DbSession, res: ResourcesDep) -> PairEvidence:
    """confirm / reject / need_info, with a note. Confirming traces the missing report,
    restores the found child and closes the other open pairs of both children."""
    authorize(user, "review_decide")
    pair_row = service.get_or_raise(session=session, pair_pk=pair_pk)
    service.decide(session=session, pair=pair_row, decision=body.decision, note=body.note, user=user)
    # The decision is committed before the records change: SQLite has one writer, and the
    # status update goes through the ingest path (store, then text index) in its own session.
    session.commit()
    if body.decision == "confirm":
        records = get_records_by_keys(session=session, keys=[pair_row.missing_key, pair_row.found_key])
        updated = []
        for key, status in ((pair_row.missing_key, "traced"), (pair_row.found_key, "restored")):
            if key in records:
                updated.append({**records[key].record.model_dump(mode="json"), "status": status})
        report = res.ingestor().ingest_records(updated, source="review")
        if not report.ok:
            raise RuntimeError(f"status update failed: {report.rejected}")
    return _evidence(session, pair_row)
