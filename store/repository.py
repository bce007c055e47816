"""The store's API: page writes in one transaction with their checkpoint, runs, state, reads."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Engine,
    Select,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from errors import StoreError
from schemas import RunReport
from store import bulk
from store import tables as t
from store.database import SchemaOutOfDate, current_revision, head_revision, make_engine, upgrade
from store.failures import attempts
from store.locks import HarvestLock, acquire
from store.merged import MergedStore

log = logging.getLogger("os10.store")

# Bound parameters per statement stay well under SQLite's and PostgreSQL's limits.
_CHUNK = 500
# PostgreSQL: the columns the store's queries filter, join and order the harvested tables by,
# whose statistics `refresh_statistics` renews, and how long it waits for a table's lock.
_PLANNED_COLUMNS = {
    "raw_records": ("id", "source_id", "identifier", "deleted"),
    "records": ("id", "source_id", "identifier", "deleted", "updated_at", "doi"),
}
ANALYZE_LOCK_TIMEOUT_MS = 5000
_RAW_COLUMNS = ("source_id", "identifier", "datestamp", "deleted", "metadata_format", "sets",
                "payload", "sha256", "first_seen_at", "updated_at", "run_id")
_RAW_UPDATED = ("datestamp", "deleted", "metadata_format", "sets", "payload", "sha256",
                "updated_at", "run_id")
_MAPPED_COLUMNS = ("source_id", "identifier", "deleted", "doi", "title",
                   "resource_type_general", "publication_year", "datestamp", "content_sha256",
                   "record", "issue_count", "mapping_error", "quality_score", "quality",
                   "mapped_at", "updated_at")
_MAPPED_UPDATED = ("deleted", "doi", "title", "resource_type_general", "publication_year",
                   "datestamp", "content_sha256", "record", "issue_count", "mapping_error",
                   "quality_score", "quality", "mapped_at")
_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@dataclass(slots=True)
class RawRow:
    identifier: str
    datestamp: datetime | None
    deleted: bool
    metadata_format: str
    sha256: str
    payload: str | None
    sets: list[str]


@dataclass(slots=True)
class MappedRow:
    identifier: str
    deleted: bool
    datestamp: datetime | None
    record: dict[str, Any] | None  # the common model as a JSON-ready dict, or as JsonText
    content_sha256: str | None
    doi: str | None = None
    title: str | None = None
    resource_type_general: str | None = None
    publication_year: int | None = None
    issue_count: int = 0
    mapping_error: str | None = None
    quality_score: float | None = None
    quality: dict[str, Any] | None = None  # a RecordQuality dump


@dataclass(slots=True)
class SourceState:
    source_id: str
    watermark: datetime | None = None
    last_success_at: datetime | None = None
    checkpoint: dict[str, Any] | None = None
    checkpoint_run_id: int | None = None
    checkpoint_mode: str | None = None
    checkpoint_window_from: datetime | None = None
    checkpoint_window_until: datetime | None = None
    checkpoint_max_datestamp: datetime | None = None
    validators: dict[str, str] | None = None


@dataclass(slots=True)
class Checkpoint:
    """Where a run stands after a page; written with that page's records."""

    state: dict[str, Any] | None
    run_id: int
    mode: str
    window_from: datetime | None
    window_until: datetime | None
    max_datestamp: datetime | None
    state_key: str | None = None  # a chunk's own state (e.g. "alpha@set:x"); default the source


def _now() -> datetime:
    return datetime.now(UTC)


def raw_page_query(source_id: str | None, after_id: int, limit: int,
                   dialect: str = "sqlite") -> Select:
    """A page of raw records for mapping: those after `after_id` (of one source), in id order,
    each with the state of its mapped record (`mapped_sha256`, `mapped_deleted`,
    `mapped_quality`; None when it has none), which a remap compares its new mapping with.

    On PostgreSQL the page is taken first and each record's state looked up through the unique
    index (a LATERAL subquery): as a plain outer join, the planner was free to hash every record
    of the source and sort the rest for each page, and did so whenever the tables were small
    or their statistics stale (after a bulk load): quadratic in the size of the source. SQLite
    has no LATERAL and always walks its indexes for the join.
    """
    raw, mapped = t.raw_records.c, t.records.c
    columns = (raw.id, raw.source_id, raw.identifier, raw.metadata_format, raw.payload,
               raw.deleted, raw.datestamp, raw.sha256)
    page = select(*columns).where(raw.id > after_id)
    if source_id is not None:
        page = page.where(raw.source_id == source_id)
    if dialect == "postgresql":
        page = page.order_by(raw.id).limit(limit).subquery("page")
        state = (select(mapped.content_sha256.label("mapped_sha256"),
                        mapped.deleted.label("mapped_deleted"),
                        mapped.quality.label("mapped_quality"))
                 .where(mapped.source_id == page.c.source_id,
                        mapped.identifier == page.c.identifier)
                 .limit(1).lateral("state"))  # LIMIT keeps the planner from flattening it
        return (select(page, state).select_from(page.outerjoin(state, true()))
                .order_by(page.c.id))
    joined = t.raw_records.outerjoin(t.records, and_(mapped.source_id == raw.source_id,
                                                     mapped.identifier == raw.identifier))
    return (page.add_columns(mapped.content_sha256.label("mapped_sha256"),
                             mapped.deleted.label("mapped_deleted"),
                             mapped.quality.label("mapped_quality"))
            .select_from(joined).order_by(raw.id).limit(limit))


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Store(MergedStore):
    """One database. Every method is a complete unit of work; nothing is left half-written."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self.dialect = self.engine.dialect.name
        self._locks: list[HarvestLock] = []

    # -- schema -------------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Open a store; a brand-new database is created at the newest schema.

        An existing database that is behind is only upgraded when `migrate` is true; otherwise
        SchemaOutOfDate tells the operator to run `os10 db upgrade`.
        """
        store = cls(url)
        try:
            current = current_revision(store.engine)
            if current != head_revision():
                if current is None or migrate:
                    upgrade(store.engine)
                else:
                    raise SchemaOutOfDate(
                        f"The database schema is at revision {current}, but this version needs "
                        f"{head_revision()}. Run `os10 db upgrade` first.")
        except OperationalError as exc:
            raise StoreError(f"Cannot open the database {store.safe_url}: {exc.orig}.") from exc
        return store

    def upgrade(self) -> str:
        return upgrade(self.engine)

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # -- harvest locks ------------------------------------------------------------------------

    @contextmanager
    def harvest_lock(self, key: str, source_id: str) -> Iterator[HarvestLock]:
        """Hold the harvest lock of a source or chunk for a run, or raise SourceBusyError."""
        lock = acquire(self.engine, key, source_id)
        self._locks.append(lock)
        try:
            yield lock
        finally:
            self._locks.remove(lock)
            lock.release()

    def _verify_locks(self) -> None:
        for lock in self._locks:
            lock.verify()

    # -- runs ---------------------------------------------------------------------------------

    def start_run(self, report: RunReport) -> int:
        with self.engine.begin() as conn:
            run_id = conn.execute(
                insert(t.harvest_runs).values(**self._run_values(report)).returning(
                    t.harvest_runs.c.id)
            ).scalar_one()
        report.run_id = run_id
        return run_id

    def finish_run(self, report: RunReport, *, watermark: datetime | None = None,
                   clear_checkpoint: bool = False, state_key: str | None = None,
                   validators: dict[str, str] | None = None) -> None:
        """Close a run; on success also promote the watermark and clear the checkpoint."""
        with self.engine.begin() as conn:
            conn.execute(update(t.harvest_runs).where(t.harvest_runs.c.id == report.run_id)
                         .values(**self._run_values(report)))
            values: dict[str, Any] = {}
            if report.status == "succeeded":
                values["last_success_at"] = report.finished_at
            if watermark is not None:
                values["watermark"] = watermark
            if validators is not None:
                values["validators"] = validators
            if clear_checkpoint:
                values.update(checkpoint=None, checkpoint_run_id=None, checkpoint_mode=None,
                              checkpoint_window_from=None, checkpoint_window_until=None,
                              checkpoint_max_datestamp=None)
            if values:
                self._upsert_state(conn, state_key or report.source_id, values)

    @staticmethod
    def _run_values(report: RunReport) -> dict[str, Any]:
        return dict(
            source_id=report.source_id, status=report.status, mode=report.mode,
            window_from=report.window_from, window_until=report.window_until,
            started_at=report.started_at, finished_at=report.finished_at,
            duration_s=report.duration_s, pages=report.pages, live_after=report.live_after,
            error=report.error,
            error_samples=[s.model_dump() for s in report.error_samples],
            quality=report.quality.model_dump() if report.quality else None,
            **report.counts.model_dump(),
        )

    def runs(self, source_id: str | None = None, limit: int = 20) -> list[RunReport]:
        query = select(t.harvest_runs).order_by(t.harvest_runs.c.id.desc()).limit(limit)
        if source_id:
            query = query.where(t.harvest_runs.c.source_id == source_id)
        with self.engine.connect() as conn:
            return [self._report(row) for row in conn.execute(query).mappings()]

    def last_runs(self) -> dict[str, RunReport]:
        """The most recent run of every source."""
        latest = (select(func.max(t.harvest_runs.c.id))
                  .group_by(t.harvest_runs.c.source_id).scalar_subquery())
        query = select(t.harvest_runs).where(t.harvest_runs.c.id.in_(latest))
        with self.engine.connect() as conn:
            return {row["source_id"]: self._report(row)
                    for row in conn.execute(query).mappings()}

    def last_success(self, source_id: str) -> RunReport | None:
        query = (select(t.harvest_runs)
                 .where(t.harvest_runs.c.source_id == source_id,
                        t.harvest_runs.c.status == "succeeded")
                 .order_by(t.harvest_runs.c.id.desc()).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return self._report(row) if row else None

    @staticmethod
    def _report(row) -> RunReport:
        counts = {k: row[k] for k in ("seen", "new", "updated", "unchanged", "deleted", "failed",
                                      "repaired")}
        return RunReport(
            run_id=row["id"], source_id=row["source_id"], status=row["status"], mode=row["mode"],
            window_from=row["window_from"], window_until=row["window_until"],
            started_at=row["started_at"], finished_at=row["finished_at"], counts=counts,
            error=row["error"], error_samples=row["error_samples"] or [], pages=row["pages"],
            live_after=row["live_after"], quality=row["quality"],
        )

    # -- state --------------------------------------------------------------------------------

    def state(self, source_id: str) -> SourceState:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.source_state)
                               .where(t.source_state.c.source_id == source_id)).mappings().first()
        if row is None:
            return SourceState(source_id=source_id)
        return SourceState(**{k: row[k] for k in SourceState.__slots__})

    def set_watermark(self, key: str, watermark: datetime) -> None:
        """Seal a watermark by hand: after a chunked backfill covered everything up to it."""
        with self.engine.begin() as conn:
            self._upsert_state(conn, key, {"watermark": watermark})

    def _upsert_state(self, conn, source_id: str, values: dict[str, Any]) -> None:
        values = {**values, "updated_at": _now()}
        statement = self._insert(t.source_state).values(source_id=source_id, **values)
        conn.execute(statement.on_conflict_do_update(index_elements=["source_id"], set_=values))

    # -- raw and mapped records ---------------------------------------------------------------

    def digests(self, source_id: str, identifiers: Iterable[str]) -> dict[str, tuple[str, bool]]:
        """(sha256, deleted) of the stored raw records among `identifiers`."""
        found: dict[str, tuple[str, bool]] = {}
        c = t.raw_records.c
        with self.engine.connect() as conn:
            for chunk in _chunks(list(identifiers)):
                rows = conn.execute(select(c.identifier, c.sha256, c.deleted).where(
                    c.source_id == source_id, c.identifier.in_(chunk)))
                found.update((row.identifier, (row.sha256, row.deleted)) for row in rows)
        return found

    def write_page(self, source_id: str, raw: Sequence[RawRow], mapped: Sequence[MappedRow],
                   checkpoint: Checkpoint | None, seen: Sequence[str] = (),
                   held: Sequence[tuple[str, datetime | None]] = ()) -> None:
        """Upsert a page's changed raw and mapped records and its checkpoint, atomically.

        `seen` lists the page's identifiers when a full harvest tracks what vanished; `held`
        are deletions of live records, kept pending until the run decides (the deletion guard).
        """
        now = _now()
        for attempt in attempts(f"Writing a page of {len(raw)} records", source=source_id,
                                before_retry=self._verify_locks):
            with attempt, self.engine.begin() as conn:
                if held:
                    self._hold(conn, source_id, held, checkpoint.run_id if checkpoint else None)
                if seen:
                    statement = self._insert(t.harvest_seen).on_conflict_do_nothing()
                    for chunk in _chunks(list(seen)):
                        conn.execute(statement, [{"source_id": source_id, "identifier": i}
                                                 for i in chunk])
                if raw:
                    self._upsert_raw(conn, source_id, raw, now,
                                     checkpoint.run_id if checkpoint else None)
                    # A record that is listed live again is no longer a pending deletion.
                    revived = [r.identifier for r in raw if not r.deleted]
                    for chunk in _chunks(revived):
                        conn.execute(delete(t.held_deletions).where(
                            t.held_deletions.c.source_id == source_id,
                            t.held_deletions.c.identifier.in_(chunk)))
                if mapped:
                    self._upsert_mapped(conn, source_id, mapped, now)
                if checkpoint is not None:
                    self._upsert_state(conn, checkpoint.state_key or source_id, {
                        "checkpoint": checkpoint.state,
                        "checkpoint_run_id": checkpoint.run_id,
                        "checkpoint_mode": checkpoint.mode,
                        "checkpoint_window_from": checkpoint.window_from,
                        "checkpoint_window_until": checkpoint.window_until,
                        "checkpoint_max_datestamp": checkpoint.max_datestamp,
                    })

    def clear_seen(self, source_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(t.harvest_seen).where(t.harvest_seen.c.source_id == source_id))

    def hold_unseen(self, source_id: str, run_id: int | None) -> int:
        """After a complete full harvest: every live record the source no longer lists becomes
        a pending deletion (see `apply_held`). Returns how many; clears the seen list."""
        raw, seen = t.raw_records.c, t.harvest_seen.c
        unseen = ~select(seen.identifier).where(seen.source_id == source_id,
                                                seen.identifier == raw.identifier).exists()
        with self.engine.begin() as conn:
            gone = list(conn.execute(select(raw.identifier).where(
                raw.source_id == source_id, raw.deleted.is_(False), unseen)).scalars())
            self._hold(conn, source_id, [(i, None) for i in gone], run_id)
            conn.execute(delete(t.harvest_seen).where(seen.source_id == source_id))
        return len(gone)

    def _hold(self, conn, source_id: str, items: Sequence[tuple[str, datetime | None]],
              run_id: int | None) -> None:
        statement = self._insert(t.held_deletions)
        statement = statement.on_conflict_do_update(
            index_elements=["source_id", "identifier"],
            set_={"datestamp": statement.excluded.datestamp, "run_id": statement.excluded.run_id})
        now = _now()
        for chunk in _chunks(list(items)):
            conn.execute(statement, [{"source_id": source_id, "identifier": identifier,
                                      "datestamp": datestamp, "run_id": run_id, "held_at": now}
                                     for identifier, datestamp in chunk])

    def held_count(self, source_id: str) -> int:
        c = t.held_deletions.c
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).where(c.source_id == source_id)).scalar_one()

    def held_identifiers(self, source_id: str, limit: int = 20) -> list[str]:
        c = t.held_deletions.c
        with self.engine.connect() as conn:
            return list(conn.execute(select(c.identifier).where(c.source_id == source_id)
                                     .order_by(c.identifier).limit(limit)).scalars())

    def apply_held(self, source_id: str) -> int:
        """Carry out a source's pending deletions: its records become tombstones."""
        held, raw, rec = t.held_deletions.c, t.raw_records.c, t.records.c
        now = _now()
        with self.engine.begin() as conn:
            rows = list(conn.execute(select(held.identifier, held.datestamp).where(
                held.source_id == source_id)))
            for identifier, datestamp in rows:
                conn.execute(update(t.raw_records).where(
                    raw.source_id == source_id, raw.identifier == identifier).values(
                    deleted=True, payload=None, sha256=_EMPTY_SHA256, updated_at=now,
                    **({"datestamp": datestamp} if datestamp else {})))
                conn.execute(update(t.records).where(
                    rec.source_id == source_id, rec.identifier == identifier).values(
                    deleted=True, record=None, content_sha256=None, mapping_error=None,
                    quality_score=None, quality=None, updated_at=now, mapped_at=now,
                    **({"datestamp": datestamp} if datestamp else {})))
            conn.execute(delete(t.held_deletions).where(held.source_id == source_id))
        return len(rows)

    def discard_held(self, source_id: str) -> int:
        """Forget a source's pending deletions: the records stay live."""
        with self.engine.begin() as conn:
            return conn.execute(delete(t.held_deletions).where(
                t.held_deletions.c.source_id == source_id)).rowcount

    def _upsert_raw(self, conn, source_id: str, rows: Sequence[RawRow], now: datetime,
                    run_id: int | None) -> None:
        bulk.upsert(conn, t.raw_records, _RAW_COLUMNS, [
            (source_id, r.identifier, r.datestamp, r.deleted, r.metadata_format, r.sets,
             r.payload, r.sha256, now, now, run_id) for r in rows],
            lambda excluded: {name: excluded[name] for name in _RAW_UPDATED})

    def _upsert_mapped(self, conn, source_id: str, rows: Sequence[MappedRow],
                       now: datetime) -> None:
        def set_(excluded) -> dict:
            assignments = {name: excluded[name] for name in _MAPPED_UPDATED}
            # updated_at moves only when the mapped content changed, so exports stay
            # incremental.
            assignments["updated_at"] = _case_changed(
                t.records.c.content_sha256, excluded["content_sha256"], t.records.c.deleted,
                excluded["deleted"], t.records.c.updated_at, excluded["updated_at"])
            return assignments

        bulk.upsert(conn, t.records, _MAPPED_COLUMNS, [
            (source_id, r.identifier, r.deleted, r.doi, r.title, r.resource_type_general,
             r.publication_year, r.datestamp, r.content_sha256, r.record, r.issue_count,
             r.mapping_error, r.quality_score, r.quality, now, now) for r in rows], set_)

    def _insert(self, table):
        module = postgresql if self.dialect == "postgresql" else sqlite
        return module.insert(table)

    def iter_raw(self, source_ids: Sequence[str] | None = None,
                 batch: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Raw records in batches, keyset-paged by id so memory stays flat: what mapping needs
        (id, source_id, identifier, metadata_format, payload, deleted, datestamp, sha256) and
        the state of the mapped record (see `raw_page_query`). With `source_ids`, one source
        after the other, each in id order."""
        for source_id in (source_ids or [None]):
            yield from self._iter_raw(source_id, batch)

    def _iter_raw(self, source_id: str | None, batch: int) -> Iterator[list[dict[str, Any]]]:
        last = 0
        while True:
            with self.engine.connect() as conn:
                rows = [dict(row) for row in
                        conn.execute(raw_page_query(source_id, last, batch, self.dialect))
                        .mappings()]
            if not rows:
                return
            last = rows[-1]["id"]
            yield rows

    def mapped_digests(self, source_id: str,
                       identifiers: Iterable[str]) -> dict[str, tuple[str | None, bool]]:
        c = t.records.c
        found: dict[str, tuple[str | None, bool]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(identifiers)):
                rows = conn.execute(select(c.identifier, c.content_sha256, c.deleted).where(
                    c.source_id == source_id, c.identifier.in_(chunk)))
                found.update((row.identifier, (row.content_sha256, row.deleted)) for row in rows)
        return found

    def write_mapped(self, source_id: str, rows: Sequence[MappedRow]) -> None:
        with self.engine.begin() as conn:
            self._upsert_mapped(conn, source_id, rows, _now())

    def iter_records(self, source_ids: Sequence[str] | None = None, *,
                     include_deleted: bool = False, since: datetime | None = None,
                     batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Mapped records one by one, read in keyset-paged batches."""
        c = t.records.c
        last = 0
        while True:
            query = select(t.records).where(c.id > last).order_by(c.id).limit(batch)
            conditions = []
            if source_ids:
                conditions.append(c.source_id.in_(source_ids))
            if not include_deleted:
                conditions.append(c.deleted.is_(False))
            if since is not None:
                conditions.append(c.updated_at >= since)
            if conditions:
                query = query.where(and_(*conditions))
            with self.engine.connect() as conn:
                rows = [dict(row) for row in conn.execute(query).mappings()]
            if not rows:
                return
            last = rows[-1]["id"]
            yield from rows

    def iter_quality(self, source_id: str, batch: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """A source's live records in keyset-paged batches of {identifier, quality,
        mapping_error, record}; `record` (the mapped JSON) only where no quality is stored yet
        (rows mapped before revision 0006), so it can be scored on the fly."""
        c = t.records.c
        unscored = case((c.quality.is_(None), c.record), else_=None).label("record")
        last = 0
        while True:
            query = (select(c.id, c.identifier, c.quality, c.mapping_error, unscored)
                     .where(c.source_id == source_id, c.deleted.is_(False), c.id > last)
                     .order_by(c.id).limit(batch))
            with self.engine.connect() as conn:
                rows = [dict(row) for row in conn.execute(query).mappings()]
            if not rows:
                return
            last = rows[-1]["id"]
            yield rows

    def titles(self, source_id: str, identifiers: Iterable[str]) -> dict[str, str | None]:
        """The main titles of a few of a source's records (e.g. a report's examples)."""
        c = t.records.c
        found: dict[str, str | None] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(identifiers)):
                rows = conn.execute(select(c.identifier, c.title).where(
                    c.source_id == source_id, c.identifier.in_(chunk)))
                found.update((row.identifier, row.title) for row in rows)
        return found

    def quality_overview(self) -> dict[str, dict[str, Any]]:
        """Per source, over its scored live records: records, mean score and the shares with a
        DOI, a recognised licence, an ORCID iD and a ROR id, computed in the database."""
        c = t.records.c
        flags = ("has_doi", "has_licence", "has_orcid", "has_ror")
        query = (select(c.source_id, func.count().label("records"),
                        func.avg(c.quality_score).label("mean_score"),
                        *(func.sum(case((c.quality[flag].as_boolean(), 1), else_=0)).label(flag)
                          for flag in flags))
                 .where(c.deleted.is_(False), c.quality_score.is_not(None))
                 .group_by(c.source_id).order_by(c.source_id))
        with self.engine.connect() as conn:
            rows = list(conn.execute(query).mappings())
        return {row["source_id"]: {
            "records": row["records"], "mean_score": float(row["mean_score"]),
            **{f"share_{flag[4:]}": (row[flag] or 0) / row["records"] for flag in flags}}
            for row in rows}

    def refresh_statistics(self) -> None:
        """PostgreSQL: renew the planner's statistics of the harvested tables now.

        After a bulk load they say the tables are nearly empty until autovacuum gets to them
        (a minute or more), and the planner then reads a remap page by hashing every record of
        the source and sorting the rest of it: 98 ms a page of 1,000 at 100,000 records instead
        of 2 ms, growing with the source. Only the key columns are analysed: a fixed sample of
        rows, some 50 ms whatever the size of the tables. SQLite plans without statistics.

        It only helps the planner, so it never fails the run that asks: when a table's lock does
        not come within ANALYZE_LOCK_TIMEOUT_MS (an anti-wraparound vacuum holds it, say) or the
        server refuses, it logs a warning and leaves the statistics to autovacuum.
        """
        if self.dialect != "postgresql":
            return
        try:
            with self.engine.begin() as conn:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(ANALYZE_LOCK_TIMEOUT_MS)}")
                for table, columns in _PLANNED_COLUMNS.items():
                    conn.exec_driver_sql(f"ANALYZE {table} ({', '.join(columns)})")
        except SQLAlchemyError as exc:
            log.warning("The database's statistics were not renewed (%s); autovacuum will "
                        "renew them.", str(exc.orig or exc).strip().splitlines()[0])

    def counts(self, source_id: str | None = None) -> dict[str, dict[str, int]]:
        """Per source: live, deleted and unmappable record counts."""
        c = t.records.c
        # Two counts, each answered by an index alone (ix_records_source_deleted and the
        # partial ix_records_unmapped): every record by state, and the unmapped ones.
        every = select(c.source_id, c.deleted, func.count()).group_by(c.source_id, c.deleted)
        unmapped = every.where(c.mapping_error.is_not(None))
        if source_id:
            every, unmapped = (q.where(c.source_id == source_id) for q in (every, unmapped))
        result: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for source, deleted, n in conn.execute(every):
                entry = result.setdefault(source, {"live": 0, "deleted": 0, "unmapped": 0})
                entry["deleted" if deleted else "live"] += n
            for source, deleted, n in conn.execute(unmapped):
                if not deleted:
                    result[source]["live"] -= n
                    result[source]["unmapped"] += n
        return result

    def raw_count(self, source_id: str) -> int:
        c = t.raw_records.c
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).where(c.source_id == source_id)).scalar_one()

    def identifiers(self, source_id: str) -> list[str]:
        c = t.raw_records.c
        with self.engine.connect() as conn:
            query = select(c.identifier).where(c.source_id == source_id).order_by(c.identifier)
            return list(conn.execute(query).scalars())


def _case_changed(old_sha, new_sha, old_deleted, new_deleted, old_time, new_time):
    changed = or_(old_sha.is_(None), old_sha != new_sha, old_deleted != new_deleted)
    return case((changed, new_time), else_=old_time)
