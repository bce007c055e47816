"""An unchanged DCAT catalogue costs one request and writes nothing (ETag / Last-Modified)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.harvest import harvest_source
from schemas import SourceConfig
from simulator import Feed, SimulatorServer
from store import Store

START = datetime(2024, 1, 1, tzinfo=UTC)


def test_an_unchanged_catalogue_costs_one_request_and_writes_nothing(db_url):
    feed = Feed(count=120, seed=2, start=START)
    with SimulatorServer({"cat": feed}, host="127.0.0.1", port=0) as sim:
        source = SourceConfig(id="cat", name="Catalogue", protocol="dcat",
                              url=f"{sim.url('cat', 'dcat')}/catalog",
                              max_requests_per_second=1000)
        store = Store.open(db_url)
        first = harvest_source(store, source, progress=False)
        assert (first.status, first.counts.new) == ("succeeded", 120)
        assert store.state("cat").validators  # the catalogue's ETag / Last-Modified, kept
        before = [(r["identifier"], r["updated_at"]) for r in store.iter_records()]

        requests_before = len(feed.requests)
        second = harvest_source(store, source, progress=False)
        assert len(feed.requests) - requests_before == 1
        assert feed.requests[-1]["status"] == 304
        assert (second.status, second.counts.seen, second.counts.deleted) == ("succeeded", 0, 0)
        assert [(r["identifier"], r["updated_at"]) for r in store.iter_records()] == before

        feed.update([4], at=START + timedelta(days=900))
        third = harvest_source(store, source, progress=False)
        assert third.counts.updated == 1
