"""The merged catalogue: merged records and their sets, members, keys, redirects, candidates, state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from store.types import Json, UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "merged_records",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("merged_id", sa.String(64), nullable=False),
        sa.Column("record", Json),
        sa.Column("field_provenance", Json, nullable=False),
        sa.Column("sources", Json, nullable=False),
        sa.Column("members", Json, nullable=False),
        sa.Column("sets", Json, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("datestamp", UtcDateTime(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("state_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_merged_records"),
        sa.UniqueConstraint("merged_id", name="uq_merged_records_merged_id"),
    )
    op.create_index("ix_merged_records_datestamp", "merged_records", ["datestamp", "id"])
    op.create_table(
        "merged_record_sets",
        sa.Column("set_spec", sa.String(255), nullable=False),
        sa.Column("merged_record_id", Id, nullable=False),
        sa.PrimaryKeyConstraint("set_spec", "merged_record_id", name="pk_merged_record_sets"),
        sa.ForeignKeyConstraint(["merged_record_id"], ["merged_records.id"],
                                name="fk_merged_record_sets_merged_record_id"),
    )
    op.create_index("ix_merged_record_sets_merged_record_id", "merged_record_sets",
                    ["merged_record_id"])
    op.create_table(
        "merge_members",
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(1024), nullable=False),
        sa.Column("record_id", Id, nullable=False),
        sa.Column("merged_id", sa.String(64), nullable=False),
        sa.Column("content_sha256", sa.String(64)),
        sa.PrimaryKeyConstraint("source_id", "identifier", name="pk_merge_members"),
    )
    op.create_index("ix_merge_members_merged_id", "merge_members", ["merged_id"])
    op.create_index("ix_merge_members_record_id", "merge_members", ["record_id"])
    op.create_table(
        "merge_keys",
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("record_id", Id, nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("key", "record_id", name="pk_merge_keys"),
    )
    op.create_index("ix_merge_keys_record_id", "merge_keys", ["record_id"])
    op.create_table(
        "merge_redirects",
        sa.Column("old_id", sa.String(64), nullable=False),
        sa.Column("new_id", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("old_id", name="pk_merge_redirects"),
    )
    op.create_index("ix_merge_redirects_new_id", "merge_redirects", ["new_id"])
    op.create_table(
        "merge_candidates",
        sa.Column("dup_key", sa.String(64), nullable=False),
        sa.Column("merged_id", sa.String(64), nullable=False),
        sa.Column("found_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("dup_key", "merged_id", name="pk_merge_candidates"),
    )
    op.create_index("ix_merge_candidates_merged_id", "merge_candidates", ["merged_id"])
    op.create_table(
        "merge_state",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("watermark", UtcDateTime()),
        sa.Column("settings", Json),
        sa.Column("last_merge_at", UtcDateTime()),
        sa.Column("last_full_at", UtcDateTime()),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_merge_state"),
    )


def downgrade() -> None:
    op.drop_table("merge_state")
    op.drop_index("ix_merge_candidates_merged_id", table_name="merge_candidates")
    op.drop_table("merge_candidates")
    op.drop_index("ix_merge_redirects_new_id", table_name="merge_redirects")
    op.drop_table("merge_redirects")
    op.drop_index("ix_merge_keys_record_id", table_name="merge_keys")
    op.drop_table("merge_keys")
    op.drop_index("ix_merge_members_record_id", table_name="merge_members")
    op.drop_index("ix_merge_members_merged_id", table_name="merge_members")
    op.drop_table("merge_members")
    op.drop_index("ix_merged_record_sets_merged_record_id", table_name="merged_record_sets")
    op.drop_table("merged_record_sets")
    op.drop_index("ix_merged_records_datestamp", table_name="merged_records")
    op.drop_table("merged_records")
