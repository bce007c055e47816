"""The provider's HTTP server: bounded requests, the route table, one thread per connection.

Read-only and dependency-free (the standard library's ThreadingHTTPServer). The server owns
what every route shares: request-size bounds (414, 413, 411, 415), unknown paths (404),
methods a route does not take (405 with Allow), a bound on concurrent requests (503 with
Retry-After), HEAD, and turning a handler's crash into a 500 that names no internals. A route
is one `Route(path, handler)` line in ROUTES; HTML status pages are added the same way. A path
ending in "/" also answers every path below it (the handler reads the rest from request.path).
"""

from __future__ import annotations

import gc
import logging
import re
import socket
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from provider import catalog, quality_page, status_page
from provider.config import ProviderConfig
from provider.oai import OaiProvider
from provider.web import TEXT, Reply, Request, Route
from tracked_http import TrackedHTTPServer

log = logging.getLogger("os10.provider")
access_log = logging.getLogger("os10.provider.access")

MAX_URL = 8 * 1024  # OAI requests are a verb and a few short arguments
MAX_BODY = 16 * 1024  # a form-encoded OAI POST is as small as its GET
_DRAIN = 1024 * 1024  # a too-long body up to this size is read and dropped, not left unread
MAX_FIELDS = 32  # query fields; OAI-PMH requests have at most five
_XML = "text/xml; charset=utf-8"
_FORM = "application/x-www-form-urlencoded"
_HOST = re.compile(r"(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?\Z")


def _oai(provider: Provider, request: Request) -> Reply:
    body = provider.oai.respond(request.query, provider.base_url(request) + "/oai")
    return Reply(200, body, _XML)


ROUTES: tuple[Route, ...] = (
    Route("/oai", _oai, frozenset({"GET", "HEAD", "POST"})),
    *(Route(path, catalog.respond) for path in catalog.PATHS),
    Route("/status", status_page.respond),
    Route("/quality", quality_page.respond),
    Route("/quality/", quality_page.respond),  # /quality/<source id>
)


class Provider:
    """What the routes share: the store, the configuration and the protocol front ends."""

    def __init__(self, store: Any, config: ProviderConfig | None = None,
                 routes: Iterable[Route] = ROUTES) -> None:
        self.store = store
        self.config = config or ProviderConfig()
        self.oai = OaiProvider(store, self.config)
        self.routes = {route.path: route for route in routes}

    def route_for(self, path: str) -> Route | None:
        """The route answering `path`: the exact one, else the longest route whose path ends
        in "/" and starts `path` ("/quality/" answers "/quality/alpha")."""
        route = self.routes.get(path)
        if route is not None:
            return route
        prefixes = [p for p in self.routes if p.endswith("/") and path.startswith(p)]
        return self.routes[max(prefixes, key=len)] if prefixes else None

    def base_url(self, request: Request) -> str:
        """Where clients reach us: the configured public URL, else what they asked for."""
        return (self.config.public_url or request.base_url).rstrip("/")


class ProviderServer:
    """Serves a Provider over HTTP on a background thread; a context manager, or start/stop."""

    def __init__(self, store: Any, config: ProviderConfig | None = None,
                 host: str = "127.0.0.1", port: int = 0,
                 routes: Iterable[Route] = ROUTES) -> None:
        self.provider = Provider(store, config, routes)
        self.host = host
        self._port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ProviderServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1] if self._httpd else self._port

    @property
    def url(self) -> str:
        """The server's root, e.g. http://127.0.0.1:8080 (the OAI base URL is url + "/oai")."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def bind(self) -> ProviderServer:
        """Open the listening socket (so a port 0 becomes a real one) without serving yet."""
        if self._httpd is None:
            self._httpd = _HTTPServer((self.host, self._port), self.provider)
        return self

    def start(self) -> ProviderServer:
        if self._thread is None:
            self.bind()
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            kwargs={"poll_interval": 0.1},
                                            name=f"provider:{self.port}", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread until interrupted (the CLI's `os10 serve`)."""
        self.bind()
        # What is loaded by now (modules, the store's engine) lives as long as the server:
        # kept out of the collector's full passes, which a page of records (thousands of
        # dicts that outlive the young generations) would otherwise set off every few
        # hundred records, each pass walking every object the libraries hold.
        gc.freeze()
        try:
            self._httpd.serve_forever(poll_interval=0.5)
        finally:
            self._close()

    def stop(self) -> None:
        if self._httpd is not None:
            if self._thread is not None:
                self._httpd.shutdown()
                self._thread.join(timeout=5)
            self._close()

    def _close(self) -> None:
        if self._httpd is not None:
            self.provider.oai.close()
            self._httpd.close_connections()
            self._httpd.server_close()
            self._port = self._httpd.server_address[1]
            self._httpd = self._thread = None


class _HTTPServer(TrackedHTTPServer):
    def __init__(self, address: tuple[str, int], provider: Provider) -> None:
        self.provider = provider
        self.slots = threading.BoundedSemaphore(provider.config.max_connections)
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a harvester sends many requests in a row
    server_version = "os10-provider/1.0"
    timeout = 60  # an idle kept-alive connection is closed after this
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every response on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_OPTIONS(self) -> None:
        self._handle("OPTIONS")

    def _handle(self, method: str) -> None:
        started = time.perf_counter()
        if not self.server.slots.acquire(blocking=False):
            self.close_connection = True
            self._send(method, Reply.text(503, "Too many requests at once; try again shortly.",
                                          [("Retry-After", "1")]))
            return
        try:
            reply = self._reply(method)
        except ConnectionError:
            self.close_connection = True
            return
        except Exception:  # noqa: BLE001 - a bug must show in the log, not kill the server
            log.exception("%s %s failed", method, self.path[:200])
            reply = Reply.text(500, "Internal error; it has been logged.")
        finally:
            self.server.slots.release()
        self._send(method, reply)
        access_log.info("%s %s %s %d %dB %.0fms", self.address_string(), method,
                        self.path[:200], reply.status, len(reply.body),
                        (time.perf_counter() - started) * 1000)

    def _reply(self, method: str) -> Reply:
        if len(self.path) > MAX_URL:
            self.close_connection = True
            return Reply.text(414, f"The URL is longer than {MAX_URL} bytes.")
        parts = urlsplit(self.path)
        route = self.server.provider.route_for(parts.path)
        if route is None:
            self._discard_body()
            return Reply.text(404, f"Nothing here at {parts.path[:200]}.")
        if method not in route.methods:
            self._discard_body()
            allow = ", ".join(sorted(route.methods))
            return Reply.text(405, f"{parts.path} answers {allow}.", [("Allow", allow)])
        if method == "POST":
            body = self._form_body()
            if isinstance(body, Reply):
                return body
            query_text = body
        else:
            self._discard_body()
            query_text = parts.query
        try:
            query = parse_qs(query_text, keep_blank_values=True, errors="strict",
                             max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            return Reply.text(400, "The query is not UTF-8 form encoding, or has too many "
                              "fields.")
        request = Request(method="GET" if method == "HEAD" else method, path=parts.path,
                          query=query, headers=self.headers, base_url=self._base_url())
        return route.handler(self.server.provider, request)

    def _form_body(self) -> str | Reply:
        """The form-encoded body of an OAI-PMH POST, or the reply refusing it."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return Reply.text(411, "Send the form with a Content-Length, not chunked.")
        length = self.headers.get("Content-Length")
        # isascii too: "²" (a Latin-1 header byte) is a digit to isdigit() that int() refuses.
        if length is None or not (length.strip().isascii() and length.strip().isdigit()):
            self.close_connection = True
            return Reply.text(411, "A POST needs a Content-Length.")
        if int(length) > MAX_BODY:
            if int(length) <= _DRAIN:  # read it, so the client sees the answer and not a reset
                self.rfile.read(int(length))
            else:
                self.close_connection = True
            return Reply.text(413, f"The body is longer than {MAX_BODY} bytes.")
        data = self.rfile.read(int(length))
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind != _FORM:
            return Reply.text(415, f"POST takes {_FORM}, not {kind or 'no content type'}.")
        try:
            return data.decode("ascii")  # form encoding is ASCII; parse_qs decodes the escapes
        except UnicodeDecodeError:
            return Reply.text(400, "The form body is not form-encoded.")

    def _discard_body(self) -> None:
        # An unread body would be taken for the next request on a kept-alive connection.
        length = (self.headers.get("Content-Length") or "0").strip()
        if length != "0" or self.headers.get("Transfer-Encoding"):
            self.close_connection = True

    def _base_url(self) -> str:
        host = self.headers.get("Host") or ""
        if not _HOST.match(host):  # missing or odd: never echo it into documents
            address, port = self.server.server_address[:2]
            host = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        return f"http://{host}"

    def _send(self, method: str, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(reply.body)
        except ConnectionError:
            self.close_connection = True


__all__ = ["ROUTES", "TEXT", "Provider", "ProviderServer"]
