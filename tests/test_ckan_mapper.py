"""The CKAN mapper: core fields, extras, scheming DCAT-AP and fluent fields, and the conformance dicts."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from errors import MappingError
from mappers import MAPPERS, MapContext, get_mapper
from mappers.ckan import ROWS, eu_licence_spdx, map_ckan
from schemas import Record

CONTEXT = MapContext(source_id="portal", source_identifier="pkg-1", metadata_format="ckan",
                     harvested_at=datetime(2025, 1, 1, tzinfo=UTC), raw_sha256="0" * 64)
DICTS = Path("C_ckan") / "ckanext-dcat_dataset_dicts"

CORE = {
    "id": "6f1c0a52-8d2e-4c3b-9a51-3f0f2d8e7a10",
    "name": "rainfall-east-africa",
    "type": "dataset",
    "title": "Daily rainfall and air temperature records from automatic weather stations",
    "notes": "Rainfall was measured daily at forty automatic weather stations.\n\n"
             "Values are quality controlled\nand documented.",
    "url": "https://data.example.org/rainfall",
    "version": "2.1",
    "author": "Okafor, Amina",
    "author_email": "amina@example.org",
    "maintainer": "Data Desk",
    "maintainer_email": "mailto:desk@example.org",
    "license_id": "cc-by",
    "license_title": "Creative Commons Attribution",
    "license_url": "http://www.opendefinition.org/licenses/cc-by",
    "metadata_created": "2021-03-04T10:00:00.123456",
    "metadata_modified": "2024-05-06T07:08:09.654321",
    "organization": {"name": "eacdc", "title": "East African Climate Data Centre"},
    "groups": [{"name": "climate", "title": "Climate"}],
    "tags": [{"name": "rainfall", "display_name": "rainfall"}, {"name": "weather stations"}],
    "resources": [
        {"url": "https://data.example.org/rainfall.csv", "url_type": "upload", "format": "CSV",
         "mimetype": "text/csv", "size": 2048, "name": "rainfall.csv",
         "description": "Daily values", "created": "2021-03-04T10:00:00",
         "last_modified": "2024-05-06T07:08:09"},
        {"url": "https://api.example.org/rainfall", "format": "API", "name": "API"},
    ],
    "extras": [
        {"key": "doi", "value": "https://doi.org/10.5555/RAIN-1"},
        {"key": "language", "value": "en"},
        {"key": "spatial", "value": '{"type": "Point", "coordinates": [36.8172, -1.2864]}'},
        {"key": "spatial_text", "value": "Nairobi"},
        {"key": "temporal_start", "value": "2010-01-01"},
        {"key": "temporal_end", "value": "2012-12-31"},
    ],
}


def mapped(package: object) -> Record:
    return map_ckan(json.dumps(package).encode("utf-8"), CONTEXT)


def with_fields(**changes: object) -> dict:
    package = copy.deepcopy(CORE)
    package.update(changes)
    return package


def codes(record: Record) -> set[str]:
    return {issue.code for issue in record.issues}


# --- core CKAN ------------------------------------------------------------------------------------

def test_a_core_package_maps_every_field():
    record = mapped(CORE)

    assert (record.identifier.value, record.identifier.type) == ("10.5555/rain-1", "DOI")
    assert [(t.value, t.lang, t.title_type) for t in record.titles] == [
        (CORE["title"], "en", None)]
    assert [(d.value, d.description_type) for d in record.descriptions] == [
        ("Rainfall was measured daily at forty automatic weather stations.\n\n"
         "Values are quality controlled and documented.", "Abstract")]
    assert [(c.name, c.name_type, c.given_name, c.family_name) for c in record.creators] == [
        ("Okafor, Amina", "Personal", "Amina", "Okafor")]
    assert [(c.name, c.email) for c in record.contact_points] == [
        ("Data Desk", "desk@example.org")]
    assert [(c.name, c.contributor_type) for c in record.contributors] == [
        ("Data Desk", "ContactPerson")]
    assert record.publisher.name == "East African Climate Data Centre"
    assert record.publication_year == 2021
    assert [(d.value, d.date_type) for d in record.dates] == [
        ("2021-03-04T10:00:00", "Issued"), ("2024-05-06T07:08:09", "Updated"),
        ("2010-01-01/2012-12-31", "Coverage")]
    assert [s.value for s in record.subjects] == ["rainfall", "weather stations", "Climate"]
    assert (record.language, record.version, record.landing_page) == (
        "en", "2.1", "https://data.example.org/rainfall")
    assert (record.resource_type.general, record.resource_type.value) == ("Dataset", "dataset")
    assert [(g.place, g.point.latitude, g.point.longitude) for g in record.geo_locations] == [
        ("Nairobi", -1.2864, 36.8172)]
    assert record.formats == ["CSV", "API"]


def test_resources_become_distributions():
    upload, api = mapped(CORE).distributions

    assert upload.model_dump(exclude_none=True) == {
        "access_url": "https://data.example.org/rainfall.csv",
        "download_url": "https://data.example.org/rainfall.csv", "title": "rainfall.csv",
        "description": "Daily values", "format": "CSV", "media_type": "text/csv",
        "byte_size": 2048, "issued": "2021-03-04T10:00:00", "modified": "2024-05-06T07:08:09"}
    assert api.model_dump(exclude_none=True) == {
        "access_url": "https://api.example.org/rainfall", "title": "API", "format": "API"}


def test_emails_stay_in_contact_points_and_nowhere_else():
    record = mapped(CORE)
    text = record.model_dump_json()
    assert text.count("desk@example.org") == 1
    assert "amina@example.org" not in text  # the author is a creator; the maintainer the contact


def test_the_author_is_the_contact_only_when_nobody_else_is():
    record = mapped(with_fields(maintainer=None, maintainer_email=None))
    assert [(c.name, c.email) for c in record.contact_points] == [
        ("Okafor, Amina", "amina@example.org")]


def test_a_package_without_doi_is_identified_like_ckanext_dcat_does():
    package = with_fields(extras=[{"key": "guid", "value": "urn:uuid:9df8df51"}])
    record = mapped(package)
    assert (record.identifier.value, record.identifier.type) == ("urn:uuid:9df8df51", "URN")

    bare = mapped(with_fields(extras=[]))
    assert (bare.identifier.value, bare.identifier.type) == (CORE["id"], "Local")


def test_a_doi_field_that_is_not_a_doi_is_kept_as_an_alternate_with_an_issue():
    record = mapped(with_fields(extras=[{"key": "doi", "value": "not-a-doi"},
                                        {"key": "identifier", "value": "ds-7"}]))
    assert (record.identifier.value, record.identifier.type) == ("ds-7", "Local")
    assert [(a.value, a.type) for a in record.alternate_identifiers] == [("not-a-doi", "Local")]
    assert "invalid_doi" in codes(record)


# --- legacy extras, scheming fields, fluent translations -----------------------------------------

def test_extras_holding_json_inside_strings_are_decoded():
    record = mapped({
        "id": "p2", "title": "Suelos", "extras": [
            {"key": "language", "value": '["es", "en"]'},
            {"key": "theme", "value": '["http://eurovoc.europa.eu/100142", "Earth Sciences"]'},
            {"key": "alternate_identifier", "value": '["hdl:20.500.1/7", "local-7"]'},
            {"key": "publisher_name", "value": "Instituto Andino"},
            {"key": "publisher_uri", "value": "https://ror.org/02mhbdp94"},
            {"key": "contact_name", "value": "Mesa de datos"},
            {"key": "contact_email", "value": "datos@example.org"},
            {"key": "temporal_coverage-from", "value": '["1982"]'},
            {"key": "temporal_coverage-to", "value": '["1986"]'},
        ]})
    assert record.language == "es"
    assert [(s.value, s.value_uri) for s in record.subjects] == [
        ("http://eurovoc.europa.eu/100142", "http://eurovoc.europa.eu/100142"),
        ("Earth Sciences", None)]
    assert [(a.value, a.type) for a in record.alternate_identifiers] == [
        ("20.500.1/7", "Handle"), ("local-7", "Local")]
    assert (record.publisher.name, record.publisher.identifier,
            record.publisher.identifier_scheme) == (
        "Instituto Andino", "https://ror.org/02mhbdp94", "ROR")
    assert [(c.name, c.email) for c in record.contact_points] == [
        ("Mesa de datos", "datos@example.org")]
    assert [(d.value, d.date_type) for d in record.dates] == [("1982/1986", "Coverage")]


def test_every_language_of_a_fluent_package_is_kept_with_its_tag():
    record = mapped({
        "id": "p3", "title": "Conjunto de datos de suelos",
        "title_translated": {"en": "Soil dataset", "es": "Conjunto de datos de suelos",
                             "fr": ""},
        "notes_translated": {"en": "Soil samples.", "es": "Muestras de suelo."},
        "tags_translated": {"en": ["soil"], "es": ["suelo", "carbono"]},
    })
    assert [(t.value, t.lang, t.title_type) for t in record.titles] == [
        ("Conjunto de datos de suelos", "es", None),
        ("Soil dataset", "en", "TranslatedTitle")]
    assert [(d.value, d.lang) for d in record.descriptions] == [
        ("Soil samples.", "en"), ("Muestras de suelo.", "es")]
    assert [(s.value, s.lang) for s in record.subjects] == [
        ("soil", "en"), ("suelo", "es"), ("carbono", "es")]


def test_scheming_agents_keep_their_types_and_identifiers():
    record = mapped({
        "id": "p4", "title": "Agents",
        "creator": [{"name": "Mensah, Kwame", "identifier": "0000-0002-1825-0097"},
                    {"name": "Sahel Water Observatory", "type": "public_body"},
                    {"name": "Bad Id", "uri": "https://orcid.org/0000-0002-1825-0098"}],
        "contributor": [{"name": "Field Team"}],
        "publisher": [{"name": "Portal Publisher", "email": "pub@example.org"}],
    })
    assert [(c.name, c.name_type, [i.identifier for i in c.name_identifiers])
            for c in record.creators] == [
        ("Mensah, Kwame", "Personal", ["https://orcid.org/0000-0002-1825-0097"]),
        ("Sahel Water Observatory", "Organizational", []),
        ("Bad Id", "Personal", [])]
    assert "invalid_orcid" in codes(record)
    assert [(c.name, c.contributor_type) for c in record.contributors] == [("Field Team", "Other")]
    assert record.publisher.name == "Portal Publisher"


# --- licences -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "expected"), [
    ({"license_id": "cc-by"}, ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/",
                               None)),
    ({"license_id": "CC-BY-4.0"}, ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/",
                                   None)),
    ({"license_id": "cc-zero"}, ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/",
                                 None)),
    ({"license_id": "odc-odbl"}, ("ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/",
                                  None)),
    ({"license_id": "other-open", "license_title": "Other (Open)"}, (None, None, "other-open")),
    ({"license_url": "http://publications.europa.eu/resource/authority/licence/CC_BYNC_4_0"},
     ("CC-BY-NC-4.0", "https://creativecommons.org/licenses/by-nc/4.0/", None)),
    ({"license_id": "my-licence", "license_url": "https://opendatacommons.org/licenses/by/"},
     ("ODC-By-1.0", "https://opendatacommons.org/licenses/by/1-0/", None)),
])
def test_ckan_licence_ids_become_spdx(fields, expected):
    package = {"id": "p5", "title": "Licensed", **fields}
    [rights] = mapped(package).rights
    assert (rights.spdx_id, rights.uri, rights.rights_identifier) == expected


def test_a_versionless_ckan_licence_says_which_version_was_assumed():
    record = mapped({"id": "p6", "title": "t", "license_id": "cc-by-sa"})
    assert record.rights[0].spdx_id == "CC-BY-SA-4.0"
    assert "licence_version_assumed" in codes(record)


def test_an_unspecified_licence_records_no_rights():
    record = mapped({"id": "p7", "title": "t", "license_id": "notspecified"})
    assert record.rights == []


def test_eu_vocabulary_licences_are_read_as_spdx():
    base = "http://publications.europa.eu/resource/authority/licence/"
    assert [eu_licence_spdx(base + code) for code in ("CC_BY_4_0", "CC_BYSA_4_0", "CC0",
                                                      "ODC_BL", "CC_BYNCND_4_0", "COM_REUSE")] \
        == ["CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "ODbL-1.0", "CC-BY-NC-ND-4.0", None]


# --- where ----------------------------------------------------------------------------------------

def spatial(value: object, **extras: str) -> Record:
    pairs = [{"key": "spatial", "value": value if isinstance(value, str) else json.dumps(value)}]
    pairs += [{"key": k, "value": v} for k, v in extras.items()]
    return mapped({"id": "p8", "title": "Where", "extras": pairs})


def test_a_rectangle_is_a_box_and_another_polygon_a_polygon():
    box = spatial({"type": "Polygon", "coordinates": [[[25, -22], [33, -22], [33, -15],
                                                       [25, -15], [25, -22]]]})
    assert box.geo_locations[0].box.model_dump() == {"west": 25, "east": 33, "south": -22,
                                                     "north": -15}
    triangle = spatial({"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [5, 8], [0, 0]]]})
    assert [(p.longitude, p.latitude) for p in triangle.geo_locations[0].polygon] == [
        (0, 0), (10, 0), (5, 8), (0, 0)]
    assert triangle.geo_locations[0].box is None


def test_coordinates_out_of_range_are_dropped_with_an_issue():
    record = spatial({"type": "Point", "coordinates": [200, 95]}, spatial_text="Nowhere")
    assert [(g.place, g.point) for g in record.geo_locations] == [("Nowhere", None)]
    assert "invalid_coordinates" in codes(record)


def test_spatial_text_where_geojson_belongs_is_a_place():
    assert [g.place for g in spatial("Nairobi, Kenya").geo_locations] == ["Nairobi, Kenya"]


def test_iso_and_dcat_us_bounding_boxes_are_read():
    iso = mapped({"id": "p9", "title": "ISO", "extras": [
        {"key": "bbox-west-long", "value": "25.0"}, {"key": "bbox-east-long", "value": "33.0"},
        {"key": "bbox-south-lat", "value": "-22.0"}, {"key": "bbox-north-lat", "value": "-15"}]})
    assert iso.geo_locations[0].box.model_dump() == {"west": 25, "east": 33, "south": -22,
                                                     "north": -15}
    us = mapped({"id": "p10", "title": "US", "bbox": [
        {"west": -125.0, "east": -66.9, "north": 49.4, "south": 24.4}]})
    assert us.geo_locations[0].box.west == -125.0


# --- broken input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("payload", "message"), [
    (b"", "no metadata payload"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b'{"id": "x", "title": ', "not JSON: Expecting value at line 1 column 22"),
    (b'[{"id": "x"}]', "JSON a list, not a CKAN package object"),
    (b'"just text"', "JSON a string"),
    (b'{"title": "Catalog", "dataset": [{"title": "a"}, {"title": "b"}]}',
     "DCAT-JSON catalogue of 2 datasets"),
    (b'{"foo": 1, "bar": 2}', "none of the fields of a CKAN package"),
    (b"[" * 100_000, "too deeply"),
])
def test_an_unusable_payload_is_a_mapping_error_naming_why(payload, message):
    with pytest.raises(MappingError, match=re.escape(message)) as caught:
        map_ckan(payload, CONTEXT)
    assert (caught.value.source, caught.value.record_id) == ("portal", "pkg-1")


def test_a_package_show_response_is_unwrapped():
    record = mapped({"help": "...", "success": True, "result": CORE})
    assert record.identifier.value == "10.5555/rain-1"


# Every key the mapper reads outside its table.
IRREGULAR_KEYS = ("title", "title_translated", "doi", "identifier", "guid", "uri", "id", "creator",
                  "contributor", "contact", "contact-email", "publisher", "organization",
                  "author", "author_email", "maintainer", "maintainer_email", "dcat_type",
                  "type", "license_id", "license_title", "license_url", "license",
                  "spatial_coverage", "spatial", "spatial_text", "spatial_bbox",
                  "spatial_centroid", "bbox", "bbox-west-long", "temporal_coverage",
                  "temporal_start", "temporal", "resources", "distribution", "extras",
                  "creator_name", "publisher_name", "contact_name")


@pytest.mark.parametrize("wrong", [None, 7, 1.5, True, "x", "[1, {", ["x", 3, None, {}],
                                   {"a": {"b": 1}}, [{"name": 5, "url": []}]], ids=repr)
def test_a_field_of_the_wrong_json_type_never_breaks_the_mapping(wrong):
    keys = {key for row in ROWS for key in row.keys} | set(IRREGULAR_KEYS) | set(CORE)
    for key in sorted(keys):
        package = with_fields(**{key: wrong})
        if key != "extras":
            package["extras"] = CORE["extras"] + [{"key": key, "value": wrong}]
        assert isinstance(mapped(package), Record), key


# --- the conformance dicts ------------------------------------------------------------------------

def datasets_in(path: Path) -> list[tuple[str, dict]]:
    """Every dataset dict a file holds: the file itself, a list's items, a catalogue's datasets."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("dataset"), list):
        data = data["dataset"]
    items = data if isinstance(data, list) else [data]
    return [(f"{path.name}[{n}]", item) for n, item in enumerate(items)]


def expected_publisher(package: dict) -> str | None:
    extras = {e["key"]: e["value"] for e in package.get("extras") or []}
    publisher = package.get("publisher")
    if isinstance(publisher, list) and publisher:
        return publisher[0]["name"]
    if isinstance(publisher, dict):
        return publisher["name"]
    for key in ("publisher_name", "dcat_publisher_name"):
        if extras.get(key):
            return extras[key]
    organization = package.get("organization")
    return organization["title"] if organization else None


def expected_identifier(package: dict) -> str | None:
    extras = {e["key"]: e["value"] for e in package.get("extras") or []}
    return (package.get("identifier") or extras.get("identifier") or extras.get("guid")
            or package.get("uri") or package.get("id"))


def test_every_conformance_dataset_maps_with_its_title_identifier_and_publisher(conformance):
    folder = conformance / DICTS
    datasets = [d for path in sorted(folder.glob("*.json")) for d in datasets_in(path)]
    assert len(datasets) == 14
    for name, package in datasets:
        record = mapped(package)
        translated = package.get("title_translated") or {}
        assert {t.value for t in record.titles} == {package["title"], *translated.values()}, name
        assert record.main_title == package["title"], name
        identifier = expected_identifier(package)
        assert (record.identifier.value if record.identifier else None) == identifier, name
        publisher = expected_publisher(package)
        assert (record.publisher.name if record.publisher else None) == publisher, name
        assert record.resource_type.general in ("Dataset", "Collection"), name
        assert record.provenance.source_id == "portal"


def test_the_multilingual_conformance_dataset_keeps_every_language(conformance):
    path = conformance / DICTS / "ckan_dataset_multilingual.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    record = mapped(package)

    assert {(t.lang, t.value) for t in record.titles} == set(
        package["title_translated"].items())
    abstracts = {(d.lang, d.value) for d in record.descriptions
                 if d.description_type == "Abstract"}
    assert abstracts == set(package["notes_translated"].items())
    methods = {(d.lang, d.value) for d in record.descriptions if d.description_type == "Methods"}
    assert methods == set(package["provenance"].items())
    assert {(s.lang, s.value) for s in record.subjects} == {
        (lang, word) for lang, words in package["tags_translated"].items() for word in words}
    assert [(c.name, c.email) for c in record.contact_points] == [
        (c["name"], c["email"]) for c in package["contact"]]


def test_legacy_extras_and_scheming_fields_give_the_same_record(conformance):
    folder = conformance / DICTS
    scheming = mapped(json.loads((folder / "ckan_full_dataset_dcat_ap.json").read_text("utf-8")))
    legacy = mapped(json.loads((folder / "ckan_full_dataset_dcat_ap_legacy.json")
                               .read_text("utf-8")))

    def essentials(record: Record) -> tuple:
        return (record.identifier, record.alternate_identifiers, record.titles,
                record.descriptions, record.subjects, record.language,
                [d for d in record.dates if d.date_type != "Coverage"], record.dates[2],
                record.publisher.name, record.access_rights, record.version,
                record.landing_page,
                (record.contact_points[0].name, record.contact_points[0].email))
    assert essentials(legacy) == essentials(scheming)


def test_a_whole_catalogue_file_is_refused_clearly(conformance):
    path = conformance / DICTS / "catalog.json"
    with pytest.raises(MappingError, match="DCAT-JSON catalogue of 2 datasets"):
        map_ckan(path.read_bytes(), CONTEXT)


def test_the_broken_values_in_the_conformance_dicts_become_issues(conformance):
    path = conformance / DICTS / "health_dcat_ap.json"
    [(_, package)] = datasets_in(path)
    record = mapped(package)
    # "documentation" holds a blank-node id, not a URL; the resource has no URL at all
    assert any(i.code == "unmapped_value" and "n1049372e768c4429a6b2200c22f5f1a4b9" in i.message
               for i in record.issues)
    assert record.distributions == []
    assert "empty_element" in codes(record)


# --- registry and docs ----------------------------------------------------------------------------

def test_the_mapper_is_registered_as_ckan():
    assert MAPPERS["ckan"] is map_ckan
    assert get_mapper("ckan") is map_ckan


def test_the_docs_mirror_every_row_of_the_ckan_table():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "mappings.md").read_text("utf-8")
    section = docs.split("<!-- table: ckan -->")[1].split("<!-- end -->")[0]
    documented = re.findall(r"^\| ((?:`[^`]+`(?: / )?)+) \| `([^`]+)` \| ([^|]+) \|", section,
                            re.MULTILINE)
    assert [(re.findall(r"`([^`]+)`", keys), field, read.strip())
            for keys, field, read in documented] == [
        (list(row.keys), row.field, row.read.__doc__) for row in ROWS]
