"""The schema of the last release made without migrations (frozen: never edit it).

Revision ``0001_baseline`` creates these tables; ``trackchild db upgrade`` adopts a database
made by that release (adding what its start-up used to add) and stamps it with this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

INDEXES = [
    ("ix_child_records_pending", "child_records", ["indexed_hash"]),
    ("ix_child_records_place", "child_records", ["state", "district"]),
    ("ix_photos_record_pk", "photos", ["record_pk"]),
    ("ix_photos_sha256", "photos", ["sha256"]),
    ("ix_audit_log_action", "audit_log", ["action"]),
    ("ix_audit_log_actor_state", "audit_log", ["actor_state"]),
    ("ix_audit_log_at", "audit_log", ["at"]),
    ("ix_audit_log_username", "audit_log", ["username"]),
    ("ix_duplicate_flags_key_a", "duplicate_flags", ["key_a"]),
    ("ix_duplicate_flags_key_b", "duplicate_flags", ["key_b"]),
    ("ix_duplicate_flags_status", "duplicate_flags", ["status"]),
    ("ix_record_entries_record_key", "record_entries", ["record_key"]),
    ("ix_record_entries_username", "record_entries", ["username"]),
    ("ix_review_pairs_found_key", "review_pairs", ["found_key"]),
    ("ix_review_pairs_missing_key", "review_pairs", ["missing_key"]),
    ("ix_review_pairs_status", "review_pairs", ["status"]),
    ("ix_review_decisions_pair_pk", "review_decisions", ["pair_pk"]),
    ("ix_tokens_user_pk", "tokens", ["user_pk"]),
]


def baseline_metadata() -> sa.MetaData:
    """A fresh MetaData holding the baseline tables and indexes."""
    metadata = sa.MetaData()
    sa.Table(
        "archived_records",
        metadata,
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("last_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("kind", "source_id", name="uq_archived_records_kind_source_id"),
    )
    sa.Table(
        "child_records",
        metadata,
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("age", sa.Float(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("indexed_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("kind", "source_id", name="uq_child_records_kind_source_id"),
    )
    sa.Table(
        "photos",
        metadata,
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_pk", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("relpath", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["record_pk"], ["child_records.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("record_pk", "sha256", name="uq_photos_record_sha256"),
    )
    sa.Table(
        "audit_head",
        metadata,
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
    )
    sa.Table(
        "audit_log",
        metadata,
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("actor_state", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("entry_hash"),
    )
    sa.Table(
        "duplicate_flags",
        metadata,
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key_a", sa.String(length=80), nullable=False),
        sa.Column("key_b", sa.String(length=80), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("evidence_hash", sa.String(length=64), nullable=False),
        sa.Column("district_a", sa.String(length=100), nullable=False),
        sa.Column("district_b", sa.String(length=100), nullable=False),
        sa.Column("state_a", sa.String(length=100), nullable=False),
        sa.Column("state_b", sa.String(length=100), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("key_a", "key_b", name="uq_duplicate_flag"),
    )
    sa.Table(
        "record_entries",
        metadata,
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_key", sa.String(length=80), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("record_key", "username", name="uq_record_entry"),
    )
    sa.Table(
        "review_pairs",
        metadata,
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("missing_key", sa.String(length=80), nullable=False),
        sa.Column("found_key", sa.String(length=80), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("evidence_hash", sa.String(length=64), nullable=False),
        sa.Column("missing_district", sa.String(length=100), nullable=False),
        sa.Column("found_district", sa.String(length=100), nullable=False),
        sa.Column("missing_state", sa.String(length=100), server_default=sa.text("''"), nullable=False),
        sa.Column("found_state", sa.String(length=100), server_default=sa.text("''"), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("missing_key", "found_key", name="uq_review_pair"),
    )
    sa.Table(
        "users",
        metadata,
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("username"),
    )
    sa.Table(
        "review_decisions",
        metadata,
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pair_pk", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pair_pk"], ["review_pairs.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
    )
    sa.Table(
        "tokens",
        metadata,
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_pk"], ["users.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_sha256"),
    )
    for name, table, columns in INDEXES:
        sa.Index(name, *(metadata.tables[table].c[c] for c in columns))
    return metadata
