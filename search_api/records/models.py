from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from search_api.db import ServiceBase, utcnow


class RecordEntryRow(ServiceBase):
    """Who entered or edited a record through the service (home pages show 'my records')."""

    __tablename__ = "record_entries"
    __table_args__ = (UniqueConstraint("record_key", "username", name="uq_record_entry"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_key: Mapped[str] = mapped_column(String(80), index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
