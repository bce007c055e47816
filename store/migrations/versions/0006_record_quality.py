"""Metadata quality: each mapped record's score and checks, each run's quality summary.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from store.types import Json

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("quality_score", sa.Float, nullable=True))
        batch.add_column(sa.Column("quality", Json, nullable=True))
    with op.batch_alter_table("harvest_runs") as batch:
        batch.add_column(sa.Column("quality", Json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("harvest_runs") as batch:
        batch.drop_column("quality")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("quality")
        batch.drop_column("quality_score")
