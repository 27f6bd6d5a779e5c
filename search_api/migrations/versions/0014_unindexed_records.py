"""a partial index of the records the text index does not hold yet

Revision ID: 0014_unindexed_records
Revises: 0013_match_jobs
Create Date: 2026-12-03 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_unindexed_records"
down_revision = "0013_match_jobs"
branch_labels = None
depends_on = None

UNINDEXED = "indexed_hash IS NULL OR indexed_hash != content_hash"


def upgrade() -> None:
    op.create_index(
        "ix_child_records_unindexed",
        "child_records",
        ["pk"],
        unique=False,
        sqlite_where=sa.text(UNINDEXED),
        postgresql_where=sa.text(UNINDEXED),
    )


def downgrade() -> None:
    op.drop_index("ix_child_records_unindexed", table_name="child_records")
