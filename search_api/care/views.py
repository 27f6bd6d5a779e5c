from __future__ import annotations

from fastapi import APIRouter, status

from search_api.care import flows
from search_api.care.schemas import CareRecordRead, EventCreate, EventRead, GoalCreate, GoalRead, RollEntryRead, RollRead
from search_api.deps import CurrentUser, DbSession, Source

router = APIRouter(prefix="/care", tags=["care"])


@router.get("/children/{record_id}", response_model=CareRecordRead, summary="A found child's care plan and care events")
def care_record(record_id: str, user: CurrentUser, session: DbSession, source: Source) -> CareRecordRead:
    child, goals, events = flows.read_care(session=session, user=user, record_id=record_id, source=source)
    return CareRecordRead(found_id=child.record.id, goals=[GoalRead.model_validate(g) for g in goals],
                          events=[EventRead.model_validate(e) for e in events])  # fmt: skip


@router.post("/children/{record_id}/goals", response_model=GoalRead, status_code=status.HTTP_201_CREATED, summary="Add a care-plan goal")
def add_goal(record_id: str, body: GoalCreate, user: CurrentUser, session: DbSession, source: Source) -> GoalRead:
    return GoalRead.model_validate(flows.add_goal(session=session, user=user, record_id=record_id, source=source, **body.model_dump()))


@router.post("/children/{record_id}/events", response_model=EventRead, status_code=status.HTTP_201_CREATED,
             summary="Record a service, CWC order, review, transfer or placement")  # fmt: skip
def add_event(record_id: str, body: EventCreate, user: CurrentUser, session: DbSession, source: Source) -> EventRead:
    row = flows.add_event(session=session, user=user, record_id=record_id, kind=body.kind, on=body.on, details=body.details,
                          next_review=body.next_review, source=source)  # fmt: skip
    return EventRead.model_validate(row)


@router.get("/ccis/{code:path}/roll", response_model=RollRead, summary="Who is in a CCI's care, next review due, occupancy")
def roll(code: str, user: CurrentUser, session: DbSession, source: Source) -> RollRead:
    r = flows.read_roll(session=session, user=user, code=code, source=source)
    return RollRead(code=r.code, name=r.name, capacity=r.capacity, in_care=len(r.children), occupancy=r.occupancy,
                    children=[RollEntryRead(found_id=e.record_id, since=e.since, next_review_due=e.next_review_due, setting=e.setting)
                              for e in r.children])  # fmt: skip
