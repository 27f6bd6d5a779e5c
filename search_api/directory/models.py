from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from search_api.db import ServiceBase, utcnow


class DirectoryEntryRow(ServiceBase):
    """One service of a district: who, where, how to reach them. Public-service data, no child's."""

    __tablename__ = "directory_entries"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # normalised (state, district, type, code-or-name): what a re-import updates by
    entry_key: Mapped[str] = mapped_column(String(420), unique=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(60), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    state: Mapped[str] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(100), index=True)
    # CCIs: sanctioned capacity and registration number under the JJ Act
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    registration_no: Mapped[str] = mapped_column(String(64), default="")
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
