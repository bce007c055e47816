"""Write the merged catalogue in an export format, streamed to a temporary file that replaces the target.

The catalogue is brought up to date first: when harvested records changed since the last merge,
the incremental merge runs before anything is written.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

from errors import ExportError
from exporters import get_exporter
from exporters.base import ExportItem, ExportOptions
from pipeline.merge import MergeReport, merge_catalogue, merge_needed
from pipeline.progress import Progress
from store import MergedRow, Store

log = logging.getLogger("os10.export")


def export_item(row: MergedRow) -> ExportItem:
    """A stored merged record as the exporters (and the OAI-PMH provider) take it."""
    live = not row.deleted and row.record is not None
    return ExportItem(
        id=row.merged_id, datestamp=row.datestamp, deleted=not live,
        data=row.record if live else None, sources=tuple(row.sources),
        field_provenance={k: tuple(v) for k, v in row.field_provenance.items()},
        sets=tuple(row.sets))


def bring_up_to_date(store: Store, priorities: Mapping[str, int] | None = None,
                     duplicate_sources: Iterable[str] | None = None) -> MergeReport | None:
    """Run the incremental merge if harvested records changed since the last one.

    Without `priorities` (a caller that has no sources.yaml at hand) the settings of the last
    merge are reused, so an export never re-ranks the sources by accident.
    """
    if not merge_needed(store):
        return None
    last = store.merge_state().settings or {}
    if priorities is None:
        priorities = last.get("priorities", {})
    if duplicate_sources is None:
        duplicate_sources = last.get("duplicate_sources", ())
    return merge_catalogue(store, priorities, duplicate_sources=frozenset(duplicate_sources))


def export_catalogue(store: Store, fmt: str, out: Path, *, since: datetime | None = None,
                     source_ids: list[str] | None = None, options: ExportOptions | None = None,
                     priorities: Mapping[str, int] | None = None,
                     duplicate_sources: Iterable[str] | None = None,
                     progress: bool = True) -> int:
    """Export the merged catalogue (tombstones too when `since` is given or the format carries
    deletions); `source_ids` keeps the entries those sources describe. Returns how many were
    written."""
    exporter_class = get_exporter(fmt)
    bring_up_to_date(store, priorities, duplicate_sources)
    include_deleted = since is not None or getattr(exporter_class, "carries_deletions", False)
    wanted = set(source_ids or ())
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meter = Progress(f"export {fmt}") if progress else None
    written = 0
    handle, temp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            exporter = exporter_class(stream, options or ExportOptions())
            exporter.begin()
            for row in store.iter_merged(since=since, include_deleted=include_deleted):
                if wanted and not wanted.intersection(row.sources):
                    continue
                exporter.write(export_item(row))
                written += 1
                if meter and written % 500 == 0:
                    meter.advance(500)
            exporter.end()
        if meter:
            meter.advance(written % 500)
        os.replace(temp_name, out)
    except OSError as exc:
        raise ExportError(f"Cannot write the export to {out}: {exc.strerror}.") from exc
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    if meter:
        meter.finish()
    log.info("Exported %d merged records as %s to %s.", written, fmt, out)
    return written


def export_name(fmt: str) -> str:
    """The file name a scheduled or demo export of `fmt` gets, e.g. catalogue-dcat-ttl.ttl."""
    return f"catalogue-{fmt}{get_exporter(fmt).suffix}"
