"""What operators see: last success and failure, counts over time, stale sources, sudden drops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from errors import Os10Error
from pipeline.harvest import harvest_source
from pipeline.status import schedule_interval, source_health
from schemas import SourceConfig
from simulator import Feed, SimulatorServer
from store import Store

START = datetime(2024, 1, 1, tzinfo=UTC)


def source_for(url: str, **extra) -> SourceConfig:
    return SourceConfig(id="alpha", name="Alpha", protocol="oai_pmh", url=url,
                        metadata_prefix="oai_dc", max_requests_per_second=1000, max_retries=0,
                        schedule="@hourly", **extra)


def test_schedules_become_expected_intervals():
    assert schedule_interval("@daily") == timedelta(days=1)
    assert schedule_interval("0 3 * * *") == timedelta(days=1)
    assert schedule_interval("*/15 * * * *") == timedelta(minutes=15)
    assert schedule_interval(None) is None


def test_a_source_without_success_within_twice_its_schedule_is_stale(sqlite_url):
    feed = Feed(count=30, seed=1, start=START)
    with SimulatorServer({"alpha": feed}) as sim:
        store = Store.open(sqlite_url)
        source = source_for(sim.url("alpha"))
        harvest_source(store, source, progress=False)
    [fresh] = source_health(store, [source])
    assert fresh.flags == [] and fresh.live == 30
    [later] = source_health(store, [source], now=datetime.now(UTC) + timedelta(hours=3))
    assert any(flag.startswith("Stale: no successful harvest since") for flag in later.flags)


def test_a_sudden_drop_and_a_failure_are_flagged_with_reasons(sqlite_url):
    feed = Feed(count=100, seed=1, start=START)
    with SimulatorServer({"alpha": feed}) as sim:
        store = Store.open(sqlite_url)
        source = source_for(sim.url("alpha"), deletion_guard_share=0.5)
        harvest_source(store, source, progress=False)
        feed.delete(range(40), at=START + timedelta(days=400))
        harvest_source(store, source, progress=False)
        feed.faults.oai_error_422 = 1
        with pytest.raises(Os10Error):
            harvest_source(store, source, progress=False)
    [health] = source_health(store, [source])
    assert [live for _, live in health.history] == [100, 60]
    assert "Record count dropped from 100 to 60 (40%) in the last run." in health.flags
    assert health.last_failure is not None and "badArgument" in health.last_failure_reason
    assert any(flag.startswith("Last run failed:") for flag in health.flags)
    assert health.last_success is not None


def test_the_deletion_guard_holds_mass_deletions_until_a_steward_decides(sqlite_url, capsys,
                                                                          tmp_path, monkeypatch):
    from cli.main import main

    feed = Feed(count=100, seed=1, start=START)
    with SimulatorServer({"alpha": feed}) as sim:
        store = Store.open(sqlite_url)
        source = source_for(sim.url("alpha"))
        harvest_source(store, source, progress=False)
        feed.delete(range(30), at=START + timedelta(days=400))
        held = harvest_source(store, source, progress=False)
        entry = {"id": "alpha", "name": "Alpha", "protocol": "oai_pmh",
                 "url": sim.url("alpha"), "metadata_prefix": "oai_dc"}
        (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": [entry]}))
    assert held.status == "held" and held.counts.deleted == 30
    assert "30 deletions (30% of 100 live records) are held" in held.error
    assert store.counts()["alpha"]["live"] == 100  # nothing wiped
    [health] = source_health(store, [source])
    assert any("30 deletions are waiting for approval" in flag for flag in health.flags)

    monkeypatch.setenv("OS10_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("OS10_SOURCES", str(tmp_path / "sources.yaml"))
    assert main(["deletions", "list", "alpha"]) == 0
    assert "30 deletions are held for alpha" in capsys.readouterr().out
    assert main(["deletions", "approve", "alpha"]) == 0
    assert "Carried out 30 deletions for alpha" in capsys.readouterr().out
    assert store.counts()["alpha"] == {"live": 70, "deleted": 30, "unmapped": 0}


def test_discarded_deletions_leave_the_records_live(sqlite_url):
    feed = Feed(count=50, seed=1, start=START)
    with SimulatorServer({"alpha": feed}) as sim:
        store = Store.open(sqlite_url)
        source = source_for(sim.url("alpha"))
        harvest_source(store, source, progress=False)
        feed.delete(range(25), at=START + timedelta(days=400))
        assert harvest_source(store, source, progress=False).status == "held"
    assert store.discard_held("alpha") == 25
    assert store.counts()["alpha"]["live"] == 50


def test_the_status_page_lists_sources_flags_and_escapes_what_it_shows(sqlite_url, tmp_path,
                                                                      monkeypatch):
    import requests

    from provider import ProviderServer

    feed = Feed(count=40, seed=1, start=START)
    with SimulatorServer({"alpha": feed}) as sim:
        store = Store.open(sqlite_url)
        entry = {"id": "alpha", "name": "Alpha <script>alert(1)</script>", "protocol": "oai_pmh",
                 "url": sim.url("alpha"), "metadata_prefix": "oai_dc", "schedule": "@hourly"}
        (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": [entry]}))
        monkeypatch.setenv("OS10_SOURCES", str(tmp_path / "sources.yaml"))
        harvest_source(store, source_for(sim.url("alpha")), progress=False)
        feed.faults.oai_error_422 = 1
        with pytest.raises(Os10Error):
            harvest_source(store, source_for(sim.url("alpha")), progress=False)
    with ProviderServer(store, host="127.0.0.1", port=0) as server:
        page = requests.get(f"{server.url}/status", timeout=10)
        assert requests.post(f"{server.url}/status", timeout=10).status_code == 405
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert "<b>alpha</b>" in html and "@hourly" in html and "<td>40</td>" in html
    assert "Last run failed:" in html and "badArgument" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
