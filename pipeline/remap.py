"""Rebuild mapped records from stored raw payloads, with no network access."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from collector import old_objects_frozen
from pipeline.mapping_pool import MapJob, MappingPool
from pipeline.progress import Progress
from store import MappedRow, Store

log = logging.getLogger("os10.remap")

# Batches of raw records read and handed to the mapping workers but not yet written.
BATCHES_IN_FLIGHT = 2


@dataclass
class RemapReport:
    seen: int = 0
    changed: int = 0
    failed: int = 0
    per_source: dict[str, int] = field(default_factory=dict)


def remap(store: Store, source_ids: list[str] | None = None, *,
          progress: bool = True) -> RemapReport:
    report = RemapReport()
    meter = Progress("remap") if progress else None
    mapped_at = datetime.now(UTC)
    # As in a harvest: workers map the batches in flight while this process reads the next
    # and writes the oldest.
    pending: deque[list[_Batch]] = deque()
    store.refresh_statistics()  # a remap reads whole sources: plan it on what they hold now
    with MappingPool() as pool, old_objects_frozen():
        for batch in store.iter_raw(source_ids):
            pending.append([_submit(pool, source_id, rows, mapped_at)
                            for source_id, rows in _by_source(batch).items()])
            while len(pending) > BATCHES_IN_FLIGHT:
                _write(store, pending.popleft(), report)
            if meter:
                meter.advance(len(batch), f"({report.changed} changed)")
        while pending:
            _write(store, pending.popleft(), report)
    if meter:
        meter.finish()
    log.info("Remap: %d records, %d changed, %d failed to map.", report.seen, report.changed,
             report.failed)
    return report


class _Batch(NamedTuple):
    source_id: str
    mapped: Callable[[], list[MappedRow]]
    before: dict[str, tuple]  # identifier -> (content sha256, deleted, quality) as stored


def _by_source(batch: list[dict]) -> dict[str, list[dict]]:
    by_source: dict[str, list[dict]] = {}
    for raw in batch:
        by_source.setdefault(raw["source_id"], []).append(raw)
    return by_source


def _submit(pool: MappingPool, source_id: str, rows: list[dict],
            mapped_at: datetime) -> _Batch:
    jobs = [MapJob(raw["identifier"], raw["metadata_format"],
                   raw["payload"].encode("utf-8") if raw["payload"] is not None else None,
                   raw["deleted"], raw["datestamp"], raw["sha256"]) for raw in rows]
    before = {raw["identifier"]: (raw["mapped_sha256"], raw["mapped_deleted"],
                                  raw["mapped_quality"])
              for raw in rows if raw["mapped_deleted"] is not None}
    return _Batch(source_id, pool.submit(source_id, mapped_at, jobs), before)


def _write(store: Store, batches: list[_Batch], report: RemapReport) -> None:
    for source_id, mapped, before in batches:
        rows = mapped()
        changed = []
        for row in rows:
            report.seen += 1
            report.per_source[source_id] = report.per_source.get(source_id, 0) + 1
            if row.mapping_error:
                report.failed += 1
            # A new quality alone (the scoring changed) is rewritten too; updated_at, which
            # exports follow, still moves only when the content does.
            if before.get(row.identifier) != (row.content_sha256, row.deleted, row.quality):
                changed.append(row)
        if changed:
            store.write_mapped(source_id, changed)
            report.changed += len(changed)
