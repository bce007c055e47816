"""The tables: raw records, mapped records, harvest runs and per-source state."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from store.types import Json, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s_%(column_1_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments INTEGER PRIMARY KEY, PostgreSQL wants BIGINT for big catalogues.
Id = BigInteger().with_variant(Integer(), "sqlite")

raw_records = Table(
    "raw_records",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_id", String(64), nullable=False),
    Column("identifier", String(1024), nullable=False),
    Column("datestamp", UtcDateTime()),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("metadata_format", String(64), nullable=False),
    Column("sets", Json),
    Column("payload", Text),
    Column("sha256", String(64), nullable=False),
    Column("first_seen_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("run_id", Id),
    UniqueConstraint("source_id", "identifier"),
)

records = Table(
    "records",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_id", String(64), nullable=False),
    Column("identifier", String(1024), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("doi", String(512)),
    Column("title", Text),
    Column("resource_type_general", String(64)),
    Column("publication_year", Integer),
    Column("datestamp", UtcDateTime()),
    Column("content_sha256", String(64)),
    Column("record", Json),
    Column("issue_count", Integer, nullable=False, default=0),
    Column("mapping_error", Text),
    Column("mapped_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("source_id", "identifier"),
    Index("ix_records_doi", "doi"),
    Index("ix_records_updated_at", "updated_at"),
)

harvest_runs = Table(
    "harvest_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_id", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("window_from", UtcDateTime()),
    Column("window_until", UtcDateTime()),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime()),
    Column("duration_s", Float),
    Column("pages", Integer, nullable=False, default=0),
    Column("seen", Integer, nullable=False, default=0),
    Column("new", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("repaired", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("error_samples", Json),
)

source_state = Table(
    "source_state",
    metadata,
    Column("source_id", String(64), primary_key=True),
    # Highest datestamp of the last completed list: the next incremental harvest starts here.
    Column("watermark", UtcDateTime()),
    Column("last_success_at", UtcDateTime()),
    # Where an interrupted run stopped: the harvester's checkpoint, its window and run.
    Column("checkpoint", Json),
    Column("checkpoint_run_id", Id, ForeignKey("harvest_runs.id", ondelete="SET NULL")),
    Column("checkpoint_mode", String(16)),
    Column("checkpoint_window_from", UtcDateTime()),
    Column("checkpoint_window_until", UtcDateTime()),
    Column("checkpoint_max_datestamp", UtcDateTime()),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Identifiers a full harvest has seen so far (kept across a resume), for protocols that do not
# report deletions: what the source no longer lists becomes a tombstone when the list completes.
harvest_seen = Table(
    "harvest_seen",
    metadata,
    Column("source_id", String(64), primary_key=True),
    Column("identifier", String(1024), primary_key=True),
)
