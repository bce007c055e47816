"""Build the merged catalogue from the harvested records: incrementally, or from scratch.

Incremental (the default): the records whose content changed since the last merge (their
`updated_at` is past the merge watermark and their content hash differs from the one merged)
are the seeds. Their clusters before the change (their old merged ids, with every member) and
after it (everything their new keys reach, transitively) are recomputed; nothing else is read.
`full=True`, the first merge, and a merge whose priorities or duplicate settings differ from the
last one's recompute every cluster.

Work is written in units of whole clusters, each unit in one transaction, so a merge that dies
leaves a consistent catalogue; the watermark moves only at the end, and the next run redoes
what was not written (records already merged with their current content are skipped).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta

from collector import old_objects_frozen
from merge.clusters import UnionFind, cluster, links
from merge.ids import ClusterIds, assign_ids, derive_id
from merge.keys import (
    DUPLICATE_PREFIX,
    identifier_keys,
    is_duplicate_key,
    record_keys,
    strongest_key,
)
from merge.policy import Member, merge_members
from pipeline.progress import Progress
from store import Store
from store.clustering import UnitRow
from store.merged import MemberLink, MemberRecord, MergedWrite, MergeUnitWrite

log = logging.getLogger("os10.merge")

# Records committed by a harvest a little before the previous merge's watermark (a page whose
# transaction was slow to commit) are still looked at; those already merged are skipped by hash.
WATERMARK_GRACE = timedelta(minutes=10)
# Harvested records per transaction; whole clusters, so a unit may be larger.
UNIT_RECORDS = 1000
# A full merge keeps the records it read for their keys, up to this many, instead of reading
# them again for the merge itself. A decoded record costs about 25 KB, so this bounds the cache
# near 25 MB: larger catalogues are read again a unit at a time and memory stays flat.
FULL_CACHE_RECORDS = 1_000
# Records decoded at a time while a full merge reads every record for its keys.
FULL_READ_BATCH = 250
TOMBSTONE_SHA256 = hashlib.sha256(b'{"deleted":true}').hexdigest()


@dataclass
class MergeReport:
    full: bool = False
    reason: str = ""  # why the merge ran in full
    changed_records: int = 0  # records changed since the last merge (full: every live record)
    records: int = 0  # harvested records read to recompute the touched clusters
    clusters: int = 0  # clusters recomputed
    created: int = 0  # new merged records
    updated: int = 0  # merged records whose content changed (datestamp moved)
    unchanged: int = 0  # recomputed, same content: datestamp kept
    tombstoned: int = 0  # merged records that became tombstones (every member deleted)
    redirected: int = 0  # merged ids that joined another and now redirect to it
    revived: int = 0  # tombstones live again
    candidates: int = 0  # groups of likely duplicates waiting for a steward
    duration_s: float = 0.0

    def model_dump(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        read = (f"full merge of {self.changed_records} records" if self.full
                else f"incremental merge: {self.changed_records} changed records")
        return (f"{read}, {self.clusters} "
                f"clusters recomputed ({self.created} new, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.tombstoned} deleted, {self.redirected} "
                f"joined, {self.revived} revived); {self.candidates} likely-duplicate groups "
                f"in {self.duration_s:.1f}s")


def merge_settings(priorities: Mapping[str, int],
                   duplicate_sources: Iterable[str]) -> dict:
    return {"priorities": dict(sorted(priorities.items())),
            "duplicate_sources": sorted(duplicate_sources)}


def merge_needed(store: Store) -> bool:
    """Whether harvested records may have changed since the last merge (or none ever ran).

    Within the watermark's grace period this says yes; the merge then finds nothing new cheaply.
    """
    state = store.merge_state()
    if state.last_merge_at is None:
        return True
    since = state.watermark - WATERMARK_GRACE if state.watermark else None
    return store.records_changed_since(since)


def merge_catalogue(store: Store, priorities: Mapping[str, int], *, full: bool = False,
                    duplicate_sources: frozenset[str] = frozenset(),
                    progress: bool = False) -> MergeReport:
    """Bring the merged catalogue up to date with the harvested records.

    `priorities` are the sources' priorities from sources.yaml (absent: 0);
    `duplicate_sources` are the sources with `merge_likely_duplicates: true`.
    """
    began = time.monotonic()
    duplicate_sources = frozenset(duplicate_sources)
    settings = merge_settings(priorities, duplicate_sources)
    state = store.merge_state()
    report = MergeReport(full=full, reason="asked for" if full else "")
    if not full and state.last_merge_at is None:
        report.full, report.reason = True, "first merge"
    elif not full and state.settings != settings:
        report.full, report.reason = True, "source priorities or duplicate settings changed"
    run = _Run(store, priorities, duplicate_sources, report, progress)
    with old_objects_frozen():
        if report.full:
            watermark, dup_keys = run.full()
        else:
            since = state.watermark - WATERMARK_GRACE if state.watermark else None
            watermark, dup_keys = run.incremental(since)
            if state.watermark and (watermark is None or watermark < state.watermark):
                watermark = state.watermark
    report.candidates = store.finish_merge(watermark=watermark, settings=settings,
                                           full=report.full, dup_keys=dup_keys)
    report.duration_s = time.monotonic() - began
    log.info("Merge: %s", report.summary())
    return report


@dataclass
class _Unit:
    clusters: list[list[int]]  # live record ids per cluster
    record_ids: set[int]  # every record whose member link is rewritten
    old_members: dict[str, list[int]]  # previous merged id -> its old member record ids
    old_links: dict[int, MemberLink]  # record id -> its member link before this merge


class _Run:
    def __init__(self, store: Store, priorities: Mapping[str, int],
                 duplicate_sources: frozenset[str], report: MergeReport, progress: bool) -> None:
        self.store = store
        self.priorities = priorities
        self.duplicate_sources = duplicate_sources
        self.report = report
        self.meter = Progress("merge") if progress else None

    # -- finding what to recompute ------------------------------------------------------------

    def full(self):
        """Every record's keys go to the database, which finds the clusters and units
        (store.clustering); they are read back and written a unit at a time, so memory stays
        flat however large the catalogue."""
        cache: dict[int, MemberRecord] | None = {}
        highest = None
        with self.store.full_clustering() as clustering:
            for batch in self.store.iter_member_records(batch=FULL_READ_BATCH):
                live = []
                for member in batch:
                    if highest is None or (member.updated_at and member.updated_at > highest):
                        highest = member.updated_at
                    if member.live:
                        live.append((member.record_id, member.source_id,
                                     record_keys(member.record)))
                        if cache is not None:
                            cache[member.record_id] = member
                clustering.add(live)
                if cache is not None and len(cache) > FULL_CACHE_RECORDS:
                    cache = None  # too many to hold: read them again, a unit at a time
                del batch, live  # before the next is read: two decoded batches are the peak
            clustering.publish_keys()
            self.report.changed_records = clustering.records
            clustering.cluster(DUPLICATE_PREFIX, self.duplicate_sources)
            load = self._load_from_store if cache is None else (
                lambda ids: [cache[i] for i in ids if i in cache])
            self._recompute(_streamed_units(clustering.units()), load,
                            orphans=clustering.orphans())
        return highest, set()

    def incremental(self, since):
        changed, highest = self.store.changed_members(since)
        self.report.changed_records = len(changed)
        if not changed:
            return highest, set()
        seeds = {m.record_id for m in changed}
        loaded: dict[int, MemberRecord] = {}
        for batch in self.store.iter_member_records(seeds):
            loaded.update((m.record_id, m) for m in batch)
        touched = self.store.replace_merge_keys(
            {rid: (m.source_id, record_keys(m.record)) for rid, m in loaded.items()})
        visited = self._reach(seeds)
        for batch in self.store.iter_member_records(visited - loaded.keys()):
            loaded.update((m.record_id, m) for m in batch)
        keys = {rid: (m.source_id, record_keys(m.record))
                for rid, m in loaded.items() if m.live}
        links_ = self.store.member_links(record_ids=visited)
        old_ids = {link.merged_id for link in links_}
        links_ += [link for link in self.store.member_links(merged_ids=old_ids)
                   if link.record_id not in visited]
        dup_keys = {k for k in touched if is_duplicate_key(k)}
        dup_keys |= {k for _, record_keys_ in keys.values() for k in record_keys_
                     if is_duplicate_key(k)}
        self._recompute(_units(cluster(keys, self.duplicate_sources), links_),
                        lambda ids: [loaded[i] for i in ids if i in loaded])
        return highest, dup_keys

    def _reach(self, seeds: set[int]) -> set[int]:
        """Every record in the old and new clusters of the seeds: old merged ids' members, and
        records reached through shared keys, until nothing new turns up."""
        visited: set[int] = set()
        seen_keys: set[str] = set()
        seen_ids: set[str] = set()
        frontier = set(seeds)
        while frontier:
            visited |= frontier
            found: set[int] = set()
            old_ids = {link.merged_id for link in self.store.member_links(record_ids=frontier)}
            if new_ids := old_ids - seen_ids:
                seen_ids |= new_ids
                found |= {link.record_id for link in self.store.member_links(merged_ids=new_ids)}
            new_keys = {key for _, key, source_id in self.store.keys_of_records(frontier)
                        if links(key, source_id, self.duplicate_sources)} - seen_keys
            seen_keys |= new_keys
            found |= {record_id for record_id, key, source_id in
                      self.store.holders_of_keys(new_keys)
                      if links(key, source_id, self.duplicate_sources)}
            frontier = found - visited
        return visited

    def _load_from_store(self, record_ids: Iterable[int]) -> list[MemberRecord]:
        return [m for batch in self.store.iter_member_records(list(record_ids)) for m in batch]

    # -- recomputing ----------------------------------------------------------------------------

    def _recompute(self, units: Iterable[_Unit],
                   load: Callable[[Iterable[int]], list[MemberRecord]], *,
                   orphans: Iterable[list[str]] = ()) -> None:
        """Write `units` in transactions of about UNIT_RECORDS records, then end `orphans`:
        (batches of) live entries no harvested record points at any more (their links were
        lost), looked for after the units are written."""
        pending: list[_Unit] = []
        size = 0
        for unit in units:
            pending.append(unit)
            size += len(unit.record_ids)
            if size >= UNIT_RECORDS:
                self._write(pending, load)
                pending, size = [], 0
        if pending:
            self._write(pending, load)
        for batch in orphans:
            self._write([_Unit([], set(), {o: [] for o in batch}, {})], load)
        if self.meter:
            self.meter.finish()

    def _write(self, units: list[_Unit],
               load: Callable[[Iterable[int]], list[MemberRecord]]) -> None:
        """Merge, name and store a batch of units in one transaction."""
        clusters = [c for unit in units for c in unit.clusters]
        old_members = {k: v for unit in units for k, v in unit.old_members.items()}
        old_by_record = {k: v for unit in units for k, v in unit.old_links.items()}
        record_ids = set().union(*(unit.record_ids for unit in units))
        records = {m.record_id: m for m in load({r for c in clusters for r in c})}
        merged, plans = [], []
        for ids in clusters:
            members = [Member(source_id=records[r].source_id, identifier=records[r].identifier,
                              record_id=r, record=records[r].record) for r in ids]
            merged.append(merge_members(members, self.priorities))
            anchor = members[0]
            identity = (strongest_key(identifier_keys(anchor.record))
                        or f"record:{anchor.source_id}:{anchor.identifier}")
            previous = {old_by_record[r].merged_id for r in ids if r in old_by_record}
            plans.append(ClusterIds(record_ids=ids, identity=identity, previous=previous))

        looked_up = set(old_members) | {derive_id(p.identity) for p in plans}
        existing = self.store.existing_merged(looked_up)
        created = {k: v["id"] for k, v in existing.items()}
        plan = assign_ids(plans, old_members, created,
                          self._taken(existing, looked_up, old_members))
        existing.update(self.store.existing_merged(set(plan.ids) - existing.keys()))

        rows: list[MergedWrite] = []
        new_links: list[MemberLink] = []
        for merged_id, result, ids in zip(plan.ids, merged, clusters, strict=True):
            row = MergedWrite(
                merged_id=merged_id, record=result.record,
                field_provenance=result.field_provenance, sources=result.sources,
                members=result.members, sets=result.sets, deleted=False,
                content_sha256=content_hash(
                    result.record, result.field_provenance, result.sources, result.sets,
                    # A record alone is merged as it is: its own content hash stands for it.
                    record_digest=records[ids[0]].content_sha256 if len(ids) == 1 else None))
            rows.append(row)
            self._count(existing.get(merged_id), row)
            new_links += [MemberLink(records[r].source_id, records[r].identifier, r, merged_id,
                                     records[r].content_sha256) for r in ids]
        ended = [*plan.tombstones, *plan.redirects]
        details = self.store.existing_merged(ended, detail=True) if ended else {}
        for old_id in ended:
            before = details.get(old_id)
            row = MergedWrite(
                merged_id=old_id, record=None, field_provenance={},
                sources=list(before["sources"]) if before else [],
                members=[tuple(m) for m in before["members"]] if before else [],
                sets=list(before["sets"]) if before else [], deleted=True,
                content_sha256=TOMBSTONE_SHA256)
            rows.append(row)
            if before is None or not before["deleted"]:
                if old_id in plan.redirects:
                    self.report.redirected += 1
                else:
                    self.report.tombstoned += 1
        # A tombstone keeps its deleted members, so a member that comes back revives its id.
        for old_id in plan.tombstones:
            for r in old_members[old_id]:
                link = old_by_record.get(r)
                if link is not None and r not in records:
                    new_links.append(MemberLink(link.source_id, link.identifier, r, old_id,
                                                None))
        self.store.write_merge_unit(MergeUnitWrite(
            record_ids=sorted(record_ids), links=new_links, merged=rows,
            redirects=plan.redirects, claimed=sorted(plan.claimed)))
        self.report.clusters += len(clusters)
        self.report.records += len(records)
        if self.meter:
            self.meter.advance(len(records))

    def _count(self, before: dict | None, row: MergedWrite) -> None:
        if before is None:
            self.report.created += 1
        elif before["deleted"]:
            self.report.revived += 1
        elif before["content_sha256"] != row.content_sha256:
            self.report.updated += 1
        else:
            self.report.unchanged += 1

    def _taken(self, existing: dict[str, dict], looked_up: set[str],
               old_members: Mapping[str, list[int]]):
        def taken(merged_id: str) -> bool:
            if merged_id not in looked_up:  # only a salted retry gets here
                existing.update(self.store.existing_merged([merged_id]))
                looked_up.add(merged_id)
            row = existing.get(merged_id)
            return row is not None and not row["deleted"] and merged_id not in old_members
        return taken


def _units(clusters: list[list[int]], old_links: list[MemberLink]) -> Iterator[_Unit]:
    """Group clusters that share an old merged id, so each split or join is decided at once.

    Units come in the order of their lowest record id. Without old links (a first merge) each
    cluster is a unit of its own, made as it is needed.
    """
    if not old_links:
        return (_Unit(clusters=[ids], record_ids=set(ids), old_members={}, old_links={})
                for ids in clusters)
    sets = UnionFind()  # record ids (int) and merged ids (str) are told apart by their type
    for ids in clusters:
        for record_id in ids:
            sets.union(ids[0], record_id)
    for link in old_links:
        sets.union(link.record_id, link.merged_id)
    first_of = {ids[0]: ids for ids in clusters}
    units: list[_Unit] = []
    unit_of: dict[str, _Unit] = {}
    for group in sets.groups():
        unit = _Unit(clusters=[], record_ids=set(), old_members={}, old_links={})
        for value in group:
            if type(value) is int:
                unit.record_ids.add(value)
                if value in first_of:
                    unit.clusters.append(first_of[value])
            else:
                unit.old_members[value] = []
                unit_of[value] = unit
        unit.clusters.sort(key=lambda ids: ids[0])
        units.append(unit)
    for link in old_links:
        unit = unit_of[link.merged_id]
        unit.old_members[link.merged_id].append(link.record_id)
        unit.old_links[link.record_id] = link
    return iter(sorted(units, key=lambda u: min(u.record_ids, default=0)))


def _streamed_units(batches: Iterable[list[UnitRow]]) -> Iterator[_Unit]:
    """Units from the rows of store.clustering, which come in (unit, record id) order."""
    rows: list[UnitRow] = []
    for batch in batches:
        for row in batch:
            if rows and row.unit != rows[0].unit:
                yield _unit_of(rows)
                rows = []
            rows.append(row)
    if rows:
        yield _unit_of(rows)


def _unit_of(rows: list[UnitRow]) -> _Unit:
    """The rows of one unit: clusters in the order of their smallest record id, each sorted."""
    unit = _Unit(clusters=[], record_ids=set(), old_members={}, old_links={})
    clusters: dict[int, list[int]] = {}
    for row in rows:
        unit.record_ids.add(row.record_id)
        if row.cluster is not None:
            clusters.setdefault(row.cluster, []).append(row.record_id)
        if row.merged_id is not None:
            unit.old_members.setdefault(row.merged_id, []).append(row.record_id)
            unit.old_links[row.record_id] = MemberLink(row.source_id, row.identifier,
                                                       row.record_id, row.merged_id,
                                                       row.content_sha256)
    unit.clusters = [clusters[label] for label in sorted(clusters)]
    return unit


def content_hash(record: dict | None, field_provenance: dict, sources: list[str],
                 sets: list[str], *, record_digest: str | None = None) -> str:
    """A hash of what a merged record exports, blind to when its members were harvested.

    `record_digest`, when given, is the record's own content hash (pipeline.mapping's
    content_digest), which saves serialising it again.
    """
    if record_digest is None:
        content = dict(record or {})
        provenance = content.get("provenance")
        if provenance:
            content["provenance"] = {k: v for k, v in provenance.items()
                                     if k != "harvested_at"}
        record_digest = hashlib.sha256(json.dumps(
            content, sort_keys=True, ensure_ascii=False,
            separators=(",", ":")).encode()).hexdigest()
    payload = {"record": record_digest, "field_provenance": field_provenance,
               "sources": sources, "sets": sets}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()
