from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from search_api.db import ServiceBase, utcnow


class RestorationCaseRow(ServiceBase):
    """One case per confirmed pair: the child's way home (or to continued care)."""

    __tablename__ = "restoration_cases"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pair_pk: Mapped[int] = mapped_column(ForeignKey("review_pairs.pk"), unique=True)
    missing_key: Mapped[str] = mapped_column(String(80), index=True)
    found_key: Mapped[str] = mapped_column(String(80), index=True)
    # the family's side (the missing report) and the child's side (the CCI), state-qualified
    family_state: Mapped[str] = mapped_column(String(100))
    family_district: Mapped[str] = mapped_column(String(100))
    care_state: Mapped[str] = mapped_column(String(100))
    care_district: Mapped[str] = mapped_column(String(100))
    police_station: Mapped[str] = mapped_column(String(200), default="")
    cci_name: Mapped[str] = mapped_column(String(200), default="")
    # the units by identity (CCTNS station code, CCI registration number): who sees the case
    police_station_code: Mapped[str] = mapped_column(String(64), default="")
    cci_code: Mapped[str] = mapped_column(String(64), default="")
    # traced → restored → followed_up → closed; suspended when the match is reopened
    status: Mapped[str] = mapped_column(String(16), default="traced", index=True)
    order_type: Mapped[str] = mapped_column(String(32), default="")  # restoration, transfer, continued_care
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RestorationStepRow(ServiceBase):
    """One step of a case: due when, done by whom and when, with its fields and documents."""

    __tablename__ = "restoration_steps"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("restoration_cases.pk", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_by: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(16), default="")
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list] = mapped_column(JSON, default=list)  # store paths of checked PDFs/images


class StepDocumentRow(ServiceBase):
    """A checked PDF or image attached to a step (a CWC order, a social investigation report,
    a hand-over receipt). The file lives in the document store, named by its sha256."""

    __tablename__ = "step_documents"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("restoration_cases.pk", ondelete="CASCADE"), index=True)
    step_pk: Mapped[int] = mapped_column(ForeignKey("restoration_steps.pk", ondelete="CASCADE"), index=True)
    relpath: Mapped[str] = mapped_column(String(120))  # documents/ab/ab…(64 hex).pdf, never a path from outside
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(40))  # from the checked bytes, never the uploader's word
    size_bytes: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer, default=1)  # a PDF's pages; 1 for an image
    label: Mapped[str] = mapped_column(String(120), default="")  # what it is ("CWC order"), typed by the uploader
    uploaded_by: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
