"""The DCAT harvester over real HTTP: the simulator's catalogue, hand-made servers, the pipeline."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from rdflib import Graph

from errors import ProtocolViolationError, ResponseTooLargeError, UnparseableResponseError
from harvesters import HARVESTERS, get_harvester
from harvesters.base import HarvestRequest, Page
from harvesters.dcat import BNODE_PREFIX, DcatHarvester, dataset_records
from harvesters.rdf_formats import (
    JSON_LD,
    N_TRIPLES,
    RDF_XML,
    TURTLE,
    local_context,
    parse_graph,
    syntax_for,
)
from harvesters.transport import HttpClient
from pipeline.harvest import harvest_source
from pipeline.remap import remap
from schemas import SourceConfig
from simulator import Feed, SimulatorServer
from simulator.dcat import DCAT_AP_CONTEXT, JSONLD_TERMS
from store import Store

START = datetime(2024, 1, 1, tzinfo=UTC)
LATER = START + timedelta(days=3650)
COUNT, PAGE = 25, 10  # three pages: 10, 10 and 5 datasets


def source_for(url: str, **settings) -> SourceConfig:
    values = dict(id="alpha", name="Alpha", protocol="dcat", url=url,
                  max_requests_per_second=1000, timeout_seconds=5, max_retries=2,
                  retry_backoff_seconds=0.01)
    values.update(settings)
    return SourceConfig(**values)


def harvest(source: SourceConfig, request: HarvestRequest | None = None,
            **options) -> list[Page]:
    with DcatHarvester(source, **options) as harvester:
        return list(harvester.pages(request or HarvestRequest()))


def identifiers(pages: list[Page]) -> list[str]:
    return [record.identifier for page in pages for record in page.records]


def sim_id(index: int, key: str = "alpha") -> str:
    """The simulator's identity rules: a DOI as dct:identifier, the IRI alone, or a local id."""
    if index % 4 == 1:
        return f"https://doi.org/10.5555/{key}-{index}"
    if index % 4 == 3:
        return f"https://{key}.sim.example.org/dataset/{index}"
    return f"{key.upper()}-{index:07d}"


def dcat_requests(feed: Feed) -> list[dict]:
    return [r for r in feed.requests if r["verb"] == "dcat"]


@pytest.fixture
def feed() -> Feed:
    return Feed(count=COUNT, seed=1, page_size=PAGE, start=START, name="Alpha")


@pytest.fixture
def sim(feed):
    with SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def catalogue(sim) -> str:
    return f"{sim.url('alpha', 'dcat')}/catalog"


# --- hand-made servers ----------------------------------------------------------------------------

Answer = tuple[int, str, bytes]  # status, content type, body


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        status, content_type, body = self.server.answer(self.path)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def answering(answer: Callable[[str], Answer]) -> Iterator[ThreadingHTTPServer]:
    """A server on 127.0.0.1 whose every answer comes from `answer(path with query)`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.answer, server.seen = answer, []
    server.url = f"http://127.0.0.1:{server.server_port}/catalog"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# --- a full list, its syntaxes and its paging -----------------------------------------------------

def test_a_full_harvest_brings_every_dataset_once_in_three_pages(feed, catalogue):
    pages = harvest(source_for(catalogue))
    assert len(pages) == 3
    assert [{r.identifier for r in p.records} for p in pages] == [
        {sim_id(i) for i in range(first, min(first + PAGE, COUNT))} for first in (0, 10, 20)]
    assert [p.checkpoint for p in pages] == [{"next": f"{catalogue}?page=2"},
                                             {"next": f"{catalogue}?page=3"}, None]
    assert {p.complete_list_size for p in pages} == {COUNT}
    record = next(r for r in pages[0].records if r.identifier == sim_id(5))
    assert record.metadata_format == "dcat_ap" and not record.deleted
    assert record.datestamp == START + timedelta(minutes=5)  # dct:modified, the feed datestamp
    assert b"<https://alpha.sim.example.org/dataset/5> <http://purl.org/dc/terms/title>" in \
        record.payload
    assert len(dcat_requests(feed)) == 3


@pytest.mark.parametrize("suffix", ["", ".ttl", ".rdf", ".jsonld", ".nt"])
def test_every_syntax_gives_the_same_datasets_byte_for_byte(catalogue, suffix):
    turtle = {r.identifier: r.payload for p in harvest(source_for(f"{catalogue}.ttl"))
              for r in p.records}
    pages = harvest(source_for(f"{catalogue}{suffix}"))
    assert {r.identifier: r.payload for p in pages for r in p.records} == turtle


@pytest.mark.parametrize(("accept", "media_type"), [
    ("text/turtle", "text/turtle"), ("application/rdf+xml", "application/rdf+xml"),
    ("application/ld+json", "application/ld+json"),
    ("application/n-triples", "application/n-triples"),
    ("text/html;q=0.9, application/rdf+xml;q=0.5, */*;q=0.1", "application/rdf+xml"),
    ("*/*", "text/turtle")])
def test_the_catalogue_negotiates_its_syntax_from_the_accept_header(catalogue, accept,
                                                                     media_type):
    response = requests.get(catalogue, headers={"Accept": accept}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    syntax = syntax_for(response.headers["Content-Type"], catalogue)
    assert len(dataset_records(parse_graph(response.content, syntax, url=catalogue),
                               catalogue)[0]) == PAGE


def test_an_unacceptable_accept_header_gets_406(catalogue):
    assert requests.get(catalogue, headers={"Accept": "text/html"}, timeout=10).status_code == 406


def test_the_parser_comes_from_the_media_type_then_the_extension():
    assert syntax_for("text/turtle; charset=utf-8", "http://x/catalog.rdf") is TURTLE
    assert syntax_for("application/ld+json", "http://x/c") is JSON_LD
    assert syntax_for("application/json", "http://x/c") is JSON_LD
    assert syntax_for("application/xml", "http://x/c") is RDF_XML
    assert syntax_for("application/n-triples", "http://x/c") is N_TRIPLES
    assert syntax_for("application/octet-stream", "http://x/catalog.rdf?page=2") is RDF_XML
    assert syntax_for(None, "http://x/catalog.jsonld") is JSON_LD
    assert syntax_for("text/plain", "http://x/catalog.nt") is N_TRIPLES
    assert syntax_for("text/plain", "http://x/catalog") is TURTLE  # N-Triples is Turtle too
    assert syntax_for("text/html", "http://x/catalog.ttl") is None
    assert syntax_for("application/pdf", "http://x/catalog.ttl") is None
    assert syntax_for(None, "http://x/catalog") is None


def test_the_older_hydra_paged_collection_is_followed_too(feed, catalogue):
    pages = harvest(source_for(f"{catalogue}.ttl?legacy=1"))
    assert sorted(identifiers(pages)) == sorted(sim_id(i) for i in range(COUNT))
    assert pages[0].checkpoint == {"next": f"{catalogue}.ttl?page=2&legacy=1"}
    assert {p.complete_list_size for p in pages} == {COUNT}
    body = requests.get(f"{catalogue}.ttl?legacy=1", timeout=10).text
    assert "hydra:PagedCollection" in body and "hydra:nextPage" in body
    assert "hydra:next " not in body


def test_resuming_from_the_checkpoint_of_page_two_brings_exactly_the_rest(feed, catalogue):
    source = source_for(catalogue)
    checkpoint = harvest(source)[1].checkpoint
    feed.requests.clear()
    rest = harvest(source, HarvestRequest(resume=checkpoint))
    assert sorted(identifiers(rest)) == sorted(sim_id(i) for i in range(20, COUNT))
    assert [r["params"] for r in dcat_requests(feed)] == [{"page": "3"}]


def test_a_checkpoint_that_is_not_a_page_starts_over(catalogue, caplog):
    pages = harvest(source_for(catalogue), HarvestRequest(resume={"token": "abc"}))
    assert len(identifiers(pages)) == COUNT
    assert "not a DCAT page" in caplog.text


def test_a_page_that_names_itself_as_next_stops_the_harvest(feed, catalogue):
    feed.faults.repeat_token = 1
    feed.faults.after_pages = 1
    with pytest.raises(ProtocolViolationError, match="already fetched") as caught:
        harvest(source_for(catalogue))
    assert caught.value.url == f"{catalogue}?page=2"
    assert f"{catalogue}?page=2" in str(caught.value)


def test_a_server_repeating_one_page_under_new_urls_is_stopped():
    page = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
              @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
              <http://example.org/ds/1> a dcat:Dataset .
              <{url}> hydra:next <{next}> ."""

    def answer(path: str) -> Answer:
        number = int(path.partition("page=")[2] or 1)
        url = f"http://127.0.0.1:{server.server_port}{path}"
        body = page.format(url=url, next=f"{url.partition('?')[0]}?page={number + 1}")
        return 200, "text/turtle", body.encode()

    with answering(answer) as server:
        with pytest.raises(ProtocolViolationError, match="exactly the datasets of an earlier"):
            harvest(source_for(server.url))
        assert server.seen == ["/catalog", "/catalog?page=2"]


def test_identify_reads_the_catalogue_title_and_size(catalogue):
    with DcatHarvester(source_for(catalogue)) as harvester:
        info = harvester.identify()
    assert (info.protocol, info.name, info.deleted_record) == ("dcat", "Alpha", "no")
    assert info.extra == {"syntax": "Turtle", "paging": "hydra", "total_items": COUNT,
                          "datasets_on_first_page": PAGE}


def test_the_harvester_is_registered_under_dcat():
    assert get_harvester("dcat") is DcatHarvester
    assert DcatHarvester.reports_deletions is False


# --- conditional requests -------------------------------------------------------------------------

def test_an_unchanged_catalogue_costs_one_request_and_yields_nothing(feed, catalogue):
    source = source_for(catalogue)
    with DcatHarvester(source) as first:
        assert len(identifiers(list(first.pages(HarvestRequest())))) == COUNT
    validators = first.validators
    assert set(validators) == {"etag", "last_modified"}
    assert validators["last_modified"] == "Mon, 01 Jan 2024 00:24:00 GMT"  # the newest, 24
    feed.requests.clear()

    with DcatHarvester(source, validators=validators) as second:
        assert list(second.pages(HarvestRequest())) == []
    assert second.not_modified and second.validators == validators
    assert [r["status"] for r in dcat_requests(feed)] == [304]

    feed.update([12], at=LATER)
    feed.requests.clear()
    with DcatHarvester(source, validators=validators) as third:
        pages = list(third.pages(HarvestRequest()))
    assert not third.not_modified and len(identifiers(pages)) == COUNT
    assert third.validators["etag"] != validators["etag"]
    assert [r["status"] for r in dcat_requests(feed)] == [200, 200, 200]


def test_if_modified_since_alone_is_enough(feed, catalogue):
    with DcatHarvester(source_for(catalogue)) as first:
        list(first.pages(HarvestRequest()))
    since = {"last_modified": first.validators["last_modified"]}
    feed.requests.clear()
    assert harvest(source_for(catalogue), validators=since) == []
    assert [r["status"] for r in dcat_requests(feed)] == [304]


def test_a_resumed_run_never_skips_on_validators(feed, catalogue):
    source = source_for(catalogue)
    with DcatHarvester(source) as first:
        pages = list(first.pages(HarvestRequest()))
    with DcatHarvester(source, validators=first.validators) as resumed:
        rest = list(resumed.pages(HarvestRequest(resume=pages[0].checkpoint)))
    assert len(identifiers(rest)) == COUNT - PAGE and resumed.validators is None


def test_the_pipeline_writes_nothing_for_an_unchanged_catalogue(sqlite_url, feed, catalogue,
                                                                 monkeypatch):
    """Until HarvestRequest carries validators, the harvester is handed them directly here."""
    store = Store.open(sqlite_url)
    source = source_for(catalogue)
    harvest_source(store, source, progress=False)
    with DcatHarvester(source) as probe:
        list(probe.pages(HarvestRequest()))

    class Remembering(DcatHarvester):
        def __init__(self, source: SourceConfig) -> None:
            super().__init__(source, validators=probe.validators)

    monkeypatch.setitem(HARVESTERS, "dcat", Remembering)
    before = [(r["identifier"], r["updated_at"]) for r in store.iter_records()]
    feed.requests.clear()
    report = harvest_source(store, source, progress=False)
    assert (report.status, report.pages, report.counts.seen) == ("succeeded", 0, 0)
    assert [r["status"] for r in dcat_requests(feed)] == [304]
    assert [(r["identifier"], r["updated_at"]) for r in store.iter_records()] == before


# --- through the pipeline -------------------------------------------------------------------------

def test_full_then_incremental_harvest_brings_only_the_changes(db_url, feed, catalogue):
    store = Store.open(db_url)
    source = source_for(catalogue)
    first = harvest_source(store, source, progress=False)
    c = first.counts
    assert (first.status, first.pages, c.seen, c.new, c.failed) == ("succeeded", 3, 25, 25, 0)
    assert store.state("alpha").watermark == START + timedelta(minutes=24)
    assert store.counts()["alpha"] == {"live": 25, "deleted": 0, "unmapped": 0}

    feed.update([3, 7, 11], at=LATER)
    second = harvest_source(store, source, progress=False)
    c = second.counts
    assert (second.mode, second.window_from) == ("incremental", START + timedelta(minutes=24))
    assert (c.seen, c.new, c.updated, c.unchanged, c.deleted) == (4, 0, 3, 1, 0)
    assert store.state("alpha").watermark == LATER
    titles = {r["identifier"]: r["record"]["titles"][0]["value"] for r in store.iter_records()}
    assert titles[sim_id(3)].endswith("(v2)")

    again = harvest_source(store, source, full=True, progress=False)
    assert (again.counts.seen, again.counts.unchanged, again.counts.new) == (25, 25, 0)


def test_a_dataset_that_vanished_is_tombstoned_by_a_full_harvest(sqlite_url, feed, catalogue):
    store = Store.open(sqlite_url)
    source = source_for(catalogue)
    harvest_source(store, source, progress=False)
    feed.delete([5, 6], at=LATER)
    incremental = harvest_source(store, source, progress=False)
    assert incremental.counts.deleted == 0  # nothing says so, and the list was not complete
    full = harvest_source(store, source, full=True, progress=False)
    assert full.counts.deleted == 2
    assert store.counts()["alpha"] == {"live": 23, "deleted": 2, "unmapped": 0}
    gone = {r["identifier"] for r in store.iter_records(include_deleted=True) if r["deleted"]}
    assert gone == {sim_id(5), sim_id(6)}


def test_remap_from_stored_payloads_changes_nothing(sqlite_url, catalogue):
    """The mapper reads the stored N-Triples exactly as it read the harvester's parsed graph."""
    store = Store.open(sqlite_url)
    harvest_source(store, source_for(catalogue), progress=False)
    report = remap(store, ["alpha"], progress=False)
    assert (report.seen, report.changed, report.failed) == (COUNT, 0, 0)


def test_a_window_keeps_the_datasets_modified_inside_it(catalogue):
    request = HarvestRequest(window_from=START + timedelta(minutes=10),
                             window_until=START + timedelta(minutes=19))
    pages = harvest(source_for(catalogue), request)
    assert sorted(identifiers(pages)) == sorted(sim_id(i) for i in range(10, 20))
    assert len(pages) == 3 and pages[-1].checkpoint is None


# --- what a partner may get wrong -----------------------------------------------------------------

def test_an_html_page_or_a_truncated_page_is_fetched_again(feed, catalogue):
    feed.faults.html_instead = 1
    feed.faults.truncate = 1
    feed.faults.after_pages = 1
    pages = harvest(source_for(catalogue, max_retries=3))
    assert len(set(identifiers(pages))) == COUNT
    assert len(dcat_requests(feed)) == 5


def test_a_page_that_stays_broken_is_reported_with_its_url(feed, catalogue):
    feed.faults.truncate = 5
    with pytest.raises(UnparseableResponseError, match="not well-formed Turtle.*still so after "
                                                       "3 attempt") as caught:
        harvest(source_for(catalogue, max_retries=2))
    assert caught.value.url == catalogue


def test_an_oversize_page_is_refused_with_the_bound(catalogue):
    source = source_for(catalogue)
    client = HttpClient.from_source(source, page_size_limit_mb=1 / 64)  # a page is ~35 kB
    with pytest.raises(ResponseTooLargeError, match="page_size_limit_mb bound of 0.015625 MB") \
            as e:
        harvest(source, client=client)
    assert e.value.url == catalogue


def test_a_remote_jsonld_context_is_refused_without_a_request_for_it():
    document = json.dumps({"@context": "https://schema.org/",
                           "@graph": [{"@id": "http://example.org/ds/1", "@type": "Dataset",
                                       "name": "A dataset"}]}).encode()
    with answering(lambda path: (200, "application/ld+json", document)) as server:
        with pytest.raises(UnparseableResponseError,
                           match="remote context https://schema.org/, which is not fetched"):
            harvest(source_for(server.url))
        assert server.seen == ["/catalog"]  # refused at once: fetching again would not help


def test_the_simulators_jsonld_context_has_a_local_copy_and_its_terms(catalogue):
    document = requests.get(f"{catalogue}.jsonld", timeout=10).json()
    assert document["@context"][0] == DCAT_AP_CONTEXT
    copy = local_context(DCAT_AP_CONTEXT)
    assert copy is not None and local_context(DCAT_AP_CONTEXT.replace("https", "http")) == copy
    for cls, (term, properties) in JSONLD_TERMS.items():
        assert copy[term]["@id"] == str(cls)
        for predicate, name in properties.items():
            assert copy[term]["@context"][name]["@id"] == str(predicate), (term, name)
    types = {t for node in document["@graph"] for t in node.get("@type", [])}
    assert {"Catalogue", "Dataset", "Distribution"} <= types


def test_rdf_xml_declaring_entities_is_refused_at_once():
    body = (b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY x "y">]>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    with answering(lambda path: (200, "application/rdf+xml", body)) as server:
        with pytest.raises(UnparseableResponseError, match="declares a DTD"):
            harvest(source_for(server.url))
        assert len(server.seen) == 1


def test_a_client_error_names_its_status():
    with answering(lambda path: (404, "text/plain", b"gone")) as server:
        with pytest.raises(Exception, match="answered HTTP 404"):
            harvest(source_for(server.url))


def test_a_304_to_a_plain_request_is_a_protocol_violation():
    with answering(lambda path: (304, "text/turtle", b"")) as server:
        with pytest.raises(ProtocolViolationError, match="not conditional"):
            harvest(source_for(server.url))


# --- datasets cut out of a page -------------------------------------------------------------------

BLANK_NODE_CATALOGUE = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<http://example.org/catalog> a dcat:Catalog ; dcat:dataset [
    a dcat:Dataset ; dct:title "Rainfall"@en ;
    dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <http://example.org/r.csv> ] ] ,
  [ a dcat:Dataset ; dct:title "Soil"@en ; dct:identifier "soil-1" ] .
"""


def test_a_blank_node_dataset_gets_an_id_from_its_content():
    def records(text: str):
        graph = Graph().parse(data=text, format="turtle")
        return {r.identifier: r for r in dataset_records(graph, "http://example.org/")[0]}

    first, again = records(BLANK_NODE_CATALOGUE), records(BLANK_NODE_CATALOGUE)
    assert first.keys() == again.keys()  # fresh blank-node labels, same ids and bytes
    assert all(first[k].payload == again[k].payload for k in first)
    rainfall = next(k for k in first if k.startswith(BNODE_PREFIX))
    assert rainfall == BNODE_PREFIX + hashlib.sha256(first[rainfall].payload).hexdigest()[:32]
    assert "soil-1" in first
    changed = records(BLANK_NODE_CATALOGUE.replace('"Rainfall"', '"Rain"'))
    assert rainfall not in changed and "soil-1" in changed


def test_a_payload_holds_the_dataset_and_what_it_reaches_but_not_other_datasets():
    text = """
    @prefix dcat: <http://www.w3.org/ns/dcat#> .
    @prefix dct: <http://purl.org/dc/terms/> .
    @prefix foaf: <http://xmlns.com/foaf/0.1/> .
    <http://ex.org/cat> a dcat:Catalog ; dct:title "Catalogue" ; dcat:dataset <http://ex.org/a> .
    <http://ex.org/a> a dcat:Dataset ; dct:title "A" ; dct:publisher <http://ex.org/org> ;
        dct:hasPart <http://ex.org/b> ; dct:isPartOf <http://ex.org/cat> .
    <http://ex.org/org> foaf:name "Org" .
    <http://ex.org/b> a dcat:Dataset ; dct:title "B" .
    """
    graph = Graph().parse(data=text, format="turtle")
    records = {r.identifier: r.payload.decode() for r in dataset_records(graph, "x")[0]}
    assert set(records) == {"http://ex.org/a", "http://ex.org/b"}
    assert '"Org"' in records["http://ex.org/a"] and '"A"' in records["http://ex.org/a"]
    assert '"B"' not in records["http://ex.org/a"] and '"Catalogue"' not in records[
        "http://ex.org/a"]
    assert records["http://ex.org/a"].endswith(" .\n")
    assert records["http://ex.org/a"].splitlines() == sorted(records["http://ex.org/a"]
                                                             .splitlines())


def test_a_dataset_whose_iris_rdflib_cannot_write_fails_alone():
    from rdflib import Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, RDF

    from harvesters.dcat import dataset_records

    ex = Namespace("https://data.example.org/")
    graph = Graph()
    for name in ("good", "bad"):
        graph.add((ex[name], RDF.type, DCAT.Dataset))
        graph.add((ex[name], DCTERMS.title, Literal(f"The {name} dataset")))
    # A JSON-LD "@id" with a space parses into an IRI that N-Triples cannot carry.
    graph.add((ex["bad"], DCAT.landingPage, URIRef("https://data.example.org/a page")))
    records, failed = dataset_records(graph, "https://data.example.org/catalog")
    assert [r.identifier for r in records] == ["https://data.example.org/good"]
    assert [f.identifier for f in failed] == ["https://data.example.org/bad"]
    assert failed[0].reason.startswith("The dataset's description cannot be written as "
                                       "N-Triples")
    assert failed[0].url == "https://data.example.org/catalog"
