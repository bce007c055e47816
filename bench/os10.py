"""The os10 figures: our own code paths, called exactly as the `os10` command calls them.

The figures of one database share one store and run in order: first harvest, incremental
harvest with nothing changed, full re-harvest of unchanged records, remap, full merge, every
export format, and the provider harvested through HTTP. A first harvest of the oai_dc feed goes
into a store of its own. Opening (and migrating) a store is not timed; the work itself is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import LargeBinary, func, select

from bench.measured import Measured, Stopwatch
from harvesters.base import HarvestRequest
from harvesters.oai_pmh import OaiPmhHarvester
from pipeline.export import export_catalogue
from pipeline.harvest import harvest_source
from pipeline.merge import merge_catalogue
from pipeline.remap import remap as remap_source
from schemas import SourceConfig
from store import Store
from store import tables as t

SOURCE_ID = "bench"
PRIORITIES = {SOURCE_ID: 0}


def bench_source(url: str, prefix: str, source_id: str = SOURCE_ID) -> SourceConfig:
    """A partner on 127.0.0.1: no politeness delay, generous timeouts, few retries."""
    return SourceConfig(id=source_id, name="Benchmark partner", protocol="oai_pmh", url=url,
                        metadata_prefix=prefix, max_requests_per_second=1000,
                        timeout_seconds=300, max_retries=3, retry_backoff_seconds=0.5)


def _harvest(spec: dict, *, full: bool = False) -> tuple[Store, Measured]:
    store = Store.open(spec["db_url"])
    source = bench_source(spec["feed_url"], spec["prefix"])
    with Stopwatch() as clock:
        report = harvest_source(store, source, full=full, progress=False)
    if report.status != "succeeded":
        raise RuntimeError(f"the harvest ended {report.status}: {report.error}")
    c = report.counts
    extra = {"mode": report.mode, "pages": report.pages, "seen": c.seen, "new": c.new,
             "updated": c.updated, "unchanged": c.unchanged, "deleted": c.deleted,
             "failed": c.failed}
    return store, Measured(c.seen, clock.seconds, extra)


def _mean_payload_bytes(store: Store) -> int | None:
    payload = t.raw_records.c.payload
    size = (func.octet_length(payload) if store.dialect == "postgresql"
            else func.length(func.cast(payload, LargeBinary)))
    with store.engine.connect() as conn:
        mean = conn.execute(select(func.avg(size))).scalar()
    return round(float(mean)) if mean is not None else None


def harvest_first(spec: dict) -> Measured:
    store, measured = _harvest(spec)
    try:
        if measured.extra["new"] != spec["n"]:
            raise RuntimeError(f"the first harvest stored {measured.extra['new']} new records, "
                               f"not the {spec['n']} the feed has")
        measured.extra["mean_payload_bytes"] = _mean_payload_bytes(store)
    finally:
        store.close()
    return measured


def harvest_incremental_nochange(spec: dict) -> Measured:
    """n is what the list returned: the records at the watermark's second (`from` is
    inclusive); the figure that matters is the seconds."""
    store, measured = _harvest(spec)
    store.close()
    measured.extra["changed"] = sum(measured.extra[k] for k in ("new", "updated", "deleted"))
    return measured


def _table_state(store: Store, since: datetime) -> dict[str, dict]:
    state = {}
    with store.engine.connect() as conn:
        for table in (t.raw_records, t.records):
            count, latest = conn.execute(
                select(func.count(), func.max(table.c.updated_at))).one()
            touched = conn.execute(select(func.count()).where(
                table.c.updated_at >= since)).scalar()
            state[table.name] = {"rows": count, "max_updated_at": latest, "touched": touched}
    return state


def harvest_full_unchanged(spec: dict) -> Measured:
    """Also counts the rows of raw_records and records the run wrote (it should write none)."""
    store = Store.open(spec["db_url"])
    began = datetime.now(UTC)
    before = _table_state(store, began)
    store.close()
    store, measured = _harvest(spec, full=True)
    try:
        after = _table_state(store, began)
    finally:
        store.close()
    written = {}
    for name in after:
        grown = after[name]["rows"] - before[name]["rows"]
        written[name] = max(grown, after[name]["touched"])
        measured.extra[f"{name}_max_updated_at_unchanged"] = (
            after[name]["max_updated_at"] == before[name]["max_updated_at"])
    measured.extra["rows_written_per_table"] = written
    measured.extra["rows_written"] = sum(written.values())
    return measured


def remap(spec: dict) -> Measured:
    store = Store.open(spec["db_url"])
    try:
        with Stopwatch() as clock:
            report = remap_source(store, [SOURCE_ID], progress=False)
    finally:
        store.close()
    return Measured(report.seen, clock.seconds, {"changed": report.changed,
                                                 "failed": report.failed})


def merge(spec: dict) -> Measured:
    store = Store.open(spec["db_url"])
    try:
        with Stopwatch() as clock:
            report = merge_catalogue(store, PRIORITIES, full=True, progress=False)
    finally:
        store.close()
    extra = {k: v for k, v in report.model_dump().items() if k != "duration_s"}
    return Measured(report.records, clock.seconds, extra)


def export(spec: dict, fmt: str) -> Measured:
    """One export format to a file in the work directory, deleted once its size is known."""
    store = Store.open(spec["db_url"])
    out = Path(spec["work_dir"]) / f"export-{spec['db']}-{fmt}.out"
    try:
        with Stopwatch() as clock:
            written = export_catalogue(store, fmt, out, priorities=PRIORITIES, progress=False)
        size = out.stat().st_size
    finally:
        store.close()
        out.unlink(missing_ok=True)
    return Measured(written, clock.seconds, {"bytes": size,
                                             "bytes_per_record": round(size / written)
                                             if written else None})


def provider(spec: dict) -> Measured:
    """The whole catalogue in oai_datacite from `os10 serve` (another process), read with our
    own OAI-PMH harvester; only the client is this process."""
    source = bench_source(spec["provider_url"], "oai_datacite", source_id="provider")
    n = failed = pages = 0
    with Stopwatch() as clock, OaiPmhHarvester(source) as harvester:
        for page in harvester.pages(HarvestRequest()):
            pages += 1
            n += len(page.records)
            failed += len(page.failed)
    if failed:
        raise RuntimeError(f"{failed} records served by the provider could not be read")
    return Measured(n, clock.seconds, {"pages": pages})
