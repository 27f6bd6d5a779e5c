from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class GoalCreate(BaseModel):
    domain: str = Field(description="education, health, counselling or vocational")
    goal: str = Field(min_length=1, max_length=2000)
    start_date: str
    target_date: str = ""
    setting: str = Field(default="institution", description="institution, foster, sponsorship or after_care")


class GoalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pk: int
    domain: str
    goal: str
    start_date: dt.date
    target_date: dt.date | None
    status: str
    setting: str
    created_by: str


class EventCreate(BaseModel):
    kind: str = Field(description="service, cwc_order, review, transfer, foster, sponsorship or after_care")
    on: str
    details: dict[str, str] = Field(default_factory=dict)
    next_review: str = ""


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pk: int
    kind: str
    on: dt.date
    details: dict
    next_review: dt.date | None
    recorded_by: str
    role: str


class CareRecordRead(BaseModel):
    found_id: str
    goals: list[GoalRead]
    events: list[EventRead]


class RollEntryRead(BaseModel):
    found_id: str
    since: dt.date | None
    next_review_due: dt.date | None
    setting: str


class RollRead(BaseModel):
    code: str
    name: str
    capacity: int
    in_care: int
    occupancy: float | None
    children: list[RollEntryRead]
