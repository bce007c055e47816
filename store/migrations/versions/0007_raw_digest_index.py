"""A covering index for the unchanged-record check of every harvest page.

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
    op.create_index("ix_raw_records_digest", "raw_records",
                    ["source_id", "identifier", "sha256", "deleted"])


def downgrade() -> None:
    op.drop_index("ix_raw_records_digest", table_name="raw_records")
