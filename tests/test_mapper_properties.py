"""Every registered mapper, fed hostile input, ends in a Record or a MappingError, never a crash.

Realistic seed payloads per format are mutated at random (elements, triples or keys dropped,
duplicated, shuffled, moved and renamed; text replaced with odd unicode, control characters,
right-to-left text, very long strings, numbers; wrong namespaces and nesting; random JSON values
of the wrong type), and plain random bytes are tried too; every coordinate, number, date,
identifier and language field of the seeds also gets every edge value of its kind, one at a
time, which random mutation would reach only by luck. The only allowed outcomes are a
`schemas.Record` whose JSON is strict JSON, valid UTF-8 and XML-safe (no control characters,
no surrogates: every exporter and PostgreSQL can carry it) and that validates back to itself,
or an `errors.MappingError` with a reason. `pipeline.mapping.map_one` never raises at all.

The mappers are found through `mappers.MAPPERS`: a new format fails
`test_every_registered_mapper_has_a_payload_strategy` until it gets seeds and a strategy here.
Hypothesis runs derandomized and without its example database, so CI sees the same examples.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from rdflib import Graph
from rdflib.compare import to_canonical_graph

import safexml
from errors import MappingError
from mappers import MAPPERS, MapContext
from pipeline.mapping import map_one
from schemas import Record
from simulator import records as simulated
from simulator.dcat import _dataset as simulated_dataset

HARVESTED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
PROPERTIES = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.filter_too_much])
# rdflib warns (and carries on) about ill-typed literals, which is exactly what is fed here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def context(metadata_format: str) -> MapContext:
    return MapContext(source_id="hostile", source_identifier="oai:hostile:1",
                      metadata_format=metadata_format, harvested_at=HARVESTED,
                      raw_sha256="0" * 64)


# --- what must hold of every outcome --------------------------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_sound(record: Record) -> None:
    """Strict JSON, UTF-8, XML-safe text, and the model validates its own JSON back to itself."""
    assert isinstance(record, Record), type(record)
    dumped = record.model_dump(mode="json")
    text = json.dumps(dumped, allow_nan=False, ensure_ascii=False)  # no NaN or Infinity
    text.encode("utf-8")  # no lone surrogates
    bad = [s for s in strings(dumped) if _NOT_XML.search(s)]
    assert not bad, f"characters no exporter or database can carry: {bad[:3]!r}"
    assert Record.model_validate(json.loads(text)).model_dump(mode="json") == dumped


def outcome(metadata_format: str, payload: bytes | None, element: Any = None) -> Record | None:
    """The mapper's Record (checked), or None when it refused the payload with a reason."""
    mapper = MAPPERS[metadata_format]
    try:
        record = mapper(payload, context(metadata_format), element=element)
    except MappingError as exc:
        assert exc.message.strip() and str(exc).strip(), "a MappingError without a reason"
        return None
    assert_sound(record)
    return record


# --- hostile text ---------------------------------------------------------------------------------

HOSTILE = [
    "", " ", "\t\n\r ", "<script>alert(1)</script>", "]]>", "&amp;", "&lt;", '"""', "'\"",
    "\\", "\\u0000", "%00", "\x00", "\x01\x0b\x1f", "\x7f\x85", "\ufffe\uffff", "\ufeff",
    "\u202eRTL override\u202c", "مجموعة بيانات المياه الجوفية", "נתוני מים", "数据集",
    "A\u0301\u0327", "\U0001f600\U0001f4a9", "\u2028\u2029", "x" * 5000, "word " * 2000,
    "0", "-0", "1e400", "-1e400", "NaN", "Infinity", "9" * 5000, "3.14", "true", "null",
    "0000", "0000-00-00", "2020-13-45", "2020-02-30", "9999-12-31T23:59:59Z", "-2020", "20200",
    "2010/", "/2012", "2010-01-01/2009-01-01", "..", "/", "1e5-01-01",
    "10.1234/<x>", "10.", "doi:", "https://doi.org/", "doi:10.1234/\u00e9 x", "hdl:",
    "https://orcid.org/0000-0002-1825-0097", "0000-0002-1825-009X", "https://ror.org/0000000",
    "https://ror.org/04wxnsj81", "info:eu-repo/semantics/openAccess", "info:eu-repo/",
    "info:eu-repo/date/embargoEnd/", "info:eu-repo/grantAgreement/EC/FP7/", "info:eu-repo/"
    "grantAgreement/EC/H2020/123/EU/Title//x", "info:eu-repo/semantics/altIdentifier/doi/",
    "info:eu-repo/classification/ddc/999.999.9", "ddc:", "urn:nbn:", "javascript:alert(1)",
    "https://example.org/a b\"<c>", "http://[::1", "mailto:", "mailto:a@b", "@",
    "east=nan; north=inf", "east=1e999; north=-1e999; name=x", "northlimit=nan; southlimit=1;"
    " eastlimit=2; westlimit=3", "POINT(1e999 nan)", "POINT()", "POLYGON((1 2, 3))",
    "MULTIPOLYGON(((1 2,3 4,5 6,1 2)),((", "<http://www.opengis.net/def/crs/EPSG/0/4326> "
    "POINT(91 181)", '{"type":"Point","coordinates":[1e999,NaN]}',
    '{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[1,0],[0,0]]]}', '{"type":[]}',
    '{"coordinates":' + "[" * 2000 + "]" * 2000 + "}", "[" * 5000, '{"en": "x", "1": [1]}',
    '["a", {"b": null}]', "<gml:Envelope srsName=\"EPSG:4326\"><gml:lowerCorner>nan nan"
    "</gml:lowerCorner><gml:upperCorner>1 2</gml:upperCorner></gml:Envelope>",
    "en", "EN-gb", "x-klingon", "i-default", "zh-Hant-TW", "und", "not a tag!", "eng", "ENG",
    "cc-by", "CC-BY-4.0", "http://creativecommons.org/licenses/by/4.0", "notspecified",
    "Dataset", "dataset", "Software", "Poster", "Other", "Text", "Funder", "ContactPerson",
    "Personal", "Organizational", "DOI", "ORCID", "ROR", "URL", "Crossref Funder ID",
    "IsSupplementTo", "SWHID", "Issued", "Available", "Coverage", "SeriesInformation",
    "Abstract", "TranslatedTitle", "Publisher", "text/csv", "CSV", "sha256:zz", "12 bytes", "-5",
]


# Edge values by the kind of field they go into, so that a mutation hits the parsing code of
# coordinates, numbers, dates, years, identifiers and language tags, not only plain text.
DEEP_GEOJSON = '{"type":"Polygon","coordinates":' + "[" * 3000 + "]" * 3000 + "}"
EDGES = {
    "geo": ["east=nan; north=inf", "east=1e999; north=1", "east=-1.5; north=6.7; name=<x>",
            "northlimit=nan; southlimit=1; eastlimit=2; westlimit=3", "east=200; north=100",
            "northlimit=1e999; southlimit=-1e999; eastlimit=0; westlimit=0", "nan", "inf",
            "-inf", "1e999", "NaN NaN", "91 181", "nan nan nan nan", "1 2 3", "POINT(nan nan)",
            "POINT(1e999 1)", "POINT(-1.5 6.7)", "POLYGON((0 0, nan 1, 1 1, 0 0))",
            "POLYGON((0 0, 0 1, 1 1, 1 0, 0 0))", "MULTIPOLYGON(((", "POINT Z (1 2 3)",
            '{"type":"Point","coordinates":[NaN,1]}', '{"type":"Point","coordinates":[1e999,1]}',
            '{"type":"Point","coordinates":[' + "9" * 400 + ",1]}", DEEP_GEOJSON,
            '{"type":"Point","coordinates":"x"}', '{"type":{},"coordinates":[1,2]}',
            '{"type":"GeometryCollection","geometries":[{"coordinates":[1,2]},5]}',
            '<gml:Point srsName="EPSG:4326"><gml:pos>nan 1e999</gml:pos></gml:Point>',
            "<gml:Envelope><gml:lowerCorner>1</gml:lowerCorner><gml:upperCorner>2 3"
            "</gml:upperCorner></gml:Envelope>"],
    "number": ["-1", "0", "1e400", "1E+999999999", "nan", "Infinity", "18446744073709551616",
               "9" * 5000, "1.5", "0x10", "\u00b2", "²", "٣", " 12 ", "12 bytes", ""],
    "date": ["0000", "0000-00-00", "2020-13-45", "2020-02-30", "9999-12-31T23:59:59Z",
             "99999-01-01", "-2020", "2010/", "/", "..", "../..", "2010/2009", "1e5",
             "2020-01-01T25:61:61Z", "2020-01-01T10:00:00+99:99", "2020-W53", "20200101",
             "٢٠٢٠-٠١-٠١", "²⁰²⁰",
             "2020-01-01/2020-01-01/2020", "info:eu-repo/date/embargoEnd/", "Spring 2010"],
    "identifier": ["10.1234/<x>", "10.", "doi:", "https://doi.org/", "doi:10.1234/é x",
                   "10.1234/%zz", "hdl:", "info:hdl/", "https://orcid.org/0000-0002-1825-0097",
                   "0000-0002-1825-009X", "https://ror.org/0000000", "https://ror.org/04wxnsj81",
                   "urn:nbn:", "ISSN 1234-567X", "isbn 978", "arXiv:", "PMID:", "ark:/",
                   "javascript:alert(1)", "https://example.org/a b\"<c>", "http://[::1",
                   "mailto:", "info:eu-repo/semantics/altIdentifier/doi/",
                   "info:eu-repo/grantAgreement/EC/FP7/", "info:eu-repo/grantAgreement//x/",
                   "https://doi.org/10.13039/\u0000"],
    "language": ["", "x", "123", "en-", "-en", "a" * 9, "zh-Hant-TW-x-private", "i-klingon",
                 "und", "ENG", "eng", "qaa", "en_GB", "\u00e9n", "\x00"],
}
# Which edge values each field name (element, attribute, predicate, CKAN key) is given.
FIELD_KINDS = {name: kind for kind, names in {
    "geo": "coverage geoLocationPoint geoLocationBox pointLatitude pointLongitude "
           "westBoundLongitude eastBoundLongitude southBoundLatitude northBoundLatitude spatial "
           "bbox centroid geometry asWKT asGML spatial_bbox spatial_centroid geom "
           "bbox-west-long bbox-east-long bbox-south-lat bbox-north-lat west east south north "
           "coordinates geometries",
    "number": "size byteSize sizes publicationYear",
    "date": "date dates issued modified created last_modified metadata_created "
            "metadata_modified startDate endDate hasBeginning hasEnd inXSDDate temporal start "
            "end temporal_start temporal_end temporal_coverage-from",
    "identifier": "identifier alternateIdentifier relatedIdentifier nameIdentifier "
                  "funderIdentifier relatedItemIdentifier affiliationIdentifier "
                  "publisherIdentifier doi guid uri relation source alternate_identifier "
                  "documentation is_referenced_by has_version is_version_of related_resource "
                  "sameAs landingPage url accessURL downloadURL valueURI rightsURI schemeURI",
    "language": "lang language",
}.items() for name in names.split()}


def one_of_these(values: list) -> st.SearchStrategy[Any]:
    """sampled_from, without a repr as long as the values (some are 5,000 characters)."""
    def pick(index: int) -> Any:
        return values[index]
    return st.integers(0, len(values) - 1).map(pick)


@functools.cache
def xml_text(field: str | None = None) -> st.SearchStrategy[str]:
    """Text to put into a document: edge values for the field's kind, the list above, random
    unicode, long and numeric text."""
    general = st.one_of(
        one_of_these(HOSTILE),
        st.text(max_size=30),
        st.text(alphabet=st.characters(categories=["Cc", "Cf", "Co", "Zs", "Zl", "Zp", "Mn"]),
                max_size=12),
        st.builds(lambda a, b: a + b, one_of_these(HOSTILE), st.text(max_size=8)),
        st.integers().map(str), st.floats().map(repr),
        st.builds(lambda part, n: part * n, st.text(min_size=1, max_size=4),
                  st.integers(100, 3000)),
    )
    kind = FIELD_KINDS.get(field or "")
    if kind is None:
        return general
    edges = one_of_these(EDGES[kind])
    return st.one_of(edges, edges, edges, general)


# Raw bytes put where a placeholder stood, after serialising: what a document cannot say legally.
MARK = "\ue000"
RAW = [b"\x00", b"\x01", b"\x1b", b"\x0b", b"&#1;", b"&#x1F;", b"&#xFFFE;", b"&#xD800;",
       b"&#0;", b"\xff", b"\xc3", b"\xed\xa0\x80", b"&bogus;", b"&amp", b"<", b"]]>",
       b"\\u0000", b"\\uD800", b"\\", b"\r", b"\"", b"\xe2\x80\xae"]


def raw_bytes(draw: Callable, data: bytes) -> bytes:
    """Each placeholder replaced by raw bytes, then maybe a few bytes inserted or cut off."""
    parts = data.split(MARK.encode())
    out = parts[0]
    for part in parts[1:]:
        out += draw(st.sampled_from(RAW)) + part
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 0, 1, 2]))):  # mostly a readable document
        kind = draw(st.sampled_from(["insert", "truncate", "flip"]))
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        if kind == "insert":
            out = out[:at] + draw(st.sampled_from(RAW)) + out[at:]
        elif kind == "truncate":
            out = out[:at]
        else:
            out = out[:at] + bytes([out[at] ^ draw(st.integers(1, 255))]) + out[at + 1:]
    return out


def shuffled(draw: Callable, items: list) -> list:
    """The items in a drawn order (a permutation of positions: short to print)."""
    return [items[i] for i in draw(st.permutations(range(len(items))))]


def marked(draw: Callable, text: str) -> str:
    """The text, sometimes with placeholders for raw bytes."""
    text = safexml.clean_text(text)
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + MARK + text[at:]
    return text


# --- XML formats ----------------------------------------------------------------------------------

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
KERNEL_4 = "http://datacite.org/schema/kernel-4"

OAI_DC_SEED = f"""<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}">
  <dc:title xml:lang="en">Groundwater levels in rural boreholes</dc:title>
  <dc:title xml:lang="fr">Niveaux des nappes dans les forages ruraux</dc:title>
  <dc:creator>Okafor, Amina (https://orcid.org/0000-0002-1825-0097)</dc:creator>
  <dc:creator>Institut de Recherche sur l'Eau</dc:creator>
  <dc:contributor>Haddad Omar</dc:contributor>
  <dc:subject>hydrogeology; boreholes</dc:subject>
  <dc:subject>info:eu-repo/classification/ddc/551.49</dc:subject>
  <dc:description xml:lang="en">Monthly water levels.

Measured by hand.<br/>Second paragraph.</dc:description>
  <dc:publisher>Alpha Repository</dc:publisher>
  <dc:date>2019-04-17</dc:date>
  <dc:date>info:eu-repo/date/embargoEnd/2020-01-01</dc:date>
  <dc:type>info:eu-repo/semantics/dataset</dc:type>
  <dc:type>Text</dc:type>
  <dc:format>text/csv</dc:format>
  <dc:identifier>https://doi.org/10.5555/alpha-3</dc:identifier>
  <dc:identifier>https://alpha.example.org/record/3</dc:identifier>
  <dc:identifier>hdl:20.500.12345/3</dc:identifier>
  <dc:source>ISSN 1234-5679</dc:source>
  <dc:source>Series on water, vol. 3</dc:source>
  <dc:language>eng</dc:language>
  <dc:relation>info:eu-repo/grantAgreement/EC/H2020/123456/EU/Water/WAT</dc:relation>
  <dc:relation>info:eu-repo/semantics/altIdentifier/doi/10.5555/alt-3</dc:relation>
  <dc:relation>https://doi.org/10.5555/article-1</dc:relation>
  <dc:coverage>2015-01-01/2018-12-31</dc:coverage>
  <dc:coverage>east=-1.5; north=6.7; name=Kumasi</dc:coverage>
  <dc:coverage>northlimit=10; southlimit=5; eastlimit=3; westlimit=-3</dc:coverage>
  <dc:rights>https://creativecommons.org/licenses/by/4.0/</dc:rights>
  <dc:rights xml:lang="en">info:eu-repo/semantics/openAccess</dc:rights>
</oai_dc:dc>"""

DATACITE_SEED = f"""<resource xmlns="{KERNEL_4}"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <identifier identifierType="DOI">10.5555/ALPHA-3</identifier>
  <creators>
    <creator>
      <creatorName nameType="Personal" xml:lang="en">Okafor, Amina</creatorName>
      <givenName>Amina</givenName><familyName>Okafor</familyName>
      <nameIdentifier nameIdentifierScheme="ORCID" schemeURI="https://orcid.org"
        >https://orcid.org/0000-0002-1825-0097</nameIdentifier>
      <affiliation affiliationIdentifier="https://ror.org/04wxnsj81"
        affiliationIdentifierScheme="ROR">DataCite</affiliation>
    </creator>
    <creator><creatorName>Institut de Recherche</creatorName>
      <nameIdentifier nameIdentifierScheme="ROR">https://ror.org/04wxnsj81</nameIdentifier>
    </creator>
  </creators>
  <titles>
    <title xml:lang="en">Groundwater levels</title>
    <title titleType="TranslatedTitle" xml:lang="es">Niveles del agua</title>
  </titles>
  <publisher publisherIdentifier="https://ror.org/04wxnsj81" publisherIdentifierScheme="ROR"
    xml:lang="en">Alpha Repository</publisher>
  <publicationYear>2019</publicationYear>
  <resourceType resourceTypeGeneral="Dataset">Field measurements</resourceType>
  <subjects>
    <subject subjectScheme="FOS" schemeURI="http://www.oecd.org/science/inno/38235147.pdf"
      valueURI="http://www.oecd.org/x" classificationCode="1.5">FOS: Earth sciences</subject>
    <subject xml:lang="en">boreholes</subject>
  </subjects>
  <contributors>
    <contributor contributorType="ContactPerson"><contributorName>Haddad, Omar</contributorName>
    </contributor>
    <contributor contributorType="Funder"><contributorName>Water Fund</contributorName>
      <nameIdentifier nameIdentifierScheme="Crossref Funder ID"
        >https://doi.org/10.13039/501100000780</nameIdentifier>
    </contributor>
  </contributors>
  <dates><date dateType="Issued">2019-04-17</date>
    <date dateType="Collected" dateInformation="field work">2015-01-01/2018-12-31</date></dates>
  <language>en</language>
  <alternateIdentifiers><alternateIdentifier alternateIdentifierType="Local"
    >ALPHA-3</alternateIdentifier></alternateIdentifiers>
  <relatedIdentifiers>
    <relatedIdentifier relatedIdentifierType="DOI" relationType="IsSupplementTo"
      resourceTypeGeneral="JournalArticle">10.5555/article-1</relatedIdentifier>
    <relatedIdentifier relatedIdentifierType="URL" relationType="HasMetadata"
      relatedMetadataScheme="DDI" schemeURI="https://ddialliance.org" schemeType="XSD"
      >https://alpha.example.org/ddi/3</relatedIdentifier>
  </relatedIdentifiers>
  <sizes><size>121.8 MB</size></sizes>
  <formats><format>text/csv</format></formats>
  <version>2.1</version>
  <rightsList><rights rightsURI="https://creativecommons.org/licenses/by/4.0/"
    rightsIdentifier="CC-BY-4.0" rightsIdentifierScheme="SPDX" xml:lang="en"
    >Creative Commons Attribution 4.0</rights></rightsList>
  <descriptions><description descriptionType="Abstract" xml:lang="en">Monthly levels.<br/>
    More.</description></descriptions>
  <geoLocations>
    <geoLocation><geoLocationPlace>Kumasi</geoLocationPlace>
      <geoLocationPoint><pointLongitude>-1.5</pointLongitude><pointLatitude>6.7</pointLatitude>
      </geoLocationPoint>
      <geoLocationBox><westBoundLongitude>-3</westBoundLongitude>
        <eastBoundLongitude>3</eastBoundLongitude><southBoundLatitude>5</southBoundLatitude>
        <northBoundLatitude>10</northBoundLatitude></geoLocationBox>
      <geoLocationPolygon>
        <polygonPoint><pointLongitude>0</pointLongitude><pointLatitude>0</pointLatitude>
        </polygonPoint>
        <polygonPoint><pointLongitude>1</pointLongitude><pointLatitude>0</pointLatitude>
        </polygonPoint>
        <polygonPoint><pointLongitude>1</pointLongitude><pointLatitude>1</pointLatitude>
        </polygonPoint>
        <polygonPoint><pointLongitude>0</pointLongitude><pointLatitude>0</pointLatitude>
        </polygonPoint>
      </geoLocationPolygon>
    </geoLocation>
  </geoLocations>
  <fundingReferences><fundingReference><funderName>European Commission</funderName>
    <funderIdentifier funderIdentifierType="ROR">https://ror.org/00k4n6c32</funderIdentifier>
    <awardNumber awardURI="https://cordis.europa.eu/project/id/123">123</awardNumber>
    <awardTitle>Water</awardTitle></fundingReference></fundingReferences>
  <relatedItems><relatedItem relationType="IsPublishedIn" relatedItemType="Journal">
    <relatedItemIdentifier relatedItemIdentifierType="ISSN">1234-5679</relatedItemIdentifier>
  </relatedItem></relatedItems>
</resource>"""

KERNEL_3_SEED = """<resource xmlns="http://datacite.org/schema/kernel-3">
  <identifier identifierType="DOI">10.5072/D3P26Q35R-Test</identifier>
  <creators><creator><creatorName>Fosmire, Michael</creatorName></creator></creators>
  <titles><title>Full DataCite XML Example</title></titles>
  <publisher>DataCite</publisher><publicationYear>2014</publicationYear>
  <contributors><contributor contributorType="Funder"><contributorName>NSF</contributorName>
  </contributor></contributors>
  <resourceType resourceTypeGeneral="Software">XML</resourceType>
  <rightsList><rights rightsURI="http://creativecommons.org/publicdomain/zero/1.0/">CC0</rights>
  </rightsList>
  <geoLocations><geoLocation><geoLocationPoint>31.233 -67.302</geoLocationPoint>
    <geoLocationBox>41.090 -71.032 42.893 -68.211</geoLocationBox>
    <geoLocationPlace>Atlantic Ocean</geoLocationPlace></geoLocation></geoLocations>
</resource>"""

OAI_DATACITE_SEED = ('<oai_datacite xmlns="http://schema.datacite.org/oai/oai-1.1/">'
                     "<schemaVersion>4</schemaVersion><datacentreSymbol>OS10</datacentreSymbol>"
                     f"<payload>{DATACITE_SEED}</payload></oai_datacite>")


def _simulated(prefix: str, indexes: range) -> list[str]:
    return [simulated.render(prefix, key="alpha", seed=7, index=n, tainted=n % 3 == 1)
            for n in indexes]


XML_SEEDS = {
    "oai_dc": [OAI_DC_SEED, *_simulated("oai_dc", range(3))],
    "oai_datacite": [OAI_DATACITE_SEED, *_simulated("oai_datacite", range(3))],
    "datacite": [DATACITE_SEED, KERNEL_3_SEED, *_simulated("datacite", range(3))],
}

# Names an element or attribute may be renamed to: what the mappers look for, somewhere else.
LOCAL_NAMES = sorted({
    "resource", "identifier", "creators", "creator", "creatorName", "givenName", "familyName",
    "nameIdentifier", "affiliation", "titles", "title", "publisher", "publicationYear",
    "resourceType", "subjects", "subject", "contributors", "contributor", "contributorName",
    "dates", "date", "language", "alternateIdentifiers", "alternateIdentifier",
    "relatedIdentifiers", "relatedIdentifier", "sizes", "size", "formats", "format", "version",
    "rightsList", "rights", "descriptions", "description", "br", "geoLocations", "geoLocation",
    "geoLocationPlace", "geoLocationPoint", "geoLocationBox", "geoLocationPolygon",
    "polygonPoint", "pointLatitude", "pointLongitude", "westBoundLongitude",
    "fundingReferences", "fundingReference", "funderName", "funderIdentifier", "awardNumber",
    "awardTitle", "relatedItems", "relatedItem", "relatedItemIdentifier", "payload",
    "oai_datacite", "dc", "type", "source", "relation", "coverage",
})
ATTRIBUTES = [
    "{http://www.w3.org/XML/1998/namespace}lang", "nameType", "titleType", "identifierType",
    "resourceTypeGeneral", "subjectScheme", "schemeURI", "valueURI", "classificationCode",
    "contributorType", "dateType", "dateInformation", "alternateIdentifierType",
    "relatedIdentifierType", "relationType", "relatedMetadataScheme", "rightsURI",
    "rightsIdentifier", "rightsIdentifierScheme", "descriptionType", "nameIdentifierScheme",
    "affiliationIdentifier", "affiliationIdentifierScheme", "publisherIdentifier",
    "publisherIdentifierScheme", "funderIdentifierType", "awardURI", "relatedItemType",
    "relatedItemIdentifierType", "relationTypeInformation", "schemeType",
]
NAMESPACES = ["", KERNEL_4, "http://datacite.org/schema/kernel-3",
              "http://datacite.org/schema/kernel-2.2", "http://datacite.org/schema/kernel-5",
              OAI_DC_NS, DC_NS, "http://schema.datacite.org/oai/oai-1.0/",
              "http://www.openarchives.org/OAI/2.0/", "urn:wrong"]


def _elements(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str)]


def _xml_mutation(draw: Callable, root: etree._Element) -> etree._Element:
    """One random change to the tree; returns the (possibly new) root."""
    target = draw(st.sampled_from(_elements(root)))
    parent = target.getparent()
    kind = draw(st.sampled_from(["text", "text", "attribute", "drop", "duplicate", "shuffle",
                                 "namespace", "rename", "move", "clear", "nest", "comment",
                                 "tail", "numbers"]))
    if kind == "text":
        target.text = marked(draw, draw(xml_text(etree.QName(target).localname)))
    elif kind == "attribute":
        name = draw(st.sampled_from(ATTRIBUTES + list(target.attrib.keys())))
        target.set(name, marked(draw, draw(xml_text(etree.QName(name).localname))))
    elif kind == "drop" and parent is not None:
        parent.remove(target)
    elif kind == "duplicate" and parent is not None:
        for _ in range(draw(st.integers(1, 3))):
            parent.insert(parent.index(target), copy.deepcopy(target))
    elif kind == "shuffle" and len(target):
        children = list(target)
        for child in children:
            target.remove(child)
        for child in shuffled(draw, children):
            target.append(child)
    elif kind == "namespace":
        namespace = draw(st.sampled_from(NAMESPACES))
        local = etree.QName(target).localname
        target.tag = f"{{{namespace}}}{local}" if namespace else local
    elif kind == "rename":
        namespace = etree.QName(target).namespace
        local = draw(st.sampled_from(LOCAL_NAMES))
        target.tag = f"{{{namespace}}}{local}" if namespace else local
    elif kind == "move" and parent is not None:
        hosts = [e for e in _elements(root) if e is not target and
                 target not in e.iterancestors()]
        if hosts:
            draw(st.sampled_from(hosts)).append(target)
    elif kind == "clear":
        target.clear()
    elif kind == "nest":
        inner = target
        for _ in range(draw(st.sampled_from([1, 5, 300]))):
            inner = etree.SubElement(inner, target.tag)
        inner.text = marked(draw, draw(xml_text(etree.QName(target).localname)))
    elif kind == "comment":
        target.insert(0, etree.Comment("note"))
        target.append(etree.ProcessingInstruction("pi", "x"))
    elif kind == "tail" and parent is not None:
        target.tail = marked(draw, draw(xml_text()))
    elif kind == "numbers":
        target.text = str(draw(st.one_of(st.integers(), st.floats())))
    return root


@st.composite
def xml_payloads(draw: Callable, metadata_format: str) -> bytes:
    seed = draw(one_of_these(XML_SEEDS[metadata_format]))
    root = etree.fromstring(safexml.repair(seed.encode())[0])
    for _ in range(draw(st.integers(0, 6))):
        root = _xml_mutation(draw, root)
    declaration = draw(st.sampled_from([False, True]))
    data = raw_bytes(draw, etree.tostring(root, xml_declaration=declaration, encoding="UTF-8"))
    # Harvesters repair illegal characters before they store a payload; stored payloads from
    # before that, and other callers, may not be.
    return safexml.repair(data)[0] if draw(st.booleans()) else data


# --- DCAT-AP: N-Triples (and the Turtle and JSON-LD the mapper must refuse) -----------------------

_TURTLE_SEED = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix adms: <http://www.w3.org/ns/adms#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix locn: <http://www.w3.org/ns/locn#> .
@prefix gsp: <http://www.opengis.net/ont/geosparql#> . @prefix prov: <http://www.w3.org/ns/prov#> .
@prefix spdx: <http://spdx.org/rdf/terms#> . @prefix time: <http://www.w3.org/2006/time#> .
<https://data.example.org/ds/1> a dcat:Dataset ;
  dct:title "Groundwater levels"@en, "Niveles del agua"@es ;
  dct:alternative "GW"@en ;
  dct:description "Monthly water levels.\\n\\nMeasured by hand."@en ;
  dct:identifier "https://doi.org/10.5555/alpha-3" ;
  adms:identifier [ a adms:Identifier ; skos:notation "ALPHA-3" ; adms:schemaAgency "Alpha" ] ;
  dcat:keyword "boreholes"@en, "pozos"@es ;
  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ENVI> ;
  dct:subject [ skos:prefLabel "Hydrology"@en ;
                skos:inScheme <http://eurovoc.europa.eu/100141> ] ;
  dct:issued "2019-04-17"^^xsd:date ; dct:modified "2020-01-01T10:00:00Z"^^xsd:dateTime ;
  dct:language <http://publications.europa.eu/resource/authority/language/ENG> ;
  dcat:landingPage <https://alpha.example.org/record/3> ;
  dct:conformsTo <https://example.org/standard> ;
  dcat:version "2.1" ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
  dct:publisher [ a foaf:Organization ; foaf:name "Alpha Repository"@en ] ;
  dct:creator <https://orcid.org/0000-0002-1825-0097>, [ a foaf:Organization ;
      foaf:name "Institut de Recherche" ; dct:identifier "https://ror.org/04wxnsj81" ] ;
  dct:contributor [ foaf:givenName "Omar" ; foaf:familyName "Haddad" ] ;
  prov:qualifiedAttribution [ prov:agent [ foaf:name "Data Desk" ] ; dcat:hadRole
      <http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/custodian> ] ;
  dcat:contactPoint [ a vcard:Kind ; vcard:fn "Data Desk" ;
      vcard:hasEmail <mailto:desk@example.org> ; vcard:hasURL <https://alpha.example.org> ] ;
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2015-01-01"^^xsd:date ;
      time:hasEnd [ time:inXSDDate "2018-12-31"^^xsd:date ] ] ;
  dct:spatial [ a dct:Location ; locn:geographicName "Kumasi" ;
      dcat:bbox "POLYGON((-3 5, 3 5, 3 10, -3 10, -3 5))"^^gsp:wktLiteral ;
      dcat:centroid "POINT(-1.5 6.7)"^^gsp:wktLiteral ;
      locn:geometry [ gsp:asGML
          "<gml:Point srsName='EPSG:4326'><gml:pos>6.7 -1.5</gml:pos></gml:Point>" ] ] ;
  dct:license <https://creativecommons.org/licenses/by/4.0/> ;
  dct:isReferencedBy <https://doi.org/10.5555/article-1> ;
  dcat:qualifiedRelation [ dct:relation <https://example.org/other> ;
      dcat:hadRole <http://www.iana.org/assignments/relation/related> ] ;
  dct:type <http://purl.org/dc/dcmitype/Dataset> ;
  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://alpha.example.org/files> ;
      dcat:downloadURL <https://alpha.example.org/files/3.csv> ; dct:title "CSV"@en ;
      dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
      dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
      dcat:byteSize "2048"^^xsd:nonNegativeInteger ;
      spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ;
          spdx:checksumValue "ab12" ] ;
      dct:license [ dct:identifier "CC-BY-4.0" ] ] .
"""


def _ntriples(graph: Graph) -> str:
    """N-Triples with blank-node labels and line order fixed by the graph's content (rdflib
    draws fresh labels on every parse), so that derandomized runs see the same seeds."""
    lines = to_canonical_graph(graph).serialize(format="nt").splitlines(keepends=True)
    return "".join(sorted(line for line in lines if line.strip()))


def _dcat_seeds() -> list[str]:
    seeds = [_ntriples(Graph().parse(data=_TURTLE_SEED, format="turtle"))]
    for index in (0, 1, 3):
        graph = Graph()
        for triple in simulated_dataset("alpha", 1, index, 1, 1704067200, "Alpha"):
            graph.add(triple)
        seeds.append(_ntriples(graph))
    return seeds


DCAT_SEEDS = _dcat_seeds()
_NT_LINE = re.compile(r"^(\S+) (<[^>]*>) (.*) \.$")

PREDICATES = [
    f"<{ns}{name}>" for ns, names in {
        "http://purl.org/dc/terms/": "title alternative description identifier issued modified "
        "language conformsTo accessRights publisher creator contributor temporal spatial license "
        "rights type isPartOf relation source format subject",
        "http://www.w3.org/ns/dcat#": "keyword theme landingPage version distribution accessURL "
        "downloadURL mediaType byteSize contactPoint bbox centroid startDate endDate "
        "qualifiedRelation hadRole",
        "http://xmlns.com/foaf/0.1/": "name givenName familyName page homepage",
        "http://www.w3.org/2006/vcard/ns#": "fn hasEmail hasURL value",
        "http://www.w3.org/ns/adms#": "identifier schemaAgency",
        "http://www.w3.org/2004/02/skos/core#": "prefLabel notation inScheme",
        "http://www.w3.org/ns/locn#": "geometry geographicName",
        "http://www.opengis.net/ont/geosparql#": "asWKT asGML",
        "http://www.w3.org/ns/prov#": "qualifiedAttribution agent",
        "http://spdx.org/rdf/terms#": "checksum algorithm checksumValue",
        "http://www.w3.org/2006/time#": "hasBeginning hasEnd inXSDDate",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "type value",
        "http://www.w3.org/2002/07/owl#": "versionInfo sameAs",
    }.items() for name in names.split()
]
CLASSES = ["<http://www.w3.org/ns/dcat#Dataset>", "<http://www.w3.org/ns/dcat#DatasetSeries>",
           "<http://xmlns.com/foaf/0.1/Person>", "<http://xmlns.com/foaf/0.1/Organization>",
           "<http://www.w3.org/ns/dcat#Distribution>"]
IRIS = ["https://data.example.org/ds/1", "https://doi.org/10.5555/x", "https://orcid.org/"
        "0000-0002-1825-0097", "https://ror.org/04wxnsj81", "mailto:desk@example.org",
        "javascript:alert(1)", "urn:x", "http://publications.europa.eu/resource/authority/"
        "file-type/", "http://publications.europa.eu/resource/authority/language/XXX",
        "http://publications.europa.eu/resource/authority/data-theme/NOPE",
        "https://www.iana.org/assignments/media-types/", "http://purl.org/dc/dcmitype/Software",
        "http://spdx.org/rdf/terms#checksumAlgorithm_", "http://x/\\u0000", "http://x/\\u202e",
        "http://x/%zz", "http://x/\u00e9\u202e", "a:", "http://x/#", "http://x/\\U0001F600",
        "http://x/a\\b", "htt\\p://x"]  # a backslash: rdflib parses it, then cannot write it
DATATYPES = ["http://www.w3.org/2001/XMLSchema#" + t for t in (
    "date", "dateTime", "gYear", "integer", "nonNegativeInteger", "decimal", "double",
    "boolean", "anyURI", "hexBinary")] + ["http://www.opengis.net/ont/geosparql#wktLiteral",
                                         "http://www.opengis.net/ont/geosparql#gmlLiteral",
                                         "urn:odd", "urn:odd\\type"]


def _nt_escape(text: str) -> str:
    """N-Triples string content: quotes, backslashes and line breaks escaped; control
    characters as \\u escapes (so they reach the graph); the rest as is."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 0x20 or char in "\ufffe\uffff" or char == MARK:
            out.append(f"\\u{ord(char) if char != MARK else 0:04X}")
        else:
            out.append(char)
    return "".join(out)


@st.composite
def nt_objects(draw: Callable, subjects: list[str], predicate: str = "") -> str:
    kind = draw(st.sampled_from(["literal", "literal", "lang", "typed", "iri", "node"]))
    field = re.split(r"[/#]", predicate.strip("<>"))[-1]
    if kind in ("literal", "lang", "typed"):
        text = f'"{_nt_escape(marked(draw, draw(xml_text(field))))}"'
        if kind == "lang":
            return text + "@" + draw(st.sampled_from(["en", "en-GB", "x-y", "zh-Hant-TW",
                                                      "i-klingon", "a" * 8, "123"]))
        if kind == "typed":
            return f"{text}^^<{draw(st.sampled_from(DATATYPES))}>"
        return text
    if kind == "iri":
        return f"<{draw(st.sampled_from(IRIS))}>"
    return draw(st.sampled_from(subjects + ["_:fresh", "_:loop"]))


@st.composite
def dcat_payloads(draw: Callable) -> bytes:
    seed = draw(one_of_these(DCAT_SEEDS))
    triples = [m.groups() for line in seed.splitlines() if (m := _NT_LINE.match(line.strip()))]
    for _ in range(draw(st.integers(0, 8))):
        subjects = sorted({s for s, _, _ in triples}) or ["_:fresh"]
        kind = draw(st.sampled_from(["object", "object", "predicate", "subject", "drop",
                                     "duplicate", "add", "type", "cycle"]))
        at = draw(st.integers(0, max(0, len(triples) - 1)))
        if not triples and kind not in ("add", "type", "cycle"):
            continue
        if kind == "object":
            s, p, _ = triples[at]
            triples[at] = (s, p, draw(nt_objects(subjects, p)))
        elif kind == "predicate":
            s, _, o = triples[at]
            triples[at] = (s, draw(st.sampled_from(PREDICATES)), o)
        elif kind == "subject":
            _, p, o = triples[at]
            triples[at] = (draw(st.sampled_from(subjects)), p, o)
        elif kind == "drop":
            del triples[at]
        elif kind == "duplicate":
            triples.insert(at, triples[at])
        elif kind == "add":
            predicate = draw(st.sampled_from(PREDICATES))
            triples.append((draw(st.sampled_from(subjects)), predicate,
                            draw(nt_objects(subjects, predicate))))
        elif kind == "type":
            triples.append((draw(st.sampled_from(subjects + ["_:fresh"])),
                            "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
                            draw(st.sampled_from(CLASSES))))
        else:  # a node that points to itself, or the dataset that is part of itself
            node = draw(st.sampled_from(subjects + ["_:loop"]))
            triples.append((node, draw(st.sampled_from(PREDICATES)), node))
    text = "".join(f"{s} {p} {o} .\n" for s, p, o in shuffled(draw, triples))
    syntax = draw(st.sampled_from(["nt", "nt", "nt", "turtle", "json-ld"]))
    if syntax != "nt":  # the same description in a syntax the mapper does not take
        try:
            text = Graph().parse(data=text, format="nt").serialize(format=syntax)
        except Exception:  # noqa: BLE001 - unparseable already: send the N-Triples as they are
            pass
    return raw_bytes(draw, text.encode("utf-8"))


# --- CKAN: package JSON ---------------------------------------------------------------------------

CKAN_SEED = {
    "id": "6f1c0a52-8d2e-4c3b-9a51-3f0f2d8e7a10", "name": "rainfall-east-africa",
    "type": "dataset", "title": "Daily rainfall records",
    "title_translated": {"en": "Daily rainfall records", "fr": "Pluviométrie quotidienne"},
    "notes": "Rainfall was measured daily.\n\nValues are quality controlled\nand documented.",
    "url": "https://data.example.org/rainfall", "version": "2.1",
    "author": "Okafor, Amina", "author_email": "amina@example.org",
    "maintainer": "Data Desk", "maintainer_email": "mailto:desk@example.org",
    "license_id": "cc-by", "license_title": "Creative Commons Attribution",
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
         "hash": "ab12", "hash_algorithm": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256",
         "last_modified": "2024-05-06T07:08:09"},
        {"url": "https://api.example.org/rainfall", "format": "API", "name": "API"},
    ],
    "creator": [{"name": "Okafor, Amina", "identifier": "https://orcid.org/0000-0002-1825-0097",
                 "type": "person"}],
    "contact": [{"name": "Data Desk", "email": "desk@example.org"}],
    "publisher": [{"name": "EACDC", "uri": "https://ror.org/04wxnsj81"}],
    "spatial_coverage": [{"text": "Nairobi", "geom": {"type": "Polygon", "coordinates": [
        [[36.6, -1.4], [37.1, -1.4], [37.1, -1.1], [36.6, -1.2], [36.6, -1.4]]]},
        "bbox": '{"type": "Polygon", "coordinates": [[[36, -2], [37, -2], [37, -1], [36, -1], '
                '[36, -2]]]}', "centroid": {"type": "Point", "coordinates": [36.8, -1.3]}}],
    "temporal_coverage": [{"start": "2010-01-01", "end": "2012-12-31"}],
    "documentation": ["https://doi.org/10.5555/doc-1"],
    "qualified_relation": [{"relation": "https://example.org/other", "role": "related"}],
    "alternate_identifier": ["hdl:20.500.12345/9"],
    "extras": [
        {"key": "doi", "value": "https://doi.org/10.5555/RAIN-1"},
        {"key": "language", "value": '["en", "fr"]'},
        {"key": "spatial", "value": '{"type": "Point", "coordinates": [36.8172, -1.2864]}'},
        {"key": "spatial_text", "value": "Nairobi"},
        {"key": "temporal_start", "value": "2010-01-01"},
        {"key": "bbox-west-long", "value": "36"}, {"key": "theme", "value": '["http://x/a"]'},
    ],
}
CKAN_KEYS = sorted({
    "id", "name", "type", "dcat_type", "title", "title_translated", "notes", "notes_translated",
    "description", "provenance", "version_notes", "url", "landingPage", "version", "author",
    "author_email", "maintainer", "maintainer_email", "license_id", "license_title",
    "license_url", "license", "metadata_created", "metadata_modified", "issued", "modified",
    "organization", "groups", "tags", "tags_translated", "keyword", "tag_string", "theme",
    "resources", "distribution", "extras", "creator", "contributor", "contact", "publisher",
    "publisher_name", "contact_email", "contact-email", "creator_name", "creator_identifier",
    "spatial", "spatial_bbox", "spatial_centroid", "spatial_text", "spatial_uri",
    "spatial_coverage", "bbox", "bbox-west-long", "bbox-east-long", "bbox-south-lat",
    "bbox-north-lat", "temporal", "temporal_coverage", "temporal_start", "temporal_end",
    "temporal_coverage-from", "documentation", "is_referenced_by", "has_version",
    "is_version_of", "source", "related_resource", "qualified_relation", "alternate_identifier",
    "conforms_to", "access_rights", "language", "doi", "identifier", "guid", "uri", "success",
    "result", "dataset", "geom", "start", "end", "text", "key", "value", "size", "hash",
    "hash_algorithm", "mimetype", "format", "url_type", "name_translated", "coordinates",
    "geometries", "west", "east", "south", "north", "display_name", "email", "role",
    "relation",
})
LONE_SURROGATES = ["\ud800", "a\udfffb", "\udbff\udbff"]


GEOJSON_EDGES = [
    {"type": "Point", "coordinates": [10**400, 1]}, {"type": "Point", "coordinates": [1e308, 1]},
    {"type": "Polygon", "coordinates": [[[0, 0], [0, float("nan")], [1, 1], [0, 0]]]},
    {"type": "Polygon", "coordinates": [[1, 2], [3, 4]]}, {"type": "Polygon", "coordinates": 5},
    {"type": "GeometryCollection", "geometries": [{"coordinates": [1, 2]}, None]},
    {"type": None, "coordinates": [[[["x"]]]]}, [1, 2], {"west": 10**400}, {"text": 5},
]


@functools.cache
def json_values(field: str | None = None) -> st.SearchStrategy[Any]:
    """Any JSON value, weighted to what trips parsers: odd text, huge and special numbers, and
    edge values for the field's kind."""
    leaves = st.one_of(
        st.none(), st.booleans(), st.integers(), st.sampled_from([10**30, -(10**30), 2**63]),
        st.floats(), st.sampled_from([float("nan"), float("inf"), -0.0, 1e308]),
        xml_text(field), st.sampled_from(LONE_SURROGATES),
    )
    if FIELD_KINDS.get(field or "") == "geo":
        leaves = st.one_of(one_of_these(GEOJSON_EDGES), leaves)
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(CKAN_KEYS), st.text(max_size=5)), inner,
                        max_size=4)), max_leaves=12)


def _containers(value: Any, found: list) -> list:
    """Every dict and list inside value (value first)."""
    if isinstance(value, (dict, list)):
        found.append(value)
        for item in (value.values() if isinstance(value, dict) else value):
            _containers(item, found)
    return found


@st.composite
def ckan_packages(draw: Callable) -> Any:
    package = copy.deepcopy(CKAN_SEED)
    for _ in range(draw(st.integers(0, 8))):
        container = draw(one_of_these(_containers(package, [])))
        kind = draw(st.sampled_from(["set", "set", "set", "drop", "duplicate", "shuffle",
                                     "wrap", "stringify", "extra"]))
        if isinstance(container, dict):
            key = draw(one_of_these(sorted(container, key=str) + CKAN_KEYS))
            if kind == "drop":
                container.pop(key, None)
            elif kind == "wrap":
                container[key] = [container.get(key)]
            elif kind == "stringify":
                container[key] = json.dumps(container.get(key), allow_nan=True)
            elif kind == "extra":
                extras = package.setdefault("extras", [])
                if isinstance(extras, list):
                    value = copy.deepcopy(draw(json_values(key)))
                    extras.append({"key": key, "value": value if isinstance(value, str)
                                   else json.dumps(value)})
            else:
                # A copy: the edge values are shared, and later mutations must not edit them.
                container[key] = copy.deepcopy(draw(json_values(key)))
        elif container:
            at = draw(st.integers(0, len(container) - 1))
            if kind == "drop":
                del container[at]
            elif kind == "duplicate":
                container.insert(at, copy.deepcopy(container[at]))
            elif kind == "shuffle":
                container[:] = shuffled(draw, container)
            else:
                container[at] = copy.deepcopy(draw(json_values()))
    wrapper = draw(st.sampled_from(["package", "package", "package", "envelope", "list"]))
    if wrapper == "envelope":
        return {"success": True, "result": package}
    return [package] if wrapper == "list" else package


@st.composite
def ckan_payloads(draw: Callable) -> bytes:
    package = draw(ckan_packages())
    text = json.dumps(package, allow_nan=True, ensure_ascii=draw(st.booleans()))
    if draw(st.integers(0, 4)) == 0:
        text = draw(st.sampled_from(["\ufeff", "", " \n"])) + text
    data = text.encode("utf-8", "surrogatepass")  # lone surrogates as the broken bytes they are
    return raw_bytes(draw, data)


# --- the registry of strategies -------------------------------------------------------------------

PAYLOADS: dict[str, Callable[[], st.SearchStrategy[bytes]]] = {
    "oai_dc": lambda: xml_payloads("oai_dc"),
    "oai_datacite": lambda: xml_payloads("oai_datacite"),
    "datacite": lambda: xml_payloads("datacite"),
    "dcat_ap": dcat_payloads,
    "ckan": ckan_payloads,
}
# Payloads no generator would make by chance, for every format.
EDGE_PAYLOADS = [
    None, b"", b" \n\t", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe<\x00a\x00/\x00>\x00", b"<",
    b"<a/>", b"<?xml version='1.0' encoding='x-unknown'?><a/>", b'<!DOCTYPE a [<!ENTITY e '
    b'"x">]><a>&e;</a>', b"<a>" * 300 + b"</a>" * 300, b"null", b"[]", b"{}", b"1" * 5000,
    b"[" * 100_000, b'{"id": ' + b"9" * 5000 + b"}", b'{"id": "x", "title": NaN}',
    b'{"id": "x", "extras": ' + b"[" * 5000 + b"]" * 5000 + b"}", b'{"id": "\\ud800"}',
    b'"string"', b"<a> <b> <c> .", b"_:a <http://x> _:a .",
    b"<http://x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    b"<http://www.w3.org/ns/dcat#Dataset> .\n<http://x> <http://purl.org/dc/terms/title> "
    b'"\\u0000\\uD800" .', b"\xed\xa0\x80",
]


def test_every_registered_mapper_has_a_payload_strategy():
    assert set(PAYLOADS) == set(MAPPERS), (
        "a mapper without seeds and a hostile-payload strategy here, or a strategy for a "
        "format that is no longer registered")


@pytest.mark.parametrize("metadata_format", sorted(MAPPERS))
def test_each_seed_maps_to_a_sound_record(metadata_format):
    """The seeds themselves are realistic: each maps, so mutations start from real records."""
    if metadata_format in XML_SEEDS:
        seeds = [s.encode() for s in XML_SEEDS[metadata_format]]
        seeds = [safexml.repair(s)[0] for s in seeds]
    elif metadata_format == "dcat_ap":
        seeds = [s.encode() for s in DCAT_SEEDS]
    else:
        seeds = [json.dumps(CKAN_SEED).encode()]
    for seed in seeds:
        record = outcome(metadata_format, seed)
        assert record is not None and record.titles and record.creators, metadata_format


# --- every edge value in every field, deterministically -------------------------------------------

JSON_EDGES = [10**400, -(10**400), float("nan"), float("inf"), 1e308, -1, 0, True, None, [], {},
              [None], {"": ""}]


def _xml_edits(seed: str) -> Iterator[bytes]:
    """The seed with one element's text or one attribute set to each edge value of its kind."""
    root = etree.fromstring(safexml.repair(seed.encode())[0])
    for position, element in enumerate(_elements(root)):
        names = [(None, etree.QName(element).localname)]
        names += [(name, etree.QName(name).localname) for name in element.attrib]
        for attribute, field in names:
            kind = FIELD_KINDS.get(field)
            for edge in EDGES.get(kind, ()):
                copy_root = copy.deepcopy(root)
                target = _elements(copy_root)[position]
                if attribute is None:
                    target.text = safexml.clean_text(edge)
                else:
                    target.set(attribute, safexml.clean_text(edge))
                yield etree.tostring(copy_root)


# IRIs rdflib's N-Triples parser takes and its writer then refuses.
BAD_IRIS = ["<http://x/a\\b>", "<htt\\p://x>", "<http://x/\\u0000>"]


def _rdf_edits(seed: str) -> Iterator[bytes]:
    """The seed with one triple's object replaced by each edge value of its predicate's kind,
    and each IRI object by IRIs that rdflib reads but will not write."""
    lines = seed.splitlines()
    for position, line in enumerate(lines):
        match = _NT_LINE.match(line.strip())
        if match is None:
            continue
        subject, predicate, obj = match.groups()
        kind = FIELD_KINDS.get(re.split(r"[/#]", predicate.strip("<>"))[-1])
        edits = [f'"{_nt_escape(edge)}"' for edge in EDGES.get(kind, ())]
        if obj.startswith("<") and not predicate.endswith("#type>"):  # a type: no dataset left
            edits += BAD_IRIS
        for edit in edits:
            edited = f"{subject} {predicate} {edit} ."
            yield "\n".join(lines[:position] + [edited] + lines[position + 1:]).encode()


def _paths(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """The path of every value below a JSON object or array, keys and indexes."""
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in items:
        yield (*path, key)
        yield from _paths(item, (*path, key))


def _ckan_edits(seed: dict) -> Iterator[bytes]:
    """The seed with one field set to each edge value of its kind and to odd JSON values."""
    for path in _paths(seed):
        field = next((k for k in reversed(path) if isinstance(k, str)), "")
        if field == "value" and path[0] == "extras":  # an extra is named by its "key"
            field = seed["extras"][path[1]]["key"]
        kind = FIELD_KINDS.get(field)
        if kind is None:
            continue
        edges = EDGES[kind] + JSON_EDGES + (GEOJSON_EDGES if kind == "geo" else [])
        for edge in edges:
            package = copy.deepcopy(seed)
            container = package
            for key in path[:-1]:
                container = container[key]
            container[path[-1]] = edge
            yield json.dumps(package, allow_nan=True).encode()


def edited_seeds(metadata_format: str) -> Iterator[bytes]:
    if metadata_format in XML_SEEDS:
        for seed in XML_SEEDS[metadata_format][:2]:
            yield from _xml_edits(seed)
    elif metadata_format == "dcat_ap":
        yield from _rdf_edits(DCAT_SEEDS[0])
    elif metadata_format == "ckan":
        yield from _ckan_edits(CKAN_SEED)


@pytest.mark.parametrize("metadata_format", sorted(MAPPERS))
def test_every_edge_value_in_every_field_maps_to_a_sound_record(metadata_format):
    """Coordinates, numbers, dates, identifiers and language tags each get every edge value of
    their kind, one field at a time: what random mutation reaches only by luck."""
    failures, count = [], 0
    for payload in edited_seeds(metadata_format):
        count += 1
        try:
            assert outcome(metadata_format, payload) is not None, "a seed edit was refused"
        except Exception as exc:  # noqa: BLE001 - collected, so one run names every failure
            failures.append(f"{type(exc).__name__}: {str(exc)[:160]}")
    assert count >= 100, count
    assert not failures, f"{len(failures)} of {count} edits failed:\n" + "\n".join(
        sorted(set(failures))[:20])


@pytest.mark.parametrize("metadata_format", sorted(MAPPERS))
@PROPERTIES
@given(data=st.data())
def test_a_mutated_payload_maps_to_a_sound_record_or_a_mapping_error(metadata_format, data):
    payload = data.draw(PAYLOADS[metadata_format](), label="payload")
    outcome(metadata_format, payload)


@pytest.mark.parametrize("metadata_format", sorted(MAPPERS))
@PROPERTIES
@given(payload=st.one_of(st.binary(max_size=600), one_of_these(EDGE_PAYLOADS)))
def test_random_bytes_map_to_a_sound_record_or_a_mapping_error(metadata_format, payload):
    outcome(metadata_format, payload)


@pytest.mark.parametrize("metadata_format", sorted(MAPPERS))
@PROPERTIES
@given(data=st.data())
def test_what_the_harvester_already_parsed_maps_to_a_sound_record_or_a_mapping_error(
        metadata_format, data):
    """The harvester hands over parsed elements, graphs and dicts: the same rules hold."""
    if metadata_format == "ckan":
        outcome(metadata_format, None, element=data.draw(ckan_packages(), label="package"))
        return
    payload = data.draw(PAYLOADS[metadata_format](), label="payload")
    if metadata_format == "dcat_ap":
        graph = Graph()
        try:
            graph.parse(data=payload.decode("utf-8"), format="nt")
        except Exception:  # noqa: BLE001 - not a graph: nothing for a harvester to hand over
            return
        outcome(metadata_format, None, element=graph)
        return
    try:
        element = safexml.parse(safexml.repair(payload)[0])
    except Exception:  # noqa: BLE001 - not XML: nothing for a harvester to hand over
        return
    outcome(metadata_format, None, element=element)


def _no_constant(name: str):
    raise AssertionError(f"{name} is not JSON")


@pytest.mark.parametrize("metadata_format", sorted(MAPPERS))
@PROPERTIES
@given(data=st.data())
def test_map_one_never_raises_and_always_says_why_a_record_is_missing(metadata_format, data):
    payload = data.draw(st.one_of(PAYLOADS[metadata_format](), st.binary(max_size=200)),
                        label="payload")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = map_one(source_id="hostile", identifier="oai:hostile:1",
                      metadata_format=metadata_format, payload=payload, deleted=False,
                      datestamp=HARVESTED, sha256="0" * 64, harvested_at=HARVESTED)
    if row.record is None:
        assert row.mapping_error and row.mapping_error.strip()
        assert row.content_sha256 is None
    else:
        assert row.mapping_error is None and len(row.content_sha256) == 64
        data = json.loads(row.record, parse_constant=_no_constant)  # strict JSON: no NaN
        assert Record.model_validate(data).provenance.source_id == "hostile"
