"""The provider is read-only and refuses malformed requests with the protocol's own answer.

Every page answers GET and HEAD only (OAI-PMH POST too, form-encoded, as the protocol allows,
and reading all the same). Malformed OAI-PMH requests get their error code (badVerb,
badArgument, badResumptionToken, cannotDisseminateFormat, noRecordsMatch, idDoesNotExist) in a
response that validates against OAI-PMH.xsd, by GET and by POST alike; malformed catalogue and
page requests get a 4xx. Never a 500, never a traceback, and the database is byte for byte what
it was before. test_provider_oai.py covers the ordinary errors (missing and unknown verbs and
arguments, one bad date, an edited token, unknown formats and sets); these are the hostile ones.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select
from test_provider_oai import NS, Schemas, error_code, fill

from provider import ProviderConfig, ProviderServer
from provider.resumption import _checksum
from provider.server import MAX_URL, ROUTES
from store import Store
from store import tables as t

TOKEN_KEY = "os10-provider:os10"  # derived from the public repository id: anyone can sign
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LATER = (datetime(2030, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)
PAGES = sorted({route.path for route in ROUTES} | {"/quality/alpha"})


@pytest.fixture(scope="session")
def oai_schemas(conformance) -> Schemas:
    return Schemas(conformance)


@pytest.fixture
def store(db_url, monkeypatch) -> Store:
    store = Store.open(db_url)
    yield fill(store, monkeypatch)
    store.close()


@pytest.fixture
def server(store):
    with ProviderServer(store, ProviderConfig(page_size=3)) as server:
        yield server


def fingerprint(store: Store) -> str:
    """Every row of every table, hashed: counts and content (merged_records first of all)."""
    digest = hashlib.sha256()
    with store.engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest.update(f"{table.name}:{len(rows)}:{sorted(map(repr, rows))}".encode())
    return digest.hexdigest()


@contextmanager
def unchanged(store: Store) -> Iterator[None]:
    before = fingerprint(store)
    merged = [(r.merged_id, r.datestamp, r.record) for r in store.iter_merged()]
    yield
    assert [(r.merged_id, r.datestamp, r.record) for r in store.iter_merged()] == merged
    assert fingerprint(store) == before, "a request changed the database"


def raw(server: ProviderServer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (no client tidies the target) and read the one response; status
    0 when the server answered without a status line (HTTP/0.9) or closed without a word."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    if not data.startswith(b"HTTP/"):
        return 0, {}, data
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def get(server: ProviderServer, target: bytes, method: bytes = b"GET") -> tuple[int, dict, bytes]:
    return raw(server, method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Connection: close\r\n\r\n")


def post(server: ProviderServer, path: bytes, body: bytes,
         content_type: bytes = b"application/x-www-form-urlencoded",
         length: bytes | None = None) -> tuple[int, dict, bytes]:
    length = str(len(body)).encode() if length is None else length
    return raw(server, b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
               b"Content-Type: " + content_type + b"\r\nContent-Length: " + length +
               b"\r\n\r\n" + body)


def assert_plain_refusal(status: int, body: bytes, allowed: tuple[int, ...],
                         what: object = None) -> None:
    """One of the statuses allowed, and nothing of our internals or the host's files."""
    assert status in allowed, (what, status, body[:200])
    assert b"Traceback" not in body and b"File \"" not in body and b"root:" not in body, what


def oai_error(schemas: Schemas, status: int, headers: dict, body: bytes) -> str | None:
    assert status == 200, (status, body[:300])
    assert headers["content-type"].startswith("text/xml")
    return error_code(schemas.check(body))


# --- methods -------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", [b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS"])
def test_pages_answer_get_and_head_only_and_say_so(server, store, method):
    with unchanged(store):
        for path in PAGES:
            if path == "/oai" and method == b"POST":
                continue  # the protocol's own POST: see below
            status, headers, body = raw(server, method + b" " + path.encode() +
                                        b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                        b"Content-Length: 9\r\n\r\nverb=Drop")
            assert_plain_refusal(status, body, (405,), path)
            allowed = {m.strip() for m in headers["allow"].split(",")}
            assert allowed <= {"GET", "HEAD", "POST"} and "GET" in allowed, path
            assert ("POST" in allowed) == (path == "/oai"), path


@pytest.mark.parametrize("method", [b"TRACE", b"CONNECT", b"PROPFIND", b"BREW"])
def test_methods_nobody_serves_are_refused_without_a_500(server, store, method):
    with unchanged(store):
        for path in PAGES:
            status, _, body = get(server, path.encode(), method)
            assert_plain_refusal(status, body, (405, 501), path)


def test_an_oai_post_reads_like_get_and_never_writes(server, store, oai_schemas):
    with unchanged(store):
        status, headers, body = post(server, b"/oai", b"verb=ListRecords&metadataPrefix=oai_dc")
        assert oai_error(oai_schemas, status, headers, body) is None
        status, headers, body = post(server, b"/oai", b"verb=Identify&verb=Identify")
        assert oai_error(oai_schemas, status, headers, body) == "badVerb"
        # Arguments travel in the body: the query string of a POST is not read.
        status, headers, body = post(server, b"/oai?verb=Identify", b"")
        assert oai_error(oai_schemas, status, headers, body) == "badVerb"
        status, _, body = post(server, b"/oai", b"verb=Identify", length=b"\xb2")  # "²"
        assert_plain_refusal(status, body, (411,))
        status, _, body = post(server, b"/oai", b"verb=Identify", length=b"-1")
        assert_plain_refusal(status, body, (411,))
        status, _, body = post(server, b"/oai", b"verb=\xff", content_type=b"application/"
                                                                           b"x-www-form-urlencoded")
        assert_plain_refusal(status, body, (400,))
        status, _, body = post(server, b"/oai", b"verb=Identify",
                               content_type=b"multipart/form-data; boundary=x")
        assert_plain_refusal(status, body, (415,))


# --- OAI-PMH arguments ----------------------------------------------------------------------------

def forge(fields: list, key: str = TOKEN_KEY) -> str:
    """A token signed with the repository's (public) key, saying whatever we like."""
    body = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    return f"{body}.{_checksum(key, body)}"


def token(**changes) -> str:
    fields = {"version": 1, "verb": "ListIdentifiers", "prefix": "oai_dc", "set": None,
              "since": None, "until": LATER, "after_stamp": None, "after_id": None,
              "cursor": 0, "size": 8}
    fields.update(changes)
    return forge(list(fields.values()))


LIST = "verb=ListRecords&metadataPrefix=oai_dc&"
HOSTILE_OAI = [
    # verbs
    ("verb=identify", "badVerb"), ("verb=Identify%20", "badVerb"), ("verb=%20Identify", "badVerb"),
    ("verb=", "badVerb"), ("verb=Identify%00", "badVerb"), ("verb=%zz", "badVerb"),
    ("verb=Identify%", "badVerb"), ("Verb=Identify", "badVerb"), ("verb[]=Identify", "badVerb"),
    ("verb=Identify&verb=", "badVerb"), ("verb=" + "Identify" * 100, "badVerb"),
    ("verb=ListRecords;metadataPrefix=oai_dc", "badVerb"), ("verb=%C3%A9", "badVerb"),
    # repeated, empty, illegal and odd arguments
    (LIST + "metadataPrefix=oai_dc", "badArgument"),
    ("verb=GetRecord&identifier=oai:os10:m1&identifier=oai:os10:m2&metadataPrefix=oai_dc",
     "badArgument"),
    (LIST + "set=", "badArgument"), (LIST + "from=", "badArgument"),
    (LIST + "until=&from=2024-01-01", "badArgument"), (LIST + "resumptionToken=", "badArgument"),
    (LIST + "foo=bar", "badArgument"), ("verb=Identify&metadataPrefix=oai_dc", "badArgument"),
    ("verb=ListSets&set=source", "badArgument"), (LIST + "identifier=oai:os10:m1", "badArgument"),
    ("verb=ListMetadataFormats&metadataPrefix=oai_dc", "badArgument"),
    (LIST + "%00=x", "badArgument"), (LIST + "set=source%00alpha", "badArgument"),
    (LIST + "set=source:", "badArgument"), (LIST + "set=:alpha", "badArgument"),
    (LIST + "set=source%3Aalpha%3B%20DROP%20TABLE%20merged_records", "badArgument"),
    (LIST + "set=" + "a" * 1025, "badArgument"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=" + "x" * 1025, "badArgument"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:os10:m1%0B", "badArgument"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:os10:..%2F..%2Fetc%2Fpasswd",
     "idDoesNotExist"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:os10:m1'%20OR%20'1'='1",
     "idDoesNotExist"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:os10:" + "9" * 1000, "idDoesNotExist"),
    ("verb=ListRecords&metadataPrefix=oai_dc%20", "badArgument"),
    ("verb=ListRecords&metadataPrefix=OAI_DC", "cannotDisseminateFormat"),
    ("verb=ListRecords&metadataPrefix=" + "x" * 1000, "cannotDisseminateFormat"),
    ("verb=GetRecord&identifier=oai:os10:m1&metadataPrefix=marc21", "cannotDisseminateFormat"),
    (LIST + "set=source:nobody", "noRecordsMatch"), (LIST + "set=type:Nothing", "noRecordsMatch"),
    # dates
    (LIST + "from=2020-13-45", "badArgument"), (LIST + "from=2020-02-30", "badArgument"),
    (LIST + "from=0000-01-01", "badArgument"), (LIST + "from=2020-1-1", "badArgument"),
    (LIST + "from=%202020-01-01", "badArgument"),
    (LIST + "from=2020-01-01T00:00:00", "badArgument"),
    (LIST + "from=2020-01-01T24:00:00Z", "badArgument"),
    (LIST + "from=2020-01-01T00:00:00%2B01:00", "badArgument"),
    (LIST + "from=2020-01-01T00:00:00.5Z", "badArgument"),
    (LIST + "from=%D9%A2%D9%A0%D9%A2%D9%A4-%D9%A0%D9%A3-%D9%A0%D9%A1", "badArgument"),
    (LIST + "from=2024-03-01&until=2024-03-01T23:59:59Z", "badArgument"),
    (LIST + "from=2024-03-02&until=2024-03-01", "badArgument"),
    (LIST + "from=2024-03-01T12:05:00Z&until=2024-03-01T12:04:59Z", "badArgument"),
    (LIST + "from=9999-12-31T23:59:59Z", "noRecordsMatch"),
    (LIST + "until=0001-01-01", "noRecordsMatch"),
    (LIST + "until=9999-12-31", None), (LIST + "until=9999-12-31T23:59:59Z", None),
    (LIST + "from=0001-01-01&until=9999-12-31", None),
]
HOSTILE_TOKENS = [
    "AAAA", "A" * 2049, "not.base64!", ".", "x.", ".0123456789abcdef",
    base64.urlsafe_b64encode(b'[1,"ListRecords","oai_dc",null,null,0,null,null,0,8]').decode(),
    base64.urlsafe_b64encode(b"\x00\xff" * 40).decode() + ".0123456789abcdef",
    forge([1, "ListRecords", "oai_dc", None, None, LATER, None, None, 0, 8], key="another key"),
    token(version=0),  # from another version of the server: expired, as far as it knows
    token(version=2), token(verb="ListRecords"), token(verb="Identify"),
    token(prefix="marc21"), token(prefix=None), token(until=None), token(until="soon"),
    token(until=2**80), token(after_stamp=LATER, after_id=2**70), token(after_stamp=LATER,
                                                                         after_id=-1),
    token(cursor=-1), token(size=-5), token(cursor=10**30), token(after_stamp=-(2**70),
                                                                  after_id=1),
    forge([1, "ListIdentifiers"]), forge({"verb": "ListIdentifiers"}), forge("x"), forge(None),
]


@pytest.mark.parametrize("via", ["GET", "POST"])
def test_hostile_oai_requests_get_their_error_code_in_a_valid_response(server, store,
                                                                      oai_schemas, via):
    with unchanged(store):
        for query, code in HOSTILE_OAI:
            if via == "GET":
                status, headers, body = get(server, b"/oai?" + query.encode())
            else:
                status, headers, body = post(server, b"/oai", query.encode())
            assert oai_error(oai_schemas, status, headers, body) == code, query[:120]


@pytest.mark.parametrize("via", ["GET", "POST"])
def test_forged_tampered_and_foreign_tokens_are_bad_resumption_tokens(server, store,
                                                                      oai_schemas, via):
    genuine = httpx.get(server.url + "/oai", params={
        "verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, timeout=10)
    text = oai_schemas.check(genuine.content).findtext(".//oai:resumptionToken", namespaces=NS)
    body, _, checksum = text.partition(".")
    tampered = [text[:-1] + ("0" if text[-1] != "0" else "1"), body + "." + checksum[::-1],
                body[1:] + "." + checksum, text[: len(text) // 2], text + text, text + ".x",
                body.upper() + "." + checksum, " " + text, body + "==." + checksum]
    with unchanged(store):
        for value in HOSTILE_TOKENS + tampered:
            query = urlencode({"verb": "ListIdentifiers", "resumptionToken": value}).encode()
            if via == "GET":
                status, headers, response = get(server, b"/oai?" + query)
            else:
                status, headers, response = post(server, b"/oai", query)
            code = oai_error(oai_schemas, status, headers, response)
            # Not ours, not for this list, or signed with the public key but holding what no
            # list of ours has: bad. Longer than any argument may be (1024): badArgument.
            assert code in ("badResumptionToken", "badArgument"), (value[:80], code)


# --- paths, encodings, lengths --------------------------------------------------------------------

ODD_TARGETS = [
    b"/../../etc/passwd", b"/oai/../../etc/passwd", b"/%2e%2e/%2e%2e/etc/passwd",
    b"/..%2f..%2fetc%2fpasswd", b"/status/../../etc/passwd", b"/status/", b"/status%00",
    b"/quality/../../etc/passwd", b"/quality/%2e%2e", b"/quality/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    b"/quality/..%5c..%5cwindows", b"/quality/%zz", b"/quality/%ff%fe", b"/quality/\xff",
    b"/catalog.ttl/../../etc/passwd", b"/catalog.exe", b"/catalog%2Ettl", b"//etc/passwd",
    b"/\xc3\x28", b"/%", b"/%%%", b"/%00", b"/oai%00", b"/OAI", b"/oai/",
    b"/oai?verb=Identify#fragment", b"http://evil.example/oai?verb=Identify", b"*",
]


def test_path_traversal_and_odd_paths_never_reach_a_file(server, store, oai_schemas):
    with unchanged(store):
        for target in ODD_TARGETS:
            status, headers, body = get(server, target)
            if status == 200:  # a page that really exists under this name
                assert urlsplit(target.decode("latin-1")).path in ("/oai", "/status"), target
                continue
            assert_plain_refusal(status, body, (400, 404), target)


PAGE_QUERIES = [
    ("/catalog.ttl", "page=0"), ("/catalog.ttl", "page=-1"), ("/catalog.ttl", "page=1.5"),
    ("/catalog.ttl", "page=%C2%B2"), ("/catalog.ttl", "page=%D9%A3"), ("/catalog.ttl",
                                                                       "page=99999999999"),
    ("/catalog.ttl", "page=" + "9" * 5000), ("/catalog.ttl", "page=1&page=1"),
    ("/catalog.ttl", "modified_since=2020-13-45"), ("/catalog.ttl", "modified_since="),
    ("/catalog.ttl", "modified_since=0001-01-01T00:00:00%2B14:00"),
    ("/catalog.ttl", "modified_since=9999-12-31T23:59:59-14:00"),
    ("/catalog.ttl", "after=0.99999999999999999999"), ("/catalog.ttl", "after=1.-1"),
    ("/catalog.ttl", "after=99999999999999999999.1"), ("/catalog.ttl", "after=%D9%A3.%D9%A3"),
    ("/catalog.ttl", "after=1.2&after=1.2"), ("/catalog", "page=%ff"), ("/catalog", "a=%ff"),
    ("/catalog.rdf", "page=" + "1" * 20), ("/catalog.jsonld", "modified_since=%00"),
]


def test_catalogue_arguments_that_make_no_sense_are_400_or_404(server, store):
    with unchanged(store):
        for path, query in PAGE_QUERIES:
            status, _, body = get(server, f"{path}?{query}".encode())
            assert_plain_refusal(status, body, (400, 404), (path, query))


def test_html_pages_ignore_or_refuse_odd_arguments_and_never_echo_them(server, store):
    queries = [b"x=%3Cscript%3E", b"%zz=%zz", b"a=\xff\xfe", b"a=" + b"b" * 7000,
               b"&&&==&=", b"a=1&" * 40]
    with unchanged(store):
        for path in PAGES:
            if path == "/oai" or path.startswith("/catalog"):
                continue
            for query in queries:
                status, headers, body = get(server, path.encode() + b"?" + query)
                assert_plain_refusal(status, body, (200, 400, 404), (path, query))
                assert b"<script>" not in body


def test_very_long_urls_headers_and_many_fields_are_refused_before_any_work(server, store):
    long_value = b"x" * (MAX_URL + 1)
    with unchanged(store):
        for path in PAGES:
            status, _, body = get(server, path.encode() + b"?verb=" + long_value)
            assert_plain_refusal(status, body, (414,), path)
        status, _, body = get(server, b"/oai?verb=Identify&" + b"a=1&" * 40)
        assert_plain_refusal(status, body, (400,))
        status, _, body = get(server, b"/" + b"a" * 70_000)  # beyond http.server's own line limit
        assert_plain_refusal(status, body, (414,))
        status, _, body = raw(server, b"GET /oai?verb=Identify HTTP/1.1\r\nHost: x\r\nX-Long: " +
                              b"y" * 70_000 + b"\r\nConnection: close\r\n\r\n")
        assert_plain_refusal(status, body, (400, 431))


def test_garbage_request_lines_never_get_a_500_and_the_server_keeps_serving(server, store):
    lines = [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GET\r\n\r\n",
             b"GET /oai HTTP/9.9\r\n\r\n", b"GET /oai?verb=Identify\r\n\r\n",
             b"GET  /oai  HTTP/1.1\r\n\r\n", b"\r\n\r\n", b"GET /oai HTTP/1.1\r\nHost\r\n\r\n"]
    with unchanged(store):
        for line in lines:
            status, _, body = raw(server, line + b"Connection: close\r\n\r\n")
            # 0: an HTTP/0.9 answer, or the connection closed: what http.server does with these
            assert_plain_refusal(status, body, (0, 200, 400, 404, 405, 505), line)
    assert httpx.get(server.url + "/oai", params={"verb": "Identify"}, timeout=10).status_code \
        == 200
