"""The contract every registered harvester meets, run against each protocol's simulated endpoint."""

from __future__ import annotations

import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

import harvesters
from harvesters import HARVESTERS, get_harvester
from harvesters.base import HarvestRequest
from schemas import SourceConfig
from simulator import Feed, SimulatorServer

# Modules of harvesters/ that are shared plumbing, not protocols.
NOT_PROTOCOLS = {"base", "transport", "datestamps", "rdf_formats"}
COUNT = 230


@contextmanager
def oai_pmh_endpoint() -> Iterator[tuple[SourceConfig, Feed]]:
    feed = Feed(count=COUNT, seed=4, page_size=100, start=datetime(2024, 1, 1, tzinfo=UTC))
    with SimulatorServer({"contract": feed}, host="127.0.0.1", port=0) as sim:
        yield SourceConfig(id="contract", name="Contract", protocol="oai_pmh",
                           url=sim.url("contract"), metadata_prefix="oai_datacite",
                           max_requests_per_second=1000), feed


@contextmanager
def ckan_endpoint() -> Iterator[tuple[SourceConfig, Feed]]:
    feed = Feed(count=COUNT, seed=4, page_size=100, start=datetime(2024, 1, 1, tzinfo=UTC))
    with SimulatorServer({"contract": feed}, host="127.0.0.1", port=0) as sim:
        yield SourceConfig(id="contract", name="Contract", protocol="ckan",
                           url=f"http://127.0.0.1:{sim.port}/contract",
                           max_requests_per_second=1000), feed


@contextmanager
def dcat_endpoint() -> Iterator[tuple[SourceConfig, Feed]]:
    feed = Feed(count=COUNT, seed=4, page_size=100, start=datetime(2024, 1, 1, tzinfo=UTC))
    with SimulatorServer({"contract": feed}, host="127.0.0.1", port=0) as sim:
        yield SourceConfig(id="contract", name="Contract", protocol="dcat",
                           url=f"{sim.url('contract', 'dcat')}/catalog",
                           max_requests_per_second=1000), feed


# One line per protocol: how to stand up a simulated endpoint for it.
ENDPOINTS: dict[str, Callable] = {"oai_pmh": oai_pmh_endpoint, "ckan": ckan_endpoint,
                                  "dcat": dcat_endpoint}


def test_every_protocol_module_is_registered():
    modules = {m.name for m in pkgutil.iter_modules(harvesters.__path__)} - NOT_PROTOCOLS
    assert modules == set(HARVESTERS)
    assert set(ENDPOINTS) == set(HARVESTERS), "give each harvester a contract endpoint"


def test_an_unknown_protocol_names_the_known_ones():
    with pytest.raises(Exception, match="oai_pmh"):
        get_harvester("gopher")


@pytest.fixture(params=sorted(HARVESTERS))
def endpoint(request):
    with ENDPOINTS[request.param]() as (source, feed):
        yield get_harvester(request.param), source, feed


def test_a_full_list_yields_each_record_once_and_ends_without_checkpoint(endpoint):
    harvester_class, source, _ = endpoint
    with harvester_class(source) as harvester:
        pages = list(harvester.pages(HarvestRequest()))
    identifiers = [r.identifier for p in pages for r in p.records]
    assert len(identifiers) == len(set(identifiers)) == COUNT
    assert pages[-1].checkpoint is None
    assert all(p.checkpoint is not None for p in pages[:-1])
    for record in (r for p in pages for r in p.records):
        assert record.datestamp is None or record.datestamp.tzinfo is not None
        assert record.payload is not None and record.metadata_format
    assert harvester_class.protocol in HARVESTERS


def test_resuming_from_any_checkpoint_yields_exactly_the_rest(endpoint):
    harvester_class, source, _ = endpoint
    with harvester_class(source) as harvester:
        pages = list(harvester.pages(HarvestRequest()))
        seen = []
        for index, page in enumerate(pages[:-1]):
            seen.extend(r.identifier for r in page.records)
            rest = [r.identifier for p in harvester.pages(HarvestRequest(resume=page.checkpoint))
                    for r in p.records]
            assert sorted(seen + rest) == sorted(r.identifier for p in pages for r in p.records), (
                f"resuming after page {index + 1}")


def test_deletions_come_as_tombstones_without_payload(endpoint):
    harvester_class, source, feed = endpoint
    feed.delete([7], at=datetime(2030, 1, 1, tzinfo=UTC))
    with harvester_class(source) as harvester:
        records = {r.identifier: r for p in harvester.pages(HarvestRequest()) for r in p.records}
    if not harvester_class.reports_deletions:
        # The protocol announces no deletions (CKAN, DCAT): the record is simply no longer
        # listed, and a full harvest through the pipeline tombstones what it no longer sees.
        assert len(records) == COUNT - 1 and not any(r.deleted for r in records.values())
        return
    gone = [r for r in records.values() if r.deleted]
    assert len(gone) == 1 and gone[0].payload is None
