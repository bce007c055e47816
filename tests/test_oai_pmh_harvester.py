"""The OAI-PMH harvester over real HTTP on 127.0.0.1: recorded responses first, then the simulator."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from errors import (
    BadArgumentError,
    BadResumptionTokenError,
    CannotDisseminateFormatError,
    ConfigError,
    IdDoesNotExistError,
    NoSetHierarchyError,
    OaiError,
    ProtocolViolationError,
    ResponseTooLargeError,
    RetriableError,
    SourceError,
    UnparseableResponseError,
)
from harvesters import HARVESTERS, get_harvester
from harvesters.base import HarvestRequest, Page
from harvesters.datestamps import DAY, SECONDS, format_datestamp, parse_datestamp
from harvesters.oai_pmh import OaiPmhHarvester
from schemas import SourceConfig
from simulator import Feed, SimulatorServer

START = datetime(2024, 1, 1, tzinfo=UTC)
Answer = tuple[int, bytes] | tuple[int, bytes, str]  # status, body[, content type]


def source_for(url: str, prefix: str = "oai_dc", **settings) -> SourceConfig:
    defaults = dict(max_requests_per_second=1000, timeout_seconds=5, max_retries=2,
                    retry_backoff_seconds=0.01, max_retry_after_seconds=2)
    return SourceConfig(id="alpha", name="Alpha", protocol="oai_pmh", url=url,
                        metadata_prefix=prefix, **{**defaults, **settings})


def harvest(source: SourceConfig, request: HarvestRequest | None = None) -> list[Page]:
    with OaiPmhHarvester(source) as harvester:
        return list(harvester.pages(request or HarvestRequest()))


def identifiers(pages: list[Page]) -> list[str]:
    return [record.identifier for page in pages for record in page.records]


# --- recorded responses (sickle's fixtures: anonymised captures and the specification's errors)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        params = dict(parse_qsl(urlsplit(self.path).query))
        self.server.seen.append(params)
        status, body, *content_type = self.server.answer(params)
        self.send_response(status)
        self.send_header("Content-Type", content_type[0] if content_type else "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def answering(answer: Callable[[dict[str, str]], Answer]) -> Iterator[ThreadingHTTPServer]:
    """A server on 127.0.0.1 whose every answer comes from `answer(query parameters)`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.answer, server.seen = answer, []
    server.url = f"http://127.0.0.1:{server.server_port}/oai"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def recorded(conformance: Path) -> Callable[[str], bytes]:
    folder = conformance / "B_oai" / "sickle"
    return lambda name: (folder / name).read_bytes()


@pytest.fixture
def recorded_repository(recorded):
    """Identify, formats, sets, and a ListRecords chain whose tokens name the next file."""

    def answer(params: dict[str, str]) -> Answer:
        verb = params.get("verb")
        if verb == "ListRecords":
            return 200, recorded(params.get("resumptionToken", "ListRecords.xml"))
        files = {"Identify": "Identify.xml", "ListSets": "ListSets.xml",
                 "ListMetadataFormats": "ListMetadataFormats.xml"}
        return 200, recorded(files[verb])

    with answering(answer) as server:
        yield server


def test_identify_reads_granularity_deletions_and_earliest_datestamp(recorded_repository):
    with OaiPmhHarvester(source_for(recorded_repository.url)) as harvester:
        info = harvester.identify()
        assert harvester.identify() is info  # asked once
    assert (info.protocol, info.name, info.granularity, info.deleted_record) == (
        "oai_pmh", "A Test Repository", DAY, "persistent")
    assert info.earliest_datestamp == datetime(1970, 1, 1, tzinfo=UTC)
    assert info.extra["admin_emails"] == ["john.doe@example.com"]
    assert recorded_repository.seen == [{"verb": "Identify"}]


def test_a_recorded_resumption_chain_is_followed_to_its_end(recorded_repository):
    pages = harvest(source_for(recorded_repository.url))
    assert [page.checkpoint for page in pages] == [
        {"set_index": 0, "set": None, "token": "ListRecords2.xml"},
        {"set_index": 0, "set": None, "token": "ListRecords3.xml"},
        {"set_index": 0, "set": None, "token": "ListRecords4.xml"},
        None,
    ]
    assert [page.complete_list_size for page in pages] == [8, 8, 8, None]
    first = pages[0].records
    assert [(r.identifier, r.deleted, r.payload is None) for r in first] == [
        ("oai:test.example.com:1585310", True, True),
        ("oai:test.example.com:1585322", False, False),
    ]
    assert first[0].datestamp == datetime(2011, 7, 18, 16, 31, tzinfo=UTC)
    live = first[1]
    assert live.metadata_format == "oai_dc"
    assert live.payload.startswith(b"<oai_dc:dc ") and live.payload.endswith(b"</oai_dc:dc>")
    assert live.element.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    assert live.element.findtext("{http://purl.org/dc/elements/1.1/}title") == "Sample Title"
    # The last page holds a header without identifier or datestamp: counted, and the run goes on.
    [failed] = pages[3].failed
    assert (failed.identifier, failed.reason) == (None, "the record header has no identifier")
    assert failed.url == f"{recorded_repository.url}?verb=ListRecords&resumptionToken=ListRecords4.xml"
    assert identifiers(pages[3:]) == ["oai:test.example.com:1585322"]
    assert recorded_repository.seen[0] == {"verb": "ListRecords", "metadataPrefix": "oai_dc"}


def test_a_checkpoint_resumes_right_after_its_page(recorded_repository):
    resume = {"set_index": 0, "set": None, "token": "ListRecords4.xml"}
    pages = harvest(source_for(recorded_repository.url), HarvestRequest(resume=resume))
    assert len(pages) == 1 and pages[0].checkpoint is None
    assert recorded_repository.seen == [{"verb": "ListRecords",
                                         "resumptionToken": "ListRecords4.xml"}]


def test_sets_and_metadata_formats_are_listed(recorded_repository):
    with OaiPmhHarvester(source_for(recorded_repository.url)) as harvester:
        sets = list(harvester.list_sets())
        formats = harvester.list_metadata_formats()
    assert len(sets) == 131
    assert (sets[0].spec, sets[0].name) == ("bi", "All BI publications (already published)")
    assert [f.prefix for f in formats] == ["epicur", "xMetaDissPlus", "oai_dc", "mods",
                                           "swepub_mods"]
    assert formats[2].namespace == "http://www.openarchives.org/OAI/2.0/oai_dc/"


@pytest.mark.parametrize(("filename", "error_class"), [
    ("badArgument.xml", BadArgumentError),
    ("badResumptionToken.xml", BadResumptionTokenError),
    ("cannotDisseminateFormat.xml", CannotDisseminateFormatError),
    ("idDoesNotExist.xml", IdDoesNotExistError),
    ("noSetHierarchy.xml", NoSetHierarchyError),
])
def test_the_specifications_error_examples_raise_their_classes(recorded, filename, error_class):
    with answering(lambda params: (200, recorded(filename))) as server:
        with pytest.raises(error_class) as caught:
            harvest(source_for(server.url))
    error = caught.value
    assert error.code == filename.removesuffix(".xml")
    assert error.url == f"{server.url}?verb=ListRecords&metadataPrefix=oai_dc"
    assert error.source == "alpha"
    assert f"OAI-PMH error {error.code}" in str(error)


def test_an_error_code_outside_the_specification_is_still_an_oai_error(recorded):
    with answering(lambda params: (200, recorded("undefinedError.xml"))) as server:
        with pytest.raises(OaiError) as caught:
            harvest(source_for(server.url))
    assert type(caught.value) is OaiError and caught.value.code == "undefinedError"


def test_an_oai_error_in_a_422_body_is_read(recorded):
    with answering(lambda params: (422, recorded("noSetHierarchy.xml"))) as server:
        with pytest.raises(NoSetHierarchyError, match="does not support sets") as caught:
            harvest(source_for(server.url, sets=["a"]))
    assert caught.value.url == f"{server.url}?verb=ListRecords&metadataPrefix=oai_dc&set=a"
    assert len(server.seen) == 1


def test_no_records_match_is_an_empty_harvest(recorded):
    with answering(lambda params: (200, recorded("noRecordsMatch.xml"))) as server:
        assert harvest(source_for(server.url)) == []


def test_a_repository_without_sets_lists_none(recorded):
    with answering(lambda params: (200, recorded("noSetHierarchy.xml"))) as server, \
            OaiPmhHarvester(source_for(server.url)) as harvester:
        assert list(harvester.list_sets()) == []


def test_a_broken_page_is_fetched_again_then_reported_with_its_url(recorded):
    with answering(lambda params: (200, recorded("ListRecordsBroken.xml"))) as server:
        with pytest.raises(UnparseableResponseError, match="not well-formed XML") as caught:
            harvest(source_for(server.url, max_retries=2))
    assert len(server.seen) == 3
    assert caught.value.url == f"{server.url}?verb=ListRecords&metadataPrefix=oai_dc"
    assert "after 3 attempt(s)" in str(caught.value)


def test_a_broken_page_that_heals_on_the_next_fetch_costs_nothing(recorded):
    def answer(params):
        return 200, recorded("ListRecordsBroken.xml" if len(server.seen) == 1 else
                             "ListRecords4.xml")

    with answering(answer) as server:
        pages = harvest(source_for(server.url))
    assert identifiers(pages) == ["oai:test.example.com:1585322"]
    assert len(server.seen) == 2


ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header>
<identifier>&b;</identifier><datestamp>2024-01-01</datestamp></header></record></ListRecords>
</OAI-PMH>"""


def test_a_document_declaring_entities_is_refused_at_once():
    with answering(lambda params: (200, ENTITY_BOMB)) as server:
        with pytest.raises(UnparseableResponseError, match="refuse") as caught:
            harvest(source_for(server.url, max_retries=3))
    assert caught.value.url == f"{server.url}?verb=ListRecords&metadataPrefix=oai_dc"
    assert len(server.seen) == 1  # refusing is deterministic: no point fetching it again


def test_a_document_that_is_not_oai_pmh_is_a_protocol_violation():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>'
    with answering(lambda params: (200, body)) as server:
        with pytest.raises(ProtocolViolationError, match="not an OAI-PMH 2.0 document"):
            harvest(source_for(server.url))


def test_a_client_error_without_an_oai_error_names_the_status():
    with answering(lambda params: (404, b"<html><body>Not found</body></html>",
                                   "text/html")) as server:
        with pytest.raises(SourceError, match="HTTP 404") as caught:
            harvest(source_for(server.url))
    assert len(server.seen) == 1 and caught.value.url.startswith(server.url)


def test_the_window_is_sent_at_the_repositorys_granularity(recorded):
    def answer(params):
        return 200, recorded("Identify.xml" if params["verb"] == "Identify" else
                             "noRecordsMatch.xml")

    window = HarvestRequest(window_from=datetime(2024, 3, 1, 23, 30, tzinfo=timezone_plus(2)),
                            window_until=datetime(2024, 3, 5, 12, tzinfo=UTC))
    with answering(answer) as server:
        assert harvest(source_for(server.url), window) == []
    assert server.seen == [
        {"verb": "Identify"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-03-01",
         "until": "2024-03-05"},
    ]


def test_a_window_that_ends_before_it_starts_is_refused():
    later, earlier = START + timedelta(days=1), START
    with OaiPmhHarvester(source_for("http://127.0.0.1:9/oai")) as harvester:
        with pytest.raises(ConfigError, match="starts"):
            list(harvester.pages(HarvestRequest(window_from=later, window_until=earlier)))


def timezone_plus(hours: int):
    from datetime import timezone

    return timezone(timedelta(hours=hours))


# --- registry and datestamps


def test_the_harvester_is_registered_under_its_protocol():
    assert get_harvester("oai_pmh") is OaiPmhHarvester
    assert all(name == cls.protocol for name, cls in HARVESTERS.items())


def test_an_unknown_protocol_lists_the_known_ones():
    with pytest.raises(ConfigError, match="'oai-pmh'.*Known protocols: ckan, dcat, oai_pmh"):
        get_harvester("oai-pmh")


def test_datestamps_are_formatted_in_utc_at_either_granularity():
    moment = datetime(2024, 3, 1, 23, 30, 15, 500, tzinfo=timezone_plus(-2))
    assert format_datestamp(moment, SECONDS) == "2024-03-02T01:30:15Z"
    assert format_datestamp(moment, DAY) == "2024-03-02"
    with pytest.raises(ValueError, match="no time zone"):
        format_datestamp(datetime(2024, 3, 1), DAY)
    with pytest.raises(ValueError, match="granularity"):
        format_datestamp(moment, "YYYY")


def test_datestamps_are_parsed_as_aware_utc():
    assert parse_datestamp("2024-03-02") == datetime(2024, 3, 2, tzinfo=UTC)
    assert parse_datestamp(" 2024-03-02T01:30:15Z ") == datetime(2024, 3, 2, 1, 30, 15,
                                                                tzinfo=UTC)
    # Seen in the wild, outside the specification:
    assert parse_datestamp("2024-03-02T01:30:15.25Z") == datetime(2024, 3, 2, 1, 30, 15, 250000,
                                                                 tzinfo=UTC)
    assert parse_datestamp("2024-03-02T03:30:15+02:00") == datetime(2024, 3, 2, 1, 30, 15,
                                                                   tzinfo=UTC)
    for junk in ("", "yesterday", "2024-13-01", "2024-03-02T25:00:00Z", "02/03/2024"):
        with pytest.raises(ValueError):
            parse_datestamp(junk)


# --- against the simulated partner

LATER = START + timedelta(days=400)


def sim_source(url: str, **settings) -> SourceConfig:
    return source_for(url, "oai_datacite", **settings)


def sim_id(index: int) -> str:
    return f"oai:alpha.sim:{index}"


def statuses(feed: Feed) -> list[int | None]:
    return [request["status"] for request in feed.requests]


@pytest.fixture
def feed() -> Feed:
    return Feed(count=250, seed=1, page_size=100, start=START, name="Alpha")


@pytest.fixture
def sim(feed):
    with SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        yield server


def test_a_full_harvest_brings_every_record_once_in_three_pages(feed, sim):
    pages = harvest(sim_source(sim.url("alpha")))
    assert [len(page.records) for page in pages] == [100, 100, 50]
    assert identifiers(pages) == [sim_id(i) for i in range(250)]
    assert [page.complete_list_size for page in pages] == [250, 250, 250]
    first, second, last = (page.checkpoint for page in pages)
    assert first["set_index"] == second["set_index"] == 0 and first["set"] is None
    assert isinstance(first["token"], str) and first["token"] != second["token"]
    assert last is None
    record = pages[2].records[0]
    assert (record.identifier, record.datestamp, record.deleted, record.metadata_format) == (
        sim_id(200), START + timedelta(minutes=200), False, "oai_datacite")
    assert "collection:c" in record.sets
    assert record.element.tag == "{http://schema.datacite.org/oai/oai-1.1/}oai_datacite"
    assert record.payload.startswith(b"<oai_datacite ") and record.repaired == 0
    assert [r["verb"] for r in feed.requests] == ["ListRecords"] * 3  # no window: no Identify
    assert pages[1].url == f"{sim.url('alpha')}?verb=ListRecords&resumptionToken=" + \
        first["token"].replace("|", "%7C")


def test_each_configured_set_is_harvested_in_turn(feed, sim):
    source = sim_source(sim.url("alpha"), sets=["collection:a", "collection:b"])
    pages = harvest(source)
    expected = [i for i in range(250) if i % 3 == 0] + [i for i in range(250) if i % 3 == 1]
    assert identifiers(pages) == [sim_id(i) for i in expected]
    assert [page.checkpoint for page in pages] == [
        {"set_index": 1, "set": "collection:b", "token": None}, None]
    assert [r["params"].get("set") for r in feed.requests] == ["collection:a", "collection:b"]

    resumed = harvest(source, HarvestRequest(resume=pages[0].checkpoint))
    assert identifiers(resumed) == [sim_id(i) for i in range(250) if i % 3 == 1]


def test_a_window_brings_exactly_the_records_inside_it(feed, sim):
    window = HarvestRequest(window_from=START + timedelta(minutes=10),
                            window_until=START + timedelta(minutes=19))
    pages = harvest(sim_source(sim.url("alpha")), window)
    assert identifiers(pages) == [sim_id(i) for i in range(10, 20)]
    assert [page.checkpoint for page in pages] == [None]
    assert [(r["verb"], r["params"]) for r in feed.requests] == [
        ("Identify", {}),
        ("ListRecords", {"metadataPrefix": "oai_datacite", "from": "2024-01-01T00:10:00Z",
                         "until": "2024-01-01T00:19:00Z"}),
    ]


def test_a_day_granular_repository_gets_whole_days():
    feed = Feed(count=250, page_size=100, start=START, step_seconds=3600, granularity=DAY)
    window = HarvestRequest(window_from=START + timedelta(days=1, hours=5),
                            window_until=START + timedelta(days=2, hours=1))
    with SimulatorServer({"alpha": feed}) as sim:
        pages = harvest(sim_source(sim.url("alpha")), window)
    assert identifiers(pages) == [sim_id(i) for i in range(24, 72)]  # 2 January and 3 January
    assert feed.requests[1]["params"] == {"metadataPrefix": "oai_datacite",
                                          "from": "2024-01-02", "until": "2024-01-03"}


def test_deleted_records_come_as_tombstones(feed, sim):
    feed.delete([5, 7], at=LATER)
    feed.update([3], at=LATER)
    pages = harvest(sim_source(sim.url("alpha")))
    records = {record.identifier: record for page in pages for record in page.records}
    assert len(records) == 250
    for index in (5, 7):
        gone = records[sim_id(index)]
        assert (gone.deleted, gone.payload, gone.element, gone.datestamp) == (
            True, None, None, LATER)
        assert "collection:" + "abc"[index % 3] in gone.sets
    assert records[sim_id(3)].datestamp == LATER and records[sim_id(3)].deleted is False
    assert sum(record.deleted for record in records.values()) == 2


def test_resuming_from_the_checkpoint_of_page_two_brings_exactly_the_rest(feed, sim):
    source = sim_source(sim.url("alpha"))
    with OaiPmhHarvester(source) as harvester:
        pages = harvester.pages(HarvestRequest())
        next(pages)
        checkpoint = next(pages).checkpoint  # the run dies after storing page two
        pages.close()
    resumed = harvest(source, HarvestRequest(resume=checkpoint))
    assert identifiers(resumed) == [sim_id(i) for i in range(200, 250)]
    assert resumed[-1].checkpoint is None
    assert feed.requests[-1]["params"] == {"resumptionToken": checkpoint["token"]}


def test_a_503_with_retry_after_is_waited_out(feed, sim, caplog):
    feed.faults.unavailable = 2
    feed.faults.retry_after = 0.3
    feed.faults.after_pages = 1
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="os10.harvesters.transport"):
        pages = harvest(sim_source(sim.url("alpha")))
    assert len(set(identifiers(pages))) == 250
    assert statuses(feed) == [200, 503, 503, 200, 200]
    assert time.monotonic() - started >= 0.6
    waits = [r.getMessage() for r in caplog.records]
    assert len(waits) == 2 and all("HTTP 503" in w and "in 0.30s" in w for w in waits)


def test_a_429_is_waited_out(feed, sim):
    feed.faults.rate_limited = 1
    feed.faults.retry_after = 0.1
    pages = harvest(sim_source(sim.url("alpha")))
    assert len(set(identifiers(pages))) == 250
    assert statuses(feed) == [429, 200, 200, 200]


def test_a_partner_that_stays_unavailable_is_a_retriable_error(feed, sim):
    feed.faults.unavailable = 10
    feed.faults.retry_after = 0.1
    with pytest.raises(RetriableError, match="HTTP 503") as caught:
        harvest(sim_source(sim.url("alpha"), max_retries=2))
    assert caught.value.url.startswith(sim.url("alpha") + "?verb=ListRecords")
    assert statuses(feed) == [503, 503, 503]


def test_an_oai_error_in_a_422_body_raises_its_class_with_the_url(feed, sim):
    feed.faults.oai_error_422 = 1
    feed.faults.oai_error_code = "cannotDisseminateFormat"
    feed.faults.after_pages = 1
    with pytest.raises(CannotDisseminateFormatError) as caught:
        harvest(sim_source(sim.url("alpha")))
    assert caught.value.url.startswith(f"{sim.url('alpha')}?verb=ListRecords&resumptionToken=")
    assert caught.value.source == "alpha"
    assert statuses(feed) == [200, 422]


def test_a_slow_response_is_retried(feed, sim):
    feed.faults.slow = 1
    feed.faults.slow_seconds = 1.0
    pages = harvest(sim_source(sim.url("alpha"), timeout_seconds=0.3))
    assert len(set(identifiers(pages))) == 250


def test_a_partner_that_stays_slow_is_a_retriable_error(feed, sim):
    feed.faults.slow = 10
    feed.faults.slow_seconds = 1.0
    with pytest.raises(RetriableError, match="timed out"):
        harvest(sim_source(sim.url("alpha"), timeout_seconds=0.2, max_retries=1))


def test_a_truncated_page_is_fetched_again(feed, sim, caplog):
    feed.faults.truncate = 1
    feed.faults.after_pages = 1
    with caplog.at_level(logging.WARNING, logger="os10.harvesters.oai_pmh"):
        pages = harvest(sim_source(sim.url("alpha")))
    assert identifiers(pages) == [sim_id(i) for i in range(250)]
    assert len(feed.requests) == 4
    assert "fetching it again" in caplog.text


def test_a_page_that_stays_truncated_is_unparseable_and_named(feed, sim):
    feed.faults.truncate = 10
    feed.faults.after_pages = 1
    with pytest.raises(UnparseableResponseError, match="not well-formed XML") as caught:
        harvest(sim_source(sim.url("alpha"), max_retries=2))
    second_page = "?verb=ListRecords&resumptionToken="
    assert caught.value.url.startswith(sim.url("alpha") + second_page)
    assert len(feed.requests) == 4  # the first page, then the second three times


def test_illegal_characters_are_repaired_and_counted_and_nothing_is_lost(feed, sim):
    feed.faults.illegal_chars_every = 50
    pages = harvest(sim_source(sim.url("alpha")))
    records = [record for page in pages for record in page.records]
    assert [r.identifier for r in records] == [sim_id(i) for i in range(250)]
    repaired = {r.identifier: r.repaired for r in records if r.repaired}
    assert sorted(repaired) == sorted(sim_id(i) for i in (0, 50, 100, 150, 200))
    assert all(count >= 2 for count in repaired.values())
    title = records[50].element.find(".//{http://datacite.org/schema/kernel-4}title")
    assert "\ufffd" in title.text and "\x0b" not in title.text


def test_an_expired_token_mid_list_re_runs_the_window(feed, sim, caplog):
    feed.faults.expire_tokens = 1
    feed.faults.after_pages = 1
    with caplog.at_level(logging.WARNING, logger="os10.harvesters.oai_pmh"):
        pages = harvest(sim_source(sim.url("alpha")))
    assert set(identifiers(pages)) == {sim_id(i) for i in range(250)}
    assert [len(page.records) for page in pages] == [100, 100, 100, 50]
    assert "resumption token expired" in caplog.text
    assert ["resumptionToken" in r["params"] for r in feed.requests] == [
        False, True, False, True, True]


def test_an_expired_token_on_resume_re_runs_the_window(feed, sim):
    source = sim_source(sim.url("alpha"))
    with OaiPmhHarvester(source) as harvester:
        checkpoint = next(harvester.pages(HarvestRequest())).checkpoint
    feed.invalidate_tokens()  # the partner restarted while we were down
    resumed = harvest(source, HarvestRequest(resume=checkpoint))
    assert set(identifiers(resumed)) == {sim_id(i) for i in range(250)}
    assert resumed[-1].checkpoint is None


def test_tokens_that_keep_expiring_end_the_run(feed, sim):
    feed.faults.expire_tokens = 100
    with pytest.raises(BadResumptionTokenError, match="expired 4 times"):
        harvest(sim_source(sim.url("alpha")))
    assert len(feed.requests) == 8  # four first pages, four refused tokens


def test_a_repeated_token_is_a_protocol_violation(feed, sim):
    feed.faults.repeat_token = 1
    feed.faults.after_pages = 1
    with pytest.raises(ProtocolViolationError, match="already used") as caught:
        harvest(sim_source(sim.url("alpha")))
    assert caught.value.url.startswith(f"{sim.url('alpha')}?verb=ListRecords&resumptionToken=")
    assert len(feed.requests) == 2


def test_an_html_page_instead_of_xml_is_fetched_again(feed, sim):
    feed.faults.html_instead = 1
    pages = harvest(sim_source(sim.url("alpha")))
    assert len(set(identifiers(pages))) == 250


def test_html_that_persists_is_reported_as_such(feed, sim):
    feed.faults.html_instead = 10
    with pytest.raises(UnparseableResponseError, match="HTML page") as caught:
        harvest(sim_source(sim.url("alpha"), max_retries=1))
    assert "text/html" in str(caught.value)
    assert len(feed.requests) == 2


def test_a_reset_connection_is_retried(feed, sim):
    feed.faults.reset_connection = 1
    feed.faults.after_pages = 1
    pages = harvest(sim_source(sim.url("alpha")))
    assert identifiers(pages) == [sim_id(i) for i in range(250)]
    assert statuses(feed) == [200, None, 200, 200]


def test_a_page_over_the_size_bound_is_refused():
    big = Feed(count=300, page_size=300, start=START)
    with SimulatorServer({"alpha": big}) as sim:
        with pytest.raises(ResponseTooLargeError, match="1 MB") as caught:
            harvest(sim_source(sim.url("alpha"), page_size_limit_mb=1))
    assert caught.value.url == f"{sim.url('alpha')}?verb=ListRecords&metadataPrefix=oai_datacite"


def test_a_token_seen_earlier_in_the_list_is_a_protocol_violation(recorded):
    def answer(params):
        # A server cycling ListRecords2 -> ListRecords3 -> ListRecords2 -> ... forever.
        name = params.get("resumptionToken", "ListRecords.xml")
        body = recorded(name)
        return 200, body.replace(b">ListRecords4.xml<", b">ListRecords2.xml<")

    with answering(answer) as server:
        with pytest.raises(ProtocolViolationError, match="'ListRecords2.xml'") as caught:
            harvest(source_for(server.url))
    assert caught.value.url.endswith("resumptionToken=ListRecords3.xml")
    assert len(server.seen) == 3
