"""Harvest one source: pages from its harvester, classified by hash, mapped, written with checkpoints.

Run modes:
- incremental (default): `from` is the stored watermark; the watermark moves to the highest
  datestamp seen, and only when the list completes.
- full: the whole list; the watermark moves as for incremental.
- window: an explicit from/until backfill; never moves the watermark.
A run that dies leaves its checkpoint (written with each page); the next run with the same mode
and window resumes after the last stored page.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from collector import old_objects_frozen
from errors import Os10Error, StoreError
from harvesters import get_harvester
from harvesters.base import HarvestRequest, Page
from mappers import get_mapper
from pipeline.mapping import payload_digest
from pipeline.mapping_pool import MapJob, MappingPool
from pipeline.progress import Progress
from quality.run import describe_run_quality, tally_run
from schemas import ErrorSample, RunReport, SourceConfig
from store import MappedRow, RawRow, Store
from store.locks import HarvestLock
from store.repository import Checkpoint

log = logging.getLogger("os10.harvest")
MAX_ERROR_SAMPLES = 20
# Pages fetched and handed to the mapping workers but not yet written; each is a few MB.
PAGES_IN_FLIGHT = 2
# A run that wrote at least this many records renews the database's statistics (PostgreSQL).
REFRESH_STATISTICS_AFTER = 1000


def harvest_source(store: Store, source: SourceConfig, *, full: bool = False,
                   window_from: datetime | None = None, window_until: datetime | None = None,
                   progress: bool = True, chunk: str | None = None) -> RunReport:
    """Harvest `source` into `store`; returns the run report (also stored). Raises on failure.

    `chunk` names one part of a source harvested in parallel with others (one OAI set, one
    date window): it keeps its own watermark and checkpoint under "<source>@<chunk>". One run
    at a time holds a source's (or chunk's) harvest lock; another is refused (SourceBusyError).
    """
    state_key = f"{source.id}@{chunk}" if chunk else source.id
    try:
        with store.harvest_lock(state_key, source.id) as lock, old_objects_frozen():
            return _harvest(store, source, lock, state_key, full=full, window_from=window_from,
                            window_until=window_until, progress=progress)
    except StoreError as exc:
        exc.source = exc.source or source.id  # the store's sentences do not know the source
        raise


def _harvest(store: Store, source: SourceConfig, lock: HarvestLock, state_key: str, *,
             full: bool, window_from: datetime | None, window_until: datetime | None,
             progress: bool) -> RunReport:
    harvester_class = get_harvester(source.protocol)
    check_mapper(source)
    state = store.state(state_key)
    if window_from or window_until:
        mode, request_from = "window", window_from
    elif full:
        mode, request_from = "full", None
    else:
        mode, request_from = "incremental", state.watermark

    resume = None
    max_datestamp = None
    if (state.checkpoint and state.checkpoint_mode == mode
            and state.checkpoint_window_from == request_from
            and state.checkpoint_window_until == window_until):
        resume = state.checkpoint
        max_datestamp = state.checkpoint_max_datestamp
        log.info("Source %s: resuming the interrupted %s run %s after its last stored page.",
                 source.id, mode, state.checkpoint_run_id)

    live_before = store.counts(source.id).get(source.id, {}).get("live", 0)
    report = RunReport(source_id=source.id, mode=mode, window_from=request_from,
                       window_until=window_until, started_at=datetime.now(UTC))
    store.start_run(report)
    lock.claim(report.run_id)
    # Protocols without deletion notices find vanished records by what a full list lacks.
    track_seen = mode == "full" and not harvester_class.reports_deletions
    if track_seen and resume is None:
        store.clear_seen(source.id)
    meter = Progress(f"harvest {source.id}") if progress else None
    harvester = harvester_class(source)
    # Conditional requests only for incremental runs: a full run re-reads on purpose, and a
    # 304 must never look like an empty catalogue to the vanished-record check.
    request = HarvestRequest(window_from=request_from, window_until=window_until, resume=resume,
                             validators=state.validators if mode == "incremental" else None)
    pool = MappingPool()
    # Pages in flight: while workers map the pages submitted, this process fetches and parses
    # the next; pages are written in order, each with its checkpoint, so a resume stays exact.
    pending: deque[_PlannedPage] = deque()
    try:
        for page in harvester.pages(request):
            planned = _plan_page(store, source, page, report, pool, max_datestamp, track_seen)
            max_datestamp = planned.max_datestamp
            pending.append(planned)
            while len(pending) > PAGES_IN_FLIGHT:
                _write_oldest(store, source, pending, report, mode, request, state_key)
            if meter:
                meter.advance(len(page.records) + len(page.failed),
                              f"({report.counts.new} new, {report.counts.updated} updated)")
        while pending:
            _write_oldest(store, source, pending, report, mode, request, state_key)
    except Os10Error as exc:
        _flush(store, source, pending, report, mode, request, state_key)
        _fail(store, report, str(exc), state_key)
        raise
    except BaseException as exc:  # KeyboardInterrupt too: close the run, keep the checkpoint
        _flush(store, source, pending, report, mode, request, state_key)
        _fail(store, report, f"The run stopped unexpectedly: {type(exc).__name__}: {exc}",
              state_key)
        raise
    finally:
        pool.close()
        harvester.close()
        if meter:
            meter.finish()

    if track_seen:
        report.counts.deleted += store.hold_unseen(source.id, report.run_id)
    c = report.counts
    if c.new + c.updated + c.deleted >= REFRESH_STATISTICS_AFTER:
        store.refresh_statistics()
    report.status = _guard_deletions(store, source, report, live_before)
    report.finished_at = datetime.now(UTC)
    report.live_after = store.counts(source.id).get(source.id, {}).get("live", 0)
    watermark = None
    if mode != "window" and max_datestamp is not None:
        watermark = max(max_datestamp, state.watermark) if state.watermark else max_datestamp
    store.finish_run(report, watermark=watermark, clear_checkpoint=True, state_key=state_key,
                     validators=getattr(harvester, "validators", None))
    log.info("Source %s: %s harvest done: %s", source.id, mode, _summary(report))
    return report


@dataclass(slots=True)
class _PlannedPage:
    """A page classified against the store, its changed records handed to the mappers."""

    url: str
    checkpoint: dict | None
    max_datestamp: datetime | None
    raw_rows: list[RawRow]
    held: list[tuple[str, datetime | None]]
    seen: list[str]
    mapped: Callable[[], list[MappedRow]]


def _plan_page(store: Store, source: SourceConfig, page: Page, report: RunReport,
               pool: MappingPool, max_datestamp: datetime | None,
               track_seen: bool) -> _PlannedPage:
    counts = report.counts
    # Last occurrence wins if a page repeats an identifier.
    records = {record.identifier: record for record in page.records}
    known = store.digests(source.id, records)
    raw_rows, jobs, elements, held = [], [], [], []
    for record in records.values():
        counts.seen += 1
        counts.repaired += 1 if record.repaired else 0
        if record.datestamp and (max_datestamp is None or record.datestamp > max_datestamp):
            max_datestamp = record.datestamp
        digest = payload_digest(record.payload, record.deleted)
        before = known.get(record.identifier)
        if before == (digest, record.deleted):
            counts.unchanged += 1
            continue
        if record.deleted:
            counts.deleted += 1
            if before is not None and not before[1]:  # a live record: the guard decides
                held.append((record.identifier, record.datestamp))
                continue
        elif before is None:
            counts.new += 1
        else:
            counts.updated += 1
        raw_rows.append(RawRow(
            identifier=record.identifier, datestamp=record.datestamp, deleted=record.deleted,
            metadata_format=record.metadata_format, sha256=digest, sets=list(record.sets),
            payload=None if record.payload is None else record.payload.decode("utf-8")))
        jobs.append(MapJob(record.identifier, record.metadata_format, record.payload,
                           record.deleted, record.datestamp, digest))
        elements.append(record.element)
    for failed in page.failed:
        counts.seen += 1
        counts.failed += 1
        _sample(report, ErrorSample(record_id=failed.identifier, url=failed.url,
                                    reason=failed.reason))
    mapped = pool.submit(source.id, datetime.now(UTC), jobs, elements)
    return _PlannedPage(url=page.url, checkpoint=page.checkpoint, max_datestamp=max_datestamp,
                        raw_rows=raw_rows, held=held, mapped=mapped,
                        seen=list(records) if track_seen else [])


def _write_page(store: Store, source: SourceConfig, planned: _PlannedPage, report: RunReport,
                mode: str, request: HarvestRequest, state_key: str) -> None:
    mapped_rows = planned.mapped()
    for mapped in mapped_rows:
        report.quality = tally_run(report.quality, mapped.quality)
        if mapped.mapping_error:
            report.counts.failed += 1
            _sample(report, ErrorSample(record_id=mapped.identifier, url=planned.url,
                                        reason=mapped.mapping_error))
    report.pages += 1
    store.write_page(source.id, planned.raw_rows, mapped_rows, Checkpoint(
        state=planned.checkpoint, run_id=report.run_id, mode=mode,
        window_from=request.window_from, window_until=request.window_until,
        max_datestamp=planned.max_datestamp, state_key=state_key),
        seen=planned.seen, held=planned.held)


def _write_oldest(store: Store, source: SourceConfig, pending: deque[_PlannedPage],
                  report: RunReport, mode: str, request: HarvestRequest, state_key: str) -> None:
    """Write the oldest page in flight. When it fails, the later pages are dropped too: one
    written after it would carry a checkpoint past the page that was lost."""
    try:
        _write_page(store, source, pending.popleft(), report, mode, request, state_key)
    except BaseException:
        pending.clear()
        raise


def _flush(store: Store, source: SourceConfig, pending: deque[_PlannedPage],
           report: RunReport, mode: str, request: HarvestRequest, state_key: str) -> None:
    """After a failure elsewhere (say the next page would not come), keep the pages that were
    fetched whole but not yet written, in order, so the rerun resumes after them."""
    try:
        while pending:
            _write_oldest(store, source, pending, report, mode, request, state_key)
    except Exception:  # noqa: BLE001 - the original failure is the one to report
        log.warning("Source %s: the last fetched pages could not be kept; the rerun fetches "
                    "them again.", source.id, exc_info=True)


def _guard_deletions(store: Store, source: SourceConfig, report: RunReport,
                     live_before: int) -> str:
    """Deletions of live records wait until the run has ended. A few are carried out; more
    than the source's share (deletion_guard_share, default 20%) of its live records are held
    for a steward, so a broken endpoint or an emptied set cannot wipe the catalogue."""
    pending = store.held_count(source.id)
    if not pending:
        return "succeeded"
    if pending <= source.deletion_guard_share * live_before:
        store.apply_held(source.id)
        return "succeeded"
    share = pending / live_before if live_before else 1.0
    report.error = (
        f"{pending} deletions ({share:.0%} of {live_before} live records) are held: more than "
        f"the {source.deletion_guard_share:.0%} this source allows in one go. Check the "
        f"source, then run `os10 deletions approve {source.id}` to carry them out or "
        f"`os10 deletions discard {source.id}` to keep the records.")
    log.warning("Source %s: %s", source.id, report.error)
    return "held"


def _sample(report: RunReport, sample: ErrorSample) -> None:
    if len(report.error_samples) < MAX_ERROR_SAMPLES:
        report.error_samples.append(sample)


def _fail(store: Store, report: RunReport, reason: str, state_key: str) -> None:
    report.status = "failed"
    report.error = reason
    report.finished_at = datetime.now(UTC)
    try:
        store.finish_run(report, state_key=state_key)
    except Os10Error:
        log.exception("Source %s: could not record the failed run.", report.source_id)
    log.error("Source %s: harvest failed: %s", report.source_id, reason)


def _summary(report: RunReport) -> str:
    c = report.counts
    rate = f", {report.rate:,.0f} records/s" if report.rate else ""
    return (f"{c.seen} seen, {c.new} new, {c.updated} updated, {c.unchanged} unchanged, "
            f"{c.deleted} deleted, {c.failed} failed in {report.duration_s:.1f}s{rate}; "
            f"{describe_run_quality(report.quality)}")


def check_mapper(source: SourceConfig) -> None:
    """Fail before any request when no mapper reads the source's metadata format."""
    if source.metadata_prefix:
        get_mapper(source.metadata_prefix)
