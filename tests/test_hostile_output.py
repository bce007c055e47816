"""Every exporter and every page we serve escapes what it writes, whatever the records say.

Titles, descriptions, names, subjects and URLs carry markup, CDATA ends, entities, quotes,
Turtle's long-string terminator, JSON breakers, `</script>`, control characters, lone
surrogates, line breaks, right-to-left text and IRIs with spaces, `>` and quotes. Each export
must parse strictly (lxml, rdflib, json) and give the text back exactly. The rule for what a
syntax cannot carry is the same everywhere: control characters and lone surrogates become
U+FFFD, and leading and trailing whitespace is trimmed (JSON Lines, the faithful dump, keeps
the text as the model holds it: control characters as JSON escapes, lone surrogates as JSON
escapes too, since UTF-8 cannot carry them raw). IRIs are percent-encoded where RDF forbids a
character, and left out when they are not absolute. The OAI-PMH responses, the DCAT catalogue
pages and the HTML pages (/status, /quality) are checked the same way over HTTP, on a store
filled through the merge.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from rdflib import Graph, URIRef
from rdflib.term import _is_valid_uri
from test_export_datacite_xml import assert_valid
from test_provider_oai import NS as OAI_NS
from test_provider_oai import Schemas

from exporters import EXPORTERS
from exporters.base import ExportItem, ExportOptions
from exporters.datacite_xml import CATALOGUE_NS, KERNEL
from exporters.dcat import DCAT, DCT, FOAF, LOCN, dataset_iri
from pipeline.mapping import content_digest
from pipeline.merge import merge_catalogue
from provider import ProviderConfig, ProviderServer
from provider.server import ROUTES
from safexml import clean_text
from schemas import (
    AlternateIdentifier,
    ContactPoint,
    Contributor,
    Creator,
    Description,
    Distribution,
    FundingReference,
    GeoLocation,
    GeoPoint,
    Identifier,
    NameIdentifier,
    Publisher,
    Record,
    RelatedIdentifier,
    ResourceType,
    Rights,
    RunReport,
    Subject,
    Title,
)
from store import MappedRow, Store

STAMP = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
OPTIONS = ExportOptions()
D = {"d": KERNEL, "c": CATALOGUE_NS}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RDF_SYNTAXES = {"dcat-ttl": "turtle", "dcat-rdfxml": "xml", "dcat-jsonld": "json-ld"}
# rdflib's JSON-LD parser uses its deprecated ConjunctiveGraph; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")

HOSTILE_TEXTS = [
    "<script>alert(1)</script>",
    "]]> after a CDATA end",
    "&amp; &lt; &#60; &#x3C; & alone",
    "\"double\" 'single' `back` quotes",
    '"""Turtle long string""" and \'\'\'its twin\'\'\'',
    'a JSON breaker "} ], "injected": {"x": "',
    "</script><script>alert(2)</script><!-- -->",
    "<![CDATA[ inside ]]> <?pi x?> <!DOCTYPE x>",
    "back\\slash \\u0000 \\n \\\" escapes as text",
    "line one\nline two\r\nthird\rfourth\ttab",
    "\u202eRTL override \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd\u202c",
    "emoji \U0001f600 and combining e\u0301 and \ufeff BOM",
    "separators \u2028 and \u2029 and NEL \x85",
    "{{template}} ${var} %s %(x)s @prefix x: <y> . _:b a <z> .",
    "controls \x00 nul \x01 soh \x08 bs \x0b vt \x0c ff \x1b esc \x7f del",
    "lone surrogates \ud800 and \udfff",
    "non-characters \ufffe \uffff",
]
HOSTILE_URLS = [
    "https://example.org/a b/c d?q=e f",
    'https://example.org/x"><script>alert(1)</script>',
    "https://example.org/<>{}|\\^`",
    "https://example.org/\u00e9t\u00e9/\u202e",
    "https://example.org/%zz%",
    "https://example.org/]]>&amp;&lt;",
    "https://example.org/nul\x00and\x1bcontrol",
    "  https://example.org/padded  ",
    "javascript:alert(1)",
    "not a url at all",
    "dcat:looks-like-a-compact-iri",
    "_:looks-like-a-blank-node",
    "http://[::1",
    "",
]


@pytest.fixture(scope="session")
def kernel_46(conformance: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    path = conformance / "A_schemas/datacite/kernel-4.6/metadata.xsd"
    return etree.XMLSchema(etree.parse(str(path), parser))


@pytest.fixture(scope="session")
def oai_schemas(conformance: Path) -> Schemas:
    return Schemas(conformance)


def expected(text: str) -> str:
    """What every exporter but JSON Lines writes for a text: trimmed, XML-safe."""
    return clean_text(text.strip())


def hostile_record(text: str, url: str = "https://example.org/landing") -> Record:
    """`text` in every text field the exporters write, `url` in every URL field."""
    return Record(
        identifier=Identifier(value="10.5555/hostile", type="DOI"),
        alternate_identifiers=[AlternateIdentifier(value=text, type="Local")],
        creators=[Creator(name=text, name_type="Personal", given_name=text, family_name=text,
                          name_identifiers=[NameIdentifier(identifier=url, scheme="ORCID")])],
        contributors=[Contributor(name=text, contributor_type="ContactPerson")],
        titles=[Title(value=text, lang="en"),
                Title(value="Plain alternative", lang="en", title_type="AlternativeTitle")],
        publisher=Publisher(name=text, identifier=url),
        publication_year=2021,
        resource_type=ResourceType(general="Dataset", value=text),
        subjects=[Subject(value=text, lang="en", value_uri=url)],
        language="en",
        related_identifiers=[RelatedIdentifier(value=url, related_identifier_type="URL",
                                               relation_type="IsSupplementTo")],
        formats=[text], version=text,
        rights=[Rights(statement=text, uri=url)],
        descriptions=[Description(value=text, description_type="Abstract", lang="en")],
        geo_locations=[GeoLocation(place=text, point=GeoPoint(latitude=1.5, longitude=2.5))],
        funding_references=[FundingReference(funder_name=text, award_title=text)],
        landing_page=url,
        distributions=[Distribution(access_url=url, download_url=url, title=text,
                                    description=text, format="CSV")],
        contact_points=[ContactPoint(name=text, email="desk@example.org", url=url)],
        conforms_to=[url],
    )


def export(name: str, records: list[Record], ids: list[str] | None = None) -> str:
    out = io.StringIO()
    exporter = EXPORTERS[name](out, OPTIONS)
    exporter.begin()
    for n, record in enumerate(records):
        exporter.write(ExportItem(id=(ids or [])[n] if ids else f"hostile-{n}", datestamp=STAMP,
                                  deleted=False, record=record, sources=("alpha",)))
    exporter.end()
    text = out.getvalue()
    text.encode("utf-8")  # every export is written as UTF-8: nothing it cannot carry
    return text


def strict_xml(text: str | bytes) -> etree._Element:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def rdf_graph(text: str | bytes, syntax: str) -> Graph:
    if syntax == "xml":
        strict_xml(text)  # well-formed XML first, whatever rdflib would forgive
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an IRI rdflib finds invalid warns: fail on it
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated")
        return Graph().parse(data=text, format=syntax)


_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')


def assert_valid_iris(graph: Graph) -> None:
    for term in {t for triple in graph for t in triple if isinstance(t, URIRef)}:
        assert _is_valid_uri(term) and not _IRI_FORBIDDEN.search(term), repr(term)
        assert re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", term), f"not absolute: {term!r}"


# --- the exporters, one hostile text at a time ----------------------------------------------------

def exported_texts(name: str, text: str) -> dict[str, list[str]]:
    """The title, description, creator, subject, publisher and place as the export gives them
    back after a strict parse."""
    record = hostile_record(text)
    output = export(name, [record])
    if name == "jsonl":
        line = json.loads(output)["record"]
        return {"title": [line["titles"][0]["value"]],
                "description": [d["value"] for d in line["descriptions"]],
                "creator": [c["name"] for c in line["creators"]],
                "subject": [s["value"] for s in line["subjects"]],
                "publisher": [line["publisher"]["name"]],
                "place": [g["place"] for g in line["geo_locations"]]}
    if name == "datacite-xml":
        resource = strict_xml(output).find("c:entry/d:resource", D)
        return {"title": [resource.findtext("d:titles/d:title", namespaces=D)],
                "description": [e.text for e in resource.iterfind(".//d:description", D)],
                "creator": [resource.findtext(".//d:creatorName", namespaces=D)],
                "subject": [e.text for e in resource.iterfind(".//d:subject", D)],
                "publisher": [resource.findtext("d:publisher", namespaces=D)],
                "place": [e.text for e in resource.iterfind(".//d:geoLocationPlace", D)]}
    if name == "schemaorg":
        assert output.count("\n") == 1 and "<" not in output  # one line, safe inside <script>
        node = json.loads(output)
        keywords = [k["@value"] if isinstance(k, dict) else k for k in node["keywords"]]
        return {"title": [node["name"]], "description": [node["description"]],
                "creator": [node["creator"][0]["name"]], "subject": keywords,
                "publisher": [node["publisher"]["name"]],
                "place": [node["spatialCoverage"]["name"]]}
    graph = rdf_graph(output, RDF_SYNTAXES[name])
    assert_valid_iris(graph)
    dataset = dataset_iri("hostile-0", OPTIONS)

    def values(subject, predicate) -> list[str]:
        return [str(o) for o in graph.objects(subject, predicate)]

    creator = next(graph.objects(dataset, DCT["creator"]))
    publisher = next(graph.objects(dataset, DCT["publisher"]))
    place = next(graph.objects(dataset, DCT["spatial"]))
    return {"title": [v for v in values(dataset, DCT["title"]) if v != "Plain alternative"],
            "description": values(dataset, DCT["description"]),
            "creator": values(creator, FOAF["name"]), "subject": values(dataset, DCAT["keyword"]),
            "publisher": values(publisher, FOAF["name"]),
            "place": values(place, LOCN["geographicName"])}


@pytest.mark.parametrize("name", sorted(EXPORTERS))
@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_hostile_text_comes_back_exactly_from_every_export(name, text):
    found = exported_texts(name, text)
    # JSON Lines is the model's own JSON; every other format trims and writes U+FFFD for what
    # XML 1.0 (hence RDF/XML, hence, for one rule, every syntax) cannot carry.
    want = text if name == "jsonl" else expected(text)
    assert found == {field: [want] for field in found}, name


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_every_hostile_datacite_resource_still_validates_against_kernel_4_6(kernel_46, text):
    root = strict_xml(export("datacite-xml", [hostile_record(text, url)
                                              for url in HOSTILE_URLS]))
    resources = root.findall("c:entry/d:resource", D)
    assert len(resources) == len(HOSTILE_URLS)
    for resource in resources:
        assert_valid(kernel_46, resource)


def test_control_characters_never_reach_an_export_raw():
    record = hostile_record(HOSTILE_TEXTS[-3], "https://example.org/nul\x00")
    for name in sorted(EXPORTERS):
        output = export(name, [record])
        raw = [c for c in "\x00\x01\x08\x0b\x0c\x1b\ud800\udfff\ufffe\uffff" if c in output]
        assert not raw, (name, raw)


# --- IRIs -----------------------------------------------------------------------------------------

def iri_rule(url: str) -> str | None:
    """The documented rule: an absolute IRI (not one of our prefixes, which JSON-LD would read
    as a compact IRI) with the characters no RDF syntax allows percent-encoded; else none."""
    text = expected(url)
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", text)
    if not match or match.group(1).lower() in ("dcat", "dct", "foaf") or text == match.group(0):
        return None
    return _IRI_FORBIDDEN.sub(lambda m: quote(m.group(), safe=""), text)


@pytest.mark.parametrize("name", sorted(RDF_SYNTAXES))
def test_rdf_exports_encode_or_drop_iris_and_never_write_an_invalid_one(name):
    records = [hostile_record("Plain title", url) for url in HOSTILE_URLS]
    ids = [f"odd id {n} <\"'>&" for n in range(len(records))]
    graph = rdf_graph(export(name, records, ids), RDF_SYNTAXES[name])
    assert_valid_iris(graph)
    for url, catalogue_id in zip(HOSTILE_URLS, ids, strict=True):
        dataset = dataset_iri(catalogue_id, OPTIONS)
        assert (None, DCAT["dataset"], dataset) in graph
        landing = list(graph.objects(dataset, DCAT["landingPage"]))
        rule = iri_rule(url)
        if rule is None:  # no IRI of its own: the DOI's resolver stands in
            assert landing == [URIRef("https://doi.org/10.5555/hostile")], url
        else:
            assert landing == [URIRef(rule)], url
            assert unquote(str(landing[0])) == expected(url)
        themes = list(graph.objects(dataset, DCAT["theme"]))
        assert themes == ([URIRef(rule)] if rule else []), url


def test_schema_org_keeps_only_http_urls_and_encodes_them():
    lines = export("schemaorg", [hostile_record("Plain title", url) for url in HOSTILE_URLS])
    for url, line in zip(HOSTILE_URLS, lines.splitlines(), strict=True):
        node = json.loads(line)
        rule = iri_rule(url)
        if rule and rule.startswith(("http://", "https://")):
            assert node["url"] == rule, url
            assert node["distribution"][0]["contentUrl"] == rule
        else:
            assert node["url"] == "https://doi.org/10.5555/hostile", url
            assert "distribution" not in node
        for value in re.findall(r'"(?:url|contentUrl|@id|license)":"([^"]*)"', line):
            assert not re.search(r"[\s<>\"]", value), value


# --- any text at all ------------------------------------------------------------------------------

ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(ANY_TEXT, st.sampled_from(HOSTILE_TEXTS),
                      st.builds(lambda a, b: a + b, ANY_TEXT, st.sampled_from(HOSTILE_TEXTS))))
def test_any_text_round_trips_through_every_export(text):
    for name in sorted(EXPORTERS):
        want = text if name == "jsonl" else expected(text)
        if not want:  # nothing left to write: the placeholder or nothing stands in
            continue
        for field, values in exported_texts(name, text).items():
            assert want in values, (name, field, values)


# --- over HTTP: OAI-PMH, the DCAT catalogue and the HTML pages ----------------------------------

SOURCE = "hostile"


def served_record(n: int, text: str) -> Record:
    """A record as a mapper delivers it: text XML-safe already (see test_mapper_properties)."""
    record = hostile_record(clean_text(text), clean_text(HOSTILE_URLS[n % len(HOSTILE_URLS)]))
    record.identifier = Identifier(value=f"10.5555/hostile-{n}", type="DOI")
    return record


@pytest.fixture
def hostile_store(db_url, tmp_path, monkeypatch) -> Store:
    """Every hostile text in a harvested record, merged; a failed run whose error and a source
    whose name are hostile too."""
    store = Store.open(db_url)
    rows = []
    for n, text in enumerate(HOSTILE_TEXTS):
        data = served_record(n, text).model_dump(mode="json", exclude_none=True,
                                                 exclude_defaults=True)
        rows.append(MappedRow(identifier=f"oai:{SOURCE}:{n}", deleted=False, datestamp=STAMP,
                              record=data, content_sha256=content_digest(data),
                              doi=f"10.5555/hostile-{n}", title=clean_text(text)))
    store.write_mapped(SOURCE, rows)
    merge_catalogue(store, {SOURCE: 1})
    run = RunReport(source_id=SOURCE, started_at=STAMP)
    store.start_run(run)
    run.status, run.finished_at = "failed", STAMP
    run.error = "Partner said: " + clean_text(" | ".join(HOSTILE_TEXTS))
    store.finish_run(run)
    sources = {"sources": [{"id": SOURCE, "name": HOSTILE_TEXTS[0] + HOSTILE_TEXTS[6],
                            "protocol": "oai_pmh", "url": "https://example.org/oai",
                            "metadata_prefix": "oai_dc", "schedule": "@hourly"}]}
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    monkeypatch.setenv("OS10_SOURCES", str(tmp_path / "sources.yaml"))
    yield store
    store.close()


@pytest.fixture
def server(hostile_store):
    with ProviderServer(hostile_store, ProviderConfig(page_size=5)) as server:
        yield server


def merged_ids(store: Store) -> list[str]:
    return [row.merged_id for row in store.iter_merged()]


def test_oai_pmh_responses_parse_validate_and_give_the_text_back(server, hostile_store,
                                                                   oai_schemas):
    http = httpx.Client(timeout=20)
    expected_titles = {clean_text(t).strip() for t in HOSTILE_TEXTS}
    for prefix in ("oai_dc", "oai_datacite"):
        titles, token = [], None
        while True:
            params = {"verb": "ListRecords", **({"resumptionToken": token} if token else
                                                {"metadataPrefix": prefix})}
            doc = oai_schemas.check(http.get(server.url + "/oai", params=params).content)
            if prefix == "oai_dc":
                titles += [e.text for e in doc.iterfind(".//dc:title", OAI_NS)
                           if e.text != "Plain alternative"]
            else:
                titles += [e.text for e in doc.iterfind(".//k:title", OAI_NS)
                           if e.get("titleType") is None]
            token = doc.findtext(".//oai:resumptionToken", namespaces=OAI_NS)
            if not token:
                break
        assert sorted(titles) == sorted(expected_titles), prefix
    for merged_id in merged_ids(hostile_store):
        for prefix in ("oai_dc", "oai_datacite"):
            response = http.get(server.url + "/oai", params={
                "verb": "GetRecord", "metadataPrefix": prefix,
                "identifier": f"oai:os10:{merged_id}"})
            doc = oai_schemas.check(response.content)
            assert doc.find(".//oai:error", OAI_NS) is None
            assert b"<script>" not in response.content


@pytest.mark.parametrize("suffix", [".ttl", ".rdf", ".jsonld"])
def test_dcat_catalogue_pages_parse_and_give_the_text_back(server, suffix):
    syntax = {".ttl": "turtle", ".rdf": "xml", ".jsonld": "json-ld"}[suffix]
    found, url = set(), f"{server.url}/catalog{suffix}"
    while url:
        response = httpx.get(url, timeout=20)
        assert response.status_code == 200
        graph = rdf_graph(response.content, syntax)
        assert_valid_iris(graph)
        found |= {str(o) for o in graph.objects(None, DCT["title"])}
        url = response.links.get("next", {}).get("url")
    assert {clean_text(t).strip() for t in HOSTILE_TEXTS} <= found


class _Text(HTMLParser):
    """The text of an HTML page and every element it opens."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)

    def handle_data(self, data) -> None:
        self.text.append(data)


def html_pages(server_url: str) -> list[str]:
    """Every HTML route the server has, with /<prefix>/<source> for prefix routes."""
    urls = []
    for route in ROUTES:
        if route.path == "/oai" or route.path.startswith("/catalog"):
            continue
        urls.append(server_url + route.path)
        if route.path.endswith("/"):
            urls += [server_url + route.path + SOURCE,
                     server_url + route.path + quote(HOSTILE_TEXTS[0], safe="")]
    return urls


def test_html_pages_escape_what_they_show(server):
    pages = html_pages(server.url)
    assert server.url + "/status" in pages
    for url in pages:
        response = httpx.get(url, timeout=20)
        assert response.status_code in (200, 404), url
        assert response.headers["content-type"].startswith("text/html"), url
        body = response.text
        parser = _Text()
        parser.feed(body)
        assert "script" not in parser.tags, url  # no element a record or a partner put there
        assert "<script" not in body.lower() and "</script" not in body.lower(), url
    status = httpx.get(server.url + "/status", timeout=20).text
    parser = _Text()
    parser.feed(status)
    text = "".join(parser.text)
    assert HOSTILE_TEXTS[0] + HOSTILE_TEXTS[6] in text  # the source's name, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in status
    assert clean_text(HOSTILE_TEXTS[2]) in text  # the failure reason, entities and all


def test_the_exported_files_of_the_hostile_catalogue_parse(hostile_store, tmp_path: Path):
    """The same store, exported the way `os10 export` does, file by file."""
    from pipeline.export import export_catalogue

    for name in sorted(EXPORTERS):
        out = tmp_path / f"catalogue{EXPORTERS[name].suffix}"
        export_catalogue(hostile_store, name, out, progress=False)
        text = out.read_text(encoding="utf-8")
        if name in RDF_SYNTAXES:
            assert_valid_iris(rdf_graph(text, RDF_SYNTAXES[name]))
        elif name == "datacite-xml":
            assert len(strict_xml(text).findall("c:entry", D)) == len(HOSTILE_TEXTS)
        else:
            assert len([json.loads(line) for line in text.splitlines()]) == len(HOSTILE_TEXTS)
