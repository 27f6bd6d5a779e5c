from __future__ import annotations

import datetime as dt
from typing import Literal

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


class TransferCreate(BaseModel):
    to_code: str = Field(min_length=1, max_length=64, description="The receiving CCI's registration number")
    to_state: str = Field(default="", max_length=100, description="Needed when the CCI is not in the register")
    to_district: str = Field(default="", max_length=100)
    to_name: str = Field(default="", max_length=200)
    order_no: str = Field(default="", max_length=100, description="The CWC's transfer order")
    note: str = Field(default="", max_length=2000)


class TransferAnswer(BaseModel):
    answer: Literal["acknowledge", "decline"]
    note: str = Field(default="", max_length=2000)


class TransferRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pk: int
    found_key: str
    from_code: str
    from_state: str
    from_district: str
    to_code: str
    to_name: str
    to_state: str
    to_district: str
    order_no: str
    status: str
    requested_by: str
    requested_at: dt.datetime
    answered_by: str
    answered_at: dt.datetime | None


class CareRecordRead(BaseModel):
    found_id: str
    goals: list[GoalRead]
    events: list[EventRead]
    transfers: list[TransferRead] = Field(default_factory=list)


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
    transfers: list[TransferRead] = Field(default_factory=list, description="Into or out of this CCI, newest first")
