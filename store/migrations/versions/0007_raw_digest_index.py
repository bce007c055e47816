"""A covering index for the unchanged-record check of every harvest page, on SQLite.

SQLite stores a row's columns in order, so reading raw_records.sha256 walks the overflow pages
of the payload before it; the index answers the check alone. PostgreSQL keeps large values out
of line (TOAST) and would only pay for the index on every write.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_index("ix_raw_records_digest", "raw_records",
                    ["source_id", "identifier", "sha256", "deleted"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_raw_records_digest", table_name="raw_records")
