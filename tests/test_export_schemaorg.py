"""The schema.org export: one JSON-LD object per line, shaped as dataset search engines read it.

There is no official validator here, so each line is checked twice: its structure against what
Google's Dataset guidelines ask for, and as JSON-LD that rdflib parses with a local stand-in for
the schema.org context (no remote context is ever fetched).
"""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF
from test_export_datacite_xml import (
    CLEAN_TITLE,
    corpus_items,
    empty_record,
    example,
    export,
    export_peak,
    hostile_record,
    item,
    simulated_records,
)

from exporters.base import ExportOptions
from exporters.dcat import dataset_iri
from exporters.schemaorg import SchemaOrgExporter, dataset_object
from schemas import ResourceType

SDO = Namespace("http://schema.org/")
# The few terms of https://schema.org/'s context that matter here: the vocabulary, and the
# properties whose values are IRIs rather than strings.
LOCAL_CONTEXT = {"@vocab": "http://schema.org/",
                 **{p: {"@type": "@id"} for p in ("url", "sameAs", "license", "contentUrl",
                                                  "citation", "isPartOf", "hasPart",
                                                  "isBasedOn")}}
SCHEMA_TYPES = {"Dataset", "SoftwareSourceCode", "ScholarlyArticle", "CreativeWork", "Report",
                "Book", "Chapter", "Thesis", "ImageObject", "VideoObject", "AudioObject",
                "Poster", "PresentationDigitalDocument"}
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")


def lines(text: str) -> list[dict]:
    assert text.endswith("\n") or text == ""
    return [json.loads(line) for line in text.splitlines()]


def as_graph(node: dict) -> Graph:
    local = {**node, "@context": LOCAL_CONTEXT}
    graph = Graph()
    graph.parse(data=json.dumps(local), format="json-ld")
    return graph


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


# --- structure of every line ---------------------------------------------------------------------

def assert_structure(node: dict) -> None:
    assert node["@context"] == "https://schema.org/"
    assert node["@type"] in SCHEMA_TYPES
    assert node["@id"].startswith("https://catalogue.os10.example.org/dataset/")
    assert isinstance(node.get("name", ""), str)
    for creator in node.get("creator", []):
        assert creator["@type"] in ("Person", "Organization") and creator["name"]
        if "@id" in creator:
            assert creator["@id"].startswith("https://")
        for affiliation in as_list(creator.get("affiliation", [])):
            assert affiliation["@type"] == "Organization"
    for identifier in as_list(node.get("identifier", [])):
        assert isinstance(identifier, str) or identifier["@type"] == "PropertyValue"
    for place in as_list(node.get("spatialCoverage", [])):
        assert place["@type"] == "Place"
        for geo in as_list(place.get("geo", [])):
            assert geo["@type"] in ("GeoShape", "GeoCoordinates")
            if "box" in geo:
                south, west, north, east = map(float, geo["box"].split())
                assert -90 <= south <= north <= 90 and -180 <= west <= 180
    for download in node.get("distribution", []):
        assert download["@type"] == "DataDownload" and download["contentUrl"].startswith("http")
    for licence in as_list(node.get("license", [])):
        assert isinstance(licence, str) and licence.startswith("http") or \
            licence["@type"] == "CreativeWork"
    if "temporalCoverage" in node:
        for interval in as_list(node["temporalCoverage"]):
            assert interval[:4].isdigit() or interval.startswith("../")


def test_every_record_is_one_line_of_valid_structured_json_ld(conformance):
    items = corpus_items()
    items.insert(2, item(None, "gone", deleted=True))
    text = export(SchemaOrgExporter, items)
    nodes = lines(text)
    assert len(nodes) == len(items) - 1  # the deletion is left out: schema.org has no tombstone
    assert [n["@id"] for n in nodes] == [  # the same IRI as the DCAT export's dataset
        str(dataset_iri(i.id, ExportOptions())) for i in items if not i.deleted]
    for entry, node in zip([i for i in items if not i.deleted], nodes, strict=True):
        assert_structure(node)
        graph = as_graph(node)
        subject = URIRef(node["@id"])
        assert (subject, RDF.type, SDO[node["@type"]]) in graph, entry.id
        if entry.record.main_title:
            assert (subject, SDO.name, None) in graph


def test_datasets_of_the_simulated_partner_have_what_google_asks_for(conformance):
    records = [r for r in simulated_records() if r.resource_type and
               r.resource_type.general == "Dataset"]
    assert records
    for record in records:
        node = dataset_object(record, "x")
        assert node["@type"] == "Dataset"
        assert node["name"] and 50 <= len(node["description"]) <= 5000
        assert node["url"].startswith("https://doi.org/10.5555/")
        assert node["creator"] and node["license"] and node["keywords"]
        assert node["includedInDataCatalog"]["@type"] == "DataCatalog"


# --- concrete values ---------------------------------------------------------------------------

def test_the_full_example_keeps_doi_orcid_licence_and_coverage(conformance):
    node = dataset_object(example("kernel-4.7/example/datacite-example-full-v4.xml"), "os10:full")
    assert node["@type"] == "Dataset"
    assert node["name"] == "Example Title"
    doi = "https://doi.org/10.82433/b09z-4k37"
    assert node["url"] == doi
    assert node["identifier"][0] == doi
    assert node["identifier"][1] == {"@type": "PropertyValue", "propertyID": "DOI",
                                     "value": "10.82433/b09z-4k37", "url": doi}
    assert doi in as_list(node["sameAs"])
    person = node["creator"][0]
    assert person == {
        "@type": "Person", "@id": "https://orcid.org/0000-0001-5727-2427",
        "sameAs": "https://orcid.org/0000-0001-5727-2427",
        "name": "ExampleFamilyName, ExampleGivenName", "givenName": "ExampleGivenName",
        "familyName": "ExampleFamilyName",
        "affiliation": {"@type": "Organization", "@id": "https://ror.org/04wxnsj81",
                        "name": "ExampleAffiliation"}}
    assert node["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert node["inLanguage"] == "en"
    assert node["datePublished"] == "2024-01-01" and node["dateModified"] == "2024-01-01"
    assert "2024-01-01/2024-12-31" in as_list(node["temporalCoverage"])
    assert node["version"] == "1"
    assert node["funder"]["name"] == "Example Funder"
    # What the dataset supplements or cites is offered as a citation.
    assert "https://arxiv.org/abs/arXiv:0706.0001" in node["citation"]
    assert "http://www.heatflow.und.edu/index2.html" in node["citation"]

    graph = as_graph(node)
    subject = URIRef(node["@id"])
    assert (subject, SDO.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in graph
    assert (subject, SDO.creator, URIRef("https://orcid.org/0000-0001-5727-2427")) in graph


def test_places_are_boxes_and_points(conformance):
    node = dataset_object(example("kernel-4.6/example/datacite-example-full-v4.xml"), "g")
    place = as_list(node["spatialCoverage"])[0]
    kinds = {g["@type"] for g in as_list(place["geo"])}
    assert kinds <= {"GeoShape", "GeoCoordinates"} and kinds


def test_software_is_not_described_as_a_dataset(conformance):
    node = dataset_object(example("kernel-4.4/example/datacite-example-software-v4.xml"), "s")
    assert node["@type"] == "SoftwareSourceCode"
    assert "distribution" not in node and "includedInDataCatalog" not in node


def test_access_rights_say_whether_it_is_free(conformance):
    record = hostile_record()
    assert dataset_object(record, "h")["isAccessibleForFree"] is True
    record.access_rights = "http://purl.org/coar/access_right/c_14cb"
    assert dataset_object(record, "h")["isAccessibleForFree"] is False
    record.access_rights = None
    assert "isAccessibleForFree" not in dataset_object(record, "h")  # unknown: not claimed


# --- hostile input -----------------------------------------------------------------------------

def test_hostile_text_stays_inside_its_json_string(conformance):
    record = hostile_record()
    assert dataset_object(record)["@type"] == "Poster"  # its resourceTypeGeneral
    record.resource_type = ResourceType(general="Dataset")
    text = export(SchemaOrgExporter, [item(record, 'id "x" </script>')])
    assert text.count("\n") == 1  # newlines in values never break the line
    assert "<" not in text  # so the line is safe inside an HTML <script> element
    node = lines(text)[0]
    assert node["@id"].endswith("/dataset/id%20%22x%22%20%3C%2Fscript%3E")
    assert node["name"] == CLEAN_TITLE
    assert node["creator"][0]["name"] == 'O\'Brien, "Pat" <pat@x> & Co ]]>'
    assert "inLanguage" in node and node["inLanguage"] == "en-GB"
    assert node["url"] == "https://example.org/landing%20page?q=%22x%22&r=%3Cy%3E"
    # The distribution without a URL of its own is no use to a crawler and is left out.
    assert node["distribution"] == [{
        "@type": "DataDownload", "contentUrl": "https://example.org/files/a%20b.csv",
        "encodingFormat": "text/csv", "contentSize": "1234 B"}]
    graph = as_graph(node)
    assert (URIRef(node["@id"]), SDO.name, Literal(CLEAN_TITLE)) in graph


def test_a_record_with_nothing_but_an_identifier_is_still_an_object(conformance):
    node = dataset_object(empty_record(), "e")
    assert node["@type"] == "Dataset" and "name" not in node
    assert node["identifier"] == {"@type": "PropertyValue", "propertyID": "Handle",
                                  "value": "hdl:20.500.12345/67",
                                  "url": "https://hdl.handle.net/20.500.12345/67"}
    assert len(as_graph(node)) >= 2


def test_memory_stays_flat_over_twenty_thousand_items(conformance):
    peak, written = export_peak(SchemaOrgExporter, 20_000)
    assert written > 30_000_000
    assert peak < 1_000_000
