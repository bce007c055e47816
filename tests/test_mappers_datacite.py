"""DataCite XML maps into the record model: every official example, and the awkward cases."""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import CONFORMANCE
from lxml import etree

import mappers
from errors import ConfigError, MappingError
from mappers import MAPPERS, MapContext, get_mapper
from mappers.datacite import map_datacite
from mappers.xmltools import describe

HARVESTED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
DATACITE = "A_schemas/datacite"
EXAMPLE_GLOBS = ("kernel-3/example/*.xml", "kernel-4.4/example/*.xml", "kernel-4.5/example/*.xml",
                 "kernel-4.6/example/*.xml", "kernel-4.7/example/*.xml",
                 "oai_datacite/*/example/*.xml")
EXAMPLES = sorted(str(p.relative_to(CONFORMANCE / DATACITE))
                  for pattern in EXAMPLE_GLOBS
                  for p in (CONFORMANCE / DATACITE).glob(pattern)) or ["(conformance absent)"]


def context(identifier: str = "oai:example.org:1", metadata_format: str = "oai_datacite"):
    return MapContext(source_id="example", source_identifier=identifier,
                      metadata_format=metadata_format, harvested_at=HARVESTED,
                      raw_sha256="0" * 64)


def example(conformance: Path, name: str) -> bytes:
    return (conformance / DATACITE / name).read_bytes()


def xpath(root: etree._Element, path: str) -> list:
    """Namespace-blind XPath: `path` uses local names, e.g. "resource/titles/title"."""
    steps = "/".join(f"*[local-name()='{step}']" for step in path.split("/"))
    return root.xpath(f"//{steps}")


def squash(text: str | None) -> str:
    return " ".join((text or "").split())


# --- every official example --------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_an_official_example_keeps_its_mandatory_properties(conformance, name):
    payload = example(conformance, name)
    raw = etree.fromstring(payload)
    record = map_datacite(payload, context(name))

    identifier = squash(xpath(raw, "resource/identifier")[0].text)
    assert record.identifier.value == identifier.lower()
    assert record.identifier.type == "DOI"
    assert [c.name for c in record.creators] == [
        squash(e.text) for e in xpath(raw, "resource/creators/creator/creatorName")]
    titles = xpath(raw, "resource/titles/title")
    assert [t.value for t in record.titles] == [squash(e.text) for e in titles]
    assert [t.title_type for t in record.titles] == [e.get("titleType") for e in titles]
    for title, element in zip(record.titles, titles, strict=True):
        if element.get("{http://www.w3.org/XML/1998/namespace}lang"):
            assert title.lang.lower() == element.get(
                "{http://www.w3.org/XML/1998/namespace}lang").lower()
    assert record.publisher.name == squash(xpath(raw, "resource/publisher")[0].text)
    assert record.publication_year == int(xpath(raw, "resource/publicationYear")[0].text)
    resource_type = xpath(raw, "resource/resourceType")[0]
    assert record.resource_type.general == resource_type.get("resourceTypeGeneral")
    assert record.resource_type.value == (squash(resource_type.text) or None)
    assert not [i for i in record.issues if i.code.startswith("missing_")]
    assert record.provenance.source_identifier == name


@pytest.mark.parametrize("name", EXAMPLES)
def test_an_official_example_keeps_its_other_lists(conformance, name):
    payload = example(conformance, name)
    raw = etree.fromstring(payload)
    record = map_datacite(payload, context(name))

    assert [s.value for s in record.subjects] == [
        squash(e.text) for e in xpath(raw, "resource/subjects/subject")]
    assert [d.date_type for d in record.dates] == [
        e.get("dateType") for e in xpath(raw, "resource/dates/date")]
    assert record.sizes == [squash(e.text) for e in xpath(raw, "resource/sizes/size")]
    assert record.formats == [squash(e.text) for e in xpath(raw, "resource/formats/format")]
    related = xpath(raw, "resource/relatedIdentifiers/relatedIdentifier")
    assert [r.relation_type for r in record.related_identifiers[:len(related)]] == [
        e.get("relationType") for e in related]
    funders = xpath(raw, "resource/fundingReferences/fundingReference/funderName")
    assert [f.funder_name for f in record.funding_references][:len(funders)] == [
        squash(e.text) for e in funders]
    descriptions = [e for e in xpath(raw, "resource/descriptions/description") if squash(
        "".join(e.itertext()))]
    assert len(record.descriptions) == len(descriptions)


def test_every_kernel_and_wrapper_is_covered_by_the_examples(conformance):
    assert len(EXAMPLES) >= 60
    assert {name.split("/")[0] for name in EXAMPLES} == {
        "kernel-3", "kernel-4.4", "kernel-4.5", "kernel-4.6", "kernel-4.7", "oai_datacite"}


# --- concrete values from particular examples ---------------------------------------------------


def test_the_kernel_4_7_full_example_maps_every_property(conformance):
    record = map_datacite(example(conformance, "kernel-4.7/example/datacite-example-full-v4.xml"),
                          context())

    assert record.doi == "10.82433/b09z-4k37"
    person, organisation = record.creators
    assert (person.name_type, person.family_name, person.given_name) == (
        "Personal", "ExampleFamilyName", "ExampleGivenName")
    assert person.name_identifiers[0].identifier == "https://orcid.org/0000-0001-5727-2427"
    assert person.name_identifiers[0].scheme == "ORCID"
    assert person.affiliations[0].model_dump() == {
        "name": "ExampleAffiliation", "identifier": "https://ror.org/04wxnsj81",
        "identifier_scheme": "ROR"}
    assert (organisation.name_type, organisation.lang) == ("Organizational", "en")
    assert organisation.name_identifiers[0].identifier == "https://ror.org/04wxnsj81"

    assert len(record.contributors) == 22
    assert record.contributors[0].contributor_type == "ContactPerson"
    # " https://orcid.org/..." with a leading space in the source still normalises
    assert record.contributors[0].name_identifiers[0].identifier == (
        "https://orcid.org/0000-0001-5727-2427")

    assert record.publisher.model_dump() == {
        "name": "Example Publisher", "lang": "en", "identifier": "https://ror.org/04z8jg394",
        "identifier_scheme": "ROR", "scheme_uri": "https://ror.org/"}
    assert [(t.title_type, t.lang) for t in record.titles] == [
        (None, "en"), ("Subtitle", "en"), ("TranslatedTitle", "fr"), ("AlternativeTitle", "en")]
    assert record.subjects[1].classification_code == "461001"
    assert record.subjects[0].value_uri == "http://www.oecd.org/science/inno/38235147.pdf"
    assert record.dates[3].model_dump() == {
        "value": "2024-01-01/2024-12-31", "date_type": "Collected", "information": None}
    assert record.dates[-1].information == "ExampleDateInformation"
    assert record.language == "en"
    assert record.alternate_identifiers[0].model_dump() == {
        "value": "12345", "type": "Local accession number"}

    by_type = {r.related_identifier_type: r for r in record.related_identifiers}
    assert by_type["ARK"].value == "ark:/13030/tqb3kh97gh8w"
    assert by_type["DOI"].value == "10.1016/j.epsl.2011.11.037"
    assert by_type["Handle"].relation_type == "IsDescribedBy"
    # the relatedItem (an ISSN) becomes one more related identifier
    assert record.related_identifiers[-1].model_dump(exclude_none=True) == {
        "value": "1234-5678", "related_identifier_type": "ISSN", "relation_type": "Cites",
        "resource_type_general": "Text"}

    assert record.sizes == ["1 MB", "90 pages"]
    assert record.formats == ["application/xml", "text/plain"]
    assert record.version == "1"
    assert record.rights[0].model_dump(exclude_none=True) == {
        "statement": "Creative Commons Attribution 4.0 International",
        "uri": "https://creativecommons.org/licenses/by/4.0/", "spdx_id": "CC-BY-4.0",
        "scheme_uri": "https://spdx.org/licenses/", "lang": "en"}
    assert [d.description_type for d in record.descriptions] == [
        "Abstract", "Methods", "SeriesInformation", "TableOfContents", "TechnicalInfo", "Other"]

    geo = record.geo_locations[0]
    assert geo.place == "Vancouver, British Columbia, Canada"
    assert (geo.point.latitude, geo.point.longitude) == (49.2827, -123.1207)
    assert (geo.box.west, geo.box.east, geo.box.south, geo.box.north) == (
        -123.27, -123.02, 49.195, 49.315)
    assert len(geo.polygon) == 5 and geo.polygon[1].latitude == 42.893

    assert record.funding_references[0].model_dump() == {
        "funder_name": "Example Funder",
        "funder_identifier": "https://doi.org/10.13039/501100000780",
        "funder_identifier_type": "Crossref Funder ID", "award_number": "12345",
        "award_uri": "https://example.com/example-award-uri",
        "award_title": "Example AwardTitle"}
    assert {i.code for i in record.issues} <= {"language_detected", "language_undetected"}


def test_kernel_3_points_and_boxes_are_read_from_text(conformance):
    record = map_datacite(example(conformance, "kernel-3/example/datacite-example-full-v3.1.xml"),
                          context())

    geo = record.geo_locations[0]
    assert geo.place == "Atlantic Ocean"
    assert (geo.point.latitude, geo.point.longitude) == (31.233, -67.302)
    # "41.090 -71.032  42.893 -68.211" is south west north east
    assert (geo.box.south, geo.box.west, geo.box.north, geo.box.east) == (
        41.09, -71.032, 42.893, -68.211)
    assert record.rights[0].spdx_id == "CC0-1.0"
    assert record.titles[0].lang == "en-US"
    assert record.creators[0].name_identifiers[0].identifier == (
        "https://orcid.org/0000-0001-5000-0007")
    assert (record.creators[0].family_name, record.creators[0].given_name) == (
        "Miller", "Elizabeth")
    assert record.creators[0].affiliations[0].name == "DataCite"


def test_the_oai_datacite_wrapper_around_kernel_2_1_is_unwrapped(conformance):
    record = map_datacite(example(conformance, "oai_datacite/oai-1.1/example/oai-sample-1.1.xml"),
                          context())

    assert record.doi == "10.5072/wdcc/ccsrnies_sres_b2"
    assert [c.name for c in record.creators] == ["Toru, Nozawa", "Utor, Awazon"]
    assert record.resource_type.model_dump() == {"general": "Image", "value": "Animation"}
    # kernel 2 has <rights> straight under <resource>
    assert (record.rights[0].statement, record.rights[0].spdx_id) == (
        "Open Database License [ODbL]", "ODbL-1.0")
    # "xyz789" claims to be an ORCID iD: dropped, with an issue naming the contributor
    assert record.contributors[1].name_identifiers == []
    issue = next(i for i in record.issues if i.code == "invalid_orcid")
    assert issue.field == "contributors[1].name_identifiers" and "'xyz789'" in issue.message
    assert record.descriptions[0].value.endswith(
        "documentation.\n\nPlease look on datacite.org to find the newest versions of sample "
        "data and schemas.")


def test_odd_values_in_the_4_4_all_fields_example_become_issues(conformance):
    record = map_datacite(example(conformance, "kernel-4.4/example/all-fields-v4.4.xml"),
                          context())

    unparseable = {i.field: i.message for i in record.issues if i.code == "unparseable_date"}
    assert set(unparseable) == {"dates[2].value", "dates[3].value"}
    assert record.dates[2].value == "321 BCE"  # kept as given
    assert record.contributors[1].name_identifiers[0].identifier == "https://ror.org/047s2c258"
    assert any(i.code == "empty_element" and i.field == "descriptions" for i in record.issues)
    assert len(record.geo_locations) == 2


def test_bad_ror_ids_are_dropped_with_an_issue(conformance):
    record = map_datacite(example(conformance, "kernel-4.7/example/datacite-example-award-v4.xml"),
                          context())

    assert record.creators[0].name_identifiers == []
    assert record.publisher.identifier is None
    assert {i.field for i in record.issues if i.code == "invalid_ror"} == {
        "creators[0].name_identifiers", "publisher.identifier"}


def test_a_doubled_orcid_url_prefix_is_repaired(conformance):
    record = map_datacite(
        example(conformance, "kernel-4.7/example/datacite-example-project-v4.xml"), context())

    assert record.contributors[4].name_identifiers[0].identifier == (
        "https://orcid.org/0009-0009-0223-2917")


def test_multilingual_titles_keep_their_tags(conformance):
    record = map_datacite(
        example(conformance, "kernel-4.7/example/datacite-example-multilingual-v4.xml"), context())

    assert [(t.value, t.lang) for t in record.titles] == [
        ("Advances in Chemistry", "en"), ("Avances en Química", "es"), ("化学进展", "zh")]
    assert [r.lang for r in record.rights] == ["en", "es", "zh"]
    assert {r.spdx_id for r in record.rights} == {"CC-BY-4.0"}


# --- hand-written records -------------------------------------------------------------------


def resource(body: str, namespace: str = "http://datacite.org/schema/kernel-4") -> bytes:
    return (f'<resource xmlns="{namespace}"><identifier identifierType="DOI">10.1234/ABC'
            f"</identifier>{body}</resource>").encode()


def test_untagged_titles_get_a_detected_language_and_an_info_issue():
    record = map_datacite(resource(
        "<titles><title>Mabadiliko ya tabianchi na athari zake kwa kilimo cha Afrika "
        "Mashariki</title><title>Short</title></titles>"), context())

    assert record.titles[0].lang == "sw"
    assert record.titles[1].lang is None
    by_field = {i.field: (i.code, i.severity) for i in record.issues}
    assert by_field["titles[0].lang"] == ("language_detected", "info")
    assert by_field["titles[1].lang"] == ("language_undetected", "info")


def test_a_short_text_detected_against_the_record_language_is_left_untagged():
    record = map_datacite(resource(
        "<subjects><subject>551 Geology, hydrology, meteorology</subject></subjects>"
        "<language>en</language>"), context())

    # langdetect says Welsh at 0.99999 for this one
    assert record.subjects[0].lang is None
    assert any(i.code == "language_undetected" for i in record.issues)


def test_invalid_language_tags_are_dropped_with_an_issue_then_detected():
    record = map_datacite(resource(
        '<language>klingon</language><titles><title xml:lang="english-ish">Le changement '
        "climatique et ses effets sur l'agriculture</title></titles>"), context())

    assert record.language is None
    assert record.titles[0].lang == "fr"
    assert {i.field for i in record.issues if i.code == "invalid_language"} == {
        "language", "titles[0].lang"}


def test_an_unknown_resource_type_general_is_dropped_with_an_issue():
    record = map_datacite(resource(
        '<resourceType resourceTypeGeneral="Spreadsheet">Budget</resourceType>'), context())

    assert record.resource_type.model_dump() == {"general": None, "value": "Budget"}
    assert {i.code for i in record.issues} >= {"unknown_resource_type",
                                               "missing_resource_type"}


def test_a_missing_publication_year_is_taken_from_the_issued_date():
    record = map_datacite(resource(
        '<dates><date dateType="Issued">2019-05-04</date></dates>'), context())

    assert record.publication_year == 2019
    assert any(i.code == "publication_year_derived" for i in record.issues)


def test_kernel_3_funder_contributors_become_funding_references():
    record = map_datacite(resource(
        '<contributors><contributor contributorType="Funder"><contributorName>European '
        'Commission</contributorName><nameIdentifier nameIdentifierScheme="ROR">'
        "https://ror.org/00k4n6c32</nameIdentifier></contributor></contributors>",
        "http://datacite.org/schema/kernel-3"), context())

    assert record.contributors == []
    assert record.funding_references[0].model_dump(exclude_none=True) == {
        "funder_name": "European Commission", "funder_identifier": "https://ror.org/00k4n6c32",
        "funder_identifier_type": "ROR"}


def test_out_of_range_coordinates_are_dropped_with_an_issue():
    record = map_datacite(resource(
        "<geoLocations><geoLocation><geoLocationPlace>Nowhere</geoLocationPlace>"
        "<geoLocationPoint><pointLatitude>95</pointLatitude><pointLongitude>10</pointLongitude>"
        "</geoLocationPoint></geoLocation></geoLocations>"), context())

    assert record.geo_locations[0].model_dump(exclude_defaults=True) == {"place": "Nowhere"}
    assert any(i.code == "invalid_coordinates" for i in record.issues)


def test_access_rights_are_kept_without_an_spdx_id():
    record = map_datacite(resource(
        '<rightsList><rights rightsURI="info:eu-repo/semantics/openAccess">Open Access</rights>'
        "</rightsList>"), context())

    assert record.rights[0].model_dump(exclude_none=True) == {
        "statement": "Open Access", "uri": "info:eu-repo/semantics/openAccess"}


def test_an_element_already_parsed_is_not_parsed_again(monkeypatch):
    element = etree.fromstring(resource("<titles><title>Parsed once</title></titles>"))
    monkeypatch.setattr("safexml.parse", lambda *a, **k: pytest.fail("parsed twice"))

    record = map_datacite(None, context(), element=element)

    assert record.main_title == "Parsed once"


def test_the_record_carries_provenance_from_the_context():
    stamp = datetime(2024, 12, 31, 23, 0, tzinfo=UTC)
    ctx = MapContext(source_id="zenodo", source_identifier="oai:zenodo.org:7",
                     metadata_format="datacite", harvested_at=HARVESTED, raw_sha256="ab" * 32,
                     datestamp=stamp)

    record = map_datacite(resource(""), ctx)

    assert record.provenance.model_dump() == {
        "source_id": "zenodo", "source_identifier": "oai:zenodo.org:7",
        "metadata_format": "datacite", "harvested_at": HARVESTED, "raw_sha256": "ab" * 32,
        "datestamp": stamp}


# --- unusable payloads -----------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "reason"), [
    (b"this is not xml", "not well-formed XML"),
    (b"", "no metadata payload"),
    (None, "no metadata payload"),
    (b'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"/>',
     "root element is <dc>"),
    (b'<resource xmlns="http://example.org/not-datacite"/>', "not a DataCite <resource>"),
    (b'<oai_datacite xmlns="http://schema.datacite.org/oai/oai-1.1/"><payload/></oai_datacite>',
     "holds no <payload><resource>"),
    (b'<!DOCTYPE r [<!ENTITY x "y">]><resource/>', "refuse"),
])
def test_an_unusable_payload_raises_a_mapping_error_naming_the_record(payload, reason):
    with pytest.raises(MappingError) as caught:
        map_datacite(payload, context("oai:example.org:42"))

    message = str(caught.value)
    assert message.startswith("Source 'example', record 'oai:example.org:42': ")
    assert reason in message
    assert (caught.value.source, caught.value.record_id) == ("example", "oai:example.org:42")


# --- the registry and the docs ------------------------------------------------------------------


def test_the_registry_names_each_format_once():
    assert dict(MAPPERS) == {"oai_dc": mappers.oai_dc.map_oai_dc,
                             "oai_datacite": map_datacite, "datacite": map_datacite,
                             "ckan": mappers.ckan.map_ckan,
                             "dcat_ap": mappers.dcat_ap.map_dcat_ap}
    assert get_mapper("oai_datacite") is map_datacite


def test_an_unknown_format_fails_at_once_and_lists_the_known_ones():
    with pytest.raises(ConfigError) as caught:
        get_mapper("marc21")

    assert str(caught.value) == ("There is no mapper for the metadata format 'marc21'. "
                                 "Known formats: ckan, datacite, dcat_ap, oai_datacite, oai_dc.")


def test_every_mapper_module_is_registered():
    helpers = {"context", "xmltools", "normalise"}
    modules = {m.name for m in pkgutil.iter_modules(mappers.__path__)} - helpers
    registered = {fn.__module__.rsplit(".", 1)[1] for fn in MAPPERS.values()}
    assert modules == registered
    for name in modules:
        assert callable(getattr(importlib.import_module(f"mappers.{name}"), f"map_{name}"))


def reads(row) -> str:
    if row.model is None:
        return "text"
    return ", ".join(f"{name} ← {describe(source)}" for name, source in row.read.items())


@pytest.mark.parametrize(("module", "prefix"), [("datacite", ""), ("oai_dc", "dc:")])
def test_the_docs_mirror_every_row_of_the_mapping_tables(module, prefix):
    docs = (Path(__file__).resolve().parents[1] / "docs" / "mappings.md").read_text("utf-8")
    rows = importlib.import_module(f"mappers.{module}").ROWS
    section = docs.split(f"<!-- table: {module} -->")[1].split("<!-- end -->")[0]
    documented = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \| [^|]+ \| ([^|]+) \|", section,
                            re.MULTILINE)
    assert documented == [(prefix + row.path, row.field, reads(row)) for row in rows]
