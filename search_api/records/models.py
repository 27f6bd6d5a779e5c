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


class MatchJobRow(ServiceBase):
    """Matching a filed record against both registers, done after the filing has answered.

    Written in the filing's own transaction (an outbox): a record committed always has its job.
    While the job is open ``open_key`` holds the record key, and it is unique, so a record has
    at most one open job: a second filing before the job runs joins it (``filings`` counts
    them). The worker claims a job by compare-and-swap on ``claimed_by``; a claim older than the
    claim timeout is a dead worker's and is taken over. Ids and counts only, never a child's data.
    """

    __tablename__ = "match_jobs"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_key: Mapped[str] = mapped_column(String(80), index=True)
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True, nullable=True)  # the record key while open, else NULL
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending, done, failed
    filings: Mapped[int] = mapped_column(Integer, default=1)  # filings this job answers for (bumped by each one that joins)
    queued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")  # the exception's type and where: ids, no values
    queued: Mapped[int | None] = mapped_column(Integer, nullable=True)  # pairs that entered the review queue
    flagged: Mapped[int | None] = mapped_column(Integer, nullable=True)  # possible duplicates flagged
