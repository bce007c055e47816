"""CKAN harvesting over real HTTP: the simulated portal, the pipeline, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from pydantic import Field

from errors import (
    ConfigError,
    ProtocolViolationError,
    RetriableError,
    SourceError,
    UnparseableResponseError,
)
from harvesters import get_harvester
from harvesters.base import HarvestRequest
from harvesters.ckan import CkanHarvester, Key, parse_timestamp, portal_url, solr_time
from pipeline.harvest import harvest_source
from schemas import SourceConfig
from simulator import Feed, SimulatorServer
from simulator.ckan import organisation_name, package, package_id
from store import Store

START = datetime(2024, 1, 1, tzinfo=UTC)
LATER = START + timedelta(days=3650)
COUNT = 250


class CkanSource(SourceConfig):
    """A SourceConfig with the CKAN fields proposed for schemas/source.py."""

    ckan_organizations: list[str] = Field(default_factory=list)
    ckan_groups: list[str] = Field(default_factory=list)
    export_emails: bool = False


def source_at(url: str, **extra) -> SourceConfig:
    settings = dict(max_requests_per_second=1000, timeout_seconds=5, max_retries=2,
                    retry_backoff_seconds=0.01)
    return CkanSource(id="alpha", name="Alpha portal", protocol="ckan", url=url,
                      **{**settings, **extra})


@pytest.fixture
def feed() -> Feed:
    return Feed(count=COUNT, seed=1, page_size=100, start=START)


@pytest.fixture
def sim(feed):
    with SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def portal(sim) -> str:
    return f"http://127.0.0.1:{sim.port}/alpha"


def ids(indices) -> set[str]:
    return {package_id("alpha", i) for i in indices}


def harvested(source: SourceConfig, request: HarvestRequest | None = None, **options):
    with CkanHarvester(source, **options) as harvester:
        return list(harvester.pages(request or HarvestRequest()))


# --- through the pipeline -------------------------------------------------------------------------

def test_full_then_incremental_harvest_brings_only_the_changed_packages(db_url, feed, portal):
    store = Store.open(db_url)
    source = source_at(portal)

    first = harvest_source(store, source, progress=False)
    c = first.counts
    assert (first.status, c.seen, c.new, c.updated, c.deleted, c.failed) == (
        "succeeded", 250, 250, 0, 0, 0)
    assert first.pages == 3
    assert store.state("alpha").watermark == START + timedelta(minutes=249)
    assert store.counts()["alpha"] == {"live": 250, "deleted": 0, "unmapped": 0}

    feed.update([3, 7, 11], at=LATER)
    second = harvest_source(store, source, progress=False)
    c = second.counts
    assert (second.mode, second.window_from) == ("incremental", START + timedelta(minutes=249))
    assert (c.seen, c.new, c.updated, c.unchanged, c.failed) == (4, 0, 3, 1, 0)
    assert store.state("alpha").watermark == LATER
    updated = {r["identifier"]: r["record"] for r in store.iter_records(["alpha"])
               if r["identifier"] in ids([3, 7, 11])}
    assert {record["version"] for record in updated.values()} == {"2.0"}
    assert all(record["titles"][0]["value"].endswith("(v2)") for record in updated.values())

    third = harvest_source(store, source, progress=False)
    assert (third.counts.seen, third.counts.updated, third.counts.unchanged) == (3, 0, 3)


def test_a_full_reharvest_of_unchanged_packages_writes_nothing(sqlite_url, portal):
    store = Store.open(sqlite_url)
    source = source_at(portal)
    harvest_source(store, source, progress=False)
    again = harvest_source(store, source, full=True, progress=False)
    assert (again.counts.seen, again.counts.unchanged, again.counts.new) == (250, 250, 0)


def test_a_package_gone_from_the_portal_is_tombstoned_by_a_full_harvest(sqlite_url, feed,
                                                                         portal):
    store = Store.open(sqlite_url)
    source = source_at(portal)
    harvest_source(store, source, progress=False)
    feed.delete([5, 6], at=LATER)

    incremental = harvest_source(store, source, progress=False)
    assert incremental.counts.deleted == 0  # CKAN's search does not say what was deleted
    full = harvest_source(store, source, full=True, progress=False)
    assert (full.counts.seen, full.counts.deleted) == (248, 2)
    assert store.counts()["alpha"] == {"live": 248, "deleted": 2, "unmapped": 0}
    tombstones = {r["identifier"] for r in store.iter_records(["alpha"], include_deleted=True)
                  if r["deleted"]}
    assert tombstones == ids([5, 6])


def test_mapped_packages_carry_doi_organisation_place_and_every_title_language(sqlite_url,
                                                                                feed, portal):
    store = Store.open(sqlite_url)
    harvest_source(store, source_at(portal), progress=False)
    records = {r["identifier"]: r["record"] for r in store.iter_records(["alpha"])}

    shared = records[package_id("alpha", 0)]
    assert shared["identifier"] == {"value": "10.5555/os10-shared-0", "type": "DOI"}
    assert shared["publisher"]["name"] == "East African Climate Data Centre"
    place = package("alpha", feed, feed.entry(0))["extras"]
    assert shared["geo_locations"][0]["place"] == next(
        e["value"] for e in place if e["key"] == "spatial_text")
    translated = next(i for i in range(COUNT)
                      if "title_translated" in package("alpha", feed, feed.entry(i)))
    expected = package("alpha", feed, feed.entry(translated))["title_translated"]
    titles = records[package_id("alpha", translated)]["titles"]
    assert {(t["lang"], t["value"]) for t in titles} == set(expected.items())
    assert records[package_id("alpha", 1)]["identifier"]["type"] == "Local"  # odd: no DOI


def test_a_harvest_killed_mid_list_resumes_after_its_last_stored_page(sqlite_url, feed, portal):
    store = Store.open(sqlite_url)
    source = source_at(portal, max_retries=1)
    feed.faults.configure(unavailable=5, after_pages=1, retry_after=0)
    with pytest.raises(RetriableError):
        harvest_source(store, source, progress=False)
    assert store.counts()["alpha"]["live"] == 100
    assert store.state("alpha").checkpoint["after"]["id"] in ids(range(100))

    feed.faults.clear()
    resumed = harvest_source(store, source, progress=False)
    assert (resumed.counts.seen, resumed.counts.new) == (150, 150)
    assert store.counts()["alpha"]["live"] == 250


# --- the query ------------------------------------------------------------------------------------

def test_an_organisation_filter_harvests_only_its_packages(sqlite_url, portal):
    store = Store.open(sqlite_url)
    name = organisation_name(1)
    report = harvest_source(store, source_at(portal, ckan_organizations=[name]), progress=False)
    assert report.counts.seen == 83  # indices 1, 4, ..., 247
    assert {r["identifier"] for r in store.iter_records(["alpha"])} == ids(range(1, 250, 3))


def test_a_group_filter_harvests_only_its_packages(portal):
    pages = harvested(source_at(portal, ckan_groups=["documents"]))
    records = [r for p in pages for r in p.records]
    assert {r.identifier for r in records} == ids(i for i in range(COUNT) if i % 20 in (4, 14))
    assert all("group:documents" in r.sets for r in records)


def test_the_window_is_a_metadata_modified_range(feed, portal):
    request = HarvestRequest(window_from=START + timedelta(minutes=10),
                             window_until=START + timedelta(minutes=19))
    pages = harvested(source_at(portal), request)
    assert {r.identifier for p in pages for r in p.records} == ids(range(10, 20))
    assert feed.requests[-1]["params"]["fq"] == (
        "metadata_modified:[2024-01-01T00:10:00.000Z TO 2024-01-01T00:19:00.000Z]")
    assert feed.requests[-1]["params"]["sort"] == "metadata_modified asc, id asc"


def test_a_window_ending_before_it_starts_is_refused(portal):
    with pytest.raises(ConfigError, match="starts"):
        harvested(source_at(portal), HarvestRequest(window_from=LATER, window_until=START))


# --- paging while the portal changes --------------------------------------------------------------

def test_packages_edited_during_the_harvest_are_neither_skipped_nor_lost(feed, portal):
    seen: list[str] = []
    with CkanHarvester(source_at(portal), rows=20) as harvester:
        for number, page in enumerate(harvester.pages(HarvestRequest())):
            seen += [r.identifier for r in page.records]
            if number == 0:  # one package already handed out, one still ahead
                feed.update([0, 100], at=LATER)
    assert set(seen) == ids(range(COUNT))
    assert seen.count(package_id("alpha", 0)) == 2  # listed again with its new version
    assert seen.count(package_id("alpha", 100)) == 1
    assert seen[-2:] == sorted([package_id("alpha", 0), package_id("alpha", 100)])


def test_a_tie_larger_than_a_page_is_paged_by_id(feed, portal):
    feed.update(range(30), at=LATER)
    pages = harvested(source_at(portal), HarvestRequest(window_from=LATER), rows=7)
    identifiers = [r.identifier for p in pages for r in p.records]
    assert [len(p.records) for p in pages] == [7, 7, 7, 7, 2]
    assert identifiers == sorted(ids(range(30)))
    assert [p.checkpoint is None for p in pages] == [False] * 4 + [True]


def test_a_portal_where_every_package_has_one_timestamp_is_harvested_whole():
    feed = Feed(count=50, seed=2, start=START, step_seconds=0)
    with SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        pages = harvested(source_at(f"http://127.0.0.1:{server.port}/alpha"), rows=8)
    identifiers = [r.identifier for p in pages for r in p.records]
    assert len(identifiers) == len(set(identifiers)) == 50


def test_resuming_from_a_checkpoint_brings_exactly_the_rest(portal):
    source = source_at(portal)
    pages = harvested(source)
    assert [len(p.records) for p in pages] == [100, 100, 50]
    assert pages[0].complete_list_size == 250
    rest = harvested(source, HarvestRequest(resume=pages[0].checkpoint))
    assert [r.identifier for p in rest for r in p.records] == [
        r.identifier for p in pages[1:] for r in p.records]


def test_an_unreadable_checkpoint_starts_over(portal, caplog):
    pages = harvested(source_at(portal), HarvestRequest(resume={"start": 100}))
    assert sum(len(p.records) for p in pages) == 250
    assert "not a CKAN keyset" in caplog.text


# --- credentials ----------------------------------------------------------------------------------

def test_the_api_key_is_sent_raw_in_authorization(monkeypatch, feed, portal):
    feed.api_key = "s3cret-key"
    monkeypatch.setenv("CKAN_SIM_KEY", "s3cret-key")
    source = source_at(portal, credentials={"token_env": "CKAN_SIM_KEY"})
    assert sum(len(p.records) for p in harvested(source)) == 250


def test_a_portal_needing_a_key_none_is_configured_for_says_so(feed, portal):
    feed.api_key = "s3cret-key"
    with pytest.raises(SourceError) as caught:
        harvested(source_at(portal))
    message = str(caught.value)
    assert "HTTP 403, Authorization Error: Access denied" in message
    assert "needs an API key and none is configured" in message and "token_env" in message
    assert caught.value.url.startswith(f"{portal}/api/3/action/package_search?")


def test_a_wrong_api_key_names_its_environment_variable(monkeypatch, feed, portal):
    feed.api_key = "s3cret-key"
    monkeypatch.setenv("CKAN_SIM_KEY", "Bearer s3cret-key")  # the form CKAN does not read
    source = source_at(portal, credentials={"token_env": "CKAN_SIM_KEY"})
    with pytest.raises(SourceError, match="API key in the environment variable CKAN_SIM_KEY is "
                                          "wrong"):
        harvested(source)


def test_an_api_key_variable_that_is_not_set_is_a_config_error(monkeypatch, portal):
    monkeypatch.delenv("CKAN_SIM_KEY", raising=False)
    with pytest.raises(ConfigError, match="CKAN_SIM_KEY"):
        CkanHarvester(source_at(portal, credentials={"token_env": "CKAN_SIM_KEY"}))


# --- responses that are not CKAN's ----------------------------------------------------------------

def test_an_html_page_that_passes_is_fetched_again(feed, portal):
    feed.faults.configure(html_instead=1)
    assert sum(len(p.records) for p in harvested(source_at(portal))) == 250


def test_html_that_persists_fails_with_url_and_reason(feed, portal):
    feed.faults.configure(html_instead=10)
    with pytest.raises(UnparseableResponseError) as caught:
        harvested(source_at(portal))
    assert "an HTML page (Content-Type text/html; charset=utf-8), not CKAN JSON; still so after " \
           "3 attempt(s)" in str(caught.value)
    assert "/alpha/api/3/action/package_search?" in caught.value.url


def test_a_truncated_page_that_persists_is_not_json(feed, portal):
    feed.faults.configure(truncate=10, after_pages=1)
    with pytest.raises(UnparseableResponseError, match=r"not JSON \(.* at line 1 column \d+\)"):
        harvested(source_at(portal))


def test_json_that_is_not_a_ckan_envelope_is_a_protocol_violation(feed, portal):
    feed.faults.configure(oai_error_422=1)  # the simulator's "bad envelope"
    with pytest.raises(ProtocolViolationError) as caught:
        harvested(source_at(portal))
    assert "not a CKAN Action API envelope (an object with keys 'status', 'datasets'" in \
        str(caught.value)
    assert caught.value.url.startswith(f"{portal}/api/3/action/package_search")


def test_success_false_fails_with_the_portals_error(portal):
    with CkanHarvester(source_at(portal)) as harvester:
        with pytest.raises(SourceError) as caught:
            harvester.package("no-such-package")
    assert "refused package_show (HTTP 404, Not Found Error): Not found" in str(caught.value)
    assert caught.value.url == f"{portal}/api/3/action/package_show?id=no-such-package"


class Canned(BaseHTTPRequestHandler):
    """Answers every request with the server's canned (status, content type, body)."""

    def do_GET(self) -> None:
        status, kind, body = self.server.reply
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def canned() -> Iterator:
    """A portal that says whatever the test sets: `answer(status, body, kind)` -> base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def answer(status: int, body: bytes | object, kind: str = "application/json") -> str:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        server.reply = (status, kind, raw)
        return f"http://127.0.0.1:{server.server_address[1]}/portal"
    yield answer
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("status", "body", "error", "message"), [
    (200, b'{"success": true, "result": \xff}', UnparseableResponseError,
     "not UTF-8 (byte 0xff at offset 28)"),
    (200, [{"success": True}], ProtocolViolationError,
     "JSON but not a CKAN Action API envelope (a list without a boolean 'success')"),
    (200, {"success": True}, ProtocolViolationError, "says success but has no 'result'"),
    (200, {"success": True, "result": {"count": 3}}, ProtocolViolationError,
     "the package_search result is an object with keys 'count', not an object with a 'count' "
     "and a 'results' list"),
    (409, {"success": False, "error": {"__type": "Validation Error",
                                       "rows": ["Must be a natural number"]}},
     SourceError, "refused package_search (HTTP 409, Validation Error): rows: Must be a "
                  "natural number"),
    (200, {"success": False, "error": {"__type": "Search Query Error",
                                       "message": "Search Query is invalid"}},
     SourceError, "refused package_search (Search Query Error): Search Query is invalid"),
    (404, b"<!DOCTYPE html><html><body>Not Found</body></html>", SourceError,
     "answered package_search with HTTP 404 and a body that is not a CKAN API response"),
    (403, b"<html>Forbidden</html>", SourceError, "needs an API key and none is configured"),
    (200, {"success": True, "result": {"count": 1, "results": [{"name": "no-id"}]}},
     ProtocolViolationError, "none of the 1 packages on the page has a usable id"),
])
def test_responses_that_are_not_ckan_fail_with_url_and_reason(canned, status, body, error,
                                                             message):
    url = canned(status, body, "text/html" if isinstance(body, bytes) and b"html" in body
                 else "application/json")
    with pytest.raises(error) as caught:
        harvested(source_at(url))
    assert type(caught.value) is error
    assert message in str(caught.value)
    assert caught.value.url.startswith(f"{url}/api/3/action/package_search?")


def test_a_package_without_timestamp_is_a_failed_record_not_a_failed_run(canned):
    good = {"id": "a", "title": "A", "metadata_modified": "2024-01-01T00:00:00"}
    url = canned(200, {"success": True, "result": {"count": 2, "results": [
        good, {"id": "b", "title": "B", "metadata_modified": "yesterday"}]}})
    [page] = harvested(source_at(url))
    assert [r.identifier for r in page.records] == ["a"]
    assert [(f.identifier, f.reason) for f in page.failed] == [
        ("b", "the package has an unusable metadata_modified 'yesterday'")]


def test_unchanged_packages_serialise_to_the_same_bytes(canned):
    package_dict = {"id": "a", "title": "A", "metadata_modified": "2024-01-01T00:00:00",
                    "tracking_summary": {"total": 1, "recent": 1},
                    "resources": [{"url": "https://x.org/a.csv", "tracking_summary": {"total": 1}}]}
    reordered = dict(reversed(list(package_dict.items())))
    reordered["tracking_summary"] = {"total": 99, "recent": 5}  # page views change, data not
    payloads = []
    for body in (package_dict, reordered):
        url = canned(200, {"success": True, "result": body})
        with CkanHarvester(source_at(url)) as harvester:
            payloads.append(harvester.package("a").payload)
    assert payloads[0] == payloads[1]
    assert b"tracking_summary" not in payloads[0]
    assert json.loads(payloads[0]) == {"id": "a", "metadata_modified": "2024-01-01T00:00:00",
                                       "resources": [{"url": "https://x.org/a.csv"}],
                                       "title": "A"}


def test_a_portal_ignoring_the_keyset_filter_is_stopped(canned):
    results = [{"id": f"p{n}", "metadata_modified": "2024-01-01T00:00:00"} for n in range(2)]
    url = canned(200, {"success": True, "result": {"count": 5, "results": results}})
    with pytest.raises(ProtocolViolationError, match="seems to ignore the fq filter"):
        harvested(source_at(url), rows=2)


# --- the endpoint and the harvester's helpers -----------------------------------------------------

def test_status_show_identifies_the_portal(portal):
    with get_harvester("ckan")(source_at(portal + "/api/3/action/")) as harvester:
        info = harvester.identify()
    assert (info.protocol, info.base_url, info.name, info.deleted_record) == (
        "ckan", portal, "Simulated Repository", "no")
    assert info.extra["ckan_version"] == "2.10.4"


def test_the_simulated_portal_answers_like_ckan(feed, portal):
    api = f"{portal}/api/3/action/"
    feed.delete([2], at=LATER)
    listing = requests.get(api + "package_list", timeout=5).json()
    assert listing["success"] is True and len(listing["result"]) == 249
    gone = requests.get(api + "package_show", params={"id": package_id("alpha", 2)}, timeout=5)
    assert (gone.status_code, gone.json()["error"]["__type"]) == (404, "Not Found Error")
    capped = requests.get(api + "package_search", params={"rows": 5000}, timeout=5).json()
    assert (capped["result"]["count"], len(capped["result"]["results"])) == (249, 249)
    bad = requests.get(api + "package_search", params={"fq": "metadata_modified:[x TO *]"},
                       timeout=5)
    assert bad.status_code == 409
    assert bad.json()["error"] == {"__type": "Search Query Error",
                                   "message": "Search Query is invalid: Invalid Date "
                                              "String:'x'"}
    posted = requests.post(api + "package_search", json={"fq": "organization:\"nope\"",
                                                         "rows": 1}, timeout=5).json()
    assert posted["result"]["count"] == 0
    organisations = requests.get(api + "organization_list", timeout=5).json()["result"]
    assert organisation_name(0) in organisations and len(organisations) == 3
    unknown = requests.get(api + "package_delete", timeout=5)
    assert (unknown.status_code, unknown.json()["success"]) == (400, False)


def test_ckan_timestamps_are_read_as_utc_and_compared_at_solr_precision():
    assert parse_timestamp("2012-03-15T18:16:21.035169") == datetime(
        2012, 3, 15, 18, 16, 21, 35169, tzinfo=UTC)
    assert parse_timestamp("2024-05-01T12:00:00+02:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_timestamp("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert solr_time(datetime(2012, 3, 15, 18, 16, 21, 35169, tzinfo=UTC)) == (
        "2012-03-15T18:16:21.035Z")
    assert Key.of(parse_timestamp("2012-03-15T18:16:21.035999"), "b") < Key.of(
        parse_timestamp("2012-03-15T18:16:21.035001"), "c")
    with pytest.raises(ValueError):
        parse_timestamp("15/03/2012")


@pytest.mark.parametrize("given", ["https://data.example.org", "https://data.example.org/",
                                   "https://data.example.org/api", "https://data.example.org/api/3",
                                   "https://data.example.org/api/3/action/"])
def test_the_portal_url_is_found_from_its_api_root_too(given):
    assert portal_url(given) == "https://data.example.org"
