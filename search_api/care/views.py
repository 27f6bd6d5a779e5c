from __future__ import annotations

from fastapi import APIRouter, status

from search_api.care import flows
from search_api.care.schemas import (
    CareRecordRead,
    EventCreate,
    EventRead,
    GoalCreate,
    GoalRead,
    RollEntryRead,
    RollRead,
    TransferAnswer,
    TransferCreate,
    TransferRead,
)
from search_api.deps import CurrentUser, DbSession, ResourcesDep, Source

router = APIRouter(prefix="/care", tags=["care"])


@router.get("/children/{record_id}", response_model=CareRecordRead, summary="A found child's care plan and care events")
def care_record(record_id: str, user: CurrentUser, session: DbSession, source: Source) -> CareRecordRead:
    care = flows.care_page(session=session, user=user, record_id=record_id, source=source)
    return CareRecordRead(found_id=care.child.record.id, goals=[GoalRead.model_validate(g) for g in care.goals],
                          events=[EventRead.model_validate(e) for e in care.events],
                          transfers=[TransferRead.model_validate(t) for t in care.transfers])  # fmt: skip


@router.post("/children/{record_id}/transfers", response_model=TransferRead, status_code=status.HTTP_201_CREATED,
             summary="Ask for a transfer to another CCI (the receiving CCI acknowledges; only then the child's CCI changes)")  # fmt: skip
def request_transfer(record_id: str, body: TransferCreate, user: CurrentUser, session: DbSession, source: Source) -> TransferRead:
    row = flows.request_transfer(session=session, user=user, record_id=record_id, source=source, **body.model_dump())
    return TransferRead.model_validate(row)


@router.post("/transfers/{transfer_pk}/answer", response_model=TransferRead, summary="The receiving CCI acknowledges or declines")
def answer_transfer(transfer_pk: int, body: TransferAnswer, user: CurrentUser, session: DbSession, res: ResourcesDep,
                    source: Source) -> TransferRead:  # fmt: skip
    row = flows.answer_transfer(res=res, session=session, user=user, transfer_pk=transfer_pk, answer=body.answer, note=body.note,
                                source=source)  # fmt: skip
    return TransferRead.model_validate(row)


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
    transfers = flows.roll_transfers(session=session, user=user, code=code)
    return RollRead(code=r.code, name=r.name, capacity=r.capacity, in_care=len(r.children), occupancy=r.occupancy,
                    children=[RollEntryRead(found_id=e.record_id, since=e.since, next_review_due=e.next_review_due, setting=e.setting)
                              for e in r.children], transfers=[TransferRead.model_validate(t) for t in transfers])  # fmt: skip
