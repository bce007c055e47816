"""The simulator's HTTP server: routes, fault injection and the control endpoint.

Routes, per feed key: `/<key>/oai` (OAI-PMH, GET or form-encoded POST), `/<key>/<prefix>/...`
for the endpoints registered in `simulator.routes.ROUTES`, `POST /<key>/_control` (change the
feed at run time from another process) and `GET /<key>/_stats`; `/` lists the feeds.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
import traceback
from collections.abc import Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from simulator.feed import Feed
from simulator.oai_pmh import LIST_VERBS, Repository
from simulator.routes import ROUTES, SimRequest
from tracked_http import TrackedHTTPServer

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_XML = "text/xml; charset=utf-8"
_HTML = (b"<!DOCTYPE html>\n<html><head><title>Scheduled maintenance</title></head><body>"
         b"<h1>We'll be back soon</h1><p>The repository is undergoing scheduled maintenance. "
         b"Please try again later.</p></body></html>\n")


class SimulatorServer:
    """Serves feeds over HTTP on a background thread; use as a context manager or start/stop."""

    def __init__(self, feeds: Mapping[str, Feed], host: str = "127.0.0.1", port: int = 0) -> None:
        bad = [key for key in feeds if not _KEY.match(key)]
        if bad:
            raise ValueError(f"feed keys must be URL-safe slugs ([A-Za-z0-9._-]), not {bad}")
        self.feeds = dict(feeds)
        self.host = host
        self._port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1] if self._httpd else self._port

    def url(self, key: str, endpoint: str = "oai") -> str:
        """The base URL of a feed's endpoint: "oai", or a prefix registered in ROUTES."""
        if key not in self.feeds:
            raise KeyError(f"no feed {key!r}; feeds: {sorted(self.feeds)}")
        return f"http://{self.host}:{self.port}/{key}/{endpoint}"

    def start(self) -> SimulatorServer:
        if self._httpd is None:
            repositories = {key: Repository(key, feed) for key, feed in self.feeds.items()}
            self._httpd = _HTTPServer((self.host, self._port), repositories)
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            kwargs={"poll_interval": 0.1},
                                            name=f"simulator:{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_connections()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._port = self._httpd.server_address[1]
            self._httpd = self._thread = None


class _HTTPServer(TrackedHTTPServer):
    def __init__(self, address: tuple[str, int], repositories: dict[str, Repository]) -> None:
        self.repositories = repositories
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "os10-simulator/1.0"
    timeout = 120  # idle keep-alive connections are closed after this
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every response on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # every OAI request is recorded in Feed.requests instead

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        self._route("GET", path, query.encode("latin-1"), query)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        self._route("POST", path, body, query)

    def _route(self, method: str, path: str, data: bytes, query: str = "") -> None:
        key, _, action = path.strip("/").partition("/")
        try:
            if not key:
                base = f"http://{self._host()}"
                self._send_json(200, {"feeds": {k: f"{base}/{k}/oai"
                                                for k in self.server.repositories}})
                return
            repository = self.server.repositories.get(key)
            if repository is None:
                self._send(404, f"No feed {key!r} here.\n".encode(), "text/plain; charset=utf-8")
            elif action == "oai":
                args = parse_qs(data.decode("utf-8", "replace"), keep_blank_values=True)
                self._oai(repository, args)
            elif action.partition("/")[0] in ROUTES:
                prefix, _, rest = action.partition("/")
                self._endpoint(repository, prefix, rest, method, query, data)
            elif action == "_control" and method == "POST":
                self._control(repository.feed, data)
            elif action == "_stats" and method == "GET":
                feed = repository.feed
                self._send_json(200, {"count": feed.count, "requests": len(feed.requests)})
            else:
                self._send(404, b"Not found.\n", "text/plain; charset=utf-8")
        except ConnectionError:
            self.close_connection = True
        except Exception:  # noqa: BLE001 - a simulator bug must show, and not kill the server
            traceback.print_exc()
            self._send(500, b"Internal simulator error.\n", "text/plain; charset=utf-8")

    def _oai(self, repository: Repository, args: dict[str, list[str]]) -> None:
        feed, faults = repository.feed, repository.feed.faults
        verb = (args.get("verb") or [None])[0]
        params = {name: values[0] for name, values in args.items() if name != "verb"}
        listing = verb in LIST_VERBS
        has_token = "resumptionToken" in args
        fault = self._transport_fault(feed, verb, params)
        if fault == "reset":
            return
        if fault:
            status, body, kind, headers = fault
        elif faults.take("oai_error_422"):
            reply = repository.error(faults.oai_error_code, "Simulated provider error.",
                                     self._base_url(repository.key), 422)
            status, body, kind, headers = reply.status, reply.body, _XML, []
        else:
            expire = has_token and faults.take("expire_tokens")
            repeat = listing and has_token and not expire and faults.take("repeat_token")
            reply = repository.respond(args, self._base_url(repository.key),
                                       expire_token=expire, repeat_token=repeat)
            status, body, kind, headers = reply.status, reply.body, _XML, []
            if reply.page and faults.take("truncate"):
                body = body[:len(body) // 2]
            elif reply.page:
                faults.page_served()
        feed.log_request(verb, params, status)
        self._send(status, body, kind, headers)

    def _endpoint(self, repository: Repository, prefix: str, rest: str, method: str,
                  query: str, data: bytes) -> None:
        feed, faults = repository.feed, repository.feed.faults
        params = {name: values[0] for name, values in parse_qs(query).items()}
        fault = self._transport_fault(feed, prefix, params)
        if fault == "reset":
            return
        if fault:
            status, body, kind, headers = fault
        else:
            request = SimRequest(
                feed=feed, key=repository.key, method=method, path=rest,
                query=parse_qs(query, keep_blank_values=True), headers=dict(self.headers),
                body=data if method == "POST" else b"",
                base_url=f"http://{self._host()}/{repository.key}/{prefix}")
            reply = ROUTES[prefix](request)
            status, body, kind, headers = (reply.status, reply.body, reply.content_type,
                                           list(reply.headers))
            if reply.page and faults.take("truncate"):
                body = body[:len(body) // 2]
            elif reply.page:
                faults.page_served()
        feed.log_request(prefix, params, status)
        self._send(status, body, kind, headers)

    def _transport_fault(self, feed: Feed, label: str | None, params: dict[str, str]):
        """Faults every endpoint shares: the reply they force, "reset" when the connection was
        dropped (nothing more to send), or None when none fired."""
        faults = feed.faults
        if faults.take("reset_connection"):
            feed.log_request(label, params, None)
            self._reset()
            return "reset"
        if faults.take("slow"):
            time.sleep(faults.slow_seconds)
        retry_after = [("Retry-After", _seconds(faults.retry_after))]
        if faults.take("unavailable"):
            return 503, b"Service unavailable.\n", "text/plain", retry_after
        if faults.take("rate_limited"):
            return 429, b"Too many requests.\n", "text/plain", retry_after
        if faults.take("html_instead"):
            return 200, _HTML, "text/html; charset=utf-8", []
        return None

    def _control(self, feed: Feed, data: bytes) -> None:
        try:
            order = json.loads(data or b"{}")
            apply_control(feed, order)
        except (ValueError, TypeError, IndexError) as exc:
            self._send_json(400, {"error": str(exc)})
        else:
            self._send_json(200, {"count": feed.count})

    def _reset(self) -> None:
        """Drop the connection with a TCP reset, without a byte of answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _host(self) -> str:
        host, port = self.server.server_address[:2]
        return self.headers.get("Host") or f"{host}:{port}"

    def _base_url(self, key: str) -> str:
        return f"http://{self._host()}/{key}/oai"

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload).encode() + b"\n", "application/json")

    def _send(self, status: int, body: bytes, content_type: str,
              headers: list[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def apply_control(feed: Feed, order: Any) -> None:
    """Apply a control request: {"append": n, "update": [i], "delete": [i], "at": ISO datetime,
    "invalidate_tokens": true, "faults": {name: value}}, in that order."""
    if not isinstance(order, dict):
        raise ValueError("the control body must be a JSON object")
    unknown = sorted(set(order) - {"append", "update", "delete", "at", "invalidate_tokens",
                                   "faults"})
    if unknown:
        raise ValueError(f"unknown control field(s) {unknown}")
    at = datetime.fromisoformat(order["at"]) if order.get("at") else None
    if order.get("append"):
        feed.append(_integer(order["append"], "append"), at=at)
    if order.get("update"):
        feed.update([_integer(i, "update") for i in order["update"]], at=at)
    if order.get("delete"):
        feed.delete([_integer(i, "delete") for i in order["delete"]], at=at)
    if order.get("invalidate_tokens"):
        feed.invalidate_tokens()
    if order.get("faults"):
        if not isinstance(order["faults"], dict):
            raise ValueError("faults must be a JSON object of switch -> value")
        feed.faults.configure(**order["faults"])


def _integer(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} takes integers, not {value!r}")
    return value


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
