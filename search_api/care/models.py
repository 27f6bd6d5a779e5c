from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from search_api.db import ServiceBase, utcnow


class CciRow(ServiceBase):
    """A Child Care Institution by its registration number, with its sanctioned capacity."""

    __tablename__ = "ccis"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CarePlanGoalRow(ServiceBase):
    """One goal of a child's individual care plan (education, health, counselling, vocational)."""

    __tablename__ = "care_plan_goals"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    found_key: Mapped[str] = mapped_column(String(80), index=True)
    domain: Mapped[str] = mapped_column(String(20))
    goal: Mapped[str] = mapped_column(Text)
    start_date: Mapped[dt.date] = mapped_column(Date)
    target_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, met, dropped
    setting: Mapped[str] = mapped_column(String(20), default="institution")  # institution, foster, sponsorship, after_care
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CareEventRow(ServiceBase):
    """What happened in a child's care: a service received, a CWC order, a periodic review, a
    transfer, a placement in non-institutional care. Append-only, like the audit."""

    __tablename__ = "care_events"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    found_key: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    on: Mapped[dt.date] = mapped_column(Date)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    next_review: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CareTransferRow(ServiceBase):
    """A child's move from one CCI to another (another district or state). The sending CCI or
    its district's CWC asks; the receiving CCI acknowledges; only then does the child's CCI change."""

    __tablename__ = "care_transfers"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    found_key: Mapped[str] = mapped_column(String(80), index=True)
    from_code: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str] = mapped_column(String(100))
    from_district: Mapped[str] = mapped_column(String(100))
    to_code: Mapped[str] = mapped_column(String(64), index=True)
    to_name: Mapped[str] = mapped_column(String(200), default="")
    to_state: Mapped[str] = mapped_column(String(100))
    to_district: Mapped[str] = mapped_column(String(100))
    order_no: Mapped[str] = mapped_column(String(100), default="")  # the CWC's transfer order
    status: Mapped[str] = mapped_column(String(12), default="requested", index=True)  # requested, acknowledged, declined
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_role: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_by: Mapped[str] = mapped_column(String(64), default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
