"""Dublin Core (oai_dc) maps into the record model: real OAI responses and every dc: element."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

import safexml
from errors import MappingError
from mappers import MapContext
from mappers.oai_dc import map_oai_dc, parse_name

OAI = "{http://www.openarchives.org/OAI/2.0/}"
HARVESTED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def context(identifier: str = "oai:example.org:1") -> MapContext:
    return MapContext(source_id="example", source_identifier=identifier, metadata_format="oai_dc",
                      harvested_at=HARVESTED, raw_sha256="0" * 64)


def dc(body: str) -> bytes:
    return ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">' + body + "</oai_dc:dc>").encode()


def records_in(conformance, name: str) -> dict[str, etree._Element]:
    """OAI identifier -> the <oai_dc:dc> element of every record with metadata on a page."""
    root = safexml.parse((conformance / "B_oai" / "sickle" / name).read_bytes())
    found = {}
    for record in root.iter(f"{OAI}record"):
        metadata = record.find(f"{OAI}metadata")
        if metadata is not None:
            found[record.findtext(f"{OAI}header/{OAI}identifier")] = metadata[0]
    return found


# --- real OAI-PMH responses ------------------------------------------------------------------


@pytest.mark.parametrize("page", ["ListRecords.xml", "ListRecords2.xml", "ListRecords3.xml",
                                  "ListRecords4.xml"])
def test_every_record_on_a_list_records_page_maps(conformance, page):
    records = records_in(conformance, page)
    assert list(records) == ["oai:test.example.com:1585322"]

    for identifier, element in records.items():
        record = map_oai_dc(etree.tostring(element), context(identifier))

        assert record.main_title == "Sample Title"
        assert record.landing_page == "http://test.example.com/publication/1585322"
        assert [c.name for c in record.creators] == ["John Doe"] * 4
        assert (record.creators[0].given_name, record.creators[0].family_name) == ("John", "Doe")
        assert record.creators[0].name_type == "Personal"
        assert record.publisher.name == "Sample Publisher"
        assert record.publication_year == 2010
        assert [(d.value, d.date_type) for d in record.dates] == [("2010", "Issued")]
        assert record.language == "en"
        assert record.resource_type.model_dump() == {
            "general": "JournalArticle", "value": "info:eu-repo/semantics/article"}
        abstract, source = record.descriptions
        assert abstract.value.startswith("Lorem ipsum dolor sit amet, consectetur adipisicing "
                                         "elit, sed do eiusmod tempor incididunt")
        assert "\n" not in abstract.value  # hard line wraps undone
        assert (abstract.lang, abstract.description_type) == ("en", "Abstract")  # xml:lang="eng"
        assert (source.value, source.description_type) == ("Sample Source", "SeriesInformation")
        assert record.provenance.source_identifier == identifier
        assert {i.code for i in record.issues} == {"missing_identifier", "language_undetected"}


def test_a_get_record_response_maps_the_same_way(conformance):
    element = records_in(conformance, "GetRecord.xml")["oai:test.example.com:1996652"]

    record = map_oai_dc(None, context(), element=element)

    assert record.publication_year == 2011
    assert record.landing_page == "http://test.example.com/publication/1996652"
    assert len(record.creators) == 2


def test_a_name_in_chinese_script_is_kept_and_left_untyped(conformance):
    element = records_in(conformance, "GetRecord_utf8test.xml")["oai:test.example.com:1996652"]

    record = map_oai_dc(etree.tostring(element), context())

    assert record.creators[0].model_dump(exclude_defaults=True) == {"name": "某人"}
    assert record.resource_type.general == "Text"


# --- every dc: element -------------------------------------------------------------------------

FULL = dc("""
  <dc:title xml:lang="en">Soil moisture in the Sahel, 2001-2010</dc:title>
  <dc:title xml:lang="fra">Humidité des sols au Sahel, 2001-2010</dc:title>
  <dc:title>Sahel soil moisture</dc:title>
  <dc:creator>Diallo, Aminata</dc:creator>
  <dc:creator>Mensah, Kwame (https://orcid.org/0000-0002-1825-0097)</dc:creator>
  <dc:creator>Institut de Recherche pour le Développement</dc:creator>
  <dc:creator>Jane Smith</dc:creator>
  <dc:contributor>Université Cheikh Anta Diop</dc:contributor>
  <dc:subject>soil moisture; remote sensing; Sahel</dc:subject>
  <dc:subject>info:eu-repo/classification/ddc/550</dc:subject>
  <dc:description>Daily soil moisture retrieved from satellite observations over the Sahel
    between 2001 and 2010.

    Second paragraph.</dc:description>
  <dc:publisher>IRD Data</dc:publisher>
  <dc:date>2012-05-04</dc:date>
  <dc:date>info:eu-repo/date/embargoEnd/2013-05-04</dc:date>
  <dc:date>2012-06-01T10:00:00+02:00</dc:date>
  <dc:type>info:eu-repo/semantics/dataset</dc:type>
  <dc:type>Text</dc:type>
  <dc:format>application/netcdf</dc:format>
  <dc:identifier>https://doi.org/10.23708/ABCDEF</dc:identifier>
  <dc:identifier>https://dataverse.ird.fr/dataset.xhtml?persistentId=doi:10.23708/ABCDEF</dc:identifier>
  <dc:identifier>hdl:20.500.12345/678</dc:identifier>
  <dc:identifier>urn:nbn:fr:ird-1234</dc:identifier>
  <dc:source>ISSN 2049-3630</dc:source>
  <dc:source>Journal of Sahelian Studies, vol. 3</dc:source>
  <dc:language>fre</dc:language>
  <dc:relation>info:eu-repo/grantAgreement/EC/H2020/776691/EU/Soil moisture for all</dc:relation>
  <dc:relation>doi:10.1000/RELATED.1</dc:relation>
  <dc:relation>https://example.org/related</dc:relation>
  <dc:relation>info:eu-repo/semantics/altIdentifier/doi/10.5555/alt.2</dc:relation>
  <dc:relation>See also the companion report</dc:relation>
  <dc:coverage>2001/2010</dc:coverage>
  <dc:coverage>Sahel</dc:coverage>
  <dc:coverage>east=-1.5; north=14.2; name=Niamey</dc:coverage>
  <dc:rights>https://creativecommons.org/licenses/by/4.0/legalcode</dc:rights>
  <dc:rights>info:eu-repo/semantics/openAccess</dc:rights>
  <dc:rights>Some statement of our own</dc:rights>
""")


@pytest.fixture(scope="module")
def full():
    return map_oai_dc(FULL, context())


def test_the_doi_is_the_identifier_and_the_first_url_the_landing_page(full):
    assert full.doi == "10.23708/abcdef"
    assert full.landing_page == (
        "https://dataverse.ird.fr/dataset.xhtml?persistentId=doi:10.23708/ABCDEF")
    assert [(a.value, a.type) for a in full.alternate_identifiers] == [
        ("20.500.12345/678", "Handle"), ("urn:nbn:fr:ird-1234", "URN"), ("10.5555/alt.2", "DOI")]


def test_creators_are_people_or_organisations(full):
    diallo, mensah, ird, smith = full.creators
    assert (diallo.name_type, diallo.family_name, diallo.given_name) == (
        "Personal", "Diallo", "Aminata")
    assert (mensah.name, mensah.name_type, mensah.family_name) == (
        "Mensah, Kwame", "Personal", "Mensah")
    assert mensah.name_identifiers[0].identifier == "https://orcid.org/0000-0002-1825-0097"
    assert (ird.name_type, ird.given_name) == ("Organizational", None)
    assert (smith.given_name, smith.family_name) == ("Jane", "Smith")
    assert full.contributors[0].model_dump(exclude_defaults=True) == {
        "name": "Université Cheikh Anta Diop", "name_type": "Organizational",
        "contributor_type": "Other"}


def test_titles_keep_their_languages_and_get_types(full):
    assert [(t.value, t.lang, t.title_type) for t in full.titles] == [
        ("Soil moisture in the Sahel, 2001-2010", "en", None),
        ("Humidité des sols au Sahel, 2001-2010", "fr", "TranslatedTitle"),
        ("Sahel soil moisture", None, "AlternativeTitle"),
    ]


def test_subjects_are_split_and_ddc_classes_recognised(full):
    assert [s.value for s in full.subjects] == [
        "soil moisture", "remote sensing", "Sahel", "info:eu-repo/classification/ddc/550"]
    assert (full.subjects[3].scheme, full.subjects[3].classification_code) == ("DDC", "550")


def test_dates_give_the_publication_year_and_types(full):
    assert full.publication_year == 2012
    assert [(d.value, d.date_type) for d in full.dates] == [
        ("2012-05-04", "Issued"), ("2013-05-04", "Available"),
        ("2012-06-01T08:00:00Z", "Other"), ("2001/2010", "Coverage")]
    assert full.dates[1].information == "embargo end"


def test_the_most_specific_type_wins(full):
    assert full.resource_type.model_dump() == {
        "general": "Dataset", "value": "info:eu-repo/semantics/dataset"}


def test_language_descriptions_and_formats(full):
    assert full.language == "fr"
    assert full.formats == ["application/netcdf"]
    assert full.descriptions[0].value == (
        "Daily soil moisture retrieved from satellite observations over the Sahel between 2001 "
        "and 2010.\n\nSecond paragraph.")
    assert full.descriptions[0].description_type == "Abstract"
    assert (full.descriptions[1].value, full.descriptions[1].description_type) == (
        "Journal of Sahelian Studies, vol. 3", "SeriesInformation")


def test_relations_become_related_identifiers_and_funding(full):
    assert [(r.value, r.related_identifier_type, r.relation_type)
            for r in full.related_identifiers] == [
        ("10.1000/related.1", "DOI", None),
        ("https://example.org/related", "URL", None),
        ("2049-3630", "ISSN", "IsPublishedIn"),
    ]
    assert full.funding_references[0].model_dump(exclude_none=True) == {
        "funder_name": "EC", "award_number": "776691", "award_title": "Soil moisture for all"}
    assert any(i.code == "unmapped_value" and "companion report" in i.message
               for i in full.issues)


def test_coverage_becomes_dates_and_places(full):
    assert [(g.place, g.point) for g in full.geo_locations][0] == ("Sahel", None)
    niamey = full.geo_locations[1]
    assert (niamey.place, niamey.point.latitude, niamey.point.longitude) == (
        "Niamey", 14.2, -1.5)


def test_rights_get_spdx_ids_and_access_rights_stay_statements(full):
    assert [r.model_dump(exclude_none=True) for r in full.rights] == [
        {"uri": "https://creativecommons.org/licenses/by/4.0/", "spdx_id": "CC-BY-4.0",
         "scheme_uri": "https://spdx.org/licenses/"},
        {"statement": "Open Access", "uri": "info:eu-repo/semantics/openAccess"},
        {"statement": "Some statement of our own"},
    ]


def test_a_complete_record_has_no_warnings(full):
    assert [i for i in full.issues if i.severity != "info"] == []


# --- awkward records -------------------------------------------------------------------------


@pytest.mark.parametrize(("dc_type", "general"), [
    ("Dataset", "Dataset"), ("dataset", "Dataset"), ("text", "Text"), ("Image", "Image"),
    ("Software", "Software"), ("info:eu-repo/semantics/article", "JournalArticle"),
    ("info:eu-repo/semantics/doctoralThesis", "Dissertation"),
    ("info:eu-repo/semantics/conferenceObject", "ConferencePaper"),
    ("http://purl.org/dc/dcmitype/StillImage", "Image"),
])
def test_dc_types_become_datacite_types(dc_type, general):
    record = map_oai_dc(dc(f"<dc:type>{dc_type}</dc:type>"), context())

    assert record.resource_type.model_dump() == {"general": general, "value": dc_type}


def test_an_unknown_type_keeps_the_raw_value_with_an_issue():
    record = map_oai_dc(dc("<dc:type>Widget</dc:type><dc:type>Gadget</dc:type>"), context())

    assert record.resource_type.model_dump() == {"general": None, "value": "Widget"}
    issue = next(i for i in record.issues if i.code == "unknown_resource_type")
    assert issue.message == "No dc:type ('Widget', 'Gadget') names a known resource type."


def test_an_odd_date_and_language_become_issues_not_errors():
    record = map_oai_dc(dc("<dc:date>circa spring 1998</dc:date><dc:language>Englisch"
                           "</dc:language><dc:language>de</dc:language>"), context())

    assert record.dates[0].value == "circa spring 1998"
    assert record.publication_year == 1998
    assert record.language == "de"
    assert {i.code for i in record.issues} >= {"unparseable_date", "invalid_language"}


def test_a_bad_orcid_in_a_creator_is_dropped_with_an_issue():
    record = map_oai_dc(dc("<dc:creator>Doe, Jane, 0000-0002-1825-0098</dc:creator>"), context())

    assert record.creators[0].model_dump(exclude_defaults=True) == {
        "name": "Doe, Jane", "name_type": "Personal", "family_name": "Doe", "given_name": "Jane"}
    assert next(i for i in record.issues if i.code == "invalid_orcid").field == (
        "creators[0].name_identifiers")


def test_untagged_text_in_other_languages_is_detected():
    record = map_oai_dc(dc(
        "<dc:title>Athari za mabadiliko ya tabianchi kwa kilimo cha Afrika Mashariki</dc:title>"
        "<dc:description>Este trabalho avalia os efeitos das mudanças climáticas na produção "
        "agrícola de Moçambique.</dc:description>"
        "<dc:subject>изменение климата и сельское хозяйство</dc:subject>"), context())

    assert (record.titles[0].lang, record.descriptions[0].lang, record.subjects[0].lang) == (
        "sw", "pt", "ru")
    assert {i.field for i in record.issues if i.code == "language_detected"} == {
        "titles[0].lang", "descriptions[0].lang", "subjects[0].lang"}


def test_a_handle_is_the_landing_page_when_there_is_no_url():
    record = map_oai_dc(dc("<dc:identifier>http://hdl.handle.net/1822/7464</dc:identifier>"),
                        context())

    assert record.landing_page == "https://hdl.handle.net/1822/7464"
    assert record.alternate_identifiers[0].model_dump() == {"value": "1822/7464",
                                                            "type": "Handle"}


def test_an_empty_record_maps_with_missing_property_issues():
    record = map_oai_dc(dc(""), context())

    assert {i.code for i in record.issues} == {
        "missing_identifier", "missing_creators", "missing_titles", "missing_publisher",
        "missing_publication_year", "missing_resource_type"}


@pytest.mark.parametrize(("text", "expected"), [
    ("Doe, John", {"name_type": "Personal", "family_name": "Doe", "given_name": "John"}),
    ("van der Berg, Anna M.", {"name_type": "Personal", "family_name": "van der Berg",
                               "given_name": "Anna M."}),
    ("John Doe", {"name_type": "Personal", "given_name": "John", "family_name": "Doe"}),
    ("Maria de la Cruz", {"name_type": "Personal"}),
    ("University of Nairobi", {"name_type": "Organizational"}),
    ("Centre national de la recherche scientifique", {"name_type": "Organizational"}),
    ("Ministerio de Ambiente, Colombia", {"name_type": "Organizational"}),
    ("UNESCO", {"name_type": "Organizational"}),
    ("某人", {}),
    ("anonymous", {}),
])
def test_names_are_parsed_only_as_far_as_they_show(text, expected):
    assert parse_name(text) == {"name": text, **expected}


# --- unusable payloads -----------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "reason"), [
    (b"<<not xml", "not well-formed XML"),
    (b"   ", "no metadata payload"),
    (b'<dc xmlns="http://purl.org/dc/elements/1.1/"/>', "root element is <dc> in namespace "
     "'http://purl.org/dc/elements/1.1/', not <oai_dc:dc>"),
    (b'<resource xmlns="http://datacite.org/schema/kernel-4"/>', "root element is <resource>"),
])
def test_an_unusable_payload_raises_a_mapping_error_naming_the_record(payload, reason):
    with pytest.raises(MappingError) as caught:
        map_oai_dc(payload, context("oai:example.org:99"))

    assert str(caught.value).startswith("Source 'example', record 'oai:example.org:99': ")
    assert reason in str(caught.value)
