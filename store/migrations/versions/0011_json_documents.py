"""PostgreSQL: keep records and merged records as `json` text, not `jsonb`.

A record's JSON (about 4.6 KB) is written on every harvest and remap and read back by every
merge and export; nothing queries inside it. As `jsonb` the server parsed it on the way in and
printed it again on the way out: 88 us of server CPU to store a record and 28 us to hand it back
as text, against 42 and 7 us as `json`, which keeps the text as written (store.types.
JsonDocument). The columns are rewritten in place, so this takes a while on a large store; their
lz4 compression (revision 0008) is set again after the rewrite. SQLite is untouched.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = (("records", "record"), ("records", "quality"),
           ("merged_records", "record"), ("merged_records", "field_provenance"))


def _retype(kind: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    lz4 = "lz4" in (bind.execute(sa.text(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"))
        .scalar() or ())
    for table, column in COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind} "
                   f"USING {column}::{kind}")
        if lz4:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")
