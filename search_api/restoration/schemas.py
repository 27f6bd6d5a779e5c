from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class DocumentRead(BaseModel):
    """A document on a step: what it is, never where it is kept."""

    model_config = ConfigDict(from_attributes=True)

    pk: int
    media_type: str
    size_bytes: int
    pages: int
    label: str
    sha256: str
    uploaded_by: str
    role: str
    uploaded_at: dt.datetime
    url: str = ""


class StepRead(BaseModel):
    pk: int
    step: str
    due_at: dt.datetime
    done_at: dt.datetime | None
    done_by: str
    role: str
    fields: dict
    notes: str
    documents: list[DocumentRead] = Field(default_factory=list)

    @classmethod
    def of(cls, row, documents=()) -> StepRead:  # type: ignore[no-untyped-def]
        """A step with its documents (the row keeps store paths; readers get ids and links)."""
        names = ("pk", "step", "due_at", "done_at", "done_by", "role", "fields", "notes")
        docs = [DocumentRead.model_validate(d).model_copy(update={"url": f"/restoration/cases/{d.case_pk}/documents/{d.pk}"})
                for d in documents]  # fmt: skip
        return cls(**{name: getattr(row, name) for name in names}, documents=docs)


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
    may_attach: list[str] = Field(default_factory=list, description="Steps whose papers you may add")


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
