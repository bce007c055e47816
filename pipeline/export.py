"""Write the merged catalogue in an export format, streamed to a temporary file that replaces the target.

The catalogue is brought up to date first: when harvested records changed since the last merge,
the incremental merge runs before anything is written.

A large export is rendered by worker processes (the mapping pool's, `OS10_MAP_WORKERS`) when
its exporter can render an entry on its own (`render`): this process reads the catalogue and
sends batches of entries out, and writes the rendered batches back in order, a few batches in
flight at a time, so memory stays flat. begin() and end() are written here.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from datetime import datetime
from itertools import islice
from pathlib import Path

from collector import old_objects_frozen
from errors import ExportError
from exporters import get_exporter, render_entries
from exporters.base import ExportItem, ExportOptions
from pipeline.mapping_pool import map_workers, shared_workers
from pipeline.merge import MergeReport, merge_catalogue, merge_needed
from pipeline.progress import Progress
from store import MergedRow, Store

log = logging.getLogger("os10.export")


def export_item(row: MergedRow) -> ExportItem:
    """A stored merged record as the exporters take it (its record decoded or JSON text)."""
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
    options = options or ExportOptions()
    workers = map_workers()
    parallel = workers >= 2 and hasattr(exporter_class, "render") and store.merged_count(
        since=since, include_deleted=include_deleted) >= PARALLEL_MIN_ENTRIES
    # Records are read as JSON text: decoded where they are rendered, here or in a worker.
    rows = store.iter_merged(since=since, include_deleted=include_deleted, record_text=True)
    items = (export_item(row) for row in rows
             if not wanted or wanted.intersection(row.sources))
    handle, temp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream, old_objects_frozen():
            exporter = exporter_class(stream, options)
            exporter.begin()
            if parallel:
                written = _write_in_workers(stream, fmt, options, items, workers,
                                            meter.advance if meter else None)
            else:
                written = _write_here(exporter, items, meter.advance if meter else None)
            exporter.end()
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


# An export of fewer entries is written in this process: starting the workers (and their
# imports) costs a second or two, about what they save on twenty thousand entries.
PARALLEL_MIN_ENTRIES = 20_000
BATCH = 200  # entries per batch sent to a worker
IN_FLIGHT = 3  # batches per worker sent and not yet written: enough to keep every worker busy


def _write_here(exporter, items: Iterator[ExportItem],
                advance: Callable[[int], None] | None) -> int:
    written = 0
    for item in items:
        exporter.write(item)
        written += 1
        if advance and written % 500 == 0:
            advance(500)
    if advance:
        advance(written % 500)
    return written


def _write_in_workers(stream, fmt: str, options: ExportOptions, items: Iterator[ExportItem],
                      workers: int, advance: Callable[[int], None] | None) -> int:
    """Render batches of entries in the workers and write them in order; returns how many.

    The workers are the mapping pool's (its executor: MappingPool itself takes mapping jobs
    only): one set per process, shared with harvests and remaps, started once.
    """
    executor = shared_workers(workers)
    pending: deque[tuple[Future, int]] = deque()
    written = 0

    def write_oldest() -> None:
        nonlocal written
        future, count = pending.popleft()
        stream.write(future.result())
        written += count
        if advance:
            advance(count)

    try:
        while batch := list(islice(items, BATCH)):
            pending.append((executor.submit(render_entries, fmt, options, batch), len(batch)))
            if len(pending) >= IN_FLIGHT * workers:
                write_oldest()
        while pending:
            write_oldest()
    finally:
        for future, _ in pending:  # a failed batch: the rest is not waited for
            future.cancel()
    return written


def export_name(fmt: str) -> str:
    """The file name a scheduled or demo export of `fmt` gets, e.g. catalogue-dcat-ttl.ttl."""
    return f"catalogue-{fmt}{get_exporter(fmt).suffix}"
