"""End to end over real HTTP: the simulator serves, the pipeline harvests into SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from errors import BadArgumentError, UnparseableResponseError
from pipeline.export import export_catalogue
from pipeline.harvest import harvest_source
from pipeline.remap import remap
from schemas import SourceConfig
from simulator import Feed, SimulatorServer
from store import Store

START = datetime(2024, 1, 1, tzinfo=UTC)
LATER = START + timedelta(days=3650)
ROOT = Path(__file__).resolve().parents[1]


def source_for(url: str, prefix: str = "oai_datacite", **extra) -> SourceConfig:
    return SourceConfig(id="alpha", name="Alpha", protocol="oai_pmh", url=url,
                        metadata_prefix=prefix, max_requests_per_second=1000,
                        timeout_seconds=5, max_retries=3, retry_backoff_seconds=0.05, **extra)


@pytest.fixture
def feed() -> Feed:
    return Feed(count=250, seed=1, page_size=100, start=START)


@pytest.fixture
def sim(feed):
    with SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        yield server


def test_full_then_incremental_harvest_brings_only_the_changes(db_url, feed, sim):
    store = Store.open(db_url)
    source = source_for(sim.url("alpha"))

    first = harvest_source(store, source, progress=False)
    c = first.counts
    assert (first.status, c.seen, c.new, c.updated, c.deleted, c.failed) == (
        "succeeded", 250, 250, 0, 0, 0)
    assert first.pages == 3
    assert store.state("alpha").watermark == START + timedelta(seconds=249 * 60)
    assert store.counts()["alpha"] == {"live": 250, "deleted": 0, "unmapped": 0}

    feed.update([3, 7, 11], at=LATER)
    second = harvest_source(store, source, progress=False)
    c = second.counts
    assert second.mode == "incremental"
    assert second.window_from == START + timedelta(seconds=249 * 60)
    assert (c.new, c.updated, c.deleted, c.failed) == (0, 3, 0, 0)
    assert c.seen == 4  # the three updates plus the record at the watermark itself
    assert store.state("alpha").watermark == LATER

    third = harvest_source(store, source, progress=False)
    assert (third.counts.seen, third.counts.updated, third.counts.unchanged) == (3, 0, 3)


def test_a_harvest_that_wrote_many_records_renews_postgresqls_statistics(pg_url, feed, sim,
                                                                          monkeypatch):
    def analysed(store: Store) -> set[str]:
        with store.engine.connect() as conn:
            return set(conn.exec_driver_sql("SELECT relname FROM pg_stat_user_tables "
                                            "WHERE last_analyze IS NOT NULL").scalars())

    store = Store.open(pg_url)
    monkeypatch.setattr("pipeline.harvest.REFRESH_STATISTICS_AFTER", 251)
    harvest_source(store, source_for(sim.url("alpha")), progress=False)  # 250 new: too few
    assert analysed(store) == set()
    monkeypatch.setattr("pipeline.harvest.REFRESH_STATISTICS_AFTER", 250)
    feed.update(range(250), at=LATER)
    report = harvest_source(store, source_for(sim.url("alpha")), progress=False)
    assert report.counts.updated == 250
    assert analysed(store) >= {"raw_records", "records"}


def test_a_full_reharvest_of_unchanged_records_writes_nothing(db_url, feed, sim):
    store = Store.open(db_url)
    source = source_for(sim.url("alpha"))
    harvest_source(store, source, progress=False)
    before = [(r["identifier"], r["updated_at"]) for r in store.iter_records()]
    again = harvest_source(store, source, full=True, progress=False)
    assert (again.counts.seen, again.counts.unchanged, again.counts.new) == (250, 250, 0)
    assert [(r["identifier"], r["updated_at"]) for r in store.iter_records()] == before


def test_deleted_records_become_tombstones_and_leave_the_export(db_url, feed, sim, tmp_path):
    store = Store.open(db_url)
    source = source_for(sim.url("alpha"))
    harvest_source(store, source, progress=False)
    first = tmp_path / "first.jsonl"
    assert export_catalogue(store, "jsonl", first, progress=False) == 250  # merges too
    ids = {json.loads(line)["record"]["provenance"]["source_identifier"]: json.loads(line)["id"]
           for line in first.read_text(encoding="utf-8").splitlines()}
    feed.delete([5, 6], at=LATER)
    before_second_run = datetime.now(UTC)
    report = harvest_source(store, source, progress=False)
    assert report.counts.deleted == 2
    assert store.counts()["alpha"] == {"live": 248, "deleted": 2, "unmapped": 0}

    out = tmp_path / "catalogue.jsonl"
    assert export_catalogue(store, "jsonl", out, progress=False) == 248
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert "oai:alpha.sim:5" not in {r["record"]["provenance"]["source_identifier"]
                                     for r in lines}
    changes = tmp_path / "changes.jsonl"
    assert export_catalogue(store, "jsonl", changes, since=before_second_run,
                            progress=False) == 2
    tombstones = [json.loads(x) for x in changes.read_text().splitlines()
                  if json.loads(x).get("deleted")]
    assert {t["id"] for t in tombstones} == {ids["oai:alpha.sim:5"], ids["oai:alpha.sim:6"]}


def test_a_backfill_window_harvests_its_range_and_keeps_the_watermark(sqlite_url, feed, sim):
    store = Store.open(sqlite_url)
    source = source_for(sim.url("alpha"))
    report = harvest_source(store, source, window_from=START + timedelta(minutes=10),
                            window_until=START + timedelta(minutes=19), progress=False)
    assert (report.mode, report.counts.seen) == ("window", 10)
    assert store.state("alpha").watermark is None


def test_remap_rebuilds_records_without_the_network(sqlite_url, feed):
    with SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        store = Store.open(sqlite_url)
        harvest_source(store, source_for(server.url("alpha")), progress=False)
    before = {r["identifier"]: r["record"] for r in store.iter_records()}
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE records SET record = NULL, content_sha256 = NULL")
    report = remap(store, ["alpha"], progress=False)
    assert (report.seen, report.changed, report.failed) == (250, 250, 0)
    after = {r["identifier"]: r["record"] for r in store.iter_records()}
    assert after.keys() == before.keys()
    strip = lambda r: {k: v for k, v in r.items() if k != "provenance"}  # noqa: E731
    assert all(strip(after[k]) == strip(before[k]) for k in before)
    assert remap(store, ["alpha"], progress=False).changed == 0


def test_an_oai_error_in_a_422_body_fails_the_run_and_keeps_the_store(db_url, feed, sim):
    store = Store.open(db_url)
    source = source_for(sim.url("alpha"))
    harvest_source(store, source, progress=False)
    feed.update([1], at=LATER)
    feed.faults.oai_error_422 = 1
    with pytest.raises(BadArgumentError) as caught:
        harvest_source(store, source, progress=False)
    assert "alpha" in str(caught.value) and "127.0.0.1" in str(caught.value)
    run = store.last_runs()["alpha"]
    assert run.status == "failed"
    assert "badArgument" in run.error
    assert store.counts()["alpha"]["live"] == 250
    assert harvest_source(store, source, progress=False).counts.updated == 1


def test_a_page_that_stays_truncated_fails_with_its_url_and_a_rerun_resumes(db_url, feed, sim):
    store = Store.open(db_url)
    source = source_for(sim.url("alpha"))
    feed.faults.after_pages = 1
    feed.faults.truncate = 100
    with pytest.raises(UnparseableResponseError) as caught:
        harvest_source(store, source, progress=False)
    assert "resumptionToken" in str(caught.value) or "127.0.0.1" in str(caught.value)
    assert store.raw_count("alpha") == 100  # the first page is kept
    assert store.state("alpha").checkpoint is not None
    feed.faults.truncate = 0
    resumed = harvest_source(store, source, progress=False)
    assert resumed.status == "succeeded"
    assert resumed.counts.seen == 150
    assert store.raw_count("alpha") == 250


def test_transient_503_and_429_are_retried_and_the_run_succeeds(sqlite_url, feed, sim):
    store = Store.open(sqlite_url)
    feed.faults.retry_after = 0.2
    feed.faults.unavailable = 2
    feed.faults.rate_limited = 1
    report = harvest_source(store, source_for(sim.url("alpha")), progress=False)
    assert (report.status, report.counts.new) == ("succeeded", 250)


def test_illegal_characters_are_repaired_and_counted(sqlite_url, feed, sim):
    store = Store.open(sqlite_url)
    feed.faults.illegal_chars_every = 50
    report = harvest_source(store, source_for(sim.url("alpha")), progress=False)
    assert report.counts.new == 250
    assert report.counts.repaired == 5  # records 0, 50, 100, 150, 200
    titles = {r["identifier"]: r["title"] for r in store.iter_records()}
    assert "\ufffd" in titles["oai:alpha.sim:50"]


def test_oai_dc_records_map_into_the_common_model(sqlite_url, feed, sim):
    store = Store.open(sqlite_url)
    report = harvest_source(store, source_for(sim.url("alpha"), prefix="oai_dc"),
                            progress=False)
    assert (report.counts.new, report.counts.failed) == (250, 0)
    record = next(r for r in store.iter_records() if r["identifier"] == "oai:alpha.sim:10")
    assert record["doi"] == "10.5555/os10-shared-10"
    assert record["title"]


def test_a_killed_harvest_resumes_with_every_record_exactly_once(db_url, tmp_path):
    feed = Feed(count=1000, seed=3, page_size=50, start=START)
    with SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        sources = tmp_path / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": [{
            "id": "alpha", "name": "Alpha", "protocol": "oai_pmh", "url": server.url("alpha"),
            "metadata_prefix": "oai_datacite", "max_requests_per_second": 1000,
            "retry_backoff_seconds": 0.05}]}))
        store = Store.open(db_url)
        feed.faults.slow = 10_000
        feed.faults.slow_seconds = 0.15
        env = {**os.environ, "OS10_DATABASE_URL": db_url, "OS10_SOURCES": str(sources)}
        process = subprocess.Popen([sys.executable, "-m", "cli.main", "harvest", "alpha"],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while store.raw_count("alpha") < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stored = store.raw_count("alpha")
        assert 200 <= stored < 1000, "the harvest was killed mid-list"
        assert store.state("alpha").checkpoint is not None

        feed.faults.slow = 0
        feed.faults.expire_tokens = 1  # the token we resume with has expired meanwhile
        rerun = subprocess.run([sys.executable, "-m", "cli.main", "harvest", "alpha"], cwd=ROOT,
                               env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        assert store.raw_count("alpha") == 1000
        identifiers = store.identifiers("alpha")
        assert len(identifiers) == len(set(identifiers)) == 1000
        assert store.counts()["alpha"]["live"] == 1000
        assert store.state("alpha").checkpoint is None
