"""Live record count after each harvest run (counts over time, drop alerts); held deletions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from store.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("harvest_runs") as batch:
        batch.add_column(sa.Column("live_after", sa.Integer, nullable=True))
    op.create_table(
        "held_deletions",
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(1024), nullable=False),
        sa.Column("datestamp", UtcDateTime()),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("held_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source_id", "identifier", name="pk_held_deletions"),
    )


def downgrade() -> None:
    op.drop_table("held_deletions")
    with op.batch_alter_table("harvest_runs") as batch:
        batch.drop_column("live_after")
