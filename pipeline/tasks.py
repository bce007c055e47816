"""The steps a scheduler runs, each one call with small JSON-able inputs and outputs.

Airflow tasks (dags/) and the CLI run the same code; these functions only add what a scheduler
needs: look the source up by id through the same settings as the CLI (OS10_SOURCES,
OS10_DATABASE_URL), and return summaries, never records.
"""

from __future__ import annotations

import logging
from datetime import datetime

import settings
from errors import ConfigError
from harvesters import get_harvester
from pipeline.harvest import harvest_source
from pipeline.registry import load_sources
from quality.run import describe_run_quality
from schemas import RunReport, SourceConfig
from store import Store

log = logging.getLogger("os10.tasks")


def _source(source_id: str) -> SourceConfig:
    path = settings.sources_path()
    source = load_sources(path).get(source_id)
    if source is None:
        raise ConfigError(f"There is no source {source_id!r} in {path} any more; remove its DAG "
                          f"or restore the entry.")
    return source


def _store() -> Store:
    return Store.open(settings.database_url())


def check_endpoint(source_id: str) -> dict:
    """Ask the endpoint who it is (OAI Identify and the like) before harvesting."""
    source = _source(source_id)
    harvester = get_harvester(source.protocol)(source)
    try:
        info = harvester.identify()
    finally:
        harvester.close()
    log.info("Source %s answers at %s as %r (granularity %s, deletions %s).", source_id,
             info.base_url, info.name, info.granularity, info.deleted_record)
    return {"source_id": source_id, "name": info.name, "granularity": info.granularity,
            "deleted_record": info.deleted_record}


def harvest(source_id: str, *, mode: str = "incremental", window_from: str | None = None,
            window_until: str | None = None) -> dict:
    """Harvest (fetch, map and load page by page) and return the run's summary."""
    source = _source(source_id)
    store = _store()
    try:
        report = harvest_source(
            store, source, full=mode == "full",
            window_from=_parse(window_from) if mode == "window" else None,
            window_until=_parse(window_until) if mode == "window" else None,
            progress=False)
    finally:
        store.close()
    return summary(report)


def write_report(source_id: str, run_id: int | None = None) -> dict:
    """Log the run report in words (the task log is what an operator reads) and return it."""
    store = _store()
    try:
        runs = store.runs(source_id, limit=50)
    finally:
        store.close()
    report = next((r for r in runs if run_id is None or r.run_id == run_id), None)
    if report is None:
        raise ConfigError(f"Source {source_id!r} has no harvest run {run_id} in the store.")
    for line in describe(report):
        log.info(line)
    return summary(report)


def summary(report: RunReport) -> dict:
    return {
        "run_id": report.run_id, "source_id": report.source_id, "status": report.status,
        "mode": report.mode, "pages": report.pages, **report.counts.model_dump(),
        "duration_s": round(report.duration_s or 0.0, 3),
        "rate": round(report.rate or 0.0, 1),
        "window_from": report.window_from.isoformat() if report.window_from else None,
        "window_until": report.window_until.isoformat() if report.window_until else None,
        "error": report.error,
        "quality_records": report.quality.records if report.quality else 0,
        "quality_mean_score": round(report.quality.mean_score, 3) if report.quality else None,
    }


def describe(report: RunReport) -> list[str]:
    c = report.counts
    window = (f" window {report.window_from or '…'} to {report.window_until or '…'}"
              if report.window_from or report.window_until else "")
    lines = [
        f"Harvest run {report.run_id} of {report.source_id}: {report.status} ({report.mode}"
        f"{window}).",
        f"  {c.seen} seen, {c.new} new, {c.updated} updated, {c.unchanged} unchanged, "
        f"{c.deleted} deleted, {c.failed} failed, {c.repaired} repaired; {report.pages} pages "
        f"in {report.duration_s or 0:.1f}s ({report.rate or 0:,.0f} records/s).",
    ]
    if report.quality:
        lines.append(f"  Metadata {describe_run_quality(report.quality)}.")
    if report.error:
        lines.append(f"  Error: {report.error}")
    lines += [f"  Failed record {s.record_id}: {s.reason}" for s in report.error_samples[:10]]
    return lines


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def merge() -> dict:
    """Recompute the merged catalogue where harvested records changed."""
    from pipeline.merge import merge_catalogue

    registry = load_sources(settings.sources_path())
    store = _store()
    try:
        report = merge_catalogue(
            store, {s.id: s.priority for s in registry.sources},
            duplicate_sources=frozenset(s.id for s in registry.sources
                                        if s.merge_likely_duplicates))
    finally:
        store.close()
    result = report.model_dump() if hasattr(report, "model_dump") else dict(vars(report))
    log.info("Merge: %s", result)
    return {k: v for k, v in result.items() if isinstance(v, int | float | str | None)}


def export(formats: list[str]) -> dict:
    """Write each export format into OS10_EXPORT_DIR (default: data/exports)."""
    from pipeline.export import export_catalogue, export_name

    out_dir = settings.export_dir()
    written = {}
    store = _store()
    try:
        for fmt in formats:
            out = out_dir / export_name(fmt)
            written[fmt] = {"path": str(out), "records": export_catalogue(store, fmt, out,
                                                                         progress=False)}
    finally:
        store.close()
    log.info("Exported: %s", written)
    return written


def plan_chunks(source_id: str, now: str) -> list[dict]:
    """Split a source into chunks Airflow harvests in parallel (dynamic task mapping).

    By set: one chunk per configured set, each with its own watermark. By year: only while the
    source has no watermark (its first, full harvest), one backfill window per year from the
    endpoint's earliest datestamp to `now`; `seal` then sets the watermark to `now`. Once a
    watermark exists, a single incremental chunk is planned.
    """
    source = _source(source_id)
    if source.chunk_by == "set":
        return [{"chunk": f"set:{name}", "set": name, "mode": "incremental"}
                for name in source.sets]
    until = _parse(now).replace(microsecond=0)
    store = _store()
    try:
        watermark = store.state(source_id).watermark
    finally:
        store.close()
    if source.chunk_by != "year" or watermark is not None:
        return [{"chunk": None, "mode": "incremental"}]
    harvester = get_harvester(source.protocol)(source)
    try:
        earliest = harvester.identify().earliest_datestamp
    finally:
        harvester.close()
    first_year = earliest.year if earliest else until.year
    chunks = []
    for year in range(first_year, until.year + 1):
        start = datetime(year, 1, 1, tzinfo=until.tzinfo)
        end = min(datetime(year, 12, 31, 23, 59, 59, tzinfo=until.tzinfo), until)
        chunks.append({"chunk": f"year:{year}", "mode": "window", "window_from":
                       start.isoformat(), "window_until": end.isoformat(),
                       "seal": until.isoformat()})
    return chunks


def harvest_chunk(source_id: str, chunk: dict) -> dict:
    """Harvest one planned chunk; chunks of one source write the same records table."""
    source = _source(source_id)
    if chunk.get("set"):
        source = source.model_copy(update={"sets": [chunk["set"]]})
    store = _store()
    try:
        report = harvest_source(
            store, source, chunk=chunk.get("chunk"), progress=False,
            window_from=_parse(chunk.get("window_from")),
            window_until=_parse(chunk.get("window_until")))
    finally:
        store.close()
    return summary(report)


def seal(source_id: str, chunks: list[dict]) -> dict:
    """After every year window of a first harvest succeeded, start incremental harvests from
    the moment the plan was made."""
    seals = {c["seal"] for c in chunks if c.get("seal")}
    if not seals:
        return {"source_id": source_id, "watermark": None}
    watermark = _parse(max(seals))
    store = _store()
    try:
        store.set_watermark(source_id, watermark)
    finally:
        store.close()
    log.info("Source %s: the chunked backfill is complete; incremental harvests start from %s.",
             source_id, watermark.isoformat())
    return {"source_id": source_id, "watermark": watermark.isoformat()}
