from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from search_api.db import ServiceBase, utcnow


class ContactRow(ServiceBase):
    """How to reach a user, and whether they are a nodal officer (of their district, or of
    their state for state users). Kept beside the account so the users table stays small."""

    __tablename__ = "user_contacts"

    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    nodal: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # channels this user wants: in_app always; email and sms when set; digest batches email daily
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxRow(ServiceBase):
    """One notification for one user on one channel. Written in the same transaction as the
    event that causes it; the worker delivers it. Carries ids and a link, never a child's name."""

    __tablename__ = "notification_outbox"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # in_app, email, sms
    event: Mapped[str] = mapped_column(String(40))
    subject_key: Mapped[str] = mapped_column(String(80), default="")  # record key, pair:N, case:N
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending, sent, failed, digest
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DeliveryAttemptRow(ServiceBase):
    """Every delivery attempt, kept (outcome and error)."""

    __tablename__ = "notification_attempts"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outbox_pk: Mapped[int] = mapped_column(ForeignKey("notification_outbox.pk", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str] = mapped_column(Text, default="")


class InboxRow(ServiceBase):
    """The in-app channel's delivered messages: the bell and its unread count."""

    __tablename__ = "notification_inbox"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class EscalationRow(ServiceBase):
    """How far an overdue item has been escalated (1: district nodal officer, 2: state's)."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("subject_key", "level", name="uq_escalation"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_key: Mapped[str] = mapped_column(String(80), index=True)  # pair:N or step:N
    level: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
