"""Tables of the system of record. Search indexes are derived from these and rebuildable."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint, false, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


# the condition ``iter_records(only_pending=True)`` asks, word for word, so that the planner uses the partial index
UNINDEXED = "indexed_hash IS NULL OR indexed_hash != content_hash"


class ChildRecordRow(Base):
    """One missing report or found child. ``payload`` is the validated canonical record."""

    __tablename__ = "child_records"
    __table_args__ = (
        UniqueConstraint("kind", "source_id", name="uq_child_records_kind_source_id"),
        Index("ix_child_records_place", "state", "district"),
        Index("ix_child_records_pending", "indexed_hash"),
        # the records the text index does not hold yet: every filing looks for them while it holds
        # the one index writer, and a scan of the whole register there (80–200 ms at 200,000
        # records) serialised every filing behind it; the partial index holds only those rows
        Index("ix_child_records_unindexed", "pk", sqlite_where=text(UNINDEXED), postgresql_where=text(UNINDEXED)),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    source_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(500), default="")
    sex: Mapped[str] = mapped_column(String(1), default="")
    age: Mapped[float | None] = mapped_column(Float, nullable=True)
    date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    state: Mapped[str] = mapped_column(String(100), default="")
    district: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict] = mapped_column(JsonDocument)
    # sha256 of the canonical payload: re-importing an unchanged record is a no-op.
    content_hash: Mapped[str] = mapped_column(String(64))
    # content_hash last written to the text index; differs while an index update is pending.
    indexed_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    photos: Mapped[list[PhotoRow]] = relationship(back_populates="record", cascade="all, delete-orphan", order_by="PhotoRow.position")


class PhotoRow(Base):
    """A photo of a record, stored content-addressed in the data dir by sha256."""

    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("record_pk", "sha256", name="uq_photos_record_sha256"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_pk: Mapped[int] = mapped_column(ForeignKey("child_records.pk", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    relpath: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    record: Mapped[ChildRecordRow] = relationship(back_populates="photos")


class ArchivedRecordRow(Base):
    """A record moved out of the active registers by the retention rule (kept, not searched)."""

    __tablename__ = "archived_records"
    __table_args__ = (UniqueConstraint("kind", "source_id", name="uq_archived_records_kind_source_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    source_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict] = mapped_column(JsonDocument)
    last_updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # outbox: set when archived, cleared once the text index has dropped the record (a crash in
    # between leaves it set, and the next ingest or reindex finishes the job)
    index_pending: Mapped[bool] = mapped_column(Boolean, default=True, server_default=false())
