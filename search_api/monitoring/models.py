from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from search_api.db import ServiceBase, utcnow


class PoliceActionRow(ServiceBase):
    """One step the reporting station took to trace a missing child. Append-only: a mistake is
    corrected by a later entry, so the log shows what was done and when, as it was told."""

    __tablename__ = "police_actions"
    __table_args__ = (Index("ix_police_actions_record_at", "record_key", "created_at"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_key: Mapped[str] = mapped_column(String(80))  # missing:<id>
    action: Mapped[str] = mapped_column(String(32))  # fir_registered, photo_circulated, cctns_checked, ...
    fir_number: Mapped[str] = mapped_column(String(64), default="")
    fir_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    details: Mapped[str] = mapped_column(Text, default="")  # places searched, who was contacted, where circulated
    notes: Mapped[str] = mapped_column(Text, default="")
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(64), default="")  # the station that acted (CCTNS code)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)  # server time
