"""The DCAT-AP mapper: crafted descriptions, the simulator's datasets, published examples."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF

from errors import MappingError, UnparseableResponseError
from harvesters.dcat import dataset_records
from harvesters.rdf_formats import parse_graph, syntax_for
from mappers import MAPPERS, MapContext
from mappers.datacite import map_datacite
from mappers.dcat_ap import ROWS, map_dcat_ap
from schemas import Record
from simulator import records as sim_records
from simulator.dcat import _dataset as sim_dataset

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
PREFIXES = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix adms: <http://www.w3.org/ns/adms#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix gsp: <http://www.opengis.net/ont/geosparql#> .
@prefix locn: <http://www.w3.org/ns/locn#> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ex: <http://example.org/> .
"""


def context(identifier: str = "ex") -> MapContext:
    return MapContext(source_id="partner", source_identifier=identifier,
                      metadata_format="dcat_ap", harvested_at=datetime(2025, 1, 1, tzinfo=UTC),
                      raw_sha256="0" * 64)


def map_all(graph: Graph, url: str = "http://example.org/") -> list[Record]:
    """Every dataset of a graph, cut out as the harvester does and mapped from its payload;
    mapping the harvester's parsed graph instead must give the very same record."""
    found, failed = dataset_records(graph, url)
    assert failed == []
    mapped = []
    for raw in found:
        record = map_dcat_ap(raw.payload, context(raw.identifier))
        assert record == map_dcat_ap(None, context(raw.identifier), element=raw.element)
        mapped.append(record)
    return mapped


def map_turtle(text: str) -> Record:
    records = map_all(Graph().parse(data=PREFIXES + text, format="turtle"))
    assert len(records) == 1
    return records[0]


def codes(record: Record) -> set[str]:
    return {issue.code for issue in record.issues}


# --- crafted descriptions -------------------------------------------------------------------------

def test_every_language_variant_of_a_title_is_kept_and_the_records_language_leads():
    record = map_turtle("""
    ex:ds a dcat:Dataset ;
      dct:language <http://publications.europa.eu/resource/authority/language/CAT> ;
      dct:title "Dataset de prova"@es, "Conjunt de dades de prova"@ca, "Test dataset"@en ;
      dct:alternative "Prova"@ca ;
      dct:description "Descripció en català."@ca, "An English description."@en .
    """)
    assert record.language == "ca"
    assert [(t.value, t.lang, t.title_type) for t in record.titles] == [
        ("Conjunt de dades de prova", "ca", None),
        ("Test dataset", "en", "TranslatedTitle"),
        ("Dataset de prova", "es", "TranslatedTitle"),
        ("Prova", "ca", "AlternativeTitle")]
    assert [(d.value, d.lang, d.description_type) for d in record.descriptions] == [
        ("Descripció en català.", "ca", "Abstract"), ("An English description.", "en", "Abstract")]


def test_a_doi_in_adms_identifier_becomes_the_identifier():
    record = map_turtle("""
    ex:ds a dcat:Dataset ; dct:identifier "LOCAL-7" ;
      adms:identifier [ a adms:Identifier ; skos:notation "https://doi.org/10.1234/ABC" ;
                        adms:schemaAgency "DataCite" ] .
    """)
    assert (record.identifier.value, record.identifier.type) == ("10.1234/abc", "DOI")
    assert [(a.value, a.type) for a in record.alternate_identifiers] == [
        ("LOCAL-7", None), ("http://example.org/ds", "URL")]


def test_a_doi_as_dct_identifier_becomes_the_identifier():
    record = map_turtle('ex:ds a dcat:Dataset ; dct:identifier "doi:10.5555/X.1" .')
    assert record.doi == "10.5555/x.1"


def test_without_a_doi_the_identifier_is_dct_identifier_else_the_iri():
    assert map_turtle('ex:ds a dcat:Dataset ; dct:identifier "hdl:20.500.1/7" .').identifier \
        .model_dump() == {"value": "20.500.1/7", "type": "Handle"}
    assert map_turtle('ex:ds a dcat:Dataset ; dct:identifier "abc-7" .').identifier \
        .model_dump() == {"value": "abc-7", "type": "Other"}
    assert map_turtle("ex:ds a dcat:Dataset .").identifier.model_dump() == {
        "value": "http://example.org/ds", "type": "URL"}


def test_agents_publisher_and_contact_points():
    record = map_turtle("""
    ex:ds a dcat:Dataset ;
      dct:publisher <https://ror.org/04wxnsj81> ;
      dct:creator <https://orcid.org/0000-0002-1825-0097>, ex:lab, [ foaf:name "Anonymous" ] ;
      dcat:contactPoint [ a vcard:Kind ; vcard:fn "Help desk"@en, "Servicio"@es ;
                          vcard:hasEmail <mailto:help@example.org> ;
                          vcard:hasURL <https://example.org/help> ] ;
      prov:qualifiedAttribution [ prov:agent [ foaf:name "Curators" ] ;
        dcat:hadRole
          <http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/custodian> ] .
    <https://ror.org/04wxnsj81> a foaf:Organization ; foaf:name "DataCite"@en .
    <https://orcid.org/0000-0002-1825-0097> a foaf:Person ; foaf:name "Josiah Carberry" ;
      foaf:givenName "Josiah" ; foaf:familyName "Carberry" .
    ex:lab a foaf:Organization ; foaf:name "Example Lab" .
    """)
    assert record.publisher.model_dump(exclude_none=True) == {
        "name": "DataCite", "lang": "en", "identifier": "https://ror.org/04wxnsj81",
        "identifier_scheme": "ROR", "scheme_uri": "https://ror.org/"}
    assert [(c.name, c.name_type) for c in record.creators] == [
        ("Anonymous", None), ("Example Lab", "Organizational"), ("Josiah Carberry", "Personal")]
    carberry = record.creators[2]
    assert (carberry.given_name, carberry.family_name) == ("Josiah", "Carberry")
    assert [(i.identifier, i.scheme) for i in carberry.name_identifiers] == [
        ("https://orcid.org/0000-0002-1825-0097", "ORCID")]
    assert [c.model_dump() for c in record.contact_points] == [
        {"name": "Help desk", "email": "help@example.org", "url": "https://example.org/help"}]
    assert [(c.name, c.contributor_type) for c in record.contributors] == [
        ("Curators", "DataCurator")]


def test_a_publisher_known_only_by_its_iri_keeps_the_iri():
    record = map_turtle("ex:ds a dcat:Dataset ; dct:publisher ex:ministry .")
    assert (record.publisher.name, record.publisher.identifier) == (
        "http://example.org/ministry", "http://example.org/ministry")
    assert "name_from_identifier" in codes(record)


def test_keywords_and_themes_become_subjects_with_their_scheme():
    record = map_turtle("""
    ex:ds a dcat:Dataset ; dcat:keyword "rainfall"@en, "pluie"@fr ;
      dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ENVI>,
                 <http://eurovoc.europa.eu/100142> .
    <http://eurovoc.europa.eu/100142> skos:prefLabel "Water"@en, "Eau"@fr .
    """)
    assert [(s.value, s.lang, s.scheme, s.value_uri) for s in record.subjects] == [
        ("rainfall", "en", None, None), ("pluie", "fr", None, None),
        ("Water", "en", "EuroVoc", "http://eurovoc.europa.eu/100142"),
        ("Eau", "fr", "EuroVoc", "http://eurovoc.europa.eu/100142"),
        ("Environment", "en", "EU Data Theme",
         "http://publications.europa.eu/resource/authority/data-theme/ENVI")]


def test_dates_periods_and_the_publication_year():
    record = map_turtle("""
    ex:ds a dcat:Dataset ; dct:issued "2019-03-04"^^xsd:date ;
      dct:modified "2021-05-06T07:08:09+02:00"^^xsd:dateTime ;
      dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2010-01-01"^^xsd:date ;
                     dcat:endDate "2012-12-31"^^xsd:date ],
                   [ a dct:PeriodOfTime ;
                     time:hasBeginning [ time:inXSDDate "2001-01-01"^^xsd:date ] ] .
    """)
    assert [(d.value, d.date_type) for d in record.dates] == [
        ("2019-03-04", "Issued"), ("2021-05-06T05:08:09Z", "Updated"),
        ("2001-01-01/", "Coverage"), ("2010-01-01/2012-12-31", "Coverage")]
    assert record.publication_year == 2019
    only_modified = map_turtle('ex:ds a dcat:Dataset ; dct:modified "2021-05-06" .')
    assert only_modified.publication_year == 2021


def test_places_and_geometries_in_wkt_geojson_and_gml():
    record = map_turtle("""
    ex:ds a dcat:Dataset ; dct:spatial
      [ a dct:Location ; skos:prefLabel "Nairobi"@en ;
        dcat:bbox "POLYGON((36.5 -1.5,37.5 -1.5,37.5 -0.5,36.5 -0.5,36.5 -1.5))"^^gsp:wktLiteral ;
        dcat:centroid "POINT(36.8 -1.3)"^^gsp:wktLiteral ],
      [ a dct:Location ; locn:geometry "{\\"type\\":\\"Point\\",\\"coordinates\\":[2.35,48.85]}" ],
      [ a dct:Location ; locn:geometry '''<gml:Envelope
          srsName="http://www.opengis.net/def/crs/EPSG/0/4326">
          <gml:lowerCorner>34 -5</gml:lowerCorner><gml:upperCorner>42 10</gml:upperCorner>
          </gml:Envelope>'''^^gsp:gmlLiteral ],
      <http://sws.geonames.org/2950159/> .
    """)
    found = [location.model_dump(exclude_defaults=True) for location in record.geo_locations]
    assert {"place": "Nairobi", "point": {"latitude": -1.3, "longitude": 36.8},
            "box": {"west": 36.5, "east": 37.5, "south": -1.5, "north": -0.5}} in found
    assert {"point": {"latitude": 48.85, "longitude": 2.35}} in found
    # EPSG:4326 lists latitude first
    assert {"box": {"west": -5.0, "east": 10.0, "south": 34.0, "north": 42.0}} in found
    assert {"place": "http://sws.geonames.org/2950159/"} in found


def test_a_geometry_out_of_range_is_dropped_with_an_issue():
    record = map_turtle('ex:ds a dcat:Dataset ; dct:spatial [ dcat:centroid "POINT(200 95)" ] .')
    assert record.geo_locations == [] and "invalid_coordinates" in codes(record)


def test_distributions_formats_sizes_and_licences():
    record = map_turtle("""
    ex:ds a dcat:Dataset ; dct:license <https://creativecommons.org/licenses/by/4.0/> ;
      dcat:distribution ex:csv, [ a dcat:Distribution ; dcat:accessURL <https://example.org/api> ;
        dct:title "API"@en ; dct:license <http://creativecommons.org/publicdomain/zero/1.0/> ] .
    ex:csv a dcat:Distribution ; dcat:downloadURL <https://example.org/data.csv> ;
      dct:title "Données"@fr, "Data"@en ;
      dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
      dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
      dcat:byteSize "1024"^^xsd:decimal ;
      dct:license <https://creativecommons.org/licenses/by/4.0/legalcode> ;
      spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha1 ; spdx:checksumValue "abc123" ] ;
      dct:issued "2020-01-02"^^xsd:date .
    """)
    assert [d.model_dump(exclude_none=True) for d in record.distributions] == [
        {"access_url": "https://example.org/api", "title": "API",
         "license": "http://creativecommons.org/publicdomain/zero/1.0/", "spdx_id": "CC0-1.0"},
        {"download_url": "https://example.org/data.csv", "title": "Data", "format": "CSV",
         "media_type": "text/csv",
         "license": "https://creativecommons.org/licenses/by/4.0/legalcode",
         "spdx_id": "CC-BY-4.0", "byte_size": 1024, "checksum": "sha1:abc123",
         "issued": "2020-01-02"}]
    assert record.formats == ["text/csv"] and record.sizes == ["1024 bytes"]
    assert [(r.spdx_id, r.uri) for r in record.rights] == [
        ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/"),
        ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/")]


def test_the_regular_fields_of_the_table():
    record = map_turtle("""
    ex:ds a dcat:Dataset ; dcat:landingPage <https://example.org/ds> ;
      dct:conformsTo <http://www.opengis.net/def/crs/EPSG/0/4326>, [ dct:title "ISO 19115" ] ;
      owl:versionInfo "2.1" ;
      dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
      dct:isReferencedBy <https://doi.org/10.1000/paper> ; dcat:inSeries ex:series ;
      dct:relation <https://example.org/other> .
    """)
    assert record.landing_page == "https://example.org/ds"
    assert record.conforms_to == ["http://www.opengis.net/def/crs/EPSG/0/4326", "ISO 19115"]
    assert record.version == "2.1"
    assert record.access_rights == \
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
    assert [(r.value, r.related_identifier_type, r.relation_type)
            for r in record.related_identifiers] == [
        ("10.1000/paper", "DOI", "IsReferencedBy"),
        ("http://example.org/series", "URL", "IsPartOf"),
        ("https://example.org/other", "URL", None)]
    assert record.resource_type.general == "Dataset"


def test_a_dataset_series_and_a_typed_dataset():
    series = map_turtle('ex:s a dcat:DatasetSeries ; dct:title "Budget"@en .')
    assert (series.resource_type.general, series.resource_type.value) == ("Dataset",
                                                                          "Dataset series")
    software = map_turtle("ex:d a dcat:Dataset ; dct:type <http://purl.org/dc/dcmitype/Software> .")
    assert (software.resource_type.general, software.resource_type.value) == ("Software",
                                                                              "Software")


def test_unusable_payloads_raise_mapping_errors():
    with pytest.raises(MappingError, match="no metadata payload"):
        map_dcat_ap(b"", context())
    with pytest.raises(MappingError, match="not N-Triples"):
        map_dcat_ap(b"<a> <b> .\n", context())
    with pytest.raises(MappingError, match="no dcat:Dataset"):
        map_dcat_ap(b"<http://a> <http://b> <http://c> .\n", context())


def test_the_mapper_is_registered_as_dcat_ap():
    assert MAPPERS["dcat_ap"] is map_dcat_ap


def test_the_docs_mirror_every_row_of_the_mapping_table():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "mappings.md").read_text("utf-8")
    section = docs.split("<!-- table: dcat_ap -->")[1].split("<!-- end -->")[0]
    documented = [(re.findall(r"`([^`]+)`", properties), field) for properties, field in
                  re.findall(r"^\| ((?:`[^`]+`(?:, )?)+) \| `([^`]+)` \|", section, re.M)]
    prefixes = {DCAT: "dcat", DCT: "dct", "http://www.w3.org/2002/07/owl#": "owl",
                "http://www.w3.org/ns/adms#": "adms"}

    def curie(iri: str) -> str:
        namespace = next(n for n in prefixes if iri.startswith(n))
        return f"{prefixes[namespace]}:{iri[len(namespace):]}"

    assert documented == [([curie(str(p)) for p in row.predicates], row.field) for row in ROWS]


def orcids(record: Record) -> list[str]:
    return sorted(i.identifier for c in record.creators for i in c.name_identifiers)


# --- the simulator's datasets ---------------------------------------------------------------------

@pytest.mark.parametrize("index", [0, 1, 2, 3, 13, 14, 29])
def test_a_simulated_dataset_says_what_the_same_records_datacite_says(index):
    """Both sides of the simulator describe one dataset; so must both mappers."""
    graph = Graph()
    for triple in sim_dataset("alpha", 1, index, 1, 1704067200, "Alpha"):
        graph.add(triple)
    (dcat,) = map_all(graph)
    xml = sim_records.render("datacite", key="alpha", seed=1, index=index, publisher="Alpha")
    datacite = map_datacite(xml.encode(), context())
    if index % 4 == 1 or index % 3 != 2:  # a DOI as dct:identifier or as adms:identifier
        assert dcat.doi == datacite.doi
    else:
        assert dcat.doi is None
    assert {(t.value, t.lang) for t in dcat.titles} == {(t.value, t.lang) for t in datacite.titles}
    assert dcat.publisher.name == datacite.publisher.name == "Alpha"
    assert dcat.publication_year == datacite.publication_year
    assert orcids(dcat) == orcids(datacite)
    assert {r.spdx_id for r in dcat.rights} == {r.spdx_id for r in datacite.rights}
    assert dcat.language == datacite.language
    assert dcat.geo_locations[0].place == datacite.geo_locations[0].place
    assert not {i.code for i in dcat.issues} & {"invalid_language", "unparseable_date",
                                                 "invalid_coordinates", "invalid_element",
                                                 "missing_titles", "missing_publisher"}


# --- published examples ---------------------------------------------------------------------------

_NAMES = [URIRef(FOAF + "name"), URIRef(VCARD + "fn"), URIRef(VCARD + "organization-name"),
          URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
          URIRef("http://www.w3.org/2000/01/rdf-schema#label"), URIRef("http://schema.org/name")]
_FORMATS = {".ttl": "turtle", ".rdf": "xml", ".jsonld": "json-ld", ".nt": "nt"}


def _independently(path: Path) -> Graph:
    """The file as rdflib reads it on its own (into a Dataset, for JSON-LD named graphs)."""
    store = Dataset()
    store.parse(path, format=_FORMATS[path.suffix])
    graph = Graph()
    for s, p, o, _ in store.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def _examples(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in _FORMATS)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's own JSON-LD internals
def test_every_dcat_example_maps_to_valid_records_with_what_it_says(conformance):
    folder = conformance / "D_dcat"
    examples = _examples(folder)
    assert len(examples) >= 50  # ckanext-dcat, W3C DCAT 3 and GeoDCAT-AP examples
    seen = 0
    for path in examples:
        url = path.as_uri()
        records = map_all(parse_graph(path.read_bytes(), syntax_for(None, url), url=url), url)
        graph = _independently(path)
        nodes = ({s for t in ("Dataset", "DatasetSeries")
                  for s in graph.subjects(RDF.type, URIRef(DCAT + t))}
                 | {o for o in graph.objects(None, URIRef(DCAT + "dataset"))
                    if not isinstance(o, Literal)}) - set(graph.subjects(
                        RDF.type, URIRef(DCAT + "Catalog")))
        assert len(records) == len(nodes), path.name
        by_identity = {r.provenance.source_identifier: r for r in records}
        for node in nodes:
            titles = {" ".join(str(t).split()) for t in graph.objects(node, URIRef(DCT + "title"))}
            identifiers = sorted(" ".join(str(i).split())
                                 for i in graph.objects(node, URIRef(DCT + "identifier"))
                                 if not isinstance(i, BNode))
            if identifiers:
                identity = identifiers[0]
            elif isinstance(node, URIRef):
                identity = str(node)
            else:  # a blank node: find it by its titles
                identity = next(k for k, r in by_identity.items() if k.startswith("_:") and
                                titles == {t.value for t in r.titles})
            record = by_identity[identity]
            where = f"{path.name}: {identity}"
            assert Record.model_validate(record.model_dump()) == record, where
            assert titles <= {t.value for t in record.titles}, where
            assert bool(titles) == bool(record.titles), where
            if identifiers or isinstance(node, URIRef):
                assert record.identifier is not None, where
                known = {record.identifier.value} | {a.value for a in
                                                     record.alternate_identifiers}
                assert any(i in known or i.lower().endswith(record.identifier.value)
                           for i in identifiers or [str(node)]), where
            publishers = list(graph.objects(node, URIRef(DCT + "publisher")))
            if publishers:
                names = {" ".join(str(n).split()) for p in publishers for n in
                         ([p] if isinstance(p, Literal) else
                          [v for name in _NAMES for v in graph.objects(p, name)])}
                assert record.publisher is not None, where
                assert record.publisher.name in names or (
                    not names and record.publisher.identifier in map(str, publishers)), where
            else:
                assert record.publisher is None, where
            seen += 1
    assert seen >= 90


def test_broken_published_examples_are_reported_with_file_and_reason(conformance):
    """The DCAT-AP examples: some Turtle does not parse, the JSON-LD names a remote context."""
    folder = conformance / "A_schemas" / "dcat-ap"
    outcomes: dict[str, str] = {}
    for path in _examples(folder):
        if path.name == "context.jsonld":
            continue
        url = path.as_uri()
        try:
            records = map_all(parse_graph(path.read_bytes(), syntax_for(None, url), url=url), url)
        except UnparseableResponseError as exc:
            assert exc.url == url and url in str(exc)
            outcomes[path.name] = exc.message
        else:
            outcomes[path.name] = f"{len(records)} records"
    broken = {name: why for name, why in outcomes.items() if "records" not in why}
    assert re.match(r"the response is not well-formed Turtle: at line 20 .*Bad syntax",
                    broken["example-bee-population-dataset-series-api.ttl"])
    assert "remote context https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/" \
        "3.0.0/html/examples/context.jsonld" in broken["example-bee-population.jsonld"]
    assert outcomes["example-bee-population.ttl"] == "1 records"
    assert outcomes["example1.nt"] == "1 records"
    assert all("not well-formed" in why or "remote context" in why for why in broken.values())


def test_a_blank_node_of_the_payload_never_leaks_its_label_into_the_record():
    graph = Graph()
    dataset, period = URIRef("http://example.org/ds"), BNode()
    graph.add((dataset, RDF.type, URIRef(DCAT + "Dataset")))
    graph.add((dataset, URIRef(DCT + "temporal"), period))
    (record,) = map_all(graph)
    assert str(period) not in record.model_dump_json()
    assert "unmapped_value" in codes(record)
