"""Tables of the citizen corner: reports from the public, and public notices of missing children."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from search_api.db import ServiceBase, utcnow


class CitizenReportRow(ServiceBase):
    """A child seen in distress, or a missing child, reported by a member of the public without a
    login. It waits for the DCPU of its (state, district); accepted, it becomes a record."""

    __tablename__ = "citizen_reports"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # given to the citizen; the record id is CIT-<reference>
    kind: Mapped[str] = mapped_column(String(10))  # seen (→ a found child) or missing (→ a missing report)
    state: Mapped[str] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(100), index=True)
    place: Mapped[str] = mapped_column(String(500), default="")  # where seen / last seen, as told
    seen_on: Mapped[str] = mapped_column(String(40), default="")  # a date as told: read at acceptance
    child_name: Mapped[str] = mapped_column(String(200), default="")
    age: Mapped[str] = mapped_column(String(40), default="")  # as told ("about 8"): read at acceptance
    sex: Mapped[str] = mapped_column(String(20), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[str] = mapped_column(String(200), default="")  # a photo-store path, checked like record photos
    photo_problems: Mapped[list] = mapped_column(JSON, default=list)  # the photo check's codes (no face, blurred...)
    reporter_name: Mapped[str] = mapped_column(String(200), default="")
    reporter_phone: Mapped[str] = mapped_column(String(20), default="")
    reporter_relation: Mapped[str] = mapped_column(String(100), default="")
    proof: Mapped[str] = mapped_column(String(10))  # "work": the browser solved the challenge; "delay": held back instead
    visible_after: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending, accepted, rejected
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")  # why rejected
    record_key: Mapped[str] = mapped_column(String(100), default="")  # the record an accepted report became
    warnings: Mapped[list] = mapped_column(JSON, default=list)  # fields the ingest cleared, by field
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PublicNoticeRow(ServiceBase):
    """A missing child shown to the public, on the guardian's consent as recorded by the police or
    DCPU: first name, age, district and one photo, nothing else. Withdrawn the moment the child is
    traced; a withdrawn notice never comes back (a new consent makes a new notice)."""

    __tablename__ = "public_notices"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)  # what the public URL names: never the record's id
    record_key: Mapped[str] = mapped_column(String(100), index=True)
    state: Mapped[str] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(100))
    photo: Mapped[str] = mapped_column(String(200), default="")  # the one photo shown (a store path of the record's), or none
    guardian_name: Mapped[str] = mapped_column(String(200))
    guardian_relation: Mapped[str] = mapped_column(String(100))
    consent_how: Mapped[str] = mapped_column(String(500))  # e.g. "signed consent form at Kotwali PS"
    consent_by: Mapped[str] = mapped_column(String(64))
    consent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="published", index=True)  # published, withdrawn
    withdrawn_by: Mapped[str] = mapped_column(String(64), default="")
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    withdrawn_reason: Mapped[str] = mapped_column(String(500), default="")
