"""Node to node over real HTTP on 127.0.0.1: node A harvests two simulated partners, merges them
and serves the merged catalogue; node B harvests A's /oai with our own harvester and with plain
sickle and gets the same records, then only the changes, deletions included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sickle import Sickle

from harvesters.datestamps import SECONDS, format_datestamp
from pipeline.harvest import harvest_source
from pipeline.merge import merge_catalogue
from provider import ProviderConfig, ProviderServer
from schemas import Record, SourceConfig
from simulator import Feed, SimulatorServer
from store import Store

START = datetime(2024, 1, 1, tzinfo=UTC)
LATER = START + timedelta(days=3650)
ROOT = Path(__file__).resolve().parents[1]
PRIORITIES = {"alpha": 10, "beta": 5}
DOI_URL = "https://doi.org/"


def source(source_id: str, url: str, prefix: str) -> SourceConfig:
    return SourceConfig(id=source_id, name=source_id.title(), protocol="oai_pmh", url=url,
                        metadata_prefix=prefix, max_requests_per_second=1000, timeout_seconds=10,
                        max_retries=2, retry_backoff_seconds=0.05)


@pytest.fixture
def partners():
    feeds = {"alpha": Feed(count=150, seed=1, start=START),
             "beta": Feed(count=80, seed=2, start=START)}
    with SimulatorServer(feeds, host="127.0.0.1", port=0) as sim:
        yield feeds, [source("alpha", sim.url("alpha"), "oai_datacite"),
                      source("beta", sim.url("beta"), "oai_dc")]


@pytest.fixture
def node_a(db_url, partners) -> Store:
    """Node A: both partners harvested and merged."""
    store = Store.open(db_url)
    for partner in partners[1]:
        harvest_source(store, partner, progress=False)
    merge_catalogue(store, PRIORITIES)
    yield store
    store.close()


@pytest.fixture
def node_b(tmp_path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'node-b.sqlite3'}")
    yield store
    store.close()


def catalogue_of(store: Store) -> dict[str, tuple[str | None, str | None]]:
    """What node A serves: OAI identifier -> (main title, DOI) of every live merged record."""
    found = {}
    for row in store.iter_merged(include_deleted=False):
        record = Record.model_validate(row.record)
        found[f"oai:os10:{row.merged_id}"] = (record.main_title, record.doi)
    return found


def harvested_by(store: Store) -> dict[str, tuple[str | None, str | None]]:
    return {r["identifier"]: (r["title"], r["doi"]) for r in store.iter_records()}


def read_with_sickle(url: str, **params) -> dict[str, tuple[str | None, str | None] | None]:
    """OAI identifier -> (first dc:title, DOI), or None for a deleted record."""
    found: dict[str, tuple[str | None, str | None] | None] = {}
    for record in Sickle(url, max_retries=2).ListRecords(metadataPrefix="oai_dc",
                                                         ignore_deleted=False, **params):
        if record.header.deleted:
            found[record.header.identifier] = None
            continue
        dois = [i[len(DOI_URL):] for i in record.metadata.get("identifier", [])
                if i.startswith(DOI_URL)]
        found[record.header.identifier] = (record.metadata["title"][0],
                                           dois[0] if dois else None)
    return found


def test_a_second_node_gets_the_merged_catalogue_then_only_the_changes(node_a, node_b, partners):
    feeds, sources = partners
    served = catalogue_of(node_a)
    assert len(served) > 200  # 230 harvested records; those sharing a DOI merged into one
    assert any(len(row.sources) == 2 for row in node_a.iter_merged())

    with ProviderServer(node_a, ProviderConfig(page_size=40)) as server:
        oai = server.url + "/oai"
        upstream = source("node-a", oai, "oai_datacite")

        first = harvest_source(node_b, upstream, progress=False)
        assert (first.status, first.counts.new, first.counts.failed) == (
            "succeeded", len(served), 0)
        assert harvested_by(node_b) == served
        assert read_with_sickle(oai) == served

        # The partners change: two records updated, three deleted; A harvests and merges them.
        before = max(row.datestamp for row in node_a.iter_merged())
        feeds["alpha"].update([3, 7], at=LATER)
        feeds["alpha"].delete([5, 6], at=LATER)
        feeds["beta"].delete([2], at=LATER)
        for partner in sources:
            harvest_source(node_a, partner, progress=False)
        merge_catalogue(node_a, PRIORITIES)
        changes = {f"oai:os10:{row.merged_id}": row.deleted
                   for row in node_a.iter_merged(since=before + timedelta(microseconds=1))}
        deleted = {i for i, gone in changes.items() if gone}
        assert len(changes) == 5 and deleted  # a deletion shared with a live member is an update

        second = harvest_source(node_b, upstream, progress=False)
        c = second.counts
        assert second.mode == "incremental"
        assert (c.new, c.updated, c.deleted, c.failed) == (0, len(changes) - len(deleted),
                                                           len(deleted), 0)
        # The rest it saw is the second its watermark was in (`from` is inclusive), unchanged.
        assert c.seen - c.unchanged == len(changes)
        assert harvested_by(node_b) == catalogue_of(node_a)
        tombstones = {r["identifier"] for r in node_b.iter_records(include_deleted=True)
                      if r["deleted"]}
        assert tombstones == deleted

        since = read_with_sickle(oai, **{"from": format_datestamp(before, SECONDS)})
        assert {i for i, record in since.items() if record is None} == deleted
        assert changes.keys() <= since.keys()


def test_os10_serve_serves_the_database_given_with_db(node_a, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OS10_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "--db", node_a.url, "serve", "--port", "0",
         "--page-size", "25", "--repository-id", "node-a"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("Serving "), process.stderr.read()
        base = line.split("OAI-PMH at ", 1)[1].split(",", 1)[0]
        reply = httpx.get(base, params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"},
                          timeout=10)
        assert reply.status_code == 200
        assert reply.text.count("<identifier>oai:node-a:") == 25
        assert httpx.get(base.removesuffix("/oai") + "/catalog.ttl", timeout=10) \
            .headers["content-type"].startswith("text/turtle")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
