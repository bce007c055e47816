"""The DataCite XML export: every <resource> validates against kernel 4.6, whatever the record.

The corpus builders here (official examples, simulated partners, hostile records, a flat-memory
harness) are shared with the DCAT and schema.org export tests.
"""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import pytest
from conftest import CONFORMANCE
from lxml import etree

import safexml
from exporters import EXPORTERS, get_exporter
from exporters.base import ExportItem, ExportOptions
from exporters.datacite_xml import (
    CATALOGUE_ID_TYPE,
    CATALOGUE_NS,
    KERNEL,
    DataCiteXmlExporter,
    resource_element,
)
from mappers import MapContext, get_mapper
from schemas import (
    AlternateIdentifier,
    ContactPoint,
    Creator,
    Date,
    Description,
    Distribution,
    GeoBox,
    GeoLocation,
    GeoPoint,
    Identifier,
    NameIdentifier,
    Publisher,
    Record,
    RelatedIdentifier,
    ResourceType,
    Rights,
    Subject,
    Title,
)
from simulator import records as simulated

STAMP = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
DATACITE = CONFORMANCE / "A_schemas" / "datacite"
EXAMPLE_GLOBS = ("kernel-3/example/*.xml", "kernel-4.4/example/*.xml", "kernel-4.5/example/*.xml",
                 "kernel-4.6/example/*.xml", "kernel-4.7/example/*.xml",
                 "oai_datacite/*/example/*.xml")
D = f"{{{KERNEL}}}"
NS = {"d": KERNEL, "c": CATALOGUE_NS}

# Everything a title can hold that XML, Turtle or JSON could choke on.
HOSTILE_TITLE = 'A <b>&amp;</b> "quoted" ]]> \\ """triple""" \x01\x0b end\r\nsecond line\ttab'
CLEAN_TITLE = 'A <b>&amp;</b> "quoted" ]]> \\ """triple""" \ufffd\ufffd end\r\nsecond line\ttab'


# --- corpus builders (shared with the other export tests) -----------------------------------------

def context(name: str, metadata_format: str) -> MapContext:
    return MapContext(source_id="example", source_identifier=name,
                      metadata_format=metadata_format, harvested_at=STAMP, raw_sha256="0" * 64)


@lru_cache(maxsize=1)
def example_records() -> tuple[tuple[str, Record], ...]:
    """Every official DataCite example (kernels 3 to 4.7, oai_datacite) mapped to a Record."""
    paths = sorted(p for pattern in EXAMPLE_GLOBS for p in DATACITE.glob(pattern))
    return tuple((str(p.relative_to(DATACITE)),
                  get_mapper("datacite")(p.read_bytes(), context(p.name, "datacite")))
                 for p in paths)


def example(name: str) -> Record:
    return dict(example_records())[name]


@lru_cache(maxsize=4)
def simulated_records(count: int = 40) -> tuple[Record, ...]:
    """Records of a simulated partner in both of its formats, some with illegal characters."""
    out = []
    for index in range(count):
        for prefix in ("oai_datacite", "oai_dc"):
            payload = simulated.render(prefix, key="alpha", seed=7, index=index,
                                       tainted=index % 7 == 3)
            repaired, _ = safexml.repair(payload.encode())  # as the harvester does
            out.append(get_mapper(prefix)(repaired, context(
                simulated.identifier("alpha", index), prefix)))
    return tuple(out)


def hostile_record() -> Record:
    """Markup, quotes, CDATA ends, control characters, bad tags, bad URLs and 4.7-only values."""
    return Record(
        identifier=Identifier(value="10.1234/<odd>&\"id\"]]>", type="DOI"),
        alternate_identifiers=[AlternateIdentifier(value="local <1> & \"2\"", type=None)],
        creators=[Creator(name='O\'Brien, "Pat" <pat@x> & Co ]]>', name_type="Personal",
                          given_name="Pat\x02", family_name="O'Brien", lang="not a tag!",
                          name_identifiers=[NameIdentifier(
                              identifier="https://orcid.org/0000-0002-1825-0097",
                              scheme="ORCID", scheme_uri="https://orcid.org")])],
        titles=[Title(value=HOSTILE_TITLE, lang="en"),
                Title(value="Titre « français » & <co>", lang="fr",
                      title_type="TranslatedTitle")],
        publisher=Publisher(name="Pub & <Lisher> \"]]>", lang="en_US!"),
        publication_year=2021,
        resource_type=ResourceType(general="Poster", value=None),
        subjects=[Subject(value="k1 & <k2>", lang="en"),
                  Subject(value="Oceans", value_uri="https://example.org/concepts/oceans x",
                          scheme_uri="not a uri but kept")],
        dates=[Date(value="2021-02-03", date_type="Issued"), Date(value="sometime", date_type=None),
               Date(value="2020-13-45", date_type="Updated"),
               Date(value="2019-01-01/2019-12-31", date_type="Collected")],
        language="en-GB",
        related_identifiers=[
            RelatedIdentifier(value="10.5555/other", related_identifier_type="DOI",
                              relation_type="Other"),
            RelatedIdentifier(value="swh:1:dir:d198bc9d7a6bcf6db04f476d29314f157507d505",
                              related_identifier_type="SWHID", relation_type="IsDerivedFrom"),
            RelatedIdentifier(value="no type at all", related_identifier_type=None,
                              relation_type="Cites"),
            RelatedIdentifier(value="https://example.org/a?b=1&c=<2>",
                              related_identifier_type="URL", relation_type="IsSupplementTo",
                              resource_type_general="Presentation")],
        rights=[Rights(statement="Custom & <licence>", uri="https://example.org/licence?a=1&b=2"),
                Rights(statement="CC BY 4.0", uri="https://creativecommons.org/licenses/by/4.0/",
                       spdx_id="CC-BY-4.0")],
        descriptions=[Description(value="Line one\n\nLine two <p> & \"x\" ]]> \x0c",
                                  description_type=None, lang="en")],
        geo_locations=[GeoLocation(place="Here & <there>", point=GeoPoint(latitude=95.0,
                                                                          longitude=10.0)),
                       GeoLocation(box=GeoBox(west=-10, east=10, south=-5, north=5)),
                       GeoLocation(polygon=[GeoPoint(latitude=0, longitude=0),
                                            GeoPoint(latitude=1, longitude=1)])],
        landing_page='https://example.org/landing page?q="x"&r=<y>',
        distributions=[Distribution(access_url="https://example.org/files/a b.csv",
                                    download_url="https://example.org/files/a b.csv",
                                    format="CSV", media_type="text/csv", byte_size=1234,
                                    checksum="sha256:" + "ab" * 32),
                       Distribution(title="reached through the landing page")],
        contact_points=[ContactPoint(name="Desk & <co>", email="desk@example.org")],
        access_rights="info:eu-repo/semantics/openAccess",
        conforms_to=["https://example.org/standard", "a standard without an IRI"],
        version="v1 <beta>",
    )


def empty_record() -> Record:
    """No mandatory property at all: every one of them needs a placeholder."""
    return Record(identifier=Identifier(value="hdl:20.500.12345/67", type="Handle"))


def item(record: Record | None, catalogue_id: str, deleted: bool = False) -> ExportItem:
    return ExportItem(id=catalogue_id, datestamp=STAMP, deleted=deleted, record=record,
                      sources=("alpha", "beta"))


def corpus_items() -> list[ExportItem]:
    records = [r for _, r in example_records()] + list(simulated_records())
    records += [hostile_record(), empty_record()]
    return [item(r, f"os10:{n:05d}") for n, r in enumerate(records)]


def export(exporter_class, items: list[ExportItem], options: ExportOptions | None = None) -> str:
    out = io.StringIO()
    exporter = exporter_class(out, options or ExportOptions())
    exporter.begin()
    for entry in items:
        exporter.write(entry)
    exporter.end()
    return out.getvalue()


class Sink:
    """A text stream that forgets what it is given, counting characters."""

    def __init__(self) -> None:
        self.characters = 0

    def write(self, text: str) -> int:
        self.characters += len(text)
        return len(text)


def generated_items(count: int) -> Iterator[ExportItem]:
    """`count` items, made one at a time from a small pool of simulated records."""
    pool = simulated_records()
    for n in range(count):
        yield item(pool[n % len(pool)], f"gen-{n}")


def export_peak(exporter_class, count: int) -> tuple[int, int]:
    """(tracemalloc peak in bytes, characters written) for `count` generated items."""
    sink = Sink()
    simulated_records()  # the pool is built before measuring
    exporter = exporter_class(sink, ExportOptions())
    tracemalloc.start()
    try:
        exporter.begin()
        for entry in generated_items(count):
            exporter.write(entry)
        exporter.end()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, sink.characters


# --- XSD -------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def kernel_46(conformance: Path) -> etree.XMLSchema:
    # metadata.xsd imports include/xml.xsd by a relative path: nothing is fetched.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    path = conformance / "A_schemas/datacite/kernel-4.6/metadata.xsd"
    return etree.XMLSchema(etree.parse(str(path), parser))


def parsed(text: str) -> etree._Element:
    return etree.fromstring(text.encode("utf-8"), etree.XMLParser(resolve_entities=False))


def assert_valid(schema: etree.XMLSchema, resource: etree._Element) -> None:
    standalone = etree.fromstring(etree.tostring(resource))  # validated as its own document
    assert schema.validate(standalone), (
        f"{schema.error_log.last_error}\n{etree.tostring(resource, pretty_print=True).decode()}")


def resources(text: str) -> list[etree._Element]:
    return parsed(text).findall("c:entry/d:resource", NS)


# --- every record validates -------------------------------------------------------------------------

def test_every_official_example_exports_a_valid_resource(conformance, kernel_46):
    items = [item(r, name) for name, r in example_records()]
    assert len(items) >= 60
    exported = resources(export(DataCiteXmlExporter, items))
    assert len(exported) == len(items)
    for (name, record), resource in zip(example_records(), exported, strict=True):
        assert_valid(kernel_46, resource)
        assert resource.findtext("d:identifier", namespaces=NS) == record.doi, name
        assert [t.text for t in resource.findall("d:titles/d:title", NS)] == [
            t.value for t in record.titles]


def test_every_simulated_record_exports_a_valid_resource(conformance, kernel_46):
    items = [item(r, f"sim-{n}") for n, r in enumerate(simulated_records())]
    exported = resources(export(DataCiteXmlExporter, items))
    assert len(exported) == len(items) == 80
    for resource in exported:
        assert_valid(kernel_46, resource)


def test_the_whole_corpus_exports_as_one_well_formed_catalogue(conformance, kernel_46):
    items = corpus_items()
    items.insert(3, item(None, "gone-1", deleted=True))
    root = parsed(export(DataCiteXmlExporter, items))
    assert root.tag == f"{{{CATALOGUE_NS}}}catalogue"
    assert root.get("schemaVersion") == "4.6"
    entries = root.findall("c:entry", NS)
    assert len(entries) == len(items) - 1
    assert [e.get("id") for e in entries] == [i.id for i in items if not i.deleted]
    deleted = root.findall("c:deleted", NS)
    assert [(d.get("id"), d.get("datestamp")) for d in deleted] == [
        ("gone-1", "2025-03-04T05:06:07Z")]
    for entry in entries:
        assert entry.get("datestamp") == "2025-03-04T05:06:07Z"
        assert entry.get("sources") == "alpha beta"
        assert_valid(kernel_46, entry.find("d:resource", NS))


# --- concrete values ---------------------------------------------------------------------------------

def test_the_full_example_keeps_doi_orcid_language_and_licence(conformance, kernel_46):
    record = example("kernel-4.7/example/datacite-example-full-v4.xml")
    resource = resource_element(record, catalogue_id="os10:full")
    assert_valid(kernel_46, resource)

    identifier = resource.find("d:identifier", NS)
    assert (identifier.text, identifier.get("identifierType")) == ("10.82433/b09z-4k37", "DOI")
    title = resource.find("d:titles/d:title", NS)
    assert (title.text, title.get("{http://www.w3.org/XML/1998/namespace}lang")) == (
        "Example Title", "en")
    orcid = resource.find("d:creators/d:creator/d:nameIdentifier", NS)
    assert (orcid.text, orcid.get("nameIdentifierScheme")) == (
        "https://orcid.org/0000-0001-5727-2427", "ORCID")
    rights = resource.find("d:rightsList/d:rights", NS)
    assert (rights.text, rights.get("rightsURI"), rights.get("rightsIdentifier")) == (
        "Creative Commons Attribution 4.0 International",
        "https://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0")
    catalogue = resource.find("d:alternateIdentifiers/d:alternateIdentifier", NS)
    assert (catalogue.text, catalogue.get("alternateIdentifierType")) == (
        "os10:full", CATALOGUE_ID_TYPE)


def test_kernel_4_7_values_are_written_down_to_4_6(conformance, kernel_46):
    poster = resource_element(example("kernel-4.7/example/datacite-example-poster-v4.xml"))
    assert_valid(kernel_46, poster)
    kind = poster.find("d:resourceType", NS)
    assert kind.get("resourceTypeGeneral") == "Other"
    assert kind.text  # the 4.7 type's name or the partner's own text survives as the text

    full = resource_element(example("kernel-4.7/example/datacite-example-full-v4.xml"))
    relations = [r.get("relationType") for r in full.iterfind(
        "d:relatedIdentifiers/d:relatedIdentifier", NS)]
    assert "Other" not in relations
    assert all(r.get("relationTypeInformation") is None for r in full.iter(f"{D}relatedIdentifier"))


def test_a_record_without_mandatory_properties_gets_datacite_placeholders(conformance, kernel_46):
    root = parsed(export(DataCiteXmlExporter, [item(empty_record(), "os10:empty")]))
    entry = root.find("c:entry", NS)
    assert entry.get("placeholders") == (
        "identifier creators titles publisher publicationYear resourceType")
    resource = entry.find("d:resource", NS)
    assert_valid(kernel_46, resource)
    assert resource.findtext("d:identifier", namespaces=NS) == "(:unav)"
    assert resource.findtext("d:creators/d:creator/d:creatorName", namespaces=NS) == "(:unkn)"
    assert resource.findtext("d:titles/d:title", namespaces=NS) == "(:unav)"
    assert resource.findtext("d:publisher", namespaces=NS) == "(:unav)"
    assert resource.findtext("d:publicationYear", namespaces=NS) == "2025"  # the entry's year
    kind = resource.find("d:resourceType", NS)
    assert (kind.get("resourceTypeGeneral"), kind.text) == ("Other", "(:unav)")
    # The Handle was the record's identifier: it travels as an alternateIdentifier.
    alternates = [(a.text, a.get("alternateIdentifierType"))
                  for a in resource.iterfind("d:alternateIdentifiers/d:alternateIdentifier", NS)]
    assert alternates == [("os10:empty", CATALOGUE_ID_TYPE), ("hdl:20.500.12345/67", "Handle")]


def test_hostile_text_is_escaped_and_comes_back_unchanged(conformance, kernel_46):
    text = export(DataCiteXmlExporter, [item(hostile_record(), 'id "with" <markup> & ]]>')])
    root = parsed(text)
    entry = root.find("c:entry", NS)
    assert entry.get("id") == 'id "with" <markup> & ]]>'
    resource = entry.find("d:resource", NS)
    assert_valid(kernel_46, resource)
    # CR survives as &#13;; the control characters XML 1.0 cannot carry become U+FFFD.
    assert resource.findtext("d:titles/d:title", namespaces=NS) == CLEAN_TITLE
    assert resource.findtext("d:identifier", namespaces=NS) == '10.1234/<odd>&"id"]]>'
    assert resource.findtext("d:creators/d:creator/d:creatorName", namespaces=NS) == (
        'O\'Brien, "Pat" <pat@x> & Co ]]>')
    assert resource.findtext("d:creators/d:creator/d:givenName", namespaces=NS) == "Pat\ufffd"
    assert resource.find("d:creators/d:creator/d:creatorName", NS).get(
        "{http://www.w3.org/XML/1998/namespace}lang") is None  # "not a tag!" is dropped
    assert resource.find("d:publisher", NS).get(
        "{http://www.w3.org/XML/1998/namespace}lang") is None
    assert resource.findtext("d:language", namespaces=NS) == "en-GB"
    related = [(r.text, r.get("relatedIdentifierType"), r.get("relationType"),
                r.get("resourceTypeGeneral"))
               for r in resource.iterfind("d:relatedIdentifiers/d:relatedIdentifier", NS)]
    assert related == [
        ("https://archive.softwareheritage.org/swh:1:dir:d198bc9d7a6bcf6db04f476d29314f157507d505",
         "URL", "IsDerivedFrom", None),
        ("https://example.org/a?b=1&c=<2>", "URL", "IsSupplementTo", None)]
    # Out-of-range points and polygons of fewer than four points are left out.
    assert resource.find("d:geoLocations/d:geoLocation/d:geoLocationPoint", NS) is None
    assert resource.find(".//d:geoLocationPolygon", NS) is None
    assert resource.findtext("d:geoLocations/d:geoLocation/d:geoLocationPlace",
                             namespaces=NS) == "Here & <there>"
    assert "<b>" not in text and "&lt;b&gt;" in text  # markup in a title stays text
    assert "\x01" not in text and "\x0b" not in text


# --- the exporter contract --------------------------------------------------------------------------

def test_the_exporters_are_registered_by_name():
    for name in ("datacite-xml", "dcat-ttl", "dcat-rdfxml", "dcat-jsonld", "schemaorg"):
        exporter_class = get_exporter(name)
        assert exporter_class.name == name
        assert exporter_class.suffix.startswith(".") and "/" in exporter_class.media_type
    assert EXPORTERS["datacite-xml"] is DataCiteXmlExporter


def test_an_empty_export_is_still_a_document(conformance):
    root = parsed(export(DataCiteXmlExporter, []))
    assert root.tag == f"{{{CATALOGUE_NS}}}catalogue" and len(root) == 0


def test_memory_stays_flat_over_twenty_thousand_items(conformance):
    peak, written = export_peak(DataCiteXmlExporter, 20_000)
    assert written > 50_000_000  # the export itself is big ...
    assert peak < 1_000_000  # ... what is held while writing it is not
