from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from search_api.audit import flows
from search_api.audit.schemas import AuditEntryRead, ChainRead
from search_api.deps import CurrentUser, DbSession, Source

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditEntryRead], summary="The audit trail, newest first (admin, national and state users)")
def trail(
    user: CurrentUser,
    session: DbSession,
    source: Source,
    username: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    target: Annotated[str | None, Query(max_length=100)] = None,
    since: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[AuditEntryRead]:
    rows = flows.read_trail(
        session=session, user=user, username=username, action=action, target=target, since=since, limit=limit, offset=offset, source=source
    )
    return [AuditEntryRead.model_validate(r) for r in rows]


@router.get("/verify", response_model=ChainRead, summary="Check the hash chain end to end")
def verify(user: CurrentUser, session: DbSession) -> ChainRead:
    report = flows.verify_chain(session=session, user=user)
    return ChainRead(ok=report.ok, entries=report.entries, problems=report.problems)
