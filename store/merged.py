"""The merged catalogue's persistence: merged records, members, keys, redirects, candidates, state.

`MergedStore` is mixed into `store.Store`. The read side (`iter_merged`, `get_merged`, ...) is what
the OAI-PMH provider and the exporters page through; the write side is what `pipeline.merge`
calls, one complete unit of work per call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    not_,
    or_,
    select,
    tuple_,
    update,
)

from store import tables as t
from store.clustering import FullClustering

_CHUNK = 500
_MAX_REDIRECT_HOPS = 32
STATE_NAME = "catalogue"


def _now() -> datetime:
    return datetime.now(UTC)


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def set_hierarchy(sets: Iterable[str]) -> list[str]:
    """The sets with their OAI-PMH parents: "type:Dataset" is also in "type"."""
    found: set[str] = set()
    for spec in sets:
        parts = spec.split(":")
        found.update(":".join(parts[:n]) for n in range(1, len(parts) + 1))
    return sorted(found)


@dataclass(slots=True)
class MergedRow:
    """One catalogue entry as stored: live, or a tombstone (`deleted`, `record` None)."""

    id: int  # the row's key; with `datestamp` the provider's stable keyset position
    merged_id: str
    datestamp: datetime
    deleted: bool
    record: dict[str, Any] | str | None  # JSON text when read with `record_text`
    field_provenance: dict[str, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    members: list[tuple[str, str]] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)


@dataclass(slots=True)
class MergeState:
    watermark: datetime | None = None  # records.updated_at up to which changes were merged
    settings: dict[str, Any] | None = None  # priorities and duplicate flags of the last merge
    last_merge_at: datetime | None = None
    last_full_at: datetime | None = None


@dataclass(slots=True)
class MemberRecord:
    """A harvested record as the merge reads it; `record` is None when deleted or unmappable."""

    record_id: int
    source_id: str
    identifier: str
    content_sha256: str | None
    record: dict[str, Any] | None = None
    updated_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.record is not None


@dataclass(slots=True)
class MergedWrite:
    """A merged record to store. Its datestamp moves only when content_sha256 or deleted change."""

    merged_id: str
    record: dict[str, Any] | None
    field_provenance: dict[str, list[str]]
    sources: list[str]
    members: list[tuple[str, str]]
    sets: list[str]
    deleted: bool
    content_sha256: str


@dataclass(slots=True)
class MemberLink:
    source_id: str
    identifier: str
    record_id: int
    merged_id: str
    content_sha256: str | None


@dataclass(slots=True)
class MergeUnitWrite:
    """Everything one unit of merge work changes, written in one transaction."""

    record_ids: list[int]  # every harvested record the unit recomputed; their links are replaced
    links: list[MemberLink]
    merged: list[MergedWrite]
    redirects: dict[str, str]  # old id -> new id
    claimed: list[str]  # ids that are live catalogue entries again: they must not redirect


class MergedStore:
    """Mixed into `Store` (which provides `engine` and `_insert`)."""

    # -- reading the catalogue ----------------------------------------------------------------

    def iter_merged(self, *, since: datetime | None = None, until: datetime | None = None,
                    set_spec: str | None = None, include_deleted: bool = True,
                    after: tuple[datetime, int] | None = None,
                    batch: int = 1000, record_text: bool = False) -> Iterator[MergedRow]:
        """Merged records in (datestamp, id) order; `since`/`until` are inclusive.

        `after=(datestamp, id)` starts strictly after that keyset position, so a provider can
        page with the last row it served. `set_spec` matches the set and its sub-sets. With
        `record_text` each record comes as its JSON text, not decoded (an export hands the
        records to worker processes, which decode them).
        """
        c = t.merged_records.c
        conditions = self._merged_filters(since, until, set_spec, include_deleted)
        columns = [cast(c.record, Text).label("record") if record_text and column.name == "record"
                   else column for column in c]
        position = after
        while True:
            query = select(*columns).order_by(c.datestamp, c.id).limit(batch)
            where = list(conditions)
            if position is not None:
                stamp, last_id = position
                # A row-value comparison lets the (datestamp, id) index serve each page directly.
                where.append(tuple_(c.datestamp, c.id) > tuple_(stamp, last_id))
            if where:
                query = query.where(and_(*where))
            with self.engine.connect() as conn:
                rows = [_merged_row(row) for row in conn.execute(query).mappings()]
            if not rows:
                return
            yield from rows
            if len(rows) < batch:
                return
            position = (rows[-1].datestamp, rows[-1].id)

    def get_merged(self, merged_id: str) -> MergedRow | None:
        """The entry with this id, following redirects of ids that joined another entry."""
        c = t.merged_records.c
        with self.engine.connect() as conn:
            target = self._resolve(conn, merged_id)
            row = conn.execute(select(t.merged_records).where(c.merged_id == target)).mappings()
            found = row.first()
        return _merged_row(found) if found else None

    def resolve_merged_id(self, merged_id: str) -> str:
        """Where an id points now: itself, or the end of its redirect chain."""
        with self.engine.connect() as conn:
            return self._resolve(conn, merged_id)

    def merged_count(self, *, since: datetime | None = None, until: datetime | None = None,
                     set_spec: str | None = None, include_deleted: bool = True) -> int:
        conditions = self._merged_filters(since, until, set_spec, include_deleted)
        query = select(func.count()).select_from(t.merged_records)
        if conditions:
            query = query.where(and_(*conditions))
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def earliest_merged_datestamp(self) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(select(func.min(t.merged_records.c.datestamp))).scalar_one()

    def latest_merged_datestamp(self) -> datetime | None:
        """The newest datestamp: it moves whenever the catalogue's content changes."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(t.merged_records.c.datestamp))).scalar_one()

    def merged_sets(self) -> list[str]:
        """Every set some merged record is in, parents included ("source", "source:zenodo")."""
        c = t.merged_record_sets.c
        with self.engine.connect() as conn:
            return list(conn.execute(select(c.set_spec).distinct().order_by(c.set_spec)).scalars())

    def merged_id_for(self, source_id: str, identifier: str) -> str | None:
        """The catalogue entry a harvested record was last merged into (a tombstone's too)."""
        c = t.merge_members.c
        with self.engine.connect() as conn:
            return conn.execute(select(c.merged_id).where(
                c.source_id == source_id, c.identifier == identifier)).scalar_one_or_none()

    def merge_redirects(self) -> dict[str, str]:
        c = t.merge_redirects.c
        with self.engine.connect() as conn:
            return dict(conn.execute(select(c.old_id, c.new_id)).all())

    def merge_candidates(self) -> list[tuple[str, list[MergedRow]]]:
        """Groups of live merged records that look like duplicates: (key, entries)."""
        k, m = t.merge_candidates.c, t.merged_records.c
        query = (select(k.dup_key, t.merged_records).join(t.merged_records,
                                                          m.merged_id == k.merged_id)
                 .where(m.deleted.is_(False)).order_by(k.dup_key, m.merged_id))
        groups: dict[str, list[MergedRow]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                groups.setdefault(row["dup_key"], []).append(_merged_row(row))
        return [(key, rows) for key, rows in groups.items() if len(rows) > 1]

    def _merged_filters(self, since, until, set_spec, include_deleted) -> list:
        c = t.merged_records.c
        conditions = []
        if since is not None:
            conditions.append(c.datestamp >= since)
        if until is not None:
            conditions.append(c.datestamp <= until)
        if not include_deleted:
            conditions.append(c.deleted.is_(False))
        if set_spec is not None:
            s = t.merged_record_sets.c
            conditions.append(c.id.in_(select(s.merged_record_id).where(s.set_spec == set_spec)))
        return conditions

    @staticmethod
    def _resolve(conn, merged_id: str) -> str:
        c = t.merge_redirects.c
        current = merged_id
        for _ in range(_MAX_REDIRECT_HOPS):  # chains are compressed on write; this is a guard
            target = conn.execute(select(c.new_id).where(c.old_id == current)).scalar_one_or_none()
            if target is None or target == current:
                return current
            current = target
        return current

    # -- the merge's own state ----------------------------------------------------------------

    def merge_state(self) -> MergeState:
        c = t.merge_state.c
        with self.engine.connect() as conn:
            row = conn.execute(select(t.merge_state).where(c.name == STATE_NAME)).mappings().first()
        if row is None:
            return MergeState()
        return MergeState(watermark=row["watermark"], settings=row["settings"],
                          last_merge_at=row["last_merge_at"], last_full_at=row["last_full_at"])

    def records_changed_since(self, since: datetime | None) -> bool:
        """Whether any harvested record updated after `since` (None: any record) differs from
        what was last merged: the test `changed_members` applies row by row, asked of the
        database once. Right after a merge every record is within the watermark's grace
        period, and reading them all to find nothing had cost each export seconds."""
        r, m = t.records.c, t.merge_members.c
        live = and_(r.deleted.is_(False), not_(_no_record(r)))
        current = case((live, r.content_sha256), else_=None)
        merged_as_is = or_(and_(m.merged_id.is_(None), not_(live)),
                           and_(m.merged_id.is_not(None),
                                not_(m.content_sha256.is_distinct_from(current))))
        query = (select(r.id)
                 .select_from(t.records.outerjoin(t.merge_members, and_(
                     m.source_id == r.source_id, m.identifier == r.identifier)))
                 .where(not_(merged_as_is)).limit(1))
        if since is not None:
            query = query.where(r.updated_at > since)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def changed_members(self, since: datetime | None) -> tuple[list[MemberRecord],
                                                                 datetime | None]:
        """Records updated after `since` whose content differs from what was last merged, and
        the highest updated_at read (the next watermark)."""
        r, m = t.records.c, t.merge_members.c
        query = (select(r.id, r.source_id, r.identifier, r.content_sha256, r.deleted,
                        _no_record(r).label("no_record"), r.updated_at,
                        m.merged_id, m.content_sha256.label("merged_sha"))
                 .select_from(t.records.outerjoin(t.merge_members, and_(
                     m.source_id == r.source_id, m.identifier == r.identifier))))
        if since is not None:
            query = query.where(r.updated_at > since)
        changed: list[MemberRecord] = []
        highest = None
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                if highest is None or row.updated_at > highest:
                    highest = row.updated_at
                live = not row.deleted and not row.no_record
                current = row.content_sha256 if live else None
                if row.merged_id is None and not live:
                    continue  # never merged and nothing to merge
                if row.merged_id is not None and row.merged_sha == current:
                    continue  # merged with exactly this content already
                changed.append(MemberRecord(record_id=row.id, source_id=row.source_id,
                                            identifier=row.identifier, content_sha256=current,
                                            updated_at=row.updated_at))
        return changed, highest

    def iter_member_records(self, record_ids: Sequence[int] | None = None, *,
                            batch: int = 1000) -> Iterator[list[MemberRecord]]:
        """Harvested records (all, or these ids) in batches, with their JSON."""
        c = t.records.c
        columns = (c.id, c.source_id, c.identifier, c.content_sha256, c.deleted, c.record,
                   c.updated_at)
        if record_ids is not None:
            ids = sorted(set(record_ids))
            for chunk in _chunks(ids, batch):
                with self.engine.connect() as conn:
                    rows = conn.execute(select(*columns).where(c.id.in_(chunk))).all()
                yield [_member(row) for row in rows]
            return
        last = 0
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(select(*columns).where(c.id > last).order_by(c.id)
                                    .limit(batch)).all()
            if not rows:
                return
            last = rows[-1].id
            yield [_member(row) for row in rows]

    def member_links(self, *, record_ids: Iterable[int] = (),
                     merged_ids: Iterable[str] = ()) -> list[MemberLink]:
        """The member links of these harvested records and of these merged records."""
        c = t.merge_members.c
        found: dict[tuple[str, str], MemberLink] = {}
        with self.engine.connect() as conn:
            for column, values in ((c.record_id, list(set(record_ids))),
                                   (c.merged_id, list(set(merged_ids)))):
                for chunk in _chunks(values):
                    for row in conn.execute(select(t.merge_members).where(column.in_(chunk))):
                        found[(row.source_id, row.identifier)] = MemberLink(
                            row.source_id, row.identifier, row.record_id, row.merged_id,
                            row.content_sha256)
        return list(found.values())

    def existing_merged(self, merged_ids: Iterable[str], *,
                        detail: bool = False) -> dict[str, dict[str, Any]]:
        """Stored rows of these merged ids: id, deleted, content hash, and with `detail` also
        members, sources and sets."""
        c = t.merged_records.c
        columns = [c.id, c.merged_id, c.deleted, c.content_sha256]
        if detail:
            columns += [c.members, c.sources, c.sets]
        found: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(set(merged_ids))):
                query = select(*columns).where(c.merged_id.in_(chunk))
                found.update((row["merged_id"], dict(row))
                             for row in conn.execute(query).mappings())
        return found

    # -- clustering keys ------------------------------------------------------------------------

    def replace_merge_keys(self, keys: Mapping[int, tuple[str, Iterable[str]]]) -> set[str]:
        """Set the keys of these records ({record id: (source id, keys)}); returns every key
        they had before or have now, whose groups may have changed."""
        c = t.merge_keys.c
        touched: set[str] = set()
        ids = list(keys)
        with self.engine.begin() as conn:
            for chunk in _chunks(ids):
                touched.update(conn.execute(select(c.key).where(c.record_id.in_(chunk))).scalars())
                conn.execute(delete(t.merge_keys).where(c.record_id.in_(chunk)))
            rows = [{"key": key, "record_id": record_id, "source_id": source_id}
                    for record_id, (source_id, record_keys) in keys.items()
                    for key in set(record_keys)]
            touched.update(row["key"] for row in rows)
            for chunk in _chunks(rows):
                conn.execute(insert(t.merge_keys), list(chunk))
        return touched

    def keys_of_records(self, record_ids: Iterable[int]) -> list[tuple[int, str, str]]:
        """(record id, key, source id) of these records."""
        c = t.merge_keys.c
        found = []
        with self.engine.connect() as conn:
            for chunk in _chunks(list(set(record_ids))):
                found += conn.execute(select(c.record_id, c.key, c.source_id)
                                      .where(c.record_id.in_(chunk))).all()
        return [tuple(row) for row in found]

    def holders_of_keys(self, keys: Iterable[str]) -> list[tuple[int, str, str]]:
        """(record id, key, source id) of every record holding one of these keys."""
        c = t.merge_keys.c
        found = []
        with self.engine.connect() as conn:
            for chunk in _chunks(list(set(keys))):
                found += conn.execute(select(c.record_id, c.key, c.source_id)
                                      .where(c.key.in_(chunk))).all()
        return [tuple(row) for row in found]

    # -- writing a unit of merge work -----------------------------------------------------------

    def write_merge_unit(self, unit: MergeUnitWrite) -> None:
        """Store a unit's merged records, member links, redirects and candidates atomically.

        The datestamp is taken inside the transaction, so no row can commit with a datestamp
        that a provider's list has already passed.
        """
        with self.engine.begin() as conn:
            members = t.merge_members.c
            for chunk in _chunks(unit.record_ids):
                conn.execute(delete(t.merge_members).where(members.record_id.in_(chunk)))
            # Every link's record is among unit.record_ids, so its old row is gone by now.
            links = {(link.source_id, link.identifier): link for link in unit.links}
            for chunk in _chunks(list(links.values())):
                conn.execute(insert(t.merge_members), [
                    {"source_id": link.source_id, "identifier": link.identifier,
                     "record_id": link.record_id, "merged_id": link.merged_id,
                     "content_sha256": link.content_sha256} for link in chunk])
            # Stamped once this transaction writes (SQLite has granted its write lock by now),
            # so the commit follows the datestamp closely.
            now = _now()
            self._write_merged(conn, unit.merged, now)
            self._write_redirects(conn, unit.redirects, unit.claimed, now)

    def _write_merged(self, conn, rows: Sequence[MergedWrite], now: datetime) -> None:
        c = t.merged_records.c
        existing: dict[str, Any] = {}
        for chunk in _chunks([row.merged_id for row in rows]):
            existing.update((r.merged_id, r) for r in conn.execute(
                select(c.id, c.merged_id, c.content_sha256, c.state_sha256, c.deleted)
                .where(c.merged_id.in_(chunk))))
        inserts, moved, kept = [], [], []
        reset_sets: dict[str, list[str]] = {}
        for row in rows:
            members = [list(m) for m in row.members]
            values = {"record": row.record, "field_provenance": row.field_provenance,
                      "sources": row.sources, "members": members, "sets": row.sets,
                      "deleted": row.deleted, "content_sha256": row.content_sha256,
                      "state_sha256": _state_digest(row.content_sha256, row.deleted, members)}
            old = existing.get(row.merged_id)
            if old is None:
                inserts.append({"merged_id": row.merged_id, "datestamp": now, "created_at": now,
                                **values})
                reset_sets[row.merged_id] = row.sets
            elif old.content_sha256 != row.content_sha256 or old.deleted != row.deleted:
                moved.append({"_id": old.id, "datestamp": now, **values})
                reset_sets[row.merged_id] = row.sets  # sets are part of the content
            elif old.state_sha256 != values["state_sha256"]:
                kept.append({"_id": old.id, **values})  # same content: the datestamp stays
        for chunk in _chunks(inserts):
            conn.execute(insert(t.merged_records), list(chunk))
        for batch in (moved, kept):
            if batch:
                # Bound names must differ from column names in an executemany UPDATE.
                names = [k for k in batch[0] if k != "_id"]
                statement = (update(t.merged_records).where(c.id == bindparam("_id"))
                             .values({name: bindparam(f"v_{name}") for name in names}))
                params = [{"_id": row["_id"], **{f"v_{n}": row[n] for n in names}}
                          for row in batch]
                for chunk in _chunks(params):
                    conn.execute(statement, list(chunk))
        if not reset_sets:
            return
        ids: dict[str, int] = {}
        for chunk in _chunks(list(reset_sets)):
            ids.update(conn.execute(select(c.merged_id, c.id).where(c.merged_id.in_(chunk))).all())
        s = t.merged_record_sets.c
        for chunk in _chunks(list(ids.values())):
            conn.execute(delete(t.merged_record_sets).where(s.merged_record_id.in_(chunk)))
        set_rows = [{"set_spec": spec, "merged_record_id": ids[merged_id]}
                    for merged_id, sets in reset_sets.items() for spec in set_hierarchy(sets)]
        for chunk in _chunks(set_rows):
            conn.execute(insert(t.merged_record_sets), list(chunk))

    def _write_redirects(self, conn, redirects: Mapping[str, str], claimed: Sequence[str],
                         now: datetime) -> None:
        c = t.merge_redirects.c
        for chunk in _chunks(list(claimed)):
            conn.execute(delete(t.merge_redirects).where(c.old_id.in_(chunk)))
        for old_id, new_id in redirects.items():
            if old_id == new_id:
                continue
            # Chains stay one hop long: whatever pointed at the old id now points at the new.
            conn.execute(update(t.merge_redirects).where(c.new_id == old_id)
                         .values(new_id=new_id))
            conn.execute(delete(t.merge_redirects).where(c.old_id == old_id))
            conn.execute(insert(t.merge_redirects).values(old_id=old_id, new_id=new_id,
                                                          created_at=now))

    def _refresh_candidates(self, conn, dup_keys: set[str] | None, now: datetime) -> None:
        """Recompute the candidate groups of these likely-duplicate keys (None: of all)."""
        k, m, mr = t.merge_keys.c, t.merge_members.c, t.merged_records.c
        cand = t.merge_candidates.c
        chunks = [None] if dup_keys is None else list(_chunks(sorted(dup_keys)))
        if not chunks:
            return
        # The new groups are gathered in the database (a full refresh of a large catalogue
        # has hundreds of thousands of keys), in a temporary table with the candidates' columns.
        found = Table("os10_found_candidates", MetaData(),
                      *(Column(c.name, c.type) for c in t.merge_candidates.c),
                      prefixes=["TEMPORARY"])
        found.create(conn)  # a failure rolls its creation back with the rest
        for chunk in chunks:
            pairs = (select(k.key.label("dup_key"), m.merged_id).distinct()
                     .join(t.merge_members, m.record_id == k.record_id)
                     .join(t.merged_records, mr.merged_id == m.merged_id)
                     .where(mr.deleted.is_(False)))
            clear = delete(t.merge_candidates)
            if chunk is None:
                pairs = pairs.where(k.key.like("dup:%"))
            else:
                pairs = pairs.where(k.key.in_(chunk))
                clear = clear.where(cand.dup_key.in_(chunk))
            pairs = pairs.subquery()
            grouped = (select(pairs.c.dup_key).group_by(pairs.c.dup_key)
                       .having(func.count() > 1))
            # A group that stays a group keeps the time it was first found.
            conn.execute(insert(found).from_select(
                ["dup_key", "merged_id", "found_at"],
                select(pairs.c.dup_key, pairs.c.merged_id,
                       func.coalesce(cand.found_at, bindparam("now", now,
                                                              type_=cand.found_at.type)))
                .outerjoin(t.merge_candidates, and_(cand.dup_key == pairs.c.dup_key,
                                                    cand.merged_id == pairs.c.merged_id))
                .where(pairs.c.dup_key.in_(grouped))))
            conn.execute(clear)
            conn.execute(insert(t.merge_candidates).from_select(
                ["dup_key", "merged_id", "found_at"], select(*found.c)))
            conn.execute(delete(found))
        found.drop(conn)

    def finish_merge(self, *, watermark: datetime | None, settings: dict[str, Any],
                     full: bool, dup_keys: Iterable[str] = ()) -> int:
        """Refresh the candidate groups of `dup_keys` (all of them after a full merge) and move
        the watermark, in one transaction; returns how many candidate groups there are."""
        now = _now()
        values: dict[str, Any] = {"settings": settings, "last_merge_at": now, "updated_at": now}
        if watermark is not None:
            values["watermark"] = watermark
        if full:
            values["last_full_at"] = now
        statement = self._insert(t.merge_state).values(name=STATE_NAME, **values)
        cand = t.merge_candidates.c
        with self.engine.begin() as conn:
            self._refresh_candidates(conn, None if full else set(dup_keys), now)
            conn.execute(statement.on_conflict_do_update(index_elements=["name"], set_=values))
            return conn.execute(select(func.count(cand.dup_key.distinct()))).scalar_one()

    def full_clustering(self) -> FullClustering:
        """A full merge's clusters and units, computed in the database (store.clustering)."""
        return FullClustering(self.engine)


def _no_record(r):
    """A records row without a mapped record: SQL NULL, or the JSON `null` that SQLAlchemy's
    JSON type writes for None (a mapping failure); `IS NULL` alone took the latter for a record,
    so an unmappable record looked changed to every merge."""
    return or_(r.record.is_(None), cast(r.record, Text) == "null")


def _state_digest(content_sha256: str, deleted: bool, members: list[list[str]]) -> str:
    text = json.dumps([content_sha256, deleted, members], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _merged_row(row) -> MergedRow:
    return MergedRow(
        id=row["id"], merged_id=row["merged_id"], datestamp=row["datestamp"],
        deleted=row["deleted"], record=row["record"],
        field_provenance=row["field_provenance"] or {}, sources=list(row["sources"] or []),
        members=[(m[0], m[1]) for m in row["members"] or []], sets=list(row["sets"] or []))


def _member(row) -> MemberRecord:
    live = not row.deleted and row.record is not None
    return MemberRecord(record_id=row.id, source_id=row.source_id, identifier=row.identifier,
                        content_sha256=row.content_sha256 if live else None,
                        record=row.record if live else None, updated_at=row.updated_at)
