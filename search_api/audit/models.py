from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from search_api.db import ServiceBase, utcnow


class AuditEntryRow(ServiceBase):
    """One audited act: who, role, when, what (ids only, never names or photos), from where.

    ``entry_hash`` covers the entry and the previous entry's hash, so editing, deleting or
    re-ordering any entry breaks every hash after it (``trackchild audit verify``).
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    actor_state: Mapped[str] = mapped_column(String(100), default="", index=True)  # state users read their state's entries
    action: Mapped[str] = mapped_column(String(32), index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    targets: Mapped[list] = mapped_column(JSON, default=list)  # record keys or pair ids
    detail: Mapped[dict] = mapped_column(JSON, default=dict)  # counts and filter names, never query text
    source: Mapped[str] = mapped_column(String(64), default="")  # client address or "cli"
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHeadRow(ServiceBase):
    """The chain's head. Appends compare-and-swap it, so two writers can never fork the chain."""

    __tablename__ = "audit_head"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    entry_hash: Mapped[str] = mapped_column(String(64))
