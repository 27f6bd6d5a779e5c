from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from search_api.db import ServiceBase, utcnow


class UserRow(ServiceBase):
    __tablename__ = "users"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(100), default="")
    district: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(200), default="")  # police station or CCI: its name, for display
    # the unit's identity (CCTNS police-station code, CCI registration number); what policy compares
    unit_code: Mapped[str] = mapped_column(String(64), default="", server_default=text("''"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # lock-out after repeated failed logins (survives restarts, unlike the rate limiter)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TokenRow(ServiceBase):
    """A bearer token, stored only as its sha256 (a leaked table grants nothing)."""

    __tablename__ = "tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # the hard end, however busy the token is
    # sliding renewal: unused for ``idle_seconds`` the token ends; each use pushes this on (0: no idle end)
    idle_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    idle_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
