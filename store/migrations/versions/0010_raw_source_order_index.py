"""An index that reads a source's raw records in id order, on SQLite.

Remap pages through a source's raw records by id (`source_id = ? AND id > ? ORDER BY id`).
SQLite answered that from the digest index (source_id, identifier, ...) and sorted every
remaining row of the source, payloads included, for each page of 1,000: quadratic in the size of
the source (a 20,000-record remap spent a third of its main process there; at 1,000,000 records
it would not finish). An index on source_id keeps the rowid after it, so the pages come straight
off it in id order. PostgreSQL walks its primary key for the same query and would only pay for
the index on every write.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_index("ix_raw_records_source_order", "raw_records", ["source_id", "id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_raw_records_source_order", table_name="raw_records")
