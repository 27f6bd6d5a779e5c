"""Pydantic models of the citizen corner's API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ReportReceipt(BaseModel):
    """All a citizen gets back: the reference to quote, and whether the report waits."""

    reference: str
    held_until: dt.datetime | None = Field(description="sent without the proof of work: the DCPU sees it from then on")
    photo_check: list[str] = Field(description="problems of the photo's face for matching (no_face, blurred...); the photo is kept")


class ChallengeRead(BaseModel):
    challenge: str
    bits: int = Field(description="find a nonce whose SHA-256 of '<challenge>:<nonce>' starts with this many zero bits")


class ReportRead(_Read):
    pk: int
    reference: str
    kind: str
    state: str
    district: str
    place: str
    seen_on: str
    child_name: str
    age: str
    sex: str
    description: str
    has_photo: bool = False
    photo_problems: list[str]
    reporter_name: str
    reporter_phone: str
    reporter_relation: str
    proof: str
    visible_after: dt.datetime
    status: str
    decided_by: str
    decided_at: dt.datetime | None
    reason: str
    record_key: str
    warnings: list[dict]
    created_at: dt.datetime

    @classmethod
    def of(cls, row: object) -> ReportRead:
        read = cls.model_validate(row)
        read.has_photo = bool(getattr(row, "photo", ""))
        return read


class AcceptBody(BaseModel):
    unit_name: str = Field(default="", max_length=200, description="the police station (missing) or CCI (seen) that takes the child on")
    unit_code: str = Field(default="", max_length=64, description="its CCTNS code or CCI registration number")


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class AcceptedRead(BaseModel):
    report: ReportRead
    record_key: str
    warnings: list[dict]
    candidates: list[dict]  # empty while matching is queued
    matching: str = Field(description='"queued": a match job ranks the record soon (see match_job); "done": matched before answering')
    match_job: int | None = None
    queued_for_review: int | None = None  # with matching "done" only


class ConsentCreate(BaseModel):
    record_id: str = Field(max_length=64, description="the missing report's id")
    guardian_name: str = Field(max_length=200)
    guardian_relation: str = Field(max_length=100)
    consent_how: str = Field(max_length=500, description="how consent was given, e.g. 'signed form at Kotwali PS'")
    photo_position: int = Field(default=0, ge=0, le=50, description="which of the record's photos is shown")


class WithdrawBody(BaseModel):
    reason: str = Field(default="", max_length=500)


class NoticeRead(_Read):
    pk: int
    public_id: str
    record_key: str
    state: str
    district: str
    guardian_name: str
    guardian_relation: str
    consent_how: str
    consent_by: str
    consent_at: dt.datetime
    status: str
    withdrawn_by: str
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str


class PublicNoticeRead(BaseModel):
    """A notice as the public sees it: these fields and no other."""

    public_id: str
    first_name: str
    age: float | None
    district: str
    photo_url: str | None
