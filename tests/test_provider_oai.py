"""The OAI-PMH provider over real HTTP on 127.0.0.1: every verb and error against the XSDs, paging
with keyset tokens while the catalogue changes, sets, windows, deletions and HTTP bounds."""

from __future__ import annotations

import hashlib
import json
import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from lxml import etree

from provider import ProviderConfig, ProviderServer
from provider.oai_dc import ROWS as DC_ROWS
from provider.resumption import ResumptionToken, TokenError
from schemas import (
    Creator,
    Date,
    Description,
    GeoLocation,
    GeoPoint,
    Identifier,
    Publisher,
    Record,
    ResourceType,
    Rights,
    Subject,
    Title,
)
from store import Store
from store.merged import MergedWrite, MergeUnitWrite

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI, "dc": "http://purl.org/dc/elements/1.1/",
      "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
      "w": "http://schema.datacite.org/oai/oai-1.1/", "k": "http://datacite.org/schema/kernel-4"}
ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2024, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)


# -- schemas, resolved locally ----------------------------------------------------------------

class LocalSchemas(etree.Resolver):
    """The remote imports of oai_dc.xsd (simpledc, xml.xsd) from the conformance copies."""

    def __init__(self, conformance: Path) -> None:
        super().__init__()
        folder = conformance / "A_schemas" / "oai-pmh"
        self.local = {
            "http://dublincore.org/schemas/xmls/simpledc20021212.xsd":
                folder / "simpledc20021212.xsd",
            "http://www.w3.org/2001/03/xml.xsd": folder / "xml.xsd",
            "http://www.w3.org/2001/xml.xsd": folder / "xml.xsd",
        }

    def resolve(self, url, pubid, context):
        if url in self.local:
            return self.resolve_filename(str(self.local[url]), context)
        if url.startswith(("http://", "https://")):
            raise AssertionError(f"the schema imports {url}, which has no local copy")
        return None


class Schemas:
    def __init__(self, conformance: Path) -> None:
        a = conformance / "A_schemas"
        self.oai = self._load(a / "oai-pmh" / "OAI-PMH.xsd", conformance)
        self.oai_dc = self._load(a / "oai-pmh" / "oai_dc.xsd", conformance)
        self.oai_datacite = self._load(a / "datacite" / "oai_datacite" / "oai-1.1" / "oai.xsd",
                                       conformance)
        self.kernel = {v: self._load(a / "datacite" / f"kernel-{v}" / "metadata.xsd", conformance)
                       for v in ("4.4", "4.5", "4.6", "4.7")}

    @staticmethod
    def _load(path: Path, conformance: Path) -> etree.XMLSchema:
        parser = etree.XMLParser(no_network=True)
        parser.resolvers.add(LocalSchemas(conformance))
        return etree.XMLSchema(etree.parse(str(path), parser))

    def check(self, body: bytes) -> etree._Element:
        """The response parsed, after checking it and every payload against its schema."""
        doc = etree.fromstring(body)
        assert self.oai.validate(doc), self.oai.error_log
        for metadata in doc.iterfind(".//oai:metadata", NS):
            payload = metadata[0]
            if payload.tag == f"{{{NS['oai_dc']}}}dc":
                assert self.oai_dc.validate(payload), self.oai_dc.error_log
            else:
                assert payload.tag == f"{{{NS['w']}}}oai_datacite"
                assert self.oai_datacite.validate(payload), self.oai_datacite.error_log
                version = payload.findtext("w:schemaVersion", namespaces=NS)
                resource = payload.find("w:payload", NS)[0]
                kernel = self.kernel[version]
                assert kernel.validate(resource), kernel.error_log
        return doc


@pytest.fixture(scope="session")
def schemas(conformance) -> Schemas:
    return Schemas(conformance)


# -- a catalogue written through the merged store's API ---------------------------------------

def a_record(n: int, *, title: str | None = None, general: str = "Dataset") -> Record:
    return Record(
        identifier=Identifier(value=f"10.5555/provider-{n}", type="DOI"),
        creators=[Creator(name="Moyo, Tendai", name_type="Personal", given_name="Tendai",
                          family_name="Moyo")],
        titles=[Title(value=title or f"Groundwater levels {n}", lang="en"),
                Title(value=f"Niveles del agua {n}", lang="es", title_type="TranslatedTitle")],
        publisher=Publisher(name="Alpha Repository"), publication_year=2020 + n % 5,
        resource_type=ResourceType(general=general, value="Field measurements"),
        subjects=[Subject(value="groundwater", lang="en")],
        dates=[Date(value="2021-05-01", date_type="Issued"),
               Date(value="2021-04-01", date_type="Created")],
        language="en",
        rights=[Rights(uri="https://creativecommons.org/licenses/by/4.0/")],
        descriptions=[Description(value="Monthly water levels.", description_type="Abstract",
                                  lang="en")],
        geo_locations=[GeoLocation(place="Kumasi", point=GeoPoint(latitude=6.7, longitude=-1.5))],
    )


def put(store: Store, entries: list[tuple[str, Record | None, str]]) -> None:
    """Write (merged id, record or None for a tombstone, source id) as one unit of merge work."""
    writes = []
    for merged_id, record, source in entries:
        data = record.model_dump(mode="json", exclude_none=True) if record else None
        sets = [f"source:{source}"]
        if record and record.resource_type and record.resource_type.general:
            sets.append(f"type:{record.resource_type.general}")
        writes.append(MergedWrite(
            merged_id=merged_id, record=data, field_provenance={}, sources=[source],
            members=[(source, f"oai:{source}:{merged_id}")], sets=sets, deleted=record is None,
            content_sha256=hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()))
    store.write_merge_unit(MergeUnitWrite(record_ids=[], links=[], merged=writes, redirects={},
                                          claimed=[]))


def put_at(store: Store, monkeypatch, when: datetime,
           entries: list[tuple[str, Record | None, str]]) -> None:
    """`put`, with the merge's clock showing `when`."""
    with monkeypatch.context() as patch:
        patch.setattr("store.merged._now", lambda: when)
        put(store, entries)


@pytest.fixture
def store(db_url) -> Store:
    store = Store.open(db_url)
    yield store
    store.close()


def fill(store: Store, monkeypatch) -> Store:
    """Seven records: five Datasets and a Software from alpha, a Text from beta, one tombstone,
    each written a minute after the previous."""
    entries = [(f"m{n}", a_record(n), "alpha") for n in range(5)]
    entries += [("m5", a_record(5, general="Software"), "alpha"),
                ("m6", a_record(6, general="Text"), "beta"), ("m7", None, "beta")]
    for minute, entry in enumerate(entries):
        put_at(store, monkeypatch, T0 + timedelta(minutes=minute), [entry])
    return store


@pytest.fixture
def catalogue(store, monkeypatch) -> Store:
    return fill(store, monkeypatch)


def servers_of(catalogue: Store):
    servers = []

    def start(**config) -> Client:
        server = ProviderServer(catalogue, ProviderConfig(**config)).start()
        servers.append(server)
        return Client(server.url)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def serve(catalogue):
    """Start servers on the catalogue, once on SQLite and once on PostgreSQL."""
    yield from servers_of(catalogue)


@pytest.fixture
def serve_lite(sqlite_url, monkeypatch):
    """The catalogue on SQLite only, for what does not depend on the database."""
    store = Store.open(sqlite_url)
    yield from servers_of(fill(store, monkeypatch))
    store.close()


class Client:
    def __init__(self, url: str) -> None:
        self.url = url
        self.oai = url + "/oai"
        self.http = httpx.Client(timeout=10)

    def get(self, **params) -> httpx.Response:
        params = {("from" if k == "from_" else k): v for k, v in params.items()}
        return self.http.get(self.oai, params=params)

    def ask(self, schemas: Schemas, **params) -> etree._Element:
        response = self.get(**params)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/xml")
        return schemas.check(response.content)

    def walk(self, schemas: Schemas, verb: str = "ListIdentifiers", **params):
        """Every page of a list: [(identifiers, resumptionToken element or None)]."""
        pages = []
        doc = self.ask(schemas, verb=verb, **params)
        while True:
            listing = doc.find(f"oai:{verb}", NS)
            if listing is None:
                pages.append(([], doc.find("oai:error", NS)))
                return pages
            token = listing.find("oai:resumptionToken", NS)
            pages.append((identifiers(doc), token))
            if token is None or not token.text:
                return pages
            doc = self.ask(schemas, verb=verb, resumptionToken=token.text)


def identifiers(doc: etree._Element) -> list[str]:
    return [e.text for e in doc.iterfind(".//oai:header/oai:identifier", NS)]


def error_code(doc: etree._Element) -> str | None:
    error = doc.find("oai:error", NS)
    return None if error is None else error.get("code")


# -- every verb and error ---------------------------------------------------------------------

REQUESTS = [
    ({"verb": "Identify"}, None),
    ({"verb": "ListMetadataFormats"}, None),
    ({"verb": "ListMetadataFormats", "identifier": "oai:os10:m1"}, None),
    ({"verb": "ListSets"}, None),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, None),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc"}, None),
    ({"verb": "ListRecords", "metadataPrefix": "oai_datacite"}, None),
    ({"verb": "ListRecords", "metadataPrefix": "oai_datacite", "set": "type:Dataset",
      "from": "2024-03-01", "until": "2024-03-01"}, None),
    ({"verb": "GetRecord", "identifier": "oai:os10:m2", "metadataPrefix": "oai_dc"}, None),
    ({"verb": "GetRecord", "identifier": "oai:os10:m2", "metadataPrefix": "oai_datacite"}, None),
    ({"verb": "GetRecord", "identifier": "oai:os10:m7", "metadataPrefix": "oai_dc"}, None),
    ({}, "badVerb"),
    ({"verb": "Harvest"}, "badVerb"),
    ({"verb": ["Identify", "ListSets"]}, "badVerb"),
    ({"verb": "Identify", "set": "x"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-03-01T12:00:00"},
     "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-30"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-03-01",
      "until": "2024-03-02T00:00:00Z"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-03-02",
      "until": "2024-03-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "source::x"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"},
     "badArgument"),
    ({"verb": "GetRecord", "identifier": "oai:os10:m2"}, "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "not-one-of-ours"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "x"}, "badResumptionToken"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "identifier": "oai:os10:m2", "metadataPrefix": "marc21"},
     "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "identifier": "oai:os10:nothing", "metadataPrefix": "oai_dc"},
     "idDoesNotExist"),
    ({"verb": "GetRecord", "identifier": "oai:elsewhere:m2", "metadataPrefix": "oai_dc"},
     "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": "oai:os10:nothing"}, "idDoesNotExist"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2031-01-01"},
     "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "source:gamma"},
     "noRecordsMatch"),
]


def test_every_verb_and_error_validates_against_the_oai_pmh_schema(serve_lite, schemas):
    client = serve_lite(page_size=3)
    for params, code in REQUESTS:
        doc = client.ask(schemas, **params)
        assert error_code(doc) == code, params
        request = doc.find("oai:request", NS)
        assert request.text == client.oai
        if code in ("badVerb", "badArgument"):
            assert dict(request.attrib) == {}, params  # what was not understood is not echoed
        else:
            assert request.get("verb") == params["verb"], params


def test_post_is_answered_like_get(serve_lite, schemas):
    client = serve_lite()
    response = client.http.post(client.oai, data={"verb": "GetRecord", "metadataPrefix": "oai_dc",
                                                  "identifier": "oai:os10:m3"})
    doc = schemas.check(response.content)
    assert identifiers(doc) == ["oai:os10:m3"]
    assert doc.findtext(".//dc:title", namespaces=NS) == "Groundwater levels 3"


def test_identify_reports_the_stores_earliest_datestamp_and_persistent_deletions(serve_lite,
                                                                              schemas):
    doc = serve_lite(repository_id="node-b.example").ask(schemas, verb="Identify")
    identify = doc.find("oai:Identify", NS)
    assert identify.findtext("oai:earliestDatestamp", namespaces=NS) == "2024-03-01T12:00:00Z"
    assert identify.findtext("oai:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("oai:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("oai:baseURL", namespaces=NS).endswith("/oai")


def test_list_formats_names_oai_dc_and_oai_datacite_with_their_schemas(serve_lite, schemas):
    doc = serve_lite().ask(schemas, verb="ListMetadataFormats")
    formats = {f.findtext("oai:metadataPrefix", namespaces=NS):
               f.findtext("oai:schema", namespaces=NS)
               for f in doc.iterfind(".//oai:metadataFormat", NS)}
    assert formats == {"oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                       "oai_datacite": "http://schema.datacite.org/oai/oai-1.1/oai.xsd"}


def test_list_sets_shows_sources_and_resource_types_with_their_parents(serve, schemas):
    doc = serve().ask(schemas, verb="ListSets")
    sets = {s.findtext("oai:setSpec", namespaces=NS): s.findtext("oai:setName", namespaces=NS)
            for s in doc.iterfind(".//oai:set", NS)}
    assert sorted(sets) == ["source", "source:alpha", "source:beta", "type", "type:Dataset",
                            "type:Software", "type:Text"]
    assert sets["source:beta"] == "Records described by source beta"
    assert sets["type"] == "Records by resource type"


# -- paging -----------------------------------------------------------------------------------

def test_a_list_pages_with_counts_and_ends_with_an_empty_token(serve, schemas):
    pages = serve(page_size=3).walk(schemas, metadataPrefix="oai_dc")
    assert [ids for ids, _ in pages] == [["oai:os10:m0", "oai:os10:m1", "oai:os10:m2"],
                                         ["oai:os10:m3", "oai:os10:m4", "oai:os10:m5"],
                                         ["oai:os10:m6", "oai:os10:m7"]]
    tokens = [token for _, token in pages]
    assert [(t.get("completeListSize"), t.get("cursor")) for t in tokens] == [
        ("8", "0"), ("8", "3"), ("8", "6")]
    assert tokens[0].text and tokens[1].text and not tokens[2].text


def test_a_list_that_fits_one_page_has_no_token(serve_lite, schemas):
    doc = serve_lite(page_size=100).ask(schemas, verb="ListRecords", metadataPrefix="oai_datacite")
    assert len(identifiers(doc)) == 8
    assert doc.find(".//oai:resumptionToken", NS) is None


def test_records_changed_during_a_list_are_not_lost_but_come_with_the_next_harvest(
        serve, schemas, store):
    """Page 1 is served; then a served record and an unserved one change and a record is added.
    The rest of the list is neither shifted nor duplicated: the changed records left the list
    (their new datestamps are past its fixed `until`) and the next incremental harvest, from
    the highest datestamp the list showed, brings exactly them."""
    client = serve(page_size=3)
    first = client.ask(schemas, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.find(".//oai:resumptionToken", NS).text
    assert identifiers(first) == ["oai:os10:m0", "oai:os10:m1", "oai:os10:m2"]

    put(store, [("m1", a_record(1, title="Changed 1"), "alpha"),
                ("m4", a_record(4, title="Changed 4"), "alpha"), ("m8", a_record(8), "alpha")])

    seen = identifiers(first)
    stamps = [d.text for d in first.iterfind(".//oai:datestamp", NS)]
    while token:
        doc = client.ask(schemas, verb="ListIdentifiers", resumptionToken=token)
        seen += identifiers(doc)
        stamps += [d.text for d in doc.iterfind(".//oai:datestamp", NS)]
        token = doc.findtext(".//oai:resumptionToken", namespaces=NS)
    assert seen == ["oai:os10:m0", "oai:os10:m1", "oai:os10:m2", "oai:os10:m3", "oai:os10:m5",
                    "oai:os10:m6", "oai:os10:m7"]

    following = client.walk(schemas, "ListRecords", metadataPrefix="oai_dc", from_=max(stamps))
    # m7 comes again: `from` is inclusive and m7 is in the second the list ended with.
    assert sorted(i for ids, _ in following for i in ids) == [
        "oai:os10:m1", "oai:os10:m4", "oai:os10:m7", "oai:os10:m8"]
    changed = client.ask(schemas, verb="GetRecord", metadataPrefix="oai_dc",
                         identifier="oai:os10:m4")
    assert changed.findtext(".//dc:title", namespaces=NS) == "Changed 4"


def test_a_token_whose_remaining_records_all_changed_answers_no_records_match(
        serve, schemas, store):
    client = serve(page_size=6)
    first = client.ask(schemas, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.findtext(".//oai:resumptionToken", namespaces=NS)
    put(store, [("m6", a_record(6, title="Changed"), "beta"), ("m7", a_record(7), "beta")])
    doc = client.ask(schemas, verb="ListIdentifiers", resumptionToken=token)
    assert error_code(doc) == "noRecordsMatch"


def test_tokens_are_bound_to_their_verb_and_refused_when_edited(serve_lite, schemas):
    client = serve_lite(page_size=3)
    token = client.ask(schemas, verb="ListRecords", metadataPrefix="oai_dc").findtext(
        ".//oai:resumptionToken", namespaces=NS)
    other_verb = client.ask(schemas, verb="ListIdentifiers", resumptionToken=token)
    assert error_code(other_verb) == "badResumptionToken"
    body, _, checksum = token.partition(".")
    edited = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + checksum
    assert error_code(client.ask(schemas, verb="ListRecords",
                                 resumptionToken=edited)) == "badResumptionToken"


def test_tokens_survive_a_server_restart(catalogue, schemas):
    config = ProviderConfig(page_size=3)
    with ProviderServer(catalogue, config) as server:
        token = Client(server.url).ask(schemas, verb="ListRecords", metadataPrefix="oai_dc") \
            .findtext(".//oai:resumptionToken", namespaces=NS)
    with ProviderServer(catalogue, config) as server:
        doc = Client(server.url).ask(schemas, verb="ListRecords", resumptionToken=token)
    assert identifiers(doc) == ["oai:os10:m3", "oai:os10:m4", "oai:os10:m5"]


def test_a_token_round_trips_to_the_microsecond_and_rejects_another_key():
    token = ResumptionToken(verb="ListRecords", prefix="oai_dc", set_spec="type:Dataset",
                            since=T0, until=T0 + timedelta(days=1, microseconds=7),
                            after=(T0 + timedelta(microseconds=1), 42), cursor=100, size=250)
    text = token.encode("key")
    assert re.fullmatch(r"[A-Za-z0-9_\-]+\.[0-9a-f]{16}", text)
    assert ResumptionToken.decode(text, "key") == token
    with pytest.raises(TokenError):
        ResumptionToken.decode(text, "another key")


# -- selection --------------------------------------------------------------------------------

def test_from_and_until_take_days_and_seconds_and_are_inclusive(serve, schemas):
    client = serve()
    # m0..m7 are stamped 12:00:00.25, 12:01:00.25, ...: a second covers its fractions.
    doc = client.ask(schemas, verb="ListIdentifiers", metadataPrefix="oai_dc",
                     from_="2024-03-01T12:01:00Z", until="2024-03-01T12:03:00Z")
    assert identifiers(doc) == ["oai:os10:m1", "oai:os10:m2", "oai:os10:m3"]
    doc = client.ask(schemas, verb="ListIdentifiers", metadataPrefix="oai_dc",
                     until="2024-03-01")
    assert len(identifiers(doc)) == 8
    doc = client.ask(schemas, verb="ListIdentifiers", metadataPrefix="oai_dc",
                     from_="2024-03-02")
    assert error_code(doc) == "noRecordsMatch"


def test_sets_select_by_source_by_resource_type_and_by_parent(serve, schemas):
    client = serve()

    def listed(spec: str) -> list[str]:
        return identifiers(client.ask(schemas, verb="ListIdentifiers", metadataPrefix="oai_dc",
                                      set=spec))

    assert listed("source:beta") == ["oai:os10:m6", "oai:os10:m7"]
    assert listed("type:Dataset") == [f"oai:os10:m{n}" for n in range(5)]
    assert listed("type") == [f"oai:os10:m{n}" for n in range(7)]  # not the tombstone: no type
    header = client.ask(schemas, verb="GetRecord", metadataPrefix="oai_dc",
                        identifier="oai:os10:m5").find(".//oai:header", NS)
    assert [s.text for s in header.iterfind("oai:setSpec", NS)] == ["source:alpha",
                                                                   "type:Software"]


def test_deleted_records_are_headers_with_status_deleted_and_no_metadata(serve, schemas):
    client = serve()
    doc = client.ask(schemas, verb="ListRecords", metadataPrefix="oai_datacite",
                     set="source:beta")
    records = doc.findall(".//oai:record", NS)
    assert [r.find("oai:header", NS).get("status") for r in records] == [None, "deleted"]
    assert records[1].find("oai:metadata", NS) is None
    one = client.ask(schemas, verb="GetRecord", metadataPrefix="oai_dc",
                     identifier="oai:os10:m7")
    assert one.find(".//oai:header", NS).get("status") == "deleted"


def test_get_record_of_an_id_merged_into_another_answers_with_the_surviving_entry(
        serve, schemas, store):
    unit = MergeUnitWrite(record_ids=[], links=[], merged=[], redirects={"m3": "m2"}, claimed=[])
    store.write_merge_unit(unit)
    doc = serve().ask(schemas, verb="GetRecord", metadataPrefix="oai_dc",
                      identifier="oai:os10:m3")
    assert identifiers(doc) == ["oai:os10:m2"]


# -- payloads ---------------------------------------------------------------------------------

def test_oai_datacite_wraps_the_datacite_resource_with_the_catalogue_id(serve_lite, schemas):
    doc = serve_lite(datacentre_symbol="OS10.NODE").ask(
        schemas, verb="GetRecord", metadataPrefix="oai_datacite", identifier="oai:os10:m2")
    wrapper = doc.find(".//w:oai_datacite", NS)
    assert wrapper.findtext("w:datacentreSymbol", namespaces=NS) == "OS10.NODE"
    resource = wrapper.find("w:payload/k:resource", NS)
    assert resource.findtext("k:identifier", namespaces=NS) == "10.5555/provider-2"
    alternates = {a.text for a in resource.iterfind(".//k:alternateIdentifier", NS)}
    assert "m2" in alternates


def test_oai_dc_carries_what_dublin_core_can_in_the_spellings_our_mapper_reads(serve_lite, schemas):
    doc = serve_lite().ask(schemas, verb="GetRecord", metadataPrefix="oai_dc",
                      identifier="oai:os10:m2")
    dc = doc.find(".//oai_dc:dc", NS)

    def values(name: str) -> list[str]:
        return [e.text for e in dc.iterfind(f"dc:{name}", NS)]

    assert values("title") == ["Groundwater levels 2", "Niveles del agua 2"]
    assert dc.find("dc:title", NS).get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert values("identifier") == ["https://doi.org/10.5555/provider-2"]
    assert values("date") == ["2021-05-01", "info:eu-repo/date/created/2021-04-01"]
    assert values("type") == ["Dataset", "Field measurements"]
    assert values("coverage") == ["east=-1.5; north=6.7; name=Kumasi"]
    assert values("rights") == ["https://creativecommons.org/licenses/by/4.0/"]


def test_the_oai_dc_table_in_the_docs_matches_the_code():
    text = (ROOT / "docs" / "provider.md").read_text(encoding="utf-8")
    table = text.split("<!-- table: oai_dc_out -->", 1)[1].split("<!-- end -->", 1)[0]
    rows = [line.split("|")[1].strip().strip("`") for line in table.strip().splitlines()[2:]]
    assert rows == [f"dc:{row.element}" for row in DC_ROWS]


# -- HTTP -------------------------------------------------------------------------------------

def test_http_errors_are_plain_and_bounded(serve_lite):
    client = serve_lite()
    http = client.http
    assert http.get(client.url + "/nothing").status_code == 404
    put_reply = http.put(client.oai, content=b"")
    assert (put_reply.status_code, put_reply.headers["allow"]) == (405, "GET, HEAD, POST")
    assert http.post(client.url + "/catalog", data={"a": "b"}).status_code == 405
    assert http.get(client.oai, params={"verb": "x" * 9000}).status_code == 414
    big = http.post(client.oai, content=b"verb=Identify&" + b"x" * 20_000,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413
    assert http.post(client.oai, content=b"<verb/>",
                     headers={"Content-Type": "text/xml"}).status_code == 415
    assert http.get(client.oai + "?verb=%FF").status_code == 400
    head = http.head(client.oai, params={"verb": "Identify"})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0


def test_a_post_without_a_length_gets_411(serve_lite):
    client = serve_lite()
    host, port = client.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"POST /oai HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 411")


def test_a_bogus_host_header_is_not_echoed_into_documents(serve_lite, schemas):
    client = serve_lite()
    response = client.http.get(client.oai, params={"verb": "Identify"},
                               headers={"Host": "evil\"><x"})
    doc = schemas.check(response.content)
    assert "evil" not in doc.findtext("oai:request", namespaces=NS)


def test_a_configured_public_url_is_the_base_url(serve_lite, schemas):
    doc = serve_lite(public_url="https://node-b.example.org/os10").ask(schemas, verb="Identify")
    assert doc.findtext(".//oai:baseURL", namespaces=NS) == "https://node-b.example.org/os10/oai"
