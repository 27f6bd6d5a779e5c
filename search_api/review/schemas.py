from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Decision = Literal["confirm", "reject", "need_info", "reopen"]  # reopen: a rejected or closed pair, with a reason


class ReviewPairRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pk: int
    missing_key: str
    found_key: str
    score: float
    status: str
    missing_district: str
    found_district: str
    explanation: dict
    created_at: dt.datetime
    updated_at: dt.datetime


class DecisionCreate(BaseModel):
    decision: Decision
    note: str = Field(default="", max_length=4000)


class DecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    decision: str
    note: str
    username: str
    role: str
    decided_at: dt.datetime


class PairEvidence(BaseModel):
    """A pair side by side: both full records, the explanation and the decisions so far."""

    pair: ReviewPairRead
    missing: dict
    found: dict
    decisions: list[DecisionRead]


class DuplicateFlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pk: int
    kind: str
    key_a: str
    key_b: str
    score: float
    status: str
    explanation: dict
    note: str
    decided_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class DuplicateDecisionCreate(BaseModel):
    decision: Literal["duplicate", "distinct", "reopen"]
    note: str = Field(default="", max_length=4000)


class ReopenCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
