"""`make demo`: two simulated partners harvested, changed, re-harvested and exported, end to end."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

import settings
from pipeline.export import export_catalogue
from pipeline.harvest import harvest_source
from pipeline.registry import load_sources
from simulator import Feed, SimulatorServer
from store import Store

DEFAULT_RECORDS = 1500


def run_demo(records: int | None = None) -> int:
    n = records or int(os.environ.get("OS10_DEMO_RECORDS", DEFAULT_RECORDS))
    workdir = settings.data_dir() / "demo"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    db_url = f"sqlite:///{workdir / 'os10-demo.sqlite3'}"
    start = datetime(2024, 1, 1, tzinfo=UTC)
    feeds = {
        "afrika-data": Feed(count=n, seed=1, start=start, name="Afrika Open Data Repository"),
        "latam-repo": Feed(count=max(1, n * 2 // 3), seed=2, start=start,
                           name="Repositorio Latinoamericano de Datos"),
    }
    began = time.monotonic()
    with SimulatorServer(feeds, host="127.0.0.1", port=0) as sim:
        sources_file = _write_sources(workdir / "sources.yaml", {
            "afrika-data": (sim.url("afrika-data"), "oai_datacite", feeds["afrika-data"].name),
            "latam-repo": (sim.url("latam-repo"), "oai_dc", feeds["latam-repo"].name),
        })
        registry = load_sources(sources_file)
        store = Store.open(db_url)
        print(f"Simulated partners on 127.0.0.1:{sim.port}; store {db_url}\n")

        print("1. First harvest of both sources")
        for source in registry.sources:
            _print_report(harvest_source(store, source))

        print("\n2. The partners change 25 records and delete 5; incremental harvest")
        later = start + timedelta(days=3650)
        feeds["afrika-data"].update(range(0, 50, 2), at=later)
        feeds["afrika-data"].delete(range(1, 11, 2), at=later)
        for source in registry.sources:
            _print_report(harvest_source(store, source))

        print("\n3. Export")
        out = workdir / "catalogue.jsonl"
        written = export_catalogue(store, "jsonl", out)
    elapsed = time.monotonic() - began

    counts = store.counts()
    print(f"\nDone in {elapsed:.1f}s.")
    for source_id, c in sorted(counts.items()):
        print(f"  {source_id}: {c['live']} live records, {c['deleted']} deleted, "
              f"{c['unmapped']} unmappable")
    print(f"\nThe exported catalogue ({written} records, JSON Lines) is at:\n  {out.resolve()}")
    print(f"\nLook around: .venv/bin/os10 --db {db_url} --sources {sources_file} status")
    return 0


def _write_sources(path: Path, feeds: dict[str, tuple[str, str, str]]) -> Path:
    sources = [
        {"id": source_id, "name": name, "protocol": "oai_pmh", "url": url,
         "metadata_prefix": prefix, "sets": [], "schedule": "@daily",
         "priority": 10 - index, "max_requests_per_second": 50}
        for index, (source_id, (url, prefix, name)) in enumerate(feeds.items())
    ]
    path.write_text(yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True))
    return path


def _print_report(report) -> None:
    c = report.counts
    print(f"   {report.source_id:12} {report.mode:11} {c.seen:6} seen {c.new:6} new "
          f"{c.updated:4} updated {c.unchanged:6} unchanged {c.deleted:3} deleted "
          f"{c.failed:3} failed  {report.duration_s:5.1f}s ({report.rate or 0:,.0f}/s)")
