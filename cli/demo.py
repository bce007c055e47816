"""`make demo`: simulated partners over OAI-PMH, DCAT and CKAN harvested, changed, re-harvested,
merged, exported in every format and served over OAI-PMH, end to end."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sickle import Sickle

import settings
from exporters import EXPORTERS
from pipeline.export import export_catalogue, export_name
from pipeline.harvest import harvest_source
from pipeline.registry import load_sources
from provider import ProviderConfig, ProviderServer
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
        "asia-catalogue": Feed(count=max(1, n // 3), seed=3, start=start,
                               name="Asia-Pacific Open Data Catalogue"),
        "arab-portal": Feed(count=max(1, n // 3), seed=4, start=start,
                            name="Arab Open Science Portal"),
    }
    began = time.monotonic()
    with SimulatorServer(feeds, host="127.0.0.1", port=0) as sim:
        base = f"http://127.0.0.1:{sim.port}"
        sources_file = _write_sources(workdir / "sources.yaml", [
            ("afrika-data", "oai_pmh", sim.url("afrika-data"), "oai_datacite"),
            ("latam-repo", "oai_pmh", sim.url("latam-repo"), "oai_dc"),
            ("asia-catalogue", "dcat", f"{sim.url('asia-catalogue', 'dcat')}/catalog", None),
            ("arab-portal", "ckan", f"{base}/arab-portal", None),
        ], feeds)
        registry = load_sources(sources_file)
        store = Store.open(db_url)
        print(f"Simulated partners on 127.0.0.1:{sim.port}; store {db_url}\n")

        print("1. First harvest of every source (OAI-PMH, DCAT, CKAN)")
        for source in registry.sources:
            _print_report(harvest_source(store, source, progress=False))

        print("\n2. The partners change 25 records and delete 5; incremental harvest")
        later = start + timedelta(days=3650)
        feeds["afrika-data"].update(range(0, 50, 2), at=later)
        feeds["afrika-data"].delete(range(1, 11, 2), at=later)
        for source in registry.sources:
            _print_report(harvest_source(store, source, progress=False))
    harvested = time.monotonic() - began

    print("\n3. Merge across sources and export every format")
    priorities = {s.id: s.priority for s in registry.sources}
    files = []
    for fmt in sorted(EXPORTERS):
        out = workdir / "exports" / export_name(fmt)
        written = export_catalogue(store, fmt, out, priorities=priorities, progress=False)
        files.append((fmt, written, out))
        print(f"   {fmt:13} {written:6} records  {out.resolve()}")

    print("\n4. Our own OAI-PMH endpoint, harvested back with sickle")
    with ProviderServer(store, ProviderConfig(), host="127.0.0.1", port=0) as provider:
        oai_url = f"{provider.url}/oai"
        served = sum(1 for _ in Sickle(oai_url).ListIdentifiers(metadataPrefix="oai_datacite",
                                                                 ignore_deleted=True))
        print(f"   {oai_url} served {served} merged records")
    elapsed = time.monotonic() - began

    counts = store.counts()
    print(f"\nDone in {elapsed:.1f}s (harvesting {harvested:.1f}s).")
    for source_id, c in sorted(counts.items()):
        print(f"  {source_id}: {c['live']} live records, {c['deleted']} deleted, "
              f"{c['unmapped']} unmappable")
    jsonl = next(out for fmt, _, out in files if fmt == "jsonl")
    print(f"\nThe exported catalogue is at:\n  {jsonl.resolve()}\n(all formats: "
          f"{(workdir / 'exports').resolve()})")
    print(f"\nServe it over OAI-PMH and DCAT (then harvest http://127.0.0.1:8090/oai):\n"
          f"  .venv/bin/os10 --db {db_url} serve --port 8090")
    print(f"Look around: .venv/bin/os10 --db {db_url} --sources {sources_file} status")
    return 0


def _write_sources(path: Path, entries, feeds: dict[str, Feed]) -> Path:
    sources = []
    for index, (source_id, protocol, url, prefix) in enumerate(entries):
        entry = {"id": source_id, "name": feeds[source_id].name, "protocol": protocol,
                 "url": url, "schedule": "@daily", "priority": 10 - index,
                 "max_requests_per_second": 50}
        if prefix:
            entry["metadata_prefix"] = prefix
        sources.append(entry)
    path.write_text(yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True))
    return path


def _print_report(report) -> None:
    c = report.counts
    print(f"   {report.source_id:15} {report.mode:11} {c.seen:6} seen {c.new:6} new "
          f"{c.updated:4} updated {c.unchanged:6} unchanged {c.deleted:3} deleted "
          f"{c.failed:3} failed  {report.duration_s:5.1f}s ({report.rate or 0:,.0f}/s)")
