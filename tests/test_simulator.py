"""The simulated OAI-PMH partner, over real HTTP on 127.0.0.1: protocol, content, faults, scale."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path

import pytest
import requests
import sickle
from langdetect import DetectorFactory, detect
from lxml import etree

import safexml
from simulator import Faults, Feed, SimulatorServer
from simulator.feed import Selection
from simulator.oai_pmh import Token

START = datetime(2024, 1, 1, tzinfo=UTC)
LATER = START + timedelta(days=3650)
LATER_STAMP = LATER.strftime("%Y-%m-%dT%H:%M:%SZ")
ROOT = Path(__file__).resolve().parents[1]
NS = {"o": "http://www.openarchives.org/OAI/2.0/",
      "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
      "dc": "http://purl.org/dc/elements/1.1/",
      "w": "http://schema.datacite.org/oai/oai-1.1/",
      "d": "http://datacite.org/schema/kernel-4"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


# --- helpers -------------------------------------------------------------------------------

class _LocalCopies(etree.Resolver):
    """Schema imports by remote URL resolve to the conformance copies; nothing goes online."""

    def __init__(self, schemas: Path) -> None:
        super().__init__()
        self.copies = {
            "http://dublincore.org/schemas/xmls/simpledc20021212.xsd":
                schemas / "oai-pmh" / "simpledc20021212.xsd",
            "http://www.w3.org/2001/03/xml.xsd": schemas / "oai-pmh" / "xml.xsd",
        }

    def resolve(self, url, pubid, context):
        if url in self.copies:
            return self.resolve_filename(str(self.copies[url]), context)
        if url.startswith(("http://", "https://")):
            raise AssertionError(f"a schema import would need the network: {url}")
        return None


@pytest.fixture(scope="session")
def schemas(conformance: Path) -> dict[str, etree.XMLSchema]:
    base = conformance / "A_schemas"
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalCopies(base))

    def load(path: Path) -> etree.XMLSchema:
        return etree.XMLSchema(etree.parse(str(path), parser))

    return {"oai": load(base / "oai-pmh" / "OAI-PMH.xsd"),
            "oai_dc": load(base / "oai-pmh" / "oai_dc.xsd"),
            "datacite": load(base / "datacite" / "kernel-4.5" / "metadata.xsd"),
            "oai_datacite": load(base / "datacite" / "oai_datacite" / "oai-1.1" / "oai.xsd")}


def assert_valid(schema: etree.XMLSchema, element: etree._Element) -> None:
    document = etree.ElementTree(etree.fromstring(etree.tostring(element)))
    assert schema.validate(document), schema.error_log


def oai(url: str, params=None, **kwargs) -> requests.Response:
    return requests.get(url, params=params, timeout=kwargs.pop("timeout", 10), **kwargs)


def parse(response: requests.Response) -> etree._Element:
    return etree.fromstring(response.content)


def error_code(response: requests.Response) -> str | None:
    error = parse(response).find("o:error", NS)
    return None if error is None else error.get("code")


def indices(root: etree._Element) -> list[int]:
    return [int(i.rsplit(":", 1)[1]) for i in root.xpath(".//o:header/o:identifier/text()",
                                                          namespaces=NS)]


def list_all(url: str, verb: str = "ListIdentifiers", **params) -> list[etree._Element]:
    """Every page of a list, following resumption tokens."""
    pages = [parse(oai(url, {"verb": verb, **params}))]
    while (token := pages[-1].find(f"o:{verb}/o:resumptionToken", NS)) is not None and token.text:
        pages.append(parse(oai(url, {"verb": verb, "resumptionToken": token.text})))
    return pages


def without_response_date(body: bytes) -> bytes:
    return re.sub(rb"<responseDate>[^<]*</responseDate>", b"", body)


@pytest.fixture
def feed() -> Feed:
    return Feed(count=250, seed=1, page_size=100, start=START, name="Alpha Repository")


@pytest.fixture
def sim(feed: Feed):
    with SimulatorServer({"alpha": feed, "beta": Feed(count=30, seed=2, start=START)}) as server:
        yield server


@pytest.fixture
def url(sim: SimulatorServer) -> str:
    return sim.url("alpha")


# --- protocol ------------------------------------------------------------------------------

def test_identify_describes_the_repository(url, schemas):
    response = oai(url, {"verb": "Identify"})
    root = parse(response)
    assert_valid(schemas["oai"], root)
    identify = root.find("o:Identify", NS)
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert {child.tag.split("}")[1]: child.text for child in identify} == {
        "repositoryName": "Alpha Repository", "baseURL": url, "protocolVersion": "2.0",
        "adminEmail": "admin@simulator.os10.example.org",
        "earliestDatestamp": "2024-01-01T00:00:00Z", "deletedRecord": "persistent",
        "granularity": "YYYY-MM-DDThh:mm:ssZ"}


def test_every_verb_answers_a_response_valid_against_the_oai_pmh_schema(url, feed, schemas):
    feed.delete([4], at=LATER)
    requests_to_make = [
        {"verb": "ListMetadataFormats"},
        {"verb": "ListMetadataFormats", "identifier": "oai:alpha.sim:3"},
        {"verb": "ListSets"},
        {"verb": "GetRecord", "identifier": "oai:alpha.sim:3", "metadataPrefix": "oai_datacite"},
        {"verb": "GetRecord", "identifier": "oai:alpha.sim:4", "metadataPrefix": "oai_dc"},
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "collection:a"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2024-01-01"},
        {"verb": "ListRecords", "metadataPrefix": "oai_datacite"},
        {"verb": "Nonsense"},
        {"verb": "ListRecords", "metadataPrefix": "marc21"},
    ]
    for params in requests_to_make:
        assert_valid(schemas["oai"], parse(oai(url, params)))


def test_metadata_formats_name_their_schemas_and_namespaces(url):
    root = parse(oai(url, {"verb": "ListMetadataFormats"}))
    formats = {f.findtext("o:metadataPrefix", namespaces=NS):
               (f.findtext("o:schema", namespaces=NS), f.findtext("o:metadataNamespace", namespaces=NS))
               for f in root.iterfind(".//o:metadataFormat", NS)}
    assert formats["oai_dc"] == ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                                 "http://www.openarchives.org/OAI/2.0/oai_dc/")
    assert formats["oai_datacite"] == ("http://schema.datacite.org/oai/oai-1.1/oai.xsd",
                                       "http://schema.datacite.org/oai/oai-1.1/")


@pytest.mark.parametrize("prefix", ["oai_dc", "oai_datacite"])
def test_sickle_iterates_exactly_every_record_once(url, prefix):
    records = list(sickle.Sickle(url).ListRecords(metadataPrefix=prefix))
    identifiers = [r.header.identifier for r in records]
    assert len(identifiers) == 250
    assert set(identifiers) == {f"oai:alpha.sim:{i}" for i in range(250)}


def test_pages_carry_list_size_and_cursor_and_the_last_token_is_empty(url):
    pages = list_all(url, "ListRecords", metadataPrefix="oai_dc")
    tokens = [p.find("o:ListRecords/o:resumptionToken", NS) for p in pages]
    assert [len(indices(p)) for p in pages] == [100, 100, 50]
    assert [(t.get("completeListSize"), t.get("cursor")) for t in tokens] == [
        ("250", "0"), ("250", "100"), ("250", "200")]
    assert tokens[0].text and tokens[1].text and tokens[2].text is None
    assert sum((indices(p) for p in pages), []) == list(range(250))


def test_a_list_that_fits_one_page_has_no_resumption_token(url):
    root = parse(oai(url, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc",
                           "until": "2024-01-01T00:09:00Z"}))
    assert indices(root) == list(range(10))
    assert root.find(".//o:resumptionToken", NS) is None


def test_sets_hold_records_by_index_and_by_resource_type(url):
    root = parse(oai(url, {"verb": "ListSets"}))
    assert root.xpath("//o:setSpec/text()", namespaces=NS) == [
        "collection:a", "collection:b", "collection:c", "type:dataset", "type:text"]

    def members(set_spec: str) -> list[int]:
        return sum((indices(p) for p in list_all(url, metadataPrefix="oai_dc", set=set_spec)), [])

    assert members("collection:b") == [i for i in range(250) if i % 3 == 1]
    assert members("type:text") == [i for i in range(250) if i % 20 in (4, 14)]
    assert len(members("type:dataset")) == 200
    assert members("collection") == list(range(250))  # the parent of collection:a, b and c
    header = parse(oai(url, {"verb": "GetRecord", "identifier": "oai:alpha.sim:14",
                             "metadataPrefix": "oai_dc"})).find(".//o:header", NS)
    assert header.xpath("o:setSpec/text()", namespaces=NS) == ["collection:c", "type:text"]


def test_from_and_until_are_inclusive(url):
    root = parse(oai(url, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc",
                           "from": "2024-01-01T00:10:00Z", "until": "2024-01-01T00:19:00Z"}))
    assert indices(root) == list(range(10, 20))
    assert root.xpath("//o:datestamp/text()", namespaces=NS)[0] == "2024-01-01T00:10:00Z"


def test_a_day_granularity_feed_windows_and_stamps_by_day(schemas):
    feed = Feed(count=100, start=START, step_seconds=3600, granularity="YYYY-MM-DD")
    with SimulatorServer({"daily": feed}) as server:
        url = server.url("daily")
        root = parse(oai(url, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc",
                               "from": "2024-01-02", "until": "2024-01-02"}))
        assert_valid(schemas["oai"], root)
        assert indices(root) == list(range(24, 48))
        assert set(root.xpath("//o:datestamp/text()", namespaces=NS)) == {"2024-01-02"}
        assert parse(oai(url, {"verb": "Identify"})).findtext(
            ".//o:granularity", namespaces=NS) == "YYYY-MM-DD"
        finer = oai(url, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc",
                          "from": "2024-01-02T00:00:00Z"})
        assert error_code(finer) == "badArgument"


def test_updates_deletions_and_appends_show_up_in_an_incremental_window(url, feed):
    feed.update([3, 7], at=LATER)
    feed.delete([5], at=LATER)
    assert feed.append(10, at=LATER) == range(250, 260)
    root = parse(oai(url, {"verb": "ListRecords", "metadataPrefix": "oai_datacite",
                           "from": LATER_STAMP}))
    assert indices(root) == [3, 5, 7, *range(250, 260)]
    records = {int(r.findtext(".//o:identifier", namespaces=NS).rsplit(":", 1)[1]): r
               for r in root.iterfind(".//o:record", NS)}
    deleted = records[5]
    assert deleted.find("o:header", NS).get("status") == "deleted"
    assert deleted.find("o:metadata", NS) is None
    assert records[3].findtext(".//d:title", namespaces=NS).endswith(" (v2)")
    assert records[3].findtext(".//d:version", namespaces=NS) == "2.0"
    assert records[250].findtext(".//d:version", namespaces=NS) == "1.0"
    assert {r.findtext(".//o:datestamp", namespaces=NS) for r in records.values()} == {
        LATER_STAMP}
    feed.update([3], at=LATER)
    again = parse(oai(url, {"verb": "GetRecord", "identifier": "oai:alpha.sim:3",
                            "metadataPrefix": "oai_datacite"}))
    assert again.findtext(".//d:title", namespaces=NS).endswith(" (v3)")
    everything = list(sickle.Sickle(url).ListIdentifiers(metadataPrefix="oai_dc"))
    assert len(everything) == 260 and sum(h.deleted for h in everything) == 1


@pytest.mark.parametrize(("query", "code"), [
    ("", "badVerb"),
    ("verb=Nonsense", "badVerb"),
    ("verb=Identify&verb=Identify", "badVerb"),
    ("verb=Identify&color=red", "badArgument"),
    ("verb=ListRecords", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=x", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-13-45", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=yesterday", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01&until=2024-01-02T00:00:00Z",
     "badArgument"),
    ("verb=GetRecord&identifier=oai:alpha.sim:1", "badArgument"),
    ("verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"),
    ("verb=GetRecord&identifier=oai:alpha.sim:1&metadataPrefix=marc21",
     "cannotDisseminateFormat"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=collection:z", "noRecordsMatch"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2030-01-01", "noRecordsMatch"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-02&until=2024-01-01", "noRecordsMatch"),
    ("verb=ListRecords&resumptionToken=garbage", "badResumptionToken"),
    ("verb=ListSets&resumptionToken=anything", "badResumptionToken"),
    ("verb=GetRecord&identifier=oai:alpha.sim:250&metadataPrefix=oai_dc", "idDoesNotExist"),
    ("verb=GetRecord&identifier=oai:beta.sim:1&metadataPrefix=oai_dc", "idDoesNotExist"),
    ("verb=ListMetadataFormats&identifier=nope", "idDoesNotExist"),
])
def test_protocol_errors_carry_the_right_code(url, schemas, query, code):
    response = oai(f"{url}?{query}")
    root = parse(response)
    assert_valid(schemas["oai"], root)
    assert (response.status_code, error_code(response)) == (200, code)
    if code in ("badVerb", "badArgument"):  # arguments not understood are not echoed
        assert dict(root.find("o:request", NS).attrib) == {}


def test_a_token_only_continues_its_own_verb_and_generation(url, feed):
    first = parse(oai(url, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}))
    token = first.findtext(".//o:resumptionToken", namespaces=NS)
    assert error_code(oai(url, {"verb": "ListRecords", "resumptionToken": token})) == (
        "badResumptionToken")
    assert indices(parse(oai(url, {"verb": "ListIdentifiers", "resumptionToken": token})))[0] == 100
    feed.invalidate_tokens()
    assert error_code(oai(url, {"verb": "ListIdentifiers", "resumptionToken": token})) == (
        "badResumptionToken")


def test_form_encoded_post_is_answered_like_get(url):
    params = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "collection:c"}
    posted = requests.post(url, data=params, timeout=10)
    got = oai(url, params)
    assert posted.status_code == 200
    assert without_response_date(posted.content) == without_response_date(got.content)


def test_connections_are_kept_alive_between_requests(sim):
    connection = HTTPConnection("127.0.0.1", sim.port, timeout=10)
    connection.request("GET", "/alpha/oai?verb=Identify")
    first = connection.getresponse()
    first.read()
    socket_used = connection.sock
    connection.request("GET", "/alpha/oai?verb=ListSets")
    second = connection.getresponse()
    second.read()
    assert (first.will_close, second.will_close, second.status) == (False, False, 200)
    assert connection.sock is socket_used
    connection.close()


def test_every_request_is_logged_on_its_feed(url, feed):
    oai(url, {"verb": "Identify"})
    oai(url, {"verb": "ListRecords", "metadataPrefix": "nope"})
    assert feed.requests == [
        {"verb": "Identify", "params": {}, "status": 200},
        {"verb": "ListRecords", "params": {"metadataPrefix": "nope"}, "status": 200}]


# --- record content ------------------------------------------------------------------------

def test_payloads_validate_against_oai_dc_and_datacite_kernel_4_5(url, feed, schemas):
    feed.update([2, 9], at=LATER)
    feed.delete([6], at=LATER)
    for page in list_all(url, "ListRecords", metadataPrefix="oai_dc"):
        for dc in page.iterfind(".//oai_dc:dc", NS):
            assert_valid(schemas["oai_dc"], dc)
    count = 0
    for page in list_all(url, "ListRecords", metadataPrefix="oai_datacite"):
        for wrapper in page.iterfind(".//w:oai_datacite", NS):
            assert_valid(schemas["oai_datacite"], wrapper)
            assert wrapper.findtext("w:schemaVersion", namespaces=NS) == "4.5"
            assert wrapper.findtext("w:datacentreSymbol", namespaces=NS) == "SIM.ALPHA"
            assert_valid(schemas["datacite"], wrapper.find("w:payload/d:resource", NS))
            count += 1
    assert count == 249  # every record but the deleted one


def _orcid_is_valid(orcid: str) -> bool:
    digits = orcid.removeprefix("https://orcid.org/").replace("-", "")
    total = 0
    for d in digits[:15]:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    return digits[15] == ("X" if check == 10 else str(check))


def _ror_is_valid(ror: str) -> bool:
    body, checksum = ror.removeprefix("https://ror.org/")[:7], ror[-2:]
    number = 0
    for char in body:
        number = number * 32 + "0123456789abcdefghjkmnpqrstvwxyz".index(char)
    return int(checksum) == 98 - (number * 100) % 97


@pytest.fixture
def datacite_resources(url) -> list[etree._Element]:
    return [r for page in list_all(url, "ListRecords", metadataPrefix="oai_datacite")
            for r in page.iterfind(".//d:resource", NS)]


def test_datacite_records_are_rich_and_their_identifiers_check_out(datacite_resources):
    resources = datacite_resources
    orcids = [x for r in resources for x in r.xpath(
        ".//d:nameIdentifier[@nameIdentifierScheme='ORCID']/text()", namespaces=NS)]
    rors = [x for r in resources for x in r.xpath(
        ".//d:nameIdentifier[@nameIdentifierScheme='ROR']/text() | .//@affiliationIdentifier"
        " | .//@publisherIdentifier", namespaces=NS)]
    assert len(orcids) > 250 and all(map(_orcid_is_valid, orcids))
    assert len(rors) > 500 and all(map(_ror_is_valid, rors))
    creators = Counter(len(r.findall("d:creators/d:creator", NS)) for r in resources)
    assert set(creators) == {1, 2, 3, 4}
    assert {r.find("d:creators/d:creator/d:creatorName", NS).get("nameType")
            for r in resources} == {"Personal", "Organizational"}
    assert set(r.xpath("string(d:resourceType/@resourceTypeGeneral)", namespaces=NS)
               for r in resources) == {"Dataset", "Text", "Software", "Image"}
    assert {r.xpath("string(.//d:rights/@rightsIdentifier)", namespaces=NS)
            for r in resources} == {"CC-BY-4.0", "CC0-1.0", "CC-BY-SA-4.0"}
    assert any(r.xpath(".//d:date[@dateType='Collected']", namespaces=NS) for r in resources)
    assert any(r.xpath(".//d:title[@titleType='TranslatedTitle']", namespaces=NS)
               for r in resources)
    for element in ("d:publisher", "d:publicationYear", "d:subjects/d:subject[@subjectScheme]",
                    "d:contributors/d:contributor", "d:dates/d:date[@dateType='Issued']",
                    "d:language", "d:alternateIdentifiers", "d:relatedIdentifiers", "d:sizes",
                    "d:formats", "d:version", "d:descriptions/d:description[@descriptionType="
                    "'Abstract']", "d:geoLocations/d:geoLocation/d:geoLocationBox",
                    "d:geoLocations/d:geoLocation/d:geoLocationPoint",
                    "d:fundingReferences/d:fundingReference/d:funderIdentifier"):
        assert all(r.xpath(element, namespaces=NS) for r in resources), element
    sizes = [len(etree.tostring(r, encoding="utf-8")) for r in resources]
    assert 4000 < sum(sizes) / len(sizes) < 7000


def test_dois_overlap_across_feeds_every_tenth_record(sim):
    def doi(key: str, index: int) -> str:
        root = parse(oai(sim.url(key), {"verb": "GetRecord", "metadataPrefix": "oai_datacite",
                                        "identifier": f"oai:{key}.sim:{index}"}))
        return root.findtext(".//d:identifier", namespaces=NS)

    assert doi("alpha", 10) == doi("beta", 10) == "10.5555/os10-shared-10"
    assert (doi("alpha", 3), doi("beta", 3)) == ("10.5555/alpha-3", "10.5555/beta-3")
    dc = parse(oai(sim.url("alpha"), {"verb": "GetRecord", "metadataPrefix": "oai_dc",
                                      "identifier": "oai:alpha.sim:20"}))
    assert dc.findtext(".//dc:identifier", namespaces=NS) == "https://doi.org/10.5555/os10-shared-20"


def test_titles_and_abstracts_are_in_detectable_languages_half_of_them_tagged(
        datacite_resources):
    DetectorFactory.seed = 0
    declared, tagged = Counter(), 0
    for r in datacite_resources:
        language = r.findtext("d:language", namespaces=NS)
        title = r.find("d:titles/d:title", NS)
        abstract = r.find("d:descriptions/d:description[@descriptionType='Abstract']", NS)
        assert detect(abstract.text).split("-")[0] == language
        assert detect(title.text).split("-")[0] == language
        assert title.get(XML_LANG) == abstract.get(XML_LANG) in (language, None)
        tagged += title.get(XML_LANG) is not None
        declared[language] += 1
    assert set(declared) == {"en", "fr", "es", "pt", "sw", "zh", "ar", "ru"}
    assert 0.35 < tagged / len(datacite_resources) < 0.65


def test_feeds_with_the_same_seed_serve_byte_identical_records():
    bodies = []
    for _ in range(2):
        feed = Feed(count=300, seed=7, start=START)
        feed.update([1, 2], at=LATER)
        with SimulatorServer({"alpha": feed}) as server:
            for prefix in ("oai_datacite", "oai_dc"):
                token = Token("ListRecords", prefix, "", "", "", 150, 0).encode("alpha")
                bodies.append(oai(server.url("alpha"), {"verb": "ListRecords",
                                                        "resumptionToken": token}).content)
                bodies.append(oai(server.url("alpha"), {"verb": "ListRecords",
                                                        "metadataPrefix": prefix}).content)
    assert [_records_part(b) for b in bodies[:4]] == [_records_part(b) for b in bodies[4:]]
    other = Feed(count=300, seed=8, start=START)
    with SimulatorServer({"alpha": other}) as server:
        different = oai(server.url("alpha"), {"verb": "ListRecords",
                                              "metadataPrefix": "oai_datacite"}).content
    assert _records_part(different) != _records_part(bodies[1])


def _records_part(body: bytes) -> bytes:
    """The list itself, without the response date and the request (whose URL has the port)."""
    return re.search(rb"<ListRecords>.*</ListRecords>", body, re.S).group(0)


# --- faults --------------------------------------------------------------------------------

LIST = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}


def test_unavailable_answers_503_with_retry_after_then_recovers(url, feed):
    feed.faults.unavailable = 2
    statuses = [oai(url, LIST) for _ in range(3)]
    assert [r.status_code for r in statuses] == [503, 503, 200]
    assert statuses[0].headers["Retry-After"] == "1"
    assert feed.faults.unavailable == 0
    assert [r["status"] for r in feed.requests] == [503, 503, 200]


def test_rate_limiting_answers_429_with_the_configured_retry_after(url, feed):
    feed.faults.retry_after = 0.5
    feed.faults.rate_limited = 1
    first, second = oai(url, LIST), oai(url, LIST)
    assert (first.status_code, first.headers["Retry-After"], second.status_code) == (
        429, "0.5", 200)


def test_an_oai_error_with_http_422_carries_the_configured_code(url, feed, schemas):
    feed.faults.oai_error_code = "badResumptionToken"
    feed.faults.oai_error_422 = 1
    first, second = oai(url, LIST), oai(url, LIST)
    assert (first.status_code, error_code(first)) == (422, "badResumptionToken")
    assert_valid(schemas["oai"], parse(first))
    assert (second.status_code, error_code(second)) == (200, None)


def test_slow_answers_exceed_a_client_timeout_then_stop(url, feed):
    feed.faults.slow_seconds = 0.5
    feed.faults.slow = 1
    with pytest.raises(requests.Timeout):
        oai(url, LIST, timeout=0.1)
    assert oai(url, LIST, timeout=5).status_code == 200


def test_truncation_cuts_list_pages_after_the_first_ones(url, feed):
    feed.faults.after_pages = 1
    feed.faults.truncate = 2
    token = parse(oai(url, LIST)).findtext(".//o:resumptionToken", namespaces=NS)
    for _ in range(2):
        cut = oai(url, {"verb": "ListIdentifiers", "resumptionToken": token})
        assert cut.status_code == 200 and len(cut.content) > 100
        with pytest.raises(etree.XMLSyntaxError):
            etree.fromstring(cut.content)
    assert indices(parse(oai(url, {"verb": "ListIdentifiers", "resumptionToken": token})))[0] == 100


def test_illegal_characters_appear_in_every_nth_title_and_can_be_repaired(url, feed):
    feed.faults.illegal_chars_every = 50
    body = oai(url, {"verb": "ListRecords", "metadataPrefix": "oai_datacite"}).content
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body)
    repaired, replaced = safexml.repair(body)
    assert replaced == 4  # records 0 and 50: one raw control byte and one &#11; each
    titles = {int(r.findtext(".//o:identifier", namespaces=NS).rsplit(":", 1)[1]):
              r.findtext(".//d:title", namespaces=NS)
              for r in etree.fromstring(repaired).iterfind(".//o:record", NS)}
    assert [i for i, title in titles.items() if "\ufffd" in title] == [0, 50]
    dc = oai(url, {"verb": "GetRecord", "identifier": "oai:alpha.sim:50",
                   "metadataPrefix": "oai_dc"}).content
    assert b"\x0b &#11;" in dc or b"\x01 &#11;" in dc


def test_expired_tokens_are_refused_only_for_requests_that_carry_one(url, feed):
    token = parse(oai(url, LIST)).findtext(".//o:resumptionToken", namespaces=NS)
    feed.faults.expire_tokens = 1
    assert error_code(oai(url, LIST)) is None  # no token: not affected, nothing used up
    expired = oai(url, {"verb": "ListIdentifiers", "resumptionToken": token})
    assert (expired.status_code, error_code(expired)) == (200, "badResumptionToken")
    assert error_code(oai(url, {"verb": "ListIdentifiers", "resumptionToken": token})) is None


def test_a_looping_server_hands_back_the_token_it_was_given(url, feed):
    token = parse(oai(url, LIST)).findtext(".//o:resumptionToken", namespaces=NS)
    feed.faults.repeat_token = 1
    looped = parse(oai(url, {"verb": "ListIdentifiers", "resumptionToken": token}))
    assert looped.findtext(".//o:resumptionToken", namespaces=NS) == token
    onward = parse(oai(url, {"verb": "ListIdentifiers", "resumptionToken": token}))
    assert onward.findtext(".//o:resumptionToken", namespaces=NS) not in (token, None)


def test_an_html_page_comes_instead_of_xml(url, feed):
    feed.faults.html_instead = 1
    page = oai(url, LIST)
    assert (page.status_code, page.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert page.text.startswith("<!DOCTYPE html>")
    assert error_code(oai(url, LIST)) is None


def test_a_reset_connection_gets_no_answer_at_all(url, feed):
    feed.faults.reset_connection = 1
    with pytest.raises(requests.ConnectionError):
        oai(url, LIST)
    assert oai(url, LIST).status_code == 200
    assert [r["status"] for r in feed.requests] == [None, 200]


def test_faults_wait_until_the_given_number_of_list_pages_were_served(url, feed):
    oai(url, LIST)  # pages served before the switch do not count
    feed.faults.unavailable = 1
    feed.faults.after_pages = 2
    assert oai(url, {"verb": "Identify"}).status_code == 200  # not a list page
    assert [oai(url, LIST).status_code for _ in range(4)] == [200, 200, 503, 200]


def test_faults_configure_by_name_and_refuse_unknown_switches():
    faults = Faults()
    faults.configure(unavailable=2, retry_after=0.25, oai_error_code="badVerb")
    assert (faults.unavailable, faults.retry_after, faults.oai_error_code) == (2, 0.25, "badVerb")
    with pytest.raises(ValueError, match="unknown fault"):
        faults.configure(explode=1)
    with pytest.raises(ValueError, match="takes a int"):
        faults.configure(truncate="lots")


# --- control endpoint ----------------------------------------------------------------------

def test_the_control_endpoint_changes_a_running_feed(sim, feed):
    base = f"http://127.0.0.1:{sim.port}/alpha"
    order = {"faults": {"unavailable": 1}, "update": [1, 2], "delete": [3], "append": 5,
             "at": "2034-01-01T00:00:00+00:00"}
    answer = requests.post(f"{base}/_control", data=json.dumps(order), timeout=10)
    assert (answer.status_code, answer.json()) == (200, {"count": 255})
    assert feed.faults.unavailable == 1
    assert oai(sim.url("alpha"), LIST).status_code == 503
    window = parse(oai(sim.url("alpha"), {**LIST, "from": "2034-01-01T00:00:00Z"}))
    assert indices(window) == [1, 2, 3, 250, 251, 252, 253, 254]
    assert requests.get(f"{base}/_stats", timeout=10).json() == {"count": 255, "requests": 2}


@pytest.mark.parametrize("order", [
    {"faults": {"explode": 1}}, {"update": [999]}, {"append": "five"}, {"colour": "red"}, [1],
])
def test_the_control_endpoint_refuses_bad_orders_and_changes_nothing(sim, feed, order):
    answer = requests.post(f"http://127.0.0.1:{sim.port}/alpha/_control",
                           data=json.dumps(order), timeout=10)
    assert answer.status_code == 400 and answer.json()["error"]
    assert feed.count == 250 and feed.faults == Faults()


def test_unknown_feeds_and_paths_are_404(sim):
    assert requests.get(f"http://127.0.0.1:{sim.port}/gamma/oai", timeout=10).status_code == 404
    assert requests.get(f"http://127.0.0.1:{sim.port}/alpha/x", timeout=10).status_code == 404
    assert requests.get(f"http://127.0.0.1:{sim.port}/", timeout=10).json() == {
        "feeds": {"alpha": sim.url("alpha"), "beta": sim.url("beta")}}


# --- scale and correctness of list selection -----------------------------------------------

def test_a_million_record_feed_pages_anywhere_without_growing_memory():
    feed = Feed(count=1_000_000, seed=3, start=START)
    feed.update([999_994, 14], at=LATER)
    tracemalloc.start()
    try:
        with SimulatorServer({"big": feed}) as server:
            url = server.url("big")
            first = parse(oai(url, {"verb": "ListRecords", "metadataPrefix": "oai_datacite"}))
            token = Token("ListRecords", "oai_datacite", "", "", "", 987_654, 0).encode("big")
            deep = parse(oai(url, {"verb": "ListRecords", "resumptionToken": token}))
            window = parse(oai(url, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc",
                                     "set": "type:text", "from": "2025-11-01T00:00:00Z"}))
            last = parse(oai(url, {"verb": "GetRecord", "metadataPrefix": "oai_dc",
                                   "identifier": "oai:big.sim:999999"}))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert indices(first) == list(range(100))
    assert indices(deep) == list(range(987_654, 987_754))
    resumption = deep.find(".//o:resumptionToken", NS)
    assert (resumption.get("completeListSize"), resumption.get("cursor")) == ("1000000", "987654")
    start_index = (datetime(2025, 11, 1, tzinfo=UTC) - START) // timedelta(minutes=1)
    expected = [i for i in range(start_index, start_index + 1000) if i % 20 in (4, 14)]
    assert indices(window) == [14, *expected[:99]]  # record 14 was updated in 2034
    assert indices(last) == [999_999]
    assert peak < 20 * 2**20, f"serving allocated {peak / 2**20:.1f} MB at its peak"


def _brute_force(feed: Feed, selection: Selection, position: int) -> list[int]:
    rule_sets = {None: lambda i: True, "collection:b": lambda i: i % 3 == 1,
                 "type:text": lambda i: i % 20 in (4, 14)}
    first = selection.first if selection.first is not None else -(1 << 62)
    last = selection.last if selection.last is not None else 1 << 62
    return [i for i in range(feed.count) if rule_sets[selection.set_spec](i)
            and first <= feed.entry(i).datestamp <= last and i >= position]


def test_list_selection_matches_a_brute_force_scan_under_random_changes():
    rng = random.Random(20240101)
    start = int(START.timestamp())
    for _ in range(300):
        feed = Feed(count=rng.randrange(0, 80), start=START, step_seconds=rng.choice([0, 1, 60]))
        for _ in range(rng.randrange(0, 4)):
            at = datetime.fromtimestamp(start + rng.randrange(-100, 6000), UTC)
            change = rng.choice(["update", "delete", "append"])
            if change == "append":
                feed.append(rng.randrange(0, 15), at=at)
            elif feed.count:
                getattr(feed, change)(rng.sample(range(feed.count), min(3, feed.count)), at=at)
        lo = start + rng.randrange(-50, 6000)
        selection = Selection(rng.choice([None, "collection:b", "type:text"]),
                              rng.choice([None, lo]), rng.choice([None, lo + rng.randrange(0, 3000)]))
        position, limit = rng.randrange(0, 90), rng.randrange(1, 20)
        expected = _brute_force(feed, selection, 0)
        page = feed.page(selection, position, limit)
        rest = [i for i in expected if i >= position]
        assert [e.index for e in page.entries] == rest[:limit]
        assert page.next_position == (rest[limit] if len(rest) > limit else None)
        assert (page.complete_size, page.cursor) == (len(expected), len(expected) - len(rest))


# --- command line --------------------------------------------------------------------------

def test_the_command_line_serves_feeds_until_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", "0", "--feed", "alpha:40",
         "--feed", "beta:25:seed=5:granularity=day", "--page-size", "10"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline().strip() for _ in range(2)]
        assert re.fullmatch(r"alpha: http://127\.0\.0\.1:\d+/alpha/oai \(40 records, seed 1\)",
                            lines[0]), lines
        assert lines[1].startswith("beta: ") and lines[1].endswith("(25 records, seed 5)")
        beta = lines[1].split()[1]
        root = parse(oai(beta, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}))
        assert indices(root) == list(range(10))
        assert root.find(".//o:resumptionToken", NS).get("completeListSize") == "25"
        assert root.findtext(".//o:datestamp", namespaces=NS) == "2024-01-01"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
