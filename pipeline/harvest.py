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
from datetime import UTC, datetime

from errors import Os10Error
from harvesters import get_harvester
from harvesters.base import HarvestRequest, Page
from mappers import get_mapper
from pipeline.mapping import map_one, payload_digest
from pipeline.progress import Progress
from schemas import ErrorSample, RunReport, SourceConfig
from store import RawRow, Store
from store.repository import Checkpoint

log = logging.getLogger("os10.harvest")
MAX_ERROR_SAMPLES = 20


def harvest_source(store: Store, source: SourceConfig, *, full: bool = False,
                   window_from: datetime | None = None, window_until: datetime | None = None,
                   progress: bool = True, chunk: str | None = None) -> RunReport:
    """Harvest `source` into `store`; returns the run report (also stored). Raises on failure.

    `chunk` names one part of a source harvested in parallel with others (one OAI set, one
    date window): it keeps its own watermark and checkpoint under "<source>@<chunk>".
    """
    harvester_class = get_harvester(source.protocol)
    check_mapper(source)
    state_key = f"{source.id}@{chunk}" if chunk else source.id
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
    try:
        for page in harvester.pages(request):
            max_datestamp = _store_page(store, source, page, report, mode, request,
                                        max_datestamp, track_seen, state_key)
            if meter:
                meter.advance(len(page.records) + len(page.failed),
                              f"({report.counts.new} new, {report.counts.updated} updated)")
    except Os10Error as exc:
        _fail(store, report, str(exc), state_key)
        raise
    except BaseException as exc:  # KeyboardInterrupt too: close the run, keep the checkpoint
        _fail(store, report, f"The run stopped unexpectedly: {type(exc).__name__}: {exc}",
              state_key)
        raise
    finally:
        harvester.close()
        if meter:
            meter.finish()

    if track_seen:
        report.counts.deleted += store.hold_unseen(source.id, report.run_id)
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


def _store_page(store: Store, source: SourceConfig, page: Page, report: RunReport, mode: str,
                request: HarvestRequest, max_datestamp: datetime | None,
                track_seen: bool, state_key: str) -> datetime | None:
    counts = report.counts
    harvested_at = datetime.now(UTC)
    # Last occurrence wins if a page repeats an identifier.
    records = {record.identifier: record for record in page.records}
    known = store.digests(source.id, records)
    raw_rows, mapped_rows, held = [], [], []
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
        mapped = map_one(source_id=source.id, identifier=record.identifier,
                         metadata_format=record.metadata_format, payload=record.payload,
                         deleted=record.deleted, datestamp=record.datestamp, sha256=digest,
                         harvested_at=harvested_at, element=record.element)
        if mapped.mapping_error:
            counts.failed += 1
            _sample(report, ErrorSample(record_id=record.identifier, url=page.url,
                                        reason=mapped.mapping_error))
        mapped_rows.append(mapped)
    for failed in page.failed:
        counts.seen += 1
        counts.failed += 1
        _sample(report, ErrorSample(record_id=failed.identifier, url=failed.url,
                                    reason=failed.reason))
    report.pages += 1
    store.write_page(source.id, raw_rows, mapped_rows, Checkpoint(
        state=page.checkpoint, run_id=report.run_id, mode=mode, window_from=request.window_from,
        window_until=request.window_until, max_datestamp=max_datestamp, state_key=state_key),
        seen=list(records) if track_seen else (), held=held)
    return max_datestamp


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
            f"{c.deleted} deleted, {c.failed} failed in {report.duration_s:.1f}s{rate}")


def check_mapper(source: SourceConfig) -> None:
    """Fail before any request when no mapper reads the source's metadata format."""
    if source.metadata_prefix:
        get_mapper(source.metadata_prefix)
