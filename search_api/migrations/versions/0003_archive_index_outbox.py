"""Archived records carry an outbox flag until the text index has dropped them.

Revision ID: 0003_archive_index_outbox
Revises: 0002_not_null_backfill
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_archive_index_outbox"
down_revision = "0002_not_null_backfill"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows archived before this revision left the index when they were archived: not pending
    with op.batch_alter_table("archived_records") as batch_op:
        batch_op.add_column(sa.Column("index_pending", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("archived_records") as batch_op:
        batch_op.drop_column("index_pending")
