"""Mapping in worker processes gives exactly what mapping in-process gives."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.harvest import harvest_source
from pipeline.mapping import payload_digest
from pipeline.mapping_pool import MapJob, MappingPool, map_batch
from pipeline.remap import remap
from schemas import SourceConfig
from simulator import Feed, SimulatorServer
from simulator.records import render
from store import MappedRow, Store
from store import tables as t
from store.types import JsonText

START = datetime(2024, 1, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def _jobs(count: int) -> list[MapJob]:
    jobs = []
    for index in range(count):
        payload = render("oai_datacite", key="pool", seed=3, index=index).encode()
        jobs.append(MapJob(f"oai:pool:{index}", "oai_datacite", payload, False, START,
                           payload_digest(payload, False)))
    jobs.append(MapJob("oai:pool:broken", "oai_datacite", b"<not-datacite/>", False, START,
                       payload_digest(b"<not-datacite/>", False)))
    jobs.append(MapJob("oai:pool:gone", "oai_datacite", None, True, START,
                       payload_digest(None, True)))
    return jobs


def _decoded(rows: list[MappedRow]) -> list[MappedRow]:
    return [replace(row, record=json.loads(row.record)) if isinstance(row.record, JsonText)
            else row for row in rows]


def test_workers_map_in_order_exactly_as_in_process():
    jobs = _jobs(60)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    expected = _decoded(map_batch("pool", at, jobs))
    with MappingPool(workers=2, min_parallel_batch=10) as pool:
        rows = pool.submit("pool", at, jobs)()
        assert pool._executor is not None  # the batch really went to the workers
        again = MappingPool(workers=2, min_parallel_batch=10)
        assert _decoded(again.submit("pool", at, jobs)()) == expected
        assert again._executor is pool._executor  # and the workers are kept for the next run
    assert [r.identifier for r in rows] == [j.identifier for j in jobs]
    # Records come back as the JSON the store writes as it is, the same record once decoded.
    assert type(rows[0].record) is JsonText
    assert _decoded(rows) == expected
    assert rows[-2].mapping_error and "not a DataCite <resource>" in rows[-2].mapping_error
    assert rows[-1].deleted and rows[-1].record is None


def test_the_content_digest_is_the_record_without_its_harvest_time():
    """A re-harvest of the same payload must hash the same (nothing is rewritten) although the
    stored JSON carries the new harvest time."""
    jobs = _jobs(12)
    first = map_batch("pool", datetime(2026, 1, 1, tzinfo=UTC), jobs)
    again = map_batch("pool", datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC), jobs)
    for one, other in zip(first, again, strict=True):
        assert one.content_sha256 == other.content_sha256
        if one.record is None:
            continue
        assert one.record != other.record
        data = json.loads(one.record)
        assert data["provenance"].pop("harvested_at") == "2026-01-01T00:00:00Z"
        expected = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        assert one.content_sha256 == hashlib.sha256(expected.encode()).hexdigest()


def test_a_small_batch_is_mapped_in_process_without_starting_workers():
    with MappingPool(workers=2, min_parallel_batch=100) as pool:
        rows = pool.submit("pool", START, _jobs(5))()
        assert pool._executor is None
    assert len(rows) == 7


def _mapped(store: Store) -> list[tuple]:
    c = t.records.c
    with store.engine.connect() as conn:
        return list(conn.execute(select(c.identifier, c.content_sha256, c.quality_score,
                                        c.issue_count, c.title, c.mapping_error)
                                 .order_by(c.identifier)))


@pytest.mark.parametrize("workers", ["0", "2"])
def test_harvest_and_remap_store_the_same_records_with_or_without_workers(
        db_url, monkeypatch, workers):
    feed = Feed(count=230, seed=4, page_size=100, start=START)
    reference = Store.open(db_url.replace("os10.sqlite3", "reference.sqlite3")
                           if db_url.startswith("sqlite") else db_url)
    with SimulatorServer({"pool": feed}, host="127.0.0.1", port=0) as sim:
        source = SourceConfig(id="pool", name="Pool", protocol="oai_pmh", url=sim.url("pool"),
                              metadata_prefix="oai_datacite", max_requests_per_second=1000)
        monkeypatch.setenv("OS10_MAP_WORKERS", workers)
        report = harvest_source(reference, source, progress=False)
        assert (report.status, report.counts.new, report.pages) == ("succeeded", 230, 3)
        harvested = _mapped(reference)
        assert len(harvested) == 230 and all(row.content_sha256 for row in harvested)
        remapped = remap(reference, progress=False)
        assert (remapped.seen, remapped.changed, remapped.failed) == (230, 0, 0)
        assert _mapped(reference) == harvested
        # The other way round gives the same rows.
        other = Store.open(db_url.replace("os10.sqlite3", "other.sqlite3")) \
            if db_url.startswith("sqlite") else None
        if other is not None:
            monkeypatch.setenv("OS10_MAP_WORKERS", "2" if workers == "0" else "0")
            harvest_source(other, source, progress=False)
            assert _mapped(other) == harvested


def test_workers_exit_when_the_process_that_started_them_is_killed(tmp_path):
    script = tmp_path / "holder.py"
    script.write_text(
        "import sys, time\n"
        "from datetime import UTC, datetime\n"
        "from pipeline.mapping_pool import MappingPool\n"
        "from tests.test_mapping_pool import _jobs\n"
        "if __name__ == '__main__':\n"
        "    pool = MappingPool(workers=2, min_parallel_batch=10)\n"
        "    pool.submit('pool', datetime.now(UTC), _jobs(20))()\n"
        "    print(' '.join(map(str, pool._executor._processes)), flush=True)\n"
        "    time.sleep(600)\n")
    holder = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        workers = [int(pid) for pid in holder.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too (its parent, the forkserver, may not have reaped it yet).
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()


def test_records_mapped_by_workers_are_stored_as_json_objects(db_url):
    """Worker rows carry their record as JSON text; each database stores it as the object, not
    as a JSON string holding it."""
    jobs = _jobs(20)[:20]
    with MappingPool(workers=2, min_parallel_batch=10) as pool:
        rows = pool.submit("pool", START, jobs)()
    assert type(rows[0].record) is JsonText
    store = Store.open(db_url)
    try:
        store.write_mapped("pool", rows)
        stored = {m.identifier: m.record for batch in store.iter_member_records()
                  for m in batch}
    finally:
        store.close()
    assert stored == {row.identifier: json.loads(row.record) for row in rows}
    assert stored["oai:pool:3"]["identifier"] == {"type": "DOI", "value": "10.5555/pool-3"}
