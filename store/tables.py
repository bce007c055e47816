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
    text,
)

from store.types import Json, JsonDocument, UtcDateTime

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
    # Revision 0007, SQLite only: a harvest's unchanged-record check reads (sha256, deleted)
    # from this index alone; from the table, SQLite walks each payload's overflow pages to reach
    # sha256. PostgreSQL keeps large values out of line (TOAST) and needs no such index.
    Index("ix_raw_records_digest", "source_id", "identifier", "sha256", "deleted").ddl_if(
        dialect="sqlite"),
    # Revision 0010, SQLite only: remap pages through a source by id from this index; from the
    # digest index SQLite sorted the rest of the source, payloads and all, for every page.
    Index("ix_raw_records_source_order", "source_id", "id").ddl_if(dialect="sqlite"),
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
    Column("record", JsonDocument),
    Column("issue_count", Integer, nullable=False, default=0),
    Column("mapping_error", Text),
    Column("quality_score", Float),  # revision 0006: RecordQuality.score
    Column("quality", JsonDocument),  # revision 0006: the RecordQuality as JSON
    Column("mapped_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("source_id", "identifier"),
    Index("ix_records_doi", "doi"),
    Index("ix_records_updated_at", "updated_at"),
    # Revision 0009: the per-source counts every harvest takes (live, deleted, unmapped) from
    # these two alone, not from a scan of every record's JSON.
    Index("ix_records_source_deleted", "source_id", "deleted"),
    Index("ix_records_unmapped", "source_id", "deleted",
          sqlite_where=text("mapping_error IS NOT NULL"),
          postgresql_where=text("mapping_error IS NOT NULL")),
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
    Column("live_after", Integer),  # live records of the source when the run ended
    Column("error", Text),
    Column("error_samples", Json),
    Column("quality", Json),  # revision 0006: the run's RunQuality
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
    # ETag / Last-Modified of the catalogue's first page: an unchanged catalogue costs one request.
    Column("validators", Json),
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

# -- the merged catalogue (revision 0003) -------------------------------------------------------

# One row per catalogue entry, live or tombstone; `merged_id` is the stable public id.
merged_records = Table(
    "merged_records",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("merged_id", String(64), nullable=False),
    Column("record", JsonDocument),  # the merged Record as JSON; None for a tombstone
    Column("field_provenance", JsonDocument, nullable=False),  # field -> [source ids]
    Column("sources", Json, nullable=False),  # [source id], highest priority first
    Column("members", Json, nullable=False),  # [[source id, identifier]]
    Column("sets", Json, nullable=False),  # ["source:<id>", "type:<resourceTypeGeneral>"]
    Column("deleted", Boolean, nullable=False, default=False),
    # Moves only when the exported content (or the deleted flag) changes.
    Column("datestamp", UtcDateTime(), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    # Content and members: an entry whose state is unchanged is not even rewritten.
    Column("state_sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("merged_id", name="uq_merged_records_merged_id"),
    Index("ix_merged_records_datestamp", "datestamp", "id"),
)

# The sets of each merged record, with their OAI-PMH parents ("type" for "type:Dataset"), so a
# set filter is an indexed lookup rather than a scan of JSON lists.
merged_record_sets = Table(
    "merged_record_sets",
    metadata,
    Column("set_spec", String(255), primary_key=True),
    Column("merged_record_id", Id, ForeignKey("merged_records.id"), primary_key=True),
    Index("ix_merged_record_sets_merged_record_id", "merged_record_id"),
)

# Which merged record each harvested record belongs to, and the content it had when merged: a
# record whose content hash differs from this one has changed since the last merge.
merge_members = Table(
    "merge_members",
    metadata,
    Column("source_id", String(64), primary_key=True),
    Column("identifier", String(1024), primary_key=True),
    Column("record_id", Id, nullable=False),  # records.id
    Column("merged_id", String(64), nullable=False),
    Column("content_sha256", String(64)),  # None: the member is deleted (a tombstone's member)
    Index("ix_merge_members_merged_id", "merged_id"),
    Index("ix_merge_members_record_id", "record_id"),
)

# The clustering keys of every live harvested record: identifier keys ("doi:10.1/x") and
# likely-duplicate keys ("dup:<hash>"), so an incremental merge finds a record's cluster by index.
merge_keys = Table(
    "merge_keys",
    metadata,
    Column("key", String(1024), primary_key=True),
    Column("record_id", Id, primary_key=True),
    Column("source_id", String(64), nullable=False),
    Index("ix_merge_keys_record_id", "record_id"),
)

# Ids that stopped being a catalogue entry of their own (their cluster joined another): old -> new.
merge_redirects = Table(
    "merge_redirects",
    metadata,
    Column("old_id", String(64), primary_key=True),
    Column("new_id", String(64), nullable=False, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Likely duplicates for a steward: merged records sharing a normalised (title, year, first
# creator) key but no identifier. One row per (key, merged record) in a group of two or more.
merge_candidates = Table(
    "merge_candidates",
    metadata,
    Column("dup_key", String(64), primary_key=True),
    Column("merged_id", String(64), primary_key=True),
    Column("found_at", UtcDateTime(), nullable=False),
    Index("ix_merge_candidates_merged_id", "merged_id"),
)

# The merge's watermark on records.updated_at and the settings it ran with.
merge_state = Table(
    "merge_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("watermark", UtcDateTime()),
    Column("settings", Json),
    Column("last_merge_at", UtcDateTime()),
    Column("last_full_at", UtcDateTime()),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Deletions of live records waiting for the deletion guard: applied at the end of a run when
# they are few, else held until a steward approves (`os10 deletions approve`) or discards them.
held_deletions = Table(
    "held_deletions",
    metadata,
    Column("source_id", String(64), primary_key=True),
    Column("identifier", String(1024), primary_key=True),
    Column("datestamp", UtcDateTime()),  # the source's datestamp of the deletion, when given
    Column("run_id", Id),
    Column("held_at", UtcDateTime(), nullable=False),
)
