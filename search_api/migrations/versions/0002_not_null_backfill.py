"""Columns the old start-up added with ALTER (nullable, default only) become NOT NULL, backfilled.

The review queue's and the duplicate flags' states are filled from their records: a pair with
an empty state dropped out of its state's queue.

Revision ID: 0002_not_null_backfill
Revises: 0001_baseline
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_not_null_backfill"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

# (table, column, type, default for rows with nothing better)
COLUMNS = [
    ("review_pairs", "missing_state", sa.String(length=100), "''"),
    ("review_pairs", "found_state", sa.String(length=100), "''"),
    ("review_pairs", "missing_district", sa.String(length=100), "''"),
    ("review_pairs", "found_district", sa.String(length=100), "''"),
    ("duplicate_flags", "state_a", sa.String(length=100), "''"),
    ("duplicate_flags", "state_b", sa.String(length=100), "''"),
    ("duplicate_flags", "district_a", sa.String(length=100), "''"),
    ("duplicate_flags", "district_b", sa.String(length=100), "''"),
    ("users", "failed_logins", sa.Integer(), "0"),
    ("audit_log", "actor_state", sa.String(length=100), "''"),
]
# (table, column, key column, child_records column): filled from the record the key names
FROM_RECORDS = [
    ("review_pairs", "missing_state", "missing_key", "state"),
    ("review_pairs", "found_state", "found_key", "state"),
    ("review_pairs", "missing_district", "missing_key", "district"),
    ("review_pairs", "found_district", "found_key", "district"),
    ("duplicate_flags", "state_a", "key_a", "state"),
    ("duplicate_flags", "state_b", "key_b", "state"),
    ("duplicate_flags", "district_a", "key_a", "district"),
    ("duplicate_flags", "district_b", "key_b", "district"),
]


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table, column, key, source in FROM_RECORDS:
        record = f"SELECT c.{source} FROM child_records c WHERE c.kind || ':' || c.source_id = {table}.{key}"
        op.execute(
            f"UPDATE {table} SET {column} = ({record}) WHERE ({column} IS NULL OR {column} = '') AND EXISTS ({record} AND c.{source} <> '')"
        )
    for table, column, type_, default in COLUMNS:
        op.execute(f"UPDATE {table} SET {column} = {default} WHERE {column} IS NULL")
        nullable = {c["name"]: c["nullable"] for c in inspector.get_columns(table)}[column]
        if nullable:
            with op.batch_alter_table(table) as batch:
                batch.alter_column(column, existing_type=type_, nullable=False)


def downgrade() -> None:
    pass  # NOT NULL on filled columns is harmless to the older code
