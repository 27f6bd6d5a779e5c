from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from search_api.deps import CurrentUser, DbSession, ResourcesDep, Source
from search_api.review import flows, reopen, service
from search_api.review.schemas import (
    DecisionCreate,
    DuplicateDecisionCreate,
    DuplicateFlagListed,
    DuplicateFlagRead,
    PairEvidence,
    ReopenCreate,
    ReviewPairListed,
)

router = APIRouter(prefix="/review", tags=["review"])


@router.get("/queue", response_model=list[ReviewPairListed], summary="Pairs to review within your jurisdiction (audited)")
def queue(
    user: CurrentUser,
    session: DbSession,
    source: Source,
    status: Annotated[str, Query(pattern="^(pending|need_info|confirmed|rejected|closed)$")] = "pending",
    district: Annotated[str | None, Query(max_length=100)] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    order: Annotated[str, Query(pattern="^(score|least_sure)$", description="score: best first; least_sure: nearest 0.5 first")] = "score",
) -> list[ReviewPairListed]:
    items = flows.list_queue_for(
        session=session,
        user=user,
        status=status,
        district=district,
        min_score=min_score,
        limit=limit,
        offset=offset,
        source=source,
        order=order,
    )
    return [ReviewPairListed.of(item) for item in items]


@router.get("/pairs/{pair_pk}", response_model=PairEvidence, summary="Both children side by side with the evidence")
def pair(pair_pk: int, user: CurrentUser, session: DbSession, source: Source) -> PairEvidence:
    return flows.pair_evidence(session=session, pair=service.get_or_raise(session=session, pair_pk=pair_pk), user=user, source=source)


@router.post("/pairs/{pair_pk}/decision", response_model=PairEvidence)
def decide(pair_pk: int, body: DecisionCreate, user: CurrentUser, session: DbSession, res: ResourcesDep, source: Source) -> PairEvidence:
    """confirm / reject / need_info, with a note. Confirming traces the missing report,
    restores the found child and closes the other open pairs of both children. A rejected
    or closed pair never returns to the queue by itself: ``reopen`` (with a reason) does it."""
    decided = flows.decide_pair(res=res, session=session, pair_pk=pair_pk, decision=body.decision, note=body.note, user=user, source=source)
    return flows.pair_evidence(session=session, pair=decided, user=user, source=source)


@router.post("/pairs/{pair_pk}/reopen", response_model=PairEvidence, summary="Reopen a confirmed or rejected pair, with a reason")
def reopen_pair(pair_pk: int, body: ReopenCreate, user: CurrentUser, session: DbSession, res: ResourcesDep, source: Source) -> PairEvidence:
    """Statuses roll back, a restoration case is suspended, the pair returns to the queue; audited, nothing deleted."""
    pair = reopen.reopen_pair(res=res, session=session, pair_pk=pair_pk, reason=body.reason, user=user, source=source)
    return flows.pair_evidence(session=session, pair=pair, user=user, source=source)


@router.get("/duplicates", response_model=list[DuplicateFlagListed], summary="Possible duplicates in one register, in your jurisdiction")
def duplicate_flags(
    user: CurrentUser,
    session: DbSession,
    source: Source,
    status: Annotated[str, Query(pattern="^(pending|duplicate|distinct)$")] = "pending",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[DuplicateFlagListed]:
    items = flows.list_duplicates_for(session=session, user=user, status=status, limit=limit, offset=offset, source=source)
    return [DuplicateFlagListed.of(item) for item in items]


@router.post("/duplicates/{flag_pk}/decision", response_model=DuplicateFlagRead, summary="Same child (duplicate) or different children")
def decide_duplicate(
    flag_pk: int, body: DuplicateDecisionCreate, user: CurrentUser, session: DbSession, source: Source
) -> DuplicateFlagRead:
    row = flows.decide_duplicate(session=session, flag_pk=flag_pk, decision=body.decision, note=body.note, user=user, source=source)
    return DuplicateFlagRead.model_validate(row)
