"""Identifiers seen by a full harvest in progress, to tombstone what vanished from the source.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "harvest_seen",
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(1024), nullable=False),
        sa.PrimaryKeyConstraint("source_id", "identifier", name="pk_harvest_seen"),
    )


def downgrade() -> None:
    op.drop_table("harvest_seen")
