from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pk: int
    step: str
    due_at: dt.datetime
    done_at: dt.datetime | None
    done_by: str
    role: str
    fields: dict
    notes: str
    documents: list


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pk: int
    pair_pk: int
    missing_key: str
    found_key: str
    family_state: str
    family_district: str
    care_state: str
    care_district: str
    police_station: str
    cci_name: str
    status: str
    order_type: str
    created_at: dt.datetime
    updated_at: dt.datetime


class CaseDetailRead(BaseModel):
    case: CaseRead
    steps: list[StepRead]
    may_record: list[str]


class StepCreate(BaseModel):
    fields: dict[str, str] = Field(
        default_factory=dict, description="The step's fields, e.g. order_type, order_no, order_date for cwc_order"
    )
    notes: str = Field(default="", max_length=5000)


class OverdueRead(BaseModel):
    subject: str
    case_pk: int | None
    pair_pk: int | None
    step: str
    state: str
    district: str
    due_at: dt.datetime
    days_overdue: int
