"""Indexes that answer the per-source record counts (live, deleted, unmapped).

Every harvest counts a source's live records before and after it runs (the deletion guard, the
run report). Without these the count read every record row; on SQLite that walks each row's
JSON overflow pages to reach mapping_error: seconds for a 100,000-record source, whatever the
harvest brought.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UNMAPPED = sa.text("mapping_error IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_records_source_deleted", "records", ["source_id", "deleted"])
    op.create_index("ix_records_unmapped", "records", ["source_id", "deleted"],
                    sqlite_where=UNMAPPED, postgresql_where=UNMAPPED)


def downgrade() -> None:
    op.drop_index("ix_records_unmapped", table_name="records")
    op.drop_index("ix_records_source_deleted", table_name="records")
