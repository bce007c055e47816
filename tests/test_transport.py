"""The polite HTTP client over real sockets on 127.0.0.1: retries, Retry-After, bounds, credentials."""

from __future__ import annotations

import base64
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from errors import ConfigError, ResponseTooLargeError, RetriableError
from harvesters.transport import USER_AGENT, HttpClient, RateLimiter, parse_retry_after
from schemas import SourceConfig

App = Callable[[BaseHTTPRequestHandler, int], None]  # (request, 0-based request number)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        server = self.server
        with server.lock:
            number = len(server.seen)
            server.seen.append({"path": self.path, "headers": dict(self.headers),
                                "at": time.monotonic()})
        server.app(self, number)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(app: App) -> Iterator[ThreadingHTTPServer]:
    """A throwaway HTTP server on 127.0.0.1 answering with `app`; `.url` and `.seen` on it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.app, server.seen, server.lock = app, [], threading.Lock()
    server.url = f"http://127.0.0.1:{server.server_port}/oai"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"ok",
          headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def reset(handler: BaseHTTPRequestHandler) -> None:
    """Drop the connection with a TCP RST, as a crashing proxy does."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


class Sleeps(list):
    """An injected sleep that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(**settings) -> HttpClient:
    defaults = dict(source_id="alpha", max_requests_per_second=1000, timeout_seconds=5,
                    max_retries=3, retry_backoff_seconds=0.5, sleep=Sleeps())
    return HttpClient(**{**defaults, **settings})


def test_retry_after_reads_delta_seconds_and_http_dates():
    now = datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("") is None
    assert parse_retry_after(None) is None


def test_backoff_doubles_with_a_little_jitter_until_retries_run_out():
    sleeps = Sleeps()
    with serving(lambda h, n: reply(h, 503, b"down")) as server, \
            client(max_retries=4, retry_backoff_seconds=0.5, sleep=sleeps) as http:
        with pytest.raises(RetriableError) as caught:
            http.get(server.url, {"verb": "Identify"})
    assert len(server.seen) == 5
    assert len(sleeps) == 4
    for attempt, wait in enumerate(sleeps):
        assert 0.5 * 2 ** attempt <= wait <= 0.5 * 2 ** attempt * 1.1
    error = caught.value
    assert error.url == f"{server.url}?verb=Identify"
    assert "HTTP 503" in str(error) and "5 attempt(s)" in str(error)
    assert error.source == "alpha"


def test_backoff_is_capped():
    http = client(retry_backoff_seconds=100)
    assert 300 <= http.backoff(10) <= 330


def test_a_server_error_then_success_returns_the_body():
    def app(handler, number):
        reply(handler, 500 if number < 2 else 200, b"<ok/>")

    sleeps = Sleeps()
    with serving(app) as server, client(sleep=sleeps) as http:
        response = http.get(server.url, {"verb": "Identify"})
    assert (response.status, response.body, len(server.seen), len(sleeps)) == (200, b"<ok/>", 3, 2)
    assert response.url == f"{server.url}?verb=Identify"
    assert response.elapsed > 0


def test_retry_after_is_honoured_and_capped():
    def app(handler, number):
        if number == 0:
            reply(handler, 429, b"slow down", {"Retry-After": "3"})
        elif number == 1:
            reply(handler, 503, b"maintenance", {"Retry-After": "120"})
        else:
            reply(handler, 200, b"<ok/>")

    sleeps = Sleeps()
    with serving(app) as server, client(sleep=sleeps, max_retry_after_seconds=10) as http:
        assert http.get(server.url).status == 200
    assert sleeps == [3.0, 10.0]


def test_exhausted_retries_carry_the_last_retry_after():
    sleeps = Sleeps()
    with serving(lambda h, n: reply(h, 429, b"", {"Retry-After": "2"})) as server, \
            client(sleep=sleeps, max_retries=1) as http:
        with pytest.raises(RetriableError) as caught:
            http.get(server.url)
    assert caught.value.retry_after == 2.0
    assert "HTTP 429" in str(caught.value)


def test_each_retry_is_logged_with_url_reason_and_wait(caplog):
    def app(handler, number):
        reply(handler, 503 if number == 0 else 200, b"", {"Retry-After": "1"})

    with caplog.at_level(logging.WARNING, logger="os10.harvesters.transport"), \
            serving(app) as server, client() as http:
        http.get(server.url, {"verb": "Identify"})
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert f"{server.url}?verb=Identify" in message
    assert "HTTP 503" in message and "1.00s" in message


def test_client_errors_are_returned_not_raised():
    def app(handler, number):
        reply(handler, 422 if number == 0 else 404, b"<error/>")

    with serving(app) as server, client() as http:
        assert http.get(server.url).status == 422
        assert http.get(server.url).status == 404
    assert len(server.seen) == 2


def test_a_slow_response_is_retried_then_reported_as_retriable():
    def app(handler, number):
        time.sleep(0.6)
        reply(handler, 200)

    with serving(app) as server, client(timeout_seconds=0.2, max_retries=1) as http:
        with pytest.raises(RetriableError, match="timed out"):
            http.get(server.url)
    assert len(server.seen) == 2


def test_a_trickling_body_is_cut_at_the_timeout():
    def app(handler, number):
        handler.send_response(200)
        handler.send_header("Content-Length", "40")
        handler.end_headers()
        for _ in range(40):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.05)

    with serving(app) as server, client(timeout_seconds=0.5, max_retries=0) as http:
        started = time.monotonic()
        with pytest.raises(RetriableError, match="longer than 0.5s"):
            http.get(server.url)
    assert time.monotonic() - started < 1.5


def test_a_reset_connection_is_retried():
    def app(handler, number):
        if number == 0:
            reset(handler)
        else:
            reply(handler, 200, b"<ok/>")

    sleeps = Sleeps()
    with serving(app) as server, client(sleep=sleeps) as http:
        assert http.get(server.url).body == b"<ok/>"
    assert len(server.seen) == 2 and len(sleeps) == 1


def test_a_body_over_the_bound_is_refused_by_its_declared_length():
    body = b"x" * (1024 * 1024 + 1)
    with serving(lambda h, n: reply(h, 200, body)) as server, \
            client(page_size_limit_mb=1) as http:
        with pytest.raises(ResponseTooLargeError, match="page_size_limit_mb") as caught:
            http.get(server.url)
    assert caught.value.url == server.url
    assert len(server.seen) == 1


def test_a_streamed_body_over_the_bound_is_cut_while_reading():
    def app(handler, number):
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"y" * 65536
        try:
            for _ in range(64):  # 4 MB, never announced
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client hung up, as it should

    with serving(app) as server, client(page_size_limit_mb=1) as http:
        with pytest.raises(ResponseTooLargeError, match="while reading"):
            http.get(server.url)


def test_the_rate_limiter_spaces_calls():
    clock = [100.0]
    sleeps = Sleeps()
    limiter = RateLimiter(2.0, clock=lambda: clock[0], sleep=sleeps)
    assert [limiter.wait() for _ in range(3)] == [0.0, 0.5, 1.0]
    assert sleeps == [0.5, 1.0]
    clock[0] = 110.0  # idle for a while: no debt is carried over
    assert limiter.wait() == 0.0


def test_requests_to_a_partner_are_spaced_by_its_politeness_limit():
    with serving(lambda h, n: reply(h, 200)) as server, \
            client(max_requests_per_second=10, sleep=time.sleep) as http:
        for _ in range(4):
            http.get(server.url)
    arrivals = [seen["at"] for seen in server.seen]
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert len(gaps) == 3
    assert min(gaps) >= 0.09


def test_basic_credentials_come_from_the_named_environment_variables(monkeypatch):
    monkeypatch.setenv("ALPHA_USER", "harvester")
    monkeypatch.setenv("ALPHA_PASSWORD", "s3cret")
    source = SourceConfig(id="alpha", name="Alpha", protocol="oai_pmh", url="http://x.test/oai",
                          metadata_prefix="oai_dc",
                          credentials={"username_env": "ALPHA_USER",
                                       "password_env": "ALPHA_PASSWORD"})
    with serving(lambda h, n: reply(h, 200)) as server, HttpClient.from_source(source) as http:
        http.get(server.url)
    headers = server.seen[0]["headers"]
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"harvester:s3cret").decode()
    assert headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("os10-harvest/")


def test_a_bearer_token_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ALPHA_TOKEN", "t0ken")
    source = SourceConfig(id="alpha", name="Alpha", protocol="oai_pmh", url="http://x.test/oai",
                          metadata_prefix="oai_dc", credentials={"token_env": "ALPHA_TOKEN"})
    with serving(lambda h, n: reply(h, 200)) as server, HttpClient.from_source(source) as http:
        http.get(server.url)
    assert server.seen[0]["headers"]["Authorization"] == "Bearer t0ken"


def test_an_unset_credential_variable_is_a_config_error_naming_it(monkeypatch):
    monkeypatch.delenv("ALPHA_TOKEN", raising=False)
    source = SourceConfig(id="alpha", name="Alpha", protocol="oai_pmh", url="http://x.test/oai",
                          metadata_prefix="oai_dc", credentials={"token_env": "ALPHA_TOKEN"})
    with pytest.raises(ConfigError, match="ALPHA_TOKEN") as caught:
        HttpClient.from_source(source)
    assert caught.value.source == "alpha"


def test_the_source_settings_reach_the_client():
    source = SourceConfig(id="alpha", name="Alpha", protocol="oai_pmh", url="http://x.test/oai",
                          metadata_prefix="oai_dc", timeout_seconds=7, max_retries=2,
                          retry_backoff_seconds=0.25, max_retry_after_seconds=9,
                          page_size_limit_mb=3, max_requests_per_second=4)
    with HttpClient.from_source(source) as http:
        assert (http.source_id, http.timeout_seconds, http.max_retries,
                http.retry_backoff_seconds, http.max_retry_after_seconds, http.max_bytes) == (
            "alpha", 7, 2, 0.25, 9, 3 * 1024 * 1024)
        assert http._limiter.interval == 0.25


def test_a_body_shorter_than_announced_is_fetched_again():
    def app(handler, number):
        if number == 0:
            handler.send_response(200)
            handler.send_header("Content-Length", "100")
            handler.end_headers()
            handler.wfile.write(b"<OAI-PMH>cut")
            handler.close_connection = True
        else:
            reply(handler, 200, b"<OAI-PMH/>")

    with serving(app) as server, client() as http:
        assert http.get(server.url).body == b"<OAI-PMH/>"
    assert len(server.seen) == 2
