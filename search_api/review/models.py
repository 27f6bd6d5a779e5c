from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from search_api.db import ServiceBase, utcnow


class ReviewPairRow(ServiceBase):
    """A missing↔found pair a person must look at. One row per pair, ever."""

    __tablename__ = "review_pairs"
    __table_args__ = (UniqueConstraint("missing_key", "found_key", name="uq_review_pair"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    missing_key: Mapped[str] = mapped_column(String(80), index=True)
    found_key: Mapped[str] = mapped_column(String(80), index=True)
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending, confirmed, rejected, need_info, closed
    # the two records' content hashes when scored: a rejected pair returns only if this changes
    evidence_hash: Mapped[str] = mapped_column(String(64))
    missing_district: Mapped[str] = mapped_column(String(100), default="")
    found_district: Mapped[str] = mapped_column(String(100), default="")
    missing_state: Mapped[str] = mapped_column(String(100), default="", server_default=text("''"))
    found_state: Mapped[str] = mapped_column(String(100), default="", server_default=text("''"))
    explanation: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewDecisionRow(ServiceBase):
    """Every decision, kept: who, with what role, when, what, and why."""

    __tablename__ = "review_decisions"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pair_pk: Mapped[int] = mapped_column(ForeignKey("review_pairs.pk", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DuplicateFlagRow(ServiceBase):
    """Two records of one register that may be the same child (reported at two stations,
    admitted to two homes). A person decides; nothing is merged automatically."""

    __tablename__ = "duplicate_flags"
    __table_args__ = (UniqueConstraint("key_a", "key_b", name="uq_duplicate_flag"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    key_a: Mapped[str] = mapped_column(String(80), index=True)  # the smaller key of the two
    key_b: Mapped[str] = mapped_column(String(80), index=True)
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending, duplicate, distinct
    evidence_hash: Mapped[str] = mapped_column(String(64))
    district_a: Mapped[str] = mapped_column(String(100), default="")
    district_b: Mapped[str] = mapped_column(String(100), default="")
    state_a: Mapped[str] = mapped_column(String(100), default="")
    state_b: Mapped[str] = mapped_column(String(100), default="")
    explanation: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
