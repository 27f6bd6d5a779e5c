from __future__ import annotations

import datetime as dt
from typing import Any, Literal

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


class ReviewPairListed(ReviewPairRead):
    """A pair in a listing: each child as the viewer may see it (full or limited) and the
    explanation without values unless the viewer's jurisdiction covers both children."""

    missing: dict
    found: dict
    access: Literal["full", "limited"]

    @classmethod
    def of(cls, item: Any) -> ReviewPairListed:
        base = ReviewPairRead.model_validate(item.pair).model_dump()
        return cls(**{**base, "explanation": item.explanation, "missing": item.missing, "found": item.found, "access": item.access})


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


class DuplicateFlagListed(DuplicateFlagRead):
    """A duplicate flag in a listing, limited per side like ``ReviewPairListed``."""

    a: dict
    b: dict

    @classmethod
    def of(cls, item: Any) -> DuplicateFlagListed:
        base = DuplicateFlagRead.model_validate(item.flag).model_dump()
        return cls(**{**base, "explanation": item.explanation, "a": item.a, "b": item.b})


class DuplicateDecisionCreate(BaseModel):
    decision: Literal["duplicate", "distinct", "reopen"]
    note: str = Field(default="", max_length=4000)


class ReopenCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
