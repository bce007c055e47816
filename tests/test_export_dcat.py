"""The DCAT-AP 3 exports: each syntax parses back to the same graph, which passes the SHACL shapes.

Shapes: DCAT-AP 3.0.1 `shacl_split/shapes.ttl` (every constraint except class ranges) together
with `shacl_split/range.ttl` (the class ranges). The range shapes pass without the vocabularies
because the export types every node it points to. `mdr-vocabularies.shape.ttl` is not used: it
checks `skos:inScheme` of EU authority tables that are not in the conformance folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from test_export_datacite_xml import (
    CLEAN_TITLE,
    corpus_items,
    empty_record,
    example,
    export,
    export_peak,
    hostile_record,
    item,
)

from exporters.base import ExportOptions
from exporters.dcat import (
    ADMS,
    DCAT,
    DCT,
    FOAF,
    RDF,
    SKOS,
    VCARD,
    XSD,
    DcatJsonLdExporter,
    DcatRdfXmlExporter,
    DcatTurtleExporter,
    catalogue_iri,
    catalogue_triples,
    dataset_graph,
    dataset_iri,
)

SYNTAXES = [(DcatTurtleExporter, "turtle"), (DcatRdfXmlExporter, "xml"),
            (DcatJsonLdExporter, "json-ld")]
OPTIONS = ExportOptions()
SHACL = "A_schemas/dcat-ap/3.0.1/shacl_split"
# rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")


@pytest.fixture(scope="session")
def dcat_ap_shapes(conformance: Path) -> Graph:
    shapes = Graph()
    for name in ("shapes.ttl", "range.ttl"):
        shapes.parse(conformance / SHACL / name, format="turtle")
    return shapes


def parse(text: str, syntax: str) -> Graph:
    graph = Graph()
    graph.parse(data=text, format=syntax)
    return graph


def expected_graph(items, options: ExportOptions = OPTIONS) -> Graph:
    graph = Graph()
    for triple in catalogue_triples(options):
        graph.add(triple)
    for entry in items:
        if not entry.deleted:
            graph += dataset_graph(entry.record, entry.id, options)
            graph.add((catalogue_iri(options), DCAT["dataset"], dataset_iri(entry.id, options)))
    return graph


def assert_conforms(graph: Graph, shapes: Graph) -> None:
    conforms, _, report = pyshacl.validate(graph, shacl_graph=shapes, advanced=True)
    assert conforms, report[:4000]


def one(graph: Graph, subject, predicate):
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


# --- every record, every syntax ----------------------------------------------------------------

def ground(graph: Graph) -> set:
    """The triples without blank nodes: comparable across parses as they are."""
    return {t for t in graph if not any(isinstance(term, BNode) for term in t)}


@pytest.mark.parametrize(("exporter_class", "syntax"), SYNTAXES, ids=lambda v: getattr(v, "name", v))
def test_each_record_parses_back_to_exactly_its_dataset_graph(conformance, exporter_class, syntax):
    # One document per record: graph isomorphism is affordable on small graphs only.
    for entry in corpus_items():
        graph = parse(export(exporter_class, [entry]), syntax)
        assert isomorphic(graph, expected_graph([entry])), entry.id


@pytest.mark.parametrize(("exporter_class", "syntax"), SYNTAXES, ids=lambda v: getattr(v, "name", v))
def test_the_whole_corpus_in_one_document_passes_the_shapes(
        conformance, dcat_ap_shapes, exporter_class, syntax):
    items = corpus_items()
    items.insert(5, item(None, "gone", deleted=True))
    graph = parse(export(exporter_class, items), syntax)

    expected = expected_graph(items)
    assert len(graph) == len(expected)
    assert ground(graph) == ground(expected)
    datasets = set(graph.subjects(RDF["type"], DCAT["Dataset"]))
    assert len(datasets) == len(items) - 1  # the deleted item is left out: DCAT has no tombstone
    assert dataset_iri("gone", OPTIONS) not in datasets
    assert set(graph.objects(catalogue_iri(OPTIONS), DCAT["dataset"])) == datasets
    assert_conforms(graph, dcat_ap_shapes)


def test_the_shapes_do_catch_a_missing_mandatory_property(conformance, dcat_ap_shapes):
    """The validation above is not vacuous: the mandatory properties are checked."""
    graph = dataset_graph(example("kernel-4.6/example/datacite-example-full-v4.xml"), "x")
    dataset = dataset_iri("x", OPTIONS)
    graph.remove((dataset, DCT["description"], None))
    distribution = next(graph.objects(dataset, DCAT["distribution"]))
    graph.remove((distribution, DCAT["accessURL"], None))
    graph.add((dataset, DCT["language"], Literal("en")))
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=dcat_ap_shapes)
    assert not conforms
    paths = set(report.objects(None, URIRef("http://www.w3.org/ns/shacl#resultPath")))
    assert {DCT["description"], DCAT["accessURL"], DCT["language"]} <= paths


# --- concrete values -----------------------------------------------------------------------------

def test_the_full_example_keeps_titles_doi_creators_and_licence(conformance):
    graph = parse(export(DcatTurtleExporter, [item(
        example("kernel-4.7/example/datacite-example-full-v4.xml"), "os10:full")]), "turtle")
    dataset = dataset_iri("os10:full", OPTIONS)
    assert str(dataset) == "https://catalogue.os10.example.org/dataset/os10:full"
    assert Literal("Example Title", lang="en") in set(graph.objects(dataset, DCT["title"]))
    assert one(graph, dataset, DCT["identifier"]) == Literal("https://doi.org/10.82433/b09z-4k37")
    identifier = next(i for i in graph.objects(dataset, ADMS["identifier"])
                      if (i, ADMS["schemeAgency"], Literal("DataCite")) in graph)
    assert one(graph, identifier, SKOS["notation"]) == Literal(
        "https://doi.org/10.82433/b09z-4k37", datatype=XSD["anyURI"])

    orcid = URIRef("https://orcid.org/0000-0001-5727-2427")
    assert orcid in set(graph.objects(dataset, DCT["creator"]))
    assert (orcid, RDF["type"], FOAF["Agent"]) in graph
    assert (orcid, FOAF["familyName"], Literal("ExampleFamilyName")) in graph

    assert one(graph, dataset, DCT["issued"]) == Literal("2024-01-01", datatype=XSD["date"])
    language = URIRef("http://publications.europa.eu/resource/authority/language/ENG")
    assert one(graph, dataset, DCT["language"]) == language
    assert (language, RDF["type"], DCT["LinguisticSystem"]) in graph
    assert one(graph, dataset, DCAT["landingPage"]) == URIRef(
        "https://doi.org/10.82433/b09z-4k37")

    licence = URIRef("https://creativecommons.org/licenses/by/4.0/")
    distributions = list(graph.objects(dataset, DCAT["distribution"]))
    assert distributions
    for distribution in distributions:
        assert one(graph, distribution, DCT["license"]) == licence
        assert one(graph, distribution, DCAT["accessURL"]) == URIRef(
            "https://doi.org/10.82433/b09z-4k37")
    assert (licence, RDF["type"], DCT["LicenseDocument"]) in graph
    assert one(graph, dataset, DCAT["version"]) == Literal("1")


def test_every_language_variant_of_a_multilingual_record_keeps_its_tag(conformance):
    record = example("kernel-4.6/example/datacite-example-multilingual-v4.xml")
    graph = dataset_graph(record, "multi")
    titles = set(graph.objects(dataset_iri("multi", OPTIONS), DCT["title"])) | set(
        graph.objects(dataset_iri("multi", OPTIONS), DCT["alternative"]))
    assert {(str(t), t.language) for t in titles} == {
        (t.value, t.lang) for t in record.titles}
    assert len({t.language for t in titles}) > 1


def test_place_and_period_are_typed_nodes(conformance):
    graph = dataset_graph(example("kernel-4.6/example/datacite-example-full-v4.xml"), "geo")
    dataset = dataset_iri("geo", OPTIONS)
    location = one(graph, dataset, DCT["spatial"])
    assert (location, RDF["type"], DCT["Location"]) in graph
    bbox = one(graph, location, DCAT["bbox"])
    assert str(bbox).startswith("POLYGON((") and bbox.datatype == URIRef(
        "http://www.opengis.net/ont/geosparql#wktLiteral")


def test_contact_emails_are_written_only_when_asked_for(conformance):
    record = hostile_record()
    dataset = dataset_iri("h", OPTIONS)
    for include, expected in ((False, set()), (True, {URIRef("mailto:desk@example.org")})):
        graph = dataset_graph(record, "h", ExportOptions(include_emails=include))
        contacts = list(graph.objects(dataset, DCAT["contactPoint"]))
        assert any((c, VCARD["fn"], Literal("Desk & <co>")) in graph for c in contacts)
        assert set(graph.objects(None, VCARD["hasEmail"])) == expected


# --- hostile input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("exporter_class", "syntax"), SYNTAXES, ids=lambda v: getattr(v, "name", v))
def test_hostile_literals_and_iris_survive_every_syntax(conformance, dcat_ap_shapes,
                                                       exporter_class, syntax):
    entry = item(hostile_record(), 'odd id/with "quotes" & <markup>')
    text = export(exporter_class, [entry])
    graph = parse(text, syntax)
    dataset = dataset_iri(entry.id, OPTIONS)
    assert str(dataset) == ("https://catalogue.os10.example.org/dataset/"
                            "odd%20id%2Fwith%20%22quotes%22%20%26%20%3Cmarkup%3E")
    # Quotes, backslashes, CR/LF, tabs and "]]>" come back exactly; control characters that
    # RDF/XML cannot carry are U+FFFD in every syntax, so that the three say the same thing.
    assert Literal(CLEAN_TITLE, lang="en") in set(graph.objects(dataset, DCT["title"]))
    assert Literal("Line one\n\nLine two <p> & \"x\" ]]>", lang="en") in set(
        graph.objects(dataset, DCT["description"]))
    assert one(graph, dataset, DCAT["landingPage"]) == URIRef(
        "https://example.org/landing%20page?q=%22x%22&r=%3Cy%3E")
    assert "<https://example.org/landing page" not in text and "landing page?" not in text
    creator = one(graph, dataset, DCT["creator"])
    assert one(graph, creator, FOAF["name"]) == Literal('O\'Brien, "Pat" <pat@x> & Co ]]>')
    assert one(graph, dataset, DCAT["version"]) == Literal("v1 <beta>")
    # Unparseable dates are left out rather than written as ill-typed literals.
    assert one(graph, dataset, DCT["issued"]) == Literal("2021-02-03", datatype=XSD["date"])
    assert list(graph.objects(dataset, DCT["modified"])) == []
    assert one(graph, dataset, DCT["accessRights"]) == URIRef(
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC")
    landing = URIRef("https://example.org/landing%20page?q=%22x%22&r=%3Cy%3E")
    files, bare = sorted(graph.objects(dataset, DCAT["distribution"]),
                         key=lambda d: (d, DCAT["byteSize"], None) not in graph)
    # A distribution without a URL of its own is reached through the landing page.
    assert one(graph, bare, DCAT["accessURL"]) == landing
    distribution = files
    assert one(graph, distribution, DCAT["accessURL"]) == URIRef(
        "https://example.org/files/a%20b.csv")
    assert one(graph, distribution, DCAT["byteSize"]) == Literal(
        "1234", datatype=XSD["nonNegativeInteger"])
    assert one(graph, distribution, DCT["format"]) == URIRef(
        "http://publications.europa.eu/resource/authority/file-type/CSV")
    assert one(graph, distribution, DCAT["mediaType"]) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv")
    assert isinstance(one(graph, dataset, DCT["publisher"]), BNode | URIRef)
    assert isomorphic(graph, expected_graph([entry]))
    assert_conforms(graph, dcat_ap_shapes)


def test_a_record_without_title_or_description_gets_the_placeholder(conformance, dcat_ap_shapes):
    graph = parse(export(DcatJsonLdExporter, [item(empty_record(), "e")]), "json-ld")
    dataset = dataset_iri("e", OPTIONS)
    assert one(graph, dataset, DCT["title"]) == Literal("(:unav)")
    assert one(graph, dataset, DCT["description"]) == Literal("(:unav)")
    assert one(graph, dataset, DCT["identifier"]) == Literal("hdl:20.500.12345/67")
    assert_conforms(graph, dcat_ap_shapes)


def test_json_ld_writes_one_node_object_per_record(conformance):
    items = [item(example("kernel-4.6/example/datacite-example-full-v4.xml"), f"n{k}")
             for k in range(3)]
    document = json.loads(export(DcatJsonLdExporter, items))
    assert set(document) == {"@context", "@graph"}
    catalogue, *datasets = document["@graph"]
    assert catalogue["@type"] == "dcat:Catalog"
    assert [d["@id"] for d in datasets] == [str(dataset_iri(i.id, OPTIONS)) for i in items]
    assert all(d["@reverse"] == {"dcat:dataset": {"@id": str(catalogue_iri(OPTIONS))}}
               for d in datasets)


# --- streaming -----------------------------------------------------------------------------------

@pytest.mark.parametrize("exporter_class", [s[0] for s in SYNTAXES], ids=lambda c: c.name)
def test_memory_stays_flat_over_twenty_thousand_items(conformance, exporter_class):
    peak, written = export_peak(exporter_class, 20_000)
    assert written > 50_000_000
    assert peak < 1_000_000
