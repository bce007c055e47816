"""Initial schema: raw records, mapped records, harvest runs, source state.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from store.types import Json, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "harvest_runs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("window_from", UtcDateTime()),
        sa.Column("window_until", UtcDateTime()),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime()),
        sa.Column("duration_s", sa.Float),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("seen", sa.Integer, nullable=False),
        sa.Column("new", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("repaired", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("error_samples", Json),
        sa.PrimaryKeyConstraint("id", name="pk_harvest_runs"),
    )
    op.create_index("ix_harvest_runs_source_id", "harvest_runs", ["source_id"])
    op.create_table(
        "raw_records",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(1024), nullable=False),
        sa.Column("datestamp", UtcDateTime()),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("metadata_format", sa.String(64), nullable=False),
        sa.Column("sets", Json),
        sa.Column("payload", sa.Text),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("first_seen_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("run_id", Id),
        sa.PrimaryKeyConstraint("id", name="pk_raw_records"),
        sa.UniqueConstraint("source_id", "identifier",
                            name="uq_raw_records_source_id_identifier"),
    )
    op.create_table(
        "records",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(1024), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("doi", sa.String(512)),
        sa.Column("title", sa.Text),
        sa.Column("resource_type_general", sa.String(64)),
        sa.Column("publication_year", sa.Integer),
        sa.Column("datestamp", UtcDateTime()),
        sa.Column("content_sha256", sa.String(64)),
        sa.Column("record", Json),
        sa.Column("issue_count", sa.Integer, nullable=False),
        sa.Column("mapping_error", sa.Text),
        sa.Column("mapped_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
        sa.UniqueConstraint("source_id", "identifier", name="uq_records_source_id_identifier"),
    )
    op.create_index("ix_records_doi", "records", ["doi"])
    op.create_index("ix_records_updated_at", "records", ["updated_at"])
    op.create_table(
        "source_state",
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("watermark", UtcDateTime()),
        sa.Column("last_success_at", UtcDateTime()),
        sa.Column("checkpoint", Json),
        sa.Column("checkpoint_run_id", Id),
        sa.Column("checkpoint_mode", sa.String(16)),
        sa.Column("checkpoint_window_from", UtcDateTime()),
        sa.Column("checkpoint_window_until", UtcDateTime()),
        sa.Column("checkpoint_max_datestamp", UtcDateTime()),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source_id", name="pk_source_state"),
        sa.ForeignKeyConstraint(["checkpoint_run_id"], ["harvest_runs.id"],
                                name="fk_source_state_checkpoint_run_id", ondelete="SET NULL"),
    )


def downgrade() -> None:
    op.drop_table("source_state")
    op.drop_index("ix_records_updated_at", table_name="records")
    op.drop_index("ix_records_doi", table_name="records")
    op.drop_table("records")
    op.drop_table("raw_records")
    op.drop_index("ix_harvest_runs_source_id", table_name="harvest_runs")
    op.drop_table("harvest_runs")
