"""The DCAT catalogue endpoint over real HTTP on 127.0.0.1: Hydra paging, modified_since, formats by
suffix and by Accept, and argument errors."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from rdflib import RDF, Graph, Namespace, URIRef

from exporters.base import ExportOptions
from provider import ProviderConfig, ProviderServer
from provider.catalog import RDF_FORMATS, negotiate
from schemas import Creator, Identifier, Publisher, Record, ResourceType, Title
from store import Store
from store.merged import MergedWrite, MergeUnitWrite

# Open namespaces: pytest probes module globals, and rdflib's closed ones warn on unknown names.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
BASE = "https://catalogue.node-a.example.org"


def a_record(n: int, title: str | None = None) -> Record:
    return Record(identifier=Identifier(value=f"10.5555/catalog-{n}", type="DOI"),
                  creators=[Creator(name="Haddad, Omar")],
                  titles=[Title(value=title or f"Rainfall series {n}", lang="en")],
                  publisher=Publisher(name="Beta Observatory"), publication_year=2022,
                  resource_type=ResourceType(general="Dataset"))


def put(store: Store, entries: list[tuple[str, Record | None]]) -> None:
    writes = []
    for merged_id, record in entries:
        data = record.model_dump(mode="json", exclude_none=True) if record else None
        writes.append(MergedWrite(
            merged_id=merged_id, record=data, field_provenance={}, sources=["beta"],
            members=[("beta", f"oai:beta:{merged_id}")], sets=["source:beta"],
            deleted=record is None,
            content_sha256=hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()))
    store.write_merge_unit(MergeUnitWrite(record_ids=[], links=[], merged=writes, redirects={},
                                          claimed=[]))


@pytest.fixture
def store(db_url, monkeypatch) -> Store:
    """Seven live datasets d0..d6 and a tombstone d7, each written a minute after the last."""
    store = Store.open(db_url)
    entries = [(f"d{n}", a_record(n)) for n in range(7)] + [("d7", None)]
    for minute, entry in enumerate(entries):
        with monkeypatch.context() as patch:
            patch.setattr("store.merged._now", lambda m=minute: T0 + timedelta(minutes=m))
            put(store, [entry])
    yield store
    store.close()


@pytest.fixture
def server(store):
    config = ProviderConfig(catalogue_page_size=3, export=ExportOptions(base_url=BASE))
    with ProviderServer(store, config) as server:
        yield server


def fetch(url: str, **headers) -> tuple[httpx.Response, Graph]:
    response = httpx.get(url, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    kind = response.headers["content-type"].split(";")[0]
    fmt = next(f for f in RDF_FORMATS if f.media_type == kind)
    return response, Graph().parse(data=response.content, format=fmt.rdflib_name)


def datasets(graph: Graph) -> list[str]:
    return sorted(str(d).rsplit("/", 1)[1] for d in graph.objects(None, DCAT.dataset))


def view(graph: Graph) -> URIRef:
    return next(graph.subjects(RDF.type, HYDRA.PartialCollectionView))


def link(graph: Graph, predicate: URIRef) -> str | None:
    found = graph.value(view(graph), predicate)
    return None if found is None else str(found)


def page_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["page"][0]


def test_a_page_is_the_catalogue_its_datasets_and_a_hydra_view(server):
    response, graph = fetch(server.url + "/catalog.ttl")
    catalogue = URIRef(f"{BASE}/catalogue")
    assert (catalogue, RDF.type, DCAT.Catalog) in graph
    assert graph.value(catalogue, DCTERMS.title) is not None
    assert datasets(graph) == ["d0", "d1", "d2"]
    assert (URIRef(f"{BASE}/dataset/d0"), RDF.type, DCAT.Dataset) in graph
    assert str(graph.value(URIRef(f"{BASE}/dataset/d1"), DCTERMS.title)) == "Rainfall series 1"
    assert int(graph.value(catalogue, HYDRA.totalItems)) == 7
    assert int(graph.value(view(graph), HYDRA.totalItems)) == 7
    assert int(graph.value(view(graph), HYDRA.itemsPerPage)) == 3
    assert page_of(link(graph, HYDRA.first)) == "1"
    assert page_of(link(graph, HYDRA.next)) == "2"
    assert page_of(link(graph, HYDRA.last)) == "3"
    assert link(graph, HYDRA.previous) is None
    assert 'rel="next"' in response.headers["link"]


def test_following_next_links_gives_every_live_dataset_once(server):
    url, seen, pages = server.url + "/catalog.ttl", [], 0
    while url:
        _, graph = fetch(url)
        seen += datasets(graph)
        pages += 1
        url = link(graph, HYDRA.next)
    assert (sorted(seen), pages) == ([f"d{n}" for n in range(7)], 3)  # no tombstone d7


def test_next_links_miss_nothing_while_the_catalogue_changes(server, store):
    _, graph = fetch(server.url + "/catalog.ttl")
    put(store, [("d4", a_record(4, title="Revised")), ("d8", a_record(8))])
    seen, url = datasets(graph), link(graph, HYDRA.next)
    while url:
        _, graph = fetch(url)
        seen += datasets(graph)
        url = link(graph, HYDRA.next)
    assert sorted(seen) == ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d8"]


def test_a_page_asked_by_number_counts_from_the_start(server):
    _, graph = fetch(server.url + "/catalog.ttl?page=3")
    assert datasets(graph) == ["d6"]
    assert page_of(link(graph, HYDRA.previous)) == "2"
    assert link(graph, HYDRA.next) is None


def test_modified_since_keeps_what_changed_at_or_after_it(server):
    _, graph = fetch(server.url + "/catalog.ttl?modified_since=2024-03-01T12:03:00Z")
    assert datasets(graph) == ["d3", "d4", "d5"]
    assert int(graph.value(view(graph), HYDRA.totalItems)) == 4
    assert parse_qs(urlsplit(link(graph, HYDRA.next)).query)["modified_since"] == [
        "2024-03-01T12:03:00Z"]
    _, graph = fetch(server.url + "/catalog.ttl?modified_since=2024-03-02")
    assert datasets(graph) == []
    assert int(graph.value(view(graph), HYDRA.totalItems)) == 0


@pytest.mark.parametrize(("path", "accept", "media_type"), [
    ("/catalog.ttl", None, "text/turtle"),
    ("/catalog.rdf", None, "application/rdf+xml"),
    ("/catalog.jsonld", None, "application/ld+json"),
    ("/catalog", None, "text/turtle"),
    ("/catalog", "*/*", "text/turtle"),
    ("/catalog", "application/ld+json", "application/ld+json"),
    ("/catalog", "text/html, application/rdf+xml;q=0.9, */*;q=0.8", "application/rdf+xml"),
    ("/catalog", "text/turtle;q=0.5, application/ld+json", "application/ld+json"),
])
def test_formats_by_suffix_and_by_accept(server, path, accept, media_type):
    response, graph = fetch(server.url + path, **({"Accept": accept} if accept else {}))
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert datasets(graph) == ["d0", "d1", "d2"]
    if path == "/catalog":
        assert response.headers["vary"] == "Accept"


def test_an_unacceptable_accept_header_gets_406(server):
    response = httpx.get(server.url + "/catalog", headers={"Accept": "text/html"}, timeout=10)
    assert response.status_code == 406
    assert "text/turtle" in response.text


@pytest.mark.parametrize(("query", "status"), [
    ("page=0", 400), ("page=two", 400), ("page=1&page=2", 400),
    ("modified_since=yesterday", 400), ("after=12", 400), ("page=4", 404),
])
def test_bad_arguments_are_400_and_pages_past_the_end_404(server, query, status):
    assert httpx.get(f"{server.url}/catalog.ttl?{query}", timeout=10).status_code == status


def test_negotiation_prefers_quality_then_order_and_wildcards_last():
    assert negotiate("").suffix == ".ttl"
    assert negotiate("application/json").suffix == ".jsonld"
    assert negotiate("*/*;q=1, application/rdf+xml;q=1").suffix == ".rdf"
    assert negotiate("text/turtle;q=0, */*;q=0.1").suffix == ".rdf"
    assert negotiate("image/png") is None
