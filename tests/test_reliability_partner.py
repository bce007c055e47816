"""Partners answering badly: JSON where XML belongs, wrong charsets, bytes that are not UTF-8,
external entities, absurd nesting and text nodes, RDF that points elsewhere.

A tiny partner on 127.0.0.1 answers each request as the test says (the OAI-PMH cases serve a
two-page ListRecords whose bytes, XML declaration and Content-Type each test sets) and records
every request, so a test also sees what was *not* fetched.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit

import pytest

from errors import UnparseableResponseError
from harvesters.base import HarvestRequest
from harvesters.dcat import DcatHarvester
from pipeline.harvest import harvest_source
from schemas import SourceConfig
from store import Store

Answer = tuple[bytes, str]  # body, Content-Type


class Request(NamedTuple):
    path: str
    params: dict[str, str]
    number: int  # 1 for the partner's first request
TITLES = {1: "Glaciers of Zürich – Ærø survey", 2: "Müller's “quoted” data", 3: "Plain title",
          4: "東京 rainfall, 1990–2020"}


def source_for(url: str) -> SourceConfig:
    return SourceConfig(id="partner", name="Partner", protocol="oai_pmh", url=url,
                        metadata_prefix="oai_dc", max_requests_per_second=1000,
                        timeout_seconds=5, max_retries=2, retry_backoff_seconds=0.01)


def record(number: int, title: bytes) -> bytes:
    return (b"<record><header><identifier>oai:partner:%d</identifier>"
            b"<datestamp>2024-01-0%dT00:00:00Z</datestamp></header><metadata>"
            b'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>%b</dc:title>'
            b"<dc:creator>Doe, Jane</dc:creator><dc:date>2020</dc:date>"
            b"<dc:identifier>https://doi.org/10.1234/partner.%d</dc:identifier>"
            b"<dc:type>Dataset</dc:type></oai_dc:dc></metadata></record>"
            % (number, number, title, number))


def page(numbers: list[int], *, token: str | None, declaration: bytes | None,
         encode: Callable[[int, str], bytes]) -> bytes:
    """A ListRecords page whose titles are encoded by `encode(number, title)`."""
    head = declaration + b"\n" if declaration is not None else b""
    resumption = (b"<resumptionToken>%b</resumptionToken>" % token.encode()) if token else b""
    return (head + b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            b"<responseDate>2024-06-01T00:00:00Z</responseDate>"
            b'<request verb="ListRecords">http://partner/oai</request><ListRecords>'
            + b"".join(record(n, encode(n, TITLES[n])) for n in numbers)
            + resumption + b"</ListRecords></OAI-PMH>")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.seen.append(parts.path)
        body, content_type = self.server.answer(
            Request(parts.path, dict(parse_qsl(parts.query)), len(self.server.seen)))
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def partner(answer: Callable[[Request], Answer]) -> Iterator[ThreadingHTTPServer]:
    """`answer(request)` gives each response; `seen` lists the paths asked for."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.answer, server.seen = answer, []
    server.base = f"http://127.0.0.1:{server.server_port}"
    server.url = f"{server.base}/oai"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def two_pages(declaration: bytes | None, content_type: str,
              encode: Callable[[int, str], bytes]) -> Callable[[Request], Answer]:
    def answer(request: Request) -> Answer:
        if "resumptionToken" in request.params:
            return page([3, 4], token=None, declaration=declaration, encode=encode), content_type
        return page([1, 2], token="p2", declaration=declaration, encode=encode), content_type
    return answer


def utf8(_number: int, title: str) -> bytes:
    return title.encode("utf-8")


def titles(store: Store) -> dict[str, str]:
    return {r["identifier"]: r["title"] for r in store.iter_records()}


EXPECTED = {f"oai:partner:{n}": title for n, title in TITLES.items()}


# -- JSON where XML belongs --------------------------------------------------------------------


def test_json_instead_of_xml_once_is_fetched_again_and_costs_nothing(sqlite_url):
    answer = two_pages(b'<?xml version="1.0" encoding="UTF-8"?>', "text/xml; charset=utf-8",
                       utf8)

    def once_json(request: Request) -> Answer:
        if request.number == 2:  # the second page, the first time it is asked for
            return b'{"error": "upstream timeout", "status": 504}', "application/json"
        return answer(request)

    with partner(once_json) as server:
        store = Store.open(sqlite_url)
        report = harvest_source(store, source_for(server.url), progress=False)
    assert (report.status, report.counts.new, report.counts.failed) == ("succeeded", 4, 0)
    assert titles(store) == EXPECTED


def test_json_that_persists_fails_the_run_saying_json_and_a_rerun_resumes(sqlite_url):
    answer = two_pages(b'<?xml version="1.0" encoding="UTF-8"?>', "text/xml; charset=utf-8",
                       utf8)
    broken = {"on": True}

    def json_page_two(request: Request) -> Answer:
        if "resumptionToken" in request.params and broken["on"]:
            return b'[{"id": "oai:partner:3"}]', "application/json"
        return answer(request)

    with partner(json_page_two) as server:
        store = Store.open(sqlite_url)
        with pytest.raises(UnparseableResponseError) as caught:
            harvest_source(store, source_for(server.url), progress=False)
        assert str(caught.value).startswith(
            "Source 'partner': the response is JSON (Content-Type application/json), not "
            "OAI-PMH XML; still so after 3 attempt(s) (URL: http://127.0.0.1:")
        assert store.raw_count("partner") == 2  # the first page is kept
        broken["on"] = False
        resumed = harvest_source(store, source_for(server.url), progress=False)
    assert (resumed.status, resumed.counts.seen, resumed.counts.new) == ("succeeded", 2, 2)
    assert titles(store) == EXPECTED


# -- wrong charsets ----------------------------------------------------------------------------


def test_utf8_bytes_declared_iso_8859_1_come_out_right(sqlite_url, caplog):
    answer = two_pages(b'<?xml version="1.0" encoding="ISO-8859-1"?>',
                       "text/xml; charset=ISO-8859-1", utf8)
    with partner(answer) as server:
        store = Store.open(sqlite_url)
        report = harvest_source(store, source_for(server.url), progress=False)
    assert (report.counts.new, report.counts.failed, report.counts.repaired) == (4, 0, 0)
    assert titles(store) == EXPECTED  # not "ZÃ¼rich"
    assert "declares ISO-8859-1 but its bytes are UTF-8; read as UTF-8" in caplog.text


def test_an_http_charset_that_disagrees_with_a_right_declaration_changes_nothing(sqlite_url):
    """Latin-1 bytes, declared so in the XML, served as "charset=UTF-8"; and UTF-8 bytes,
    declared UTF-8, served as "charset=ISO-8859-1": the bytes decide, both come out right."""
    latin = {1: "Glaciers of Zürich – Ærø survey", 2: "Müller's data", 3: "Plain title",
             4: "Café rainfall"}
    answer = two_pages(b"<?xml version='1.0' encoding='iso-8859-1'?>",
                       "text/xml; charset=UTF-8",
                       lambda n, _title: latin[n].replace("–", "-").encode("latin-1"))
    with partner(answer) as server:
        store = Store.open(sqlite_url)
        harvest_source(store, source_for(server.url), progress=False)
    assert titles(store) == {f"oai:partner:{n}": t.replace("–", "-") for n, t in latin.items()}

    answer = two_pages(b'<?xml version="1.0" encoding="UTF-8"?>',
                       'text/xml; charset="ISO-8859-1"', utf8)
    with partner(answer) as server:
        store = Store.open(sqlite_url.replace("os10.sqlite3", "second.sqlite3"))
        report = harvest_source(store, source_for(server.url), progress=False)
    assert titles(store) == EXPECTED and report.counts.repaired == 0


def test_latin_1_bytes_without_a_declaration_follow_the_http_charset(sqlite_url, caplog):
    answer = two_pages(None, "text/xml; charset=ISO-8859-1",
                       lambda n, _title: f"Zürich {n}".encode("latin-1"))
    with partner(answer) as server:
        store = Store.open(sqlite_url)
        report = harvest_source(store, source_for(server.url), progress=False)
    assert titles(store) == {f"oai:partner:{n}": f"Zürich {n}" for n in TITLES}
    assert report.counts.repaired == 0
    assert "not UTF-8; read as ISO-8859-1 as the HTTP header says" in caplog.text


# -- bytes that are not UTF-8 ------------------------------------------------------------------


def test_invalid_utf8_in_one_record_is_replaced_and_counted_and_the_others_are_intact(
        sqlite_url, caplog):
    def one_bad_record(number: int, title: str) -> bytes:
        if number == 2:  # a Latin-1 "ü" and a stray 0xFF inside an otherwise UTF-8 page
            return b"M\xfcller's \xff data"
        return title.encode("utf-8")

    answer = two_pages(b'<?xml version="1.0" encoding="UTF-8"?>', "text/xml; charset=utf-8",
                       one_bad_record)
    with partner(answer) as server:
        store = Store.open(sqlite_url)
        report = harvest_source(store, source_for(server.url), progress=False)
    assert (report.status, report.counts.new, report.counts.failed) == ("succeeded", 4, 0)
    assert report.counts.repaired == 1  # one record carries the two replacements
    stored = titles(store)
    assert stored["oai:partner:2"] == "M\ufffdller's \ufffd data"
    assert {k: v for k, v in stored.items() if k != "oai:partner:2"} == {
        k: v for k, v in EXPECTED.items() if k != "oai:partner:2"}
    assert "2 byte sequence(s) that are not UTF-8 were replaced with U+FFFD" in caplog.text


# -- hostile XML: external entities, nesting, text nodes ---------------------------------------


def failing_harvest(url: str, sqlite_url: str) -> tuple[str, Store]:
    """Harvest into a fresh store, which must fail; the reason and the store."""
    store = Store.open(sqlite_url)
    with pytest.raises(UnparseableResponseError) as caught:
        harvest_source(store, source_for(url), progress=False)
    return str(caught.value), store


def test_an_external_entity_is_refused_before_anything_is_read_or_fetched(sqlite_url):
    def xxe(request: Request) -> Answer:
        if request.path != "/oai":
            return b"secret", "text/plain"
        entity = (f'<!DOCTYPE OAI-PMH [<!ENTITY file SYSTEM "file:///etc/passwd">'
                  f'<!ENTITY web SYSTEM "{server.base}/secret">]>').encode()
        body = page([1], token=None, declaration=b'<?xml version="1.0"?>\n' + entity,
                     encode=lambda n, t: b"&file;&web;")
        return body, "text/xml"

    with partner(xxe) as server:
        reason, store = failing_harvest(server.url, sqlite_url)
        assert server.seen == ["/oai"]  # refused at once, and /secret never asked for
    assert "declares a DTD or entities, which we refuse to process" in reason
    assert store.raw_count("partner") == 0
    assert store.last_runs()["partner"].status == "failed"


def test_deeply_nested_elements_are_refused_with_the_reason(sqlite_url):
    nested = b"<dc:description>" * 5_000 + b"deep" + b"</dc:description>" * 5_000
    answer = two_pages(b'<?xml version="1.0" encoding="UTF-8"?>', "text/xml",
                       lambda n, t: nested if n == 3 else t.encode())
    with partner(answer) as server:
        reason, store = failing_harvest(server.url, sqlite_url)
    assert "Excessive depth in document: 256" in reason
    assert "still so after 3 attempt(s)" in reason
    assert store.last_runs()["partner"].status == "failed"


def test_a_huge_text_node_is_refused_with_the_reason(sqlite_url):
    huge = b"x" * (11 * 1024 * 1024)  # over libxml2's 10 MB text node limit, under the page bound
    answer = two_pages(b'<?xml version="1.0" encoding="UTF-8"?>', "text/xml",
                       lambda n, t: huge if n == 1 else t.encode())
    with partner(answer) as server:
        reason, store = failing_harvest(server.url, sqlite_url)
    assert "Text node too long" in reason
    assert store.raw_count("partner") == 0


# -- RDF that points elsewhere -----------------------------------------------------------------


def dcat_source(url: str) -> SourceConfig:
    return SourceConfig(id="partner", name="Partner", protocol="dcat", url=url,
                        max_requests_per_second=1000, timeout_seconds=5, max_retries=1,
                        retry_backoff_seconds=0.01)


def test_a_jsonld_context_import_is_refused_without_a_request_for_it():
    def catalogue(request: Request) -> Answer:
        document = {"@context": {"@import": f"{server.base}/context.jsonld",
                                 "dct": "http://purl.org/dc/terms/"},
                    "@id": "http://example.org/ds/1", "@type": "Dataset", "dct:title": "One"}
        return json.dumps(document).encode(), "application/ld+json"

    with partner(catalogue) as server, DcatHarvester(dcat_source(f"{server.base}/catalog")) as h:
        with pytest.raises(UnparseableResponseError, match="remote context .*context.jsonld, "
                                                           "which is not fetched"):
            list(h.pages(HarvestRequest()))
        assert server.seen == ["/catalog"]


def test_owl_imports_in_a_catalogue_are_not_followed():
    def catalogue(request: Request) -> Answer:
        if request.path != "/catalog":
            return b"<x> <y> <z> .", "text/turtle"
        return f"""@prefix dcat: <http://www.w3.org/ns/dcat#> .
            @prefix dct: <http://purl.org/dc/terms/> .
            @prefix owl: <http://www.w3.org/2002/07/owl#> .
            <{server.base}/catalog> a dcat:Catalog ; owl:imports <{server.base}/more.ttl> ;
                dcat:dataset <http://example.org/ds/1> .
            <http://example.org/ds/1> a dcat:Dataset ; dct:title "One"@en ;
                dct:identifier "DS-1" .""".encode(), "text/turtle"

    with partner(catalogue) as server, DcatHarvester(dcat_source(f"{server.base}/catalog")) as h:
        pages = list(h.pages(HarvestRequest()))
        assert server.seen == ["/catalog"]
    assert [r.identifier for p in pages for r in p.records] == ["DS-1"]
