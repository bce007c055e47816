"""Rebuild mapped records from stored raw payloads, with no network access."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipeline.mapping import map_one
from pipeline.progress import Progress
from store import Store

log = logging.getLogger("os10.remap")


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
    for batch in store.iter_raw(source_ids):
        by_source: dict[str, list] = {}
        for raw in batch:
            by_source.setdefault(raw["source_id"], []).append(raw)
        for source_id, rows in by_source.items():
            before = store.mapped_digests(source_id, [r["identifier"] for r in rows])
            changed = []
            for raw in rows:
                payload = raw["payload"].encode("utf-8") if raw["payload"] is not None else None
                mapped = map_one(source_id=source_id, identifier=raw["identifier"],
                                 metadata_format=raw["metadata_format"], payload=payload,
                                 deleted=raw["deleted"], datestamp=raw["datestamp"],
                                 sha256=raw["sha256"], harvested_at=mapped_at)
                report.seen += 1
                report.per_source[source_id] = report.per_source.get(source_id, 0) + 1
                if mapped.mapping_error:
                    report.failed += 1
                if before.get(raw["identifier"]) != (mapped.content_sha256, mapped.deleted):
                    changed.append(mapped)
            if changed:
                store.write_mapped(source_id, changed)
                report.changed += len(changed)
        if meter:
            meter.advance(len(batch), f"({report.changed} changed)")
    if meter:
        meter.finish()
    log.info("Remap: %d records, %d changed, %d failed to map.", report.seen, report.changed,
             report.failed)
    return report
