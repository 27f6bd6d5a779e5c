"""Reading the audit trail: admin and national users see all of it, state users their state's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from search_api.audit import service
from search_api.audit.models import AuditEntryRow
from search_api.policy import NOWHERE, SCOPE, authorize
from search_api.users.models import UserRow


def read_trail(
    *, session: Session, user: UserRow, username: str | None = None, action: str | None = None, target: str | None = None,
    since: dt.datetime | None = None, limit: int = 100, offset: int = 0, source: str = "",
) -> list[AuditEntryRow]:  # fmt: skip
    authorize(user, "audit_read")
    state = (user.state or NOWHERE) if SCOPE[user.role] == "state" else None  # a state user without a state reads nothing
    rows = service.list_entries(
        session=session, state=state, username=username, action=action, target=target, since=since, limit=limit, offset=offset
    )
    # reading the trail is itself an act worth recording
    service.append(session=session, actor=service.Actor.of(user, source), action="audit_read", detail={"results": len(rows)})
    return rows


def verify_chain(*, session: Session, user: UserRow) -> service.ChainReport:
    authorize(user, "audit_read")
    return service.verify(session=session)
