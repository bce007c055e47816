"""`os10 sources check URL`: a steward's look at an endpoint before registering it, over real HTTP.

The simulator's OAI-PMH, CKAN and DCAT endpoints must be detected, listed, sampled and proposed
as a sources.yaml entry that loads; broken endpoints (down, slow, HTML, OAI errors, malformed or
refused XML, JSON that is not CKAN) must each get a verdict sentence and exit code 1, never a
traceback. Nothing is ever written to a database.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from cli.main import main
from onboarding.detect import ckan_base, oai_base, probe_order
from onboarding.proposal import env_name_for, source_id_for, sources_yaml
from pipeline.registry import load_sources
from schemas.onboarding import DcatOfferings
from simulator import Feed, SimulatorServer
from tracked_http import TrackedHTTPServer

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2024, 1, 1, tzinfo=UTC)
FAST = ["--rate", "1000", "--timeout", "5"]
# The first three records of the simulated feed (seed 1), the same over every protocol.
TITLES = [
    "Niveles del agua subterránea y calidad del agua potable en los pozos rurales, 2019–2020",
    "Conteos de aves y polinizadores en las áreas protegidas y las tierras agrícolas cercanas, "
    "2018–2020",
    "Mediciones de carbono orgánico y humedad del suelo en pequeñas fincas agrícolas, "
    "2019–2020",
]
ORGANISATIONS = ["east-african-climate-data-centre", "lake-basin-public-health-laboratory",
                 "sahel-institute-for-soil-and-water-research"]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    feed = Feed(count=30, seed=1, page_size=10, start=START, name="Alpha Repository")
    with SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    """Where a database would be, were anything stored; the check must not create it."""
    return tmp_path / "never.sqlite3"


def run_check(capsys, db_file: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", f"sqlite:///{db_file}", "sources", "check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_json(capsys, db_file: Path, url: str, *args: str) -> tuple[int, dict]:
    code, out, err = run_check(capsys, db_file, url, "--json", *FAST, *args)
    assert "Traceback" not in out + err
    return code, json.loads(out)


def proposed_source(result: dict, tmp_path: Path):
    """The proposed entry, pasted under `sources:` in a file the registry then loads."""
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n" + result["sources_yaml"], encoding="utf-8")
    (source,) = load_sources(path).sources
    return source


# --- the simulated partners ------------------------------------------------------------------------

def test_an_oai_pmh_repository_is_detected_listed_sampled_and_proposed(sim, db_file, tmp_path,
                                                                      capsys):
    url = sim.url("alpha")
    code, result = check_json(capsys, db_file, url, "--samples", "3")

    assert code == 0 and result["verdict"]["status"] == "ok"
    assert result["protocol"] == "oai_pmh" and result["base_url"] == url
    assert [(a["protocol"], a["outcome"]) for a in result["attempts"]] == [("oai_pmh", "matched")]
    offers = result["offerings"]
    assert offers["repository_name"] == "Alpha Repository"
    assert (offers["protocol_version"], offers["granularity"], offers["deleted_record"]) == (
        "2.0", "YYYY-MM-DDThh:mm:ssZ", "persistent")
    assert offers["earliest_datestamp"] == "2024-01-01T00:00:00Z"
    assert [f["prefix"] for f in offers["metadata_formats"]] == ["oai_dc", "oai_datacite",
                                                                 "datacite"]
    assert [s["spec"] for s in offers["sets"]] == ["collection:a", "collection:b",
                                                   "collection:c", "type:dataset", "type:text"]
    assert offers["more_sets"] is False

    sample = result["sample"]
    assert sample["metadata_format"] == "oai_datacite"  # preferred over datacite and oai_dc
    assert sample["list_size"] == 30
    records = sample["records"]
    assert [r["identifier"] for r in records] == ["oai:alpha.sim:0", "oai:alpha.sim:1",
                                                  "oai:alpha.sim:2"]
    assert [r["title"] for r in records] == TITLES
    assert [(r["resource_type"], r["doi"], r["licence"]) for r in records] == [
        ("Dataset", "10.5555/os10-shared-0", "CC-BY-SA-4.0"),
        ("Dataset", "10.5555/alpha-1", "CC0-1.0"),
        ("Dataset", "10.5555/alpha-2", "CC-BY-SA-4.0")]
    assert all("es" in r["languages"] for r in records)
    assert result["quality"]["records"] == 3 and result["quality"]["share_doi"] == 1.0

    source = proposed_source(result, tmp_path)
    assert (source.id, source.name, source.protocol, source.base_url) == (
        "127-0-0-1", "Alpha Repository", "oai_pmh", url)
    assert (source.metadata_prefix, source.sets, source.schedule) == ("oai_datacite", [],
                                                                      "@daily")
    assert "# or some of: collection:a, collection:b, collection:c" in result["sources_yaml"]
    assert not db_file.exists()


def test_the_text_report_gives_the_verdict_offerings_sample_quality_and_yaml(sim, db_file,
                                                                             capsys):
    code, out, err = run_check(capsys, db_file, sim.url("alpha") + "?verb=Identify",
                               "--samples", "2", *FAST)

    assert code == 0, out + err
    assert out.splitlines()[2].startswith("Verdict: OK. The OAI-PMH repository 'Alpha "
                                          "Repository' at http://127.0.0.1:")
    assert "  metadata formats        oai_dc, oai_datacite, datacite" in out
    assert "  sets (5)                collection:a (Collection A), collection:b" in out
    assert "Sample: 2 of 2 requested records in oai_datacite, 2 mapped (the list holds 30)" in out
    assert "oai:alpha.sim:1  Conteos de aves y polinizadores en las áreas pr…" in out
    assert "Quality of the sample (2 record(s) scored)" in out
    assert f"    url: {sim.url('alpha')}\n" in out  # the ?verb=Identify is gone
    assert "    metadata_prefix: oai_datacite" in out
    assert not db_file.exists()


def test_a_ckan_portal_is_detected_from_its_api_address(sim, db_file, tmp_path, capsys):
    portal = f"http://127.0.0.1:{sim.port}/alpha"
    code, result = check_json(capsys, db_file, portal + "/api/3/action/package_search?q=soil",
                              "--samples", "3")

    assert code == 0 and result["verdict"]["status"] == "ok"
    assert (result["protocol"], result["base_url"]) == ("ckan", portal)
    assert [(a["protocol"], a["outcome"]) for a in result["attempts"]] == [("ckan", "matched")]
    offers = result["offerings"]
    assert (offers["site_title"], offers["ckan_version"], offers["dataset_count"]) == (
        "Alpha Repository", "2.10.4", 30)
    assert offers["organizations"] == ORGANISATIONS
    assert offers["groups"] == ["datasets", "documents", "images", "software"]
    assert "dcat" in offers["extensions"]
    sample = result["sample"]
    assert sample["metadata_format"] == "ckan"
    assert [r["title"] for r in sample["records"]] == TITLES
    assert [r["licence"] for r in sample["records"]] == ["CC-BY-SA-4.0", "CC0-1.0",
                                                         "CC-BY-SA-4.0"]

    source = proposed_source(result, tmp_path)
    assert (source.protocol, source.base_url, source.name, source.metadata_prefix) == (
        "ckan", portal, "Alpha Repository", None)
    assert source.ckan_organizations == [] and source.kind == "portal"
    assert f"# or some of: {', '.join(ORGANISATIONS)}" in result["sources_yaml"]
    assert not db_file.exists()


def test_a_dcat_catalogue_is_detected_after_the_other_protocols_say_no(sim, db_file, tmp_path,
                                                                       capsys):
    url = sim.url("alpha", "dcat") + "/catalog"
    code, result = check_json(capsys, db_file, url, "--samples", "3")

    assert code == 0 and result["verdict"]["status"] == "ok"
    assert result["protocol"] == "dcat"
    assert [(a["protocol"], a["outcome"]) for a in result["attempts"]] == [
        ("oai_pmh", "other"), ("ckan", "absent"), ("dcat", "matched")]
    offers = result["offerings"]
    assert (offers["serialisation"], offers["catalogue_title"], offers["paging"]) == (
        "Turtle", "Alpha Repository", "hydra")
    assert (offers["datasets_on_first_page"], offers["total_items"]) == (10, 30)
    assert offers["etag"] and offers["last_modified"]
    assert offers["conditional_requests"] == "supported"
    sample = result["sample"]
    assert sample["metadata_format"] == "dcat_ap"
    assert [r["identifier"] for r in sample["records"]] == [
        "ALPHA-0000000", "https://doi.org/10.5555/alpha-1", "ALPHA-0000002"]
    assert [r["title"] for r in sample["records"]] == TITLES

    source = proposed_source(result, tmp_path)
    assert (source.protocol, source.base_url, source.kind, source.schedule) == (
        "dcat", url, "catalogue", "@daily")
    assert not db_file.exists()


def test_without_samples_the_endpoint_is_still_listed_and_proposed(sim, db_file, tmp_path,
                                                                   capsys):
    code, result = check_json(capsys, db_file, sim.url("alpha"), "--samples", "0")
    assert code == 0 and result["sample"]["records"] == []
    assert "no records were sampled (--samples 0)" in result["verdict"]["sentence"]
    assert proposed_source(result, tmp_path).metadata_prefix == "oai_datacite"


# --- broken endpoints ------------------------------------------------------------------------------

OAI_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><OAI-PMH '
            'xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-05-01T00:00:00Z'
            '</responseDate><request>http://broken.example.org/oai</request>')
IDENTIFY = ("<Identify><repositoryName>Half Broken</repositoryName><baseURL>http://broken."
            "example.org/oai</baseURL><protocolVersion>2.0</protocolVersion><adminEmail>"
            "a@example.org</adminEmail><earliestDatestamp>2020-01-01</earliestDatestamp>"
            "<deletedRecord>no</deletedRecord><granularity>YYYY-MM-DD</granularity></Identify>")
FORMATS = ("<ListMetadataFormats><metadataFormat><metadataPrefix>oai_dc</metadataPrefix><schema>"
           "http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema><metadataNamespace>"
           "http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace></metadataFormat>"
           "</ListMetadataFormats>")
XML, HTML, JSON = "text/xml; charset=utf-8", "text/html; charset=utf-8", "application/json"
SLEEP_SECONDS = 2.0

Reply = tuple[int, str, bytes]


def oai(content: str) -> bytes:
    return f"{OAI_HEAD}{content}</OAI-PMH>".encode()


def half_broken_oai(verb: str | None) -> Reply:
    """Identify and ListMetadataFormats answer; ListRecords fails on every request."""
    if verb == "Identify":
        return 200, XML, oai(IDENTIFY)
    if verb == "ListMetadataFormats":
        return 200, XML, oai(FORMATS)
    if verb == "ListSets":
        return 200, XML, oai('<error code="noSetHierarchy">No sets.</error>')
    return 200, XML, oai('<error code="badArgument">The from argument is required here.</error>')


def slow(verb: str | None) -> Reply:
    time.sleep(SLEEP_SECONDS)
    return 200, XML, oai(IDENTIFY)


ROUTES: dict[str, Callable[[str | None], Reply]] = {
    "/html": lambda verb: (200, HTML, b"<!DOCTYPE html><html><head><title>Open Data Portal"
                                      b"</title></head><body><h1>Welcome</h1></body></html>"),
    "/slow": slow,
    "/badverb": lambda verb: (200, XML, oai('<error code="badVerb">Illegal OAI verb</error>')),
    "/malformed": lambda verb: (200, XML, oai("<Identify><repositoryName>Broken</Identify>")),
    "/dtd": lambda verb: (200, XML, b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                                    b'<!ENTITY lol2 "&lol;&lol;&lol;">]><OAI-PMH xmlns="http:'
                                    b'//www.openarchives.org/OAI/2.0/">&lol2;</OAI-PMH>'),
    "/rss": lambda verb: (200, XML, b'<?xml version="1.0"?><rss version="2.0"><channel>'
                                    b"<title>News</title></channel></rss>"),
    "/status/api/3/action/status_show": lambda verb: (200, JSON,
                                                      b'{"status": "ok", "version": "1.4"}'),
    "/half": half_broken_oai,
}


class _BrokenHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        route = ROUTES.get(parts.path)
        verb = (parse_qs(parts.query).get("verb") or [None])[0]
        status, kind, body = route(verb) if route else (404, "text/plain", b"Not found.\n")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def broken_server() -> Iterator[str]:
    server = TrackedHTTPServer(("127.0.0.1", 0), _BrokenHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def broken() -> Iterator[str]:
    with broken_server() as base:
        yield base


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on leaving: nothing listens there


@pytest.mark.parametrize(("path", "options", "status", "phrases"), [
    ("/html", [], "NOT RECOGNISED", [
        "Nothing at {base}/html speaks a protocol we harvest", "an HTML page (HTTP 200, "
        "text/html)", "It looks like a web site, not an API."]),
    ("/slow", ["--timeout", "0.5"], "SLOW", [
        "is too slow: no answer came within the 0.5-second timeout, 2 time(s) in a row"]),
    ("/badverb", [], "INVALID", [
        "looks like OAI-PMH but is broken", "answered Identify with the OAI-PMH error badVerb: "
        "Illegal OAI verb"]),
    ("/malformed", [], "INVALID", [
        "looks like OAI-PMH but is broken", "the response is not well-formed XML: Opening and "
        "ending tag mismatch"]),
    ("/dtd", [], "INVALID", [
        "the response declares a DTD or entities, which we refuse to process"]),
    ("/rss", ["--protocol", "oai_pmh"], "NOT RECOGNISED", [
        "is not an OAI-PMH endpoint as --protocol says",
        "answered Identify with XML whose root element is <rss>, not an OAI-PMH document"]),
    ("/status/api/3/action/status_show", [], "NOT RECOGNISED", [
        "is not a CKAN endpoint as its address suggests", "answered status_show with JSON "
        "that is not a CKAN Action API response (no boolean 'success')"]),
    ("/half", [], "INVALID", [
        "The OAI-PMH endpoint at {base}/half describes itself, but listing its records "
        "fails: the repository answered ListRecords with OAI-PMH error badArgument: The from "
        "argument is required here."]),
])
def test_a_broken_endpoint_gets_a_verdict_and_exit_code_1(broken, db_file, capsys, path,
                                                          options, status, phrases):
    code, out, err = run_check(capsys, db_file, broken + path, "--rate", "1000", *options)

    assert code == 1
    assert "Traceback" not in out + err
    text = " ".join(out.split())  # the verdict paragraph is wrapped for the terminal
    assert f"Verdict: {status}. " in text
    for phrase in phrases:
        assert phrase.format(base=broken) in text
    assert "sources.yaml (paste under" not in out  # nothing to register
    assert not db_file.exists()


def test_an_endpoint_nobody_listens_on_is_down(db_file, capsys):
    url = f"http://127.0.0.1:{closed_port()}/oai"
    code, result = check_json(capsys, db_file, url)

    assert code == 1
    assert result["verdict"]["status"] == "down"
    assert "is down or unreachable: the connection failed (Connection refused)" in \
        result["verdict"]["sentence"]
    assert result["protocol"] is None and result["sample"] is None
    assert not db_file.exists()


def test_an_address_that_is_not_a_url_gets_a_verdict(db_file, capsys):
    code, result = check_json(capsys, db_file, "repository.example.org/oai")
    assert code == 1 and result["verdict"]["status"] == "invalid"
    assert "is not an http(s) URL" in result["verdict"]["sentence"]


def test_the_command_exits_1_without_a_traceback_in_a_real_process(broken, tmp_path):
    db = tmp_path / "never.sqlite3"
    finished = subprocess.run(
        [sys.executable, "-m", "cli.main", "--db", f"sqlite:///{db}", "sources", "check",
         f"{broken}/badverb", "--rate", "1000"],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert finished.returncode == 1
    assert "Traceback" not in finished.stdout + finished.stderr
    assert "Verdict: INVALID." in finished.stdout
    assert not db.exists()


# --- the pieces ----------------------------------------------------------------------------------

def test_obvious_bases_are_derived_from_the_address_given():
    assert oai_base("https://repo.example.org/oai?verb=ListRecords&metadataPrefix=oai_dc") == \
        "https://repo.example.org/oai"
    assert oai_base("https://repo.example.org/cgi/oai2?key=1&verb=Identify") == \
        "https://repo.example.org/cgi/oai2?key=1"
    assert ckan_base("https://data.example.org/api/3/action/package_search?q=x") == \
        "https://data.example.org"
    assert ckan_base("https://data.example.org/portal/api/3/") == \
        "https://data.example.org/portal"
    assert probe_order("https://data.example.org/api/3/action/status_show") == (
        "ckan", "oai_pmh", "dcat")
    assert probe_order("https://data.example.org/catalog.ttl") == ("dcat", "oai_pmh", "ckan")
    assert probe_order("https://repo.example.org/oai?verb=Identify") == (
        "oai_pmh", "ckan", "dcat")
    assert probe_order("https://x.example.org/", "ckan") == ("ckan",)


def test_the_proposed_id_and_key_variable_come_from_the_host():
    assert source_id_for("https://www.data.example.org/oai") == "data-example-org"
    assert source_id_for("http://127.0.0.1:8080/alpha/oai") == "127-0-0-1"
    assert env_name_for("data-example-org") == "DATA_EXAMPLE_ORG_TOKEN"
    assert env_name_for("127-0-0-1") == "PARTNER_127_0_0_1_TOKEN"


def test_a_catalogue_without_conditional_requests_is_proposed_weekly(tmp_path):
    block = sources_yaml(source_id="data-example-org", name="Données: le catalogue #1",
                         protocol="dcat", url="https://data.example.org/catalog.ttl?page=1",
                         offerings=DcatOfferings(serialisation="Turtle"), metadata_prefix=None,
                         sample=None, timeout_seconds=90)
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n" + block, encoding="utf-8")
    (source,) = load_sources(path).sources
    assert (source.name, source.base_url, source.schedule, source.timeout_seconds) == (
        "Données: le catalogue #1", "https://data.example.org/catalog.ttl?page=1", "@weekly", 90)
    assert "# every run reads the whole catalogue" in block
