"""Care work with its audit entries (the API, the pages and the CLI call these)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from search_api.audit.service import Actor, append
from search_api.care import service
from search_api.care.models import CareEventRow, CarePlanGoalRow
from search_api.policy import PermissionDenied
from search_api.users.models import UserRow


def read_care(*, session: Session, user: UserRow, record_id: str, source: str = ""):  # type: ignore[no-untyped-def]
    child = service.child_or_raise(session=session, record_id=record_id)
    if not service.may_read(user, child):
        raise PermissionDenied(f"the care record of {child.key} is not in your jurisdiction")
    append(session=session, actor=Actor.of(user, source), action="care_view", targets=[child.key])
    return child, *service.care_record(session=session, found_key=child.key)


def add_goal(*, session: Session, user: UserRow, record_id: str, source: str = "", **fields: str) -> CarePlanGoalRow:
    child = service.child_or_raise(session=session, record_id=record_id)
    row = service.add_goal(session=session, child=child, user=user, **fields)
    append(session=session, actor=Actor.of(user, source), action="care_goal", targets=[child.key], detail={"domain": row.domain})
    return row


def add_event(*, session: Session, user: UserRow, record_id: str, kind: str, on: str, details: dict | None = None, next_review: str = "",
              source: str = "") -> CareEventRow:  # fmt: skip
    child = service.child_or_raise(session=session, record_id=record_id)
    row = service.add_event(session=session, child=child, user=user, kind=kind, on=on, details=details, next_review=next_review)
    append(session=session, actor=Actor.of(user, source), action="care_event", targets=[child.key], detail={"kind": kind})
    return row


def read_roll(*, session: Session, user: UserRow, code: str, source: str = "") -> service.Roll:
    roll = service.roll(session=session, user=user, code=code)
    append(
        session=session, actor=Actor.of(user, source), action="care_roll", targets=[f"cci:{code}"], detail={"in_care": len(roll.children)}
    )
    return roll
