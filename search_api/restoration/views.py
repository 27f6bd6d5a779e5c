from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from search_api.deps import CurrentUser, DbSession, ResourcesDep, Source
from search_api.restoration import flows
from search_api.restoration.schemas import CaseDetailRead, CaseRead, OverdueRead, StepCreate, StepRead

router = APIRouter(prefix="/restoration", tags=["restoration"])


@router.get("/cases", response_model=list[CaseRead], summary="Restoration cases of your units and districts")
def cases(
    user: CurrentUser,
    session: DbSession,
    source: Source,
    status: Annotated[str | None, Query(pattern="^(traced|restored|followed_up|closed|suspended)$")] = None,
) -> list[CaseRead]:
    return [CaseRead.model_validate(c) for c in flows.list_cases(session=session, user=user, status=status, source=source)]


@router.get("/cases/{case_pk}", response_model=CaseDetailRead, summary="A case with its steps and due dates")
def case(case_pk: int, user: CurrentUser, session: DbSession, source: Source) -> CaseDetailRead:
    detail = flows.case_detail(session=session, case_pk=case_pk, user=user, source=source)
    return CaseDetailRead(
        case=CaseRead.model_validate(detail.case), steps=[StepRead.model_validate(s) for s in detail.steps], may_record=detail.may_record
    )


@router.post("/cases/{case_pk}/steps/{step}", response_model=StepRead, summary="Record a step (CWC order, home verification, hand-over…)")
def record_step(
    case_pk: int, step: str, body: StepCreate, user: CurrentUser, session: DbSession, res: ResourcesDep, source: Source
) -> StepRead:
    row = flows.record_case_step(
        session=session, settings=res.settings, case_pk=case_pk, step=step, fields=body.fields, notes=body.notes, user=user, source=source
    )
    return StepRead.model_validate(row)


@router.get("/overdue", response_model=list[OverdueRead], summary="Overdue review and restoration steps in your area, oldest first")
def overdue(user: CurrentUser, session: DbSession, res: ResourcesDep) -> list[OverdueRead]:
    return [OverdueRead(**asdict(i)) for i in flows.list_overdue_for(session=session, settings=res.settings, user=user)]
