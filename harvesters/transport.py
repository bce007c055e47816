"""Polite HTTP for harvesters: one keep-alive session, a rate limit, bounded bodies and retries.

Retried: timeouts, connection errors and resets, HTTP 5xx and 429 (honouring `Retry-After`).
When the retries run out, `RetriableError` tells the caller that a later run may succeed.
Other 4xx responses are returned, not raised: some OAI-PMH providers answer protocol errors with
HTTP 422 and an `<error>` document the caller has to read.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import requests
import urllib3
from requests.models import PreparedRequest

from errors import ConfigError, ResponseTooLargeError, RetriableError, SourceError
from schemas import SourceConfig

log = logging.getLogger("os10.harvesters.transport")

BACKOFF_CAP_SECONDS = 300.0
JITTER = 0.1  # up to 10 % on top of each backoff, so parallel workers do not retry in lockstep
CHUNK_BYTES = 64 * 1024
# Everything that can break mid-connection and is worth another try.
_TRANSIENT = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


def _user_agent() -> str:
    try:
        return f"os10-harvest/{version('os10-harvest')}"
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "os10-harvest/0+unknown"


USER_AGENT = _user_agent()


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    url: str  # the final URL, after redirects
    elapsed: float  # seconds from sending the request to the end of the body


@dataclass(frozen=True, slots=True)
class _Failure:
    reason: str
    retry_after: float | None = None  # seconds, from the Retry-After header


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart, across threads sharing one client."""

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = float("-inf")

    def wait(self) -> float:
        """Block until the next slot is ours; returns how long we waited."""
        # Reserve the slot under the lock but sleep outside it, so waiting threads queue up in
        # slot order instead of serialising on the lock.
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date); None if unusable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; parsedate leaves "-0000" naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def credentials_from_env(source: SourceConfig) -> tuple[tuple[str, str] | None, str | None]:
    """(basic auth pair, bearer token) from the environment variables the source names."""
    creds = source.credentials
    if creds is None:
        return None, None

    def read(name: str) -> str:
        value = os.environ.get(name)
        if value is None:
            raise ConfigError(f"the environment variable {name} named in its credentials is not "
                              f"set", source=source.id)
        return value

    basic = None
    if creds.username_env or creds.password_env:
        if not (creds.username_env and creds.password_env):
            raise ConfigError("credentials need both username_env and password_env for basic "
                              "authentication", source=source.id)
        basic = (read(creds.username_env), read(creds.password_env))
    token = read(creds.token_env) if creds.token_env else None
    return basic, token


class HttpClient:
    """A polite client for one partner: rate-limited, bounded, retrying; use one per source."""

    def __init__(self, *, source_id: str | None = None, max_requests_per_second: float = 2.0,
                 timeout_seconds: float = 60.0, max_retries: int = 5,
                 retry_backoff_seconds: float = 2.0, max_retry_after_seconds: float = 600.0,
                 page_size_limit_mb: float = 64, basic_auth: tuple[str, str] | None = None,
                 bearer_token: str | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None) -> None:
        self.source_id = source_id
        self.timeout_seconds = timeout_seconds
        self.max_retries = max_retries
        self.retry_backoff_seconds = retry_backoff_seconds
        self.max_retry_after_seconds = max_retry_after_seconds
        self.max_bytes = int(page_size_limit_mb * 1024 * 1024)
        self.sleep = sleep
        self._rng = rng or random.Random()
        # The limiter keeps real time: an injected sleep is for retry waits, which tests skip.
        self._limiter = RateLimiter(max_requests_per_second)
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        if basic_auth:
            self._session.auth = basic_auth
        if bearer_token:
            self._session.headers["Authorization"] = f"Bearer {bearer_token}"

    @classmethod
    def from_source(cls, source: SourceConfig, **overrides: Any) -> HttpClient:
        basic, token = credentials_from_env(source)
        settings: dict[str, Any] = dict(
            source_id=source.id, max_requests_per_second=source.max_requests_per_second,
            timeout_seconds=source.timeout_seconds, max_retries=source.max_retries,
            retry_backoff_seconds=source.retry_backoff_seconds,
            max_retry_after_seconds=source.max_retry_after_seconds,
            page_size_limit_mb=source.page_size_limit_mb, basic_auth=basic, bearer_token=token)
        settings.update(overrides)
        return cls(**settings)

    def get(self, url: str, params: Mapping[str, str] | None = None, *,
            headers: Mapping[str, str] | None = None) -> Response:
        return self.request("GET", url, params=params, headers=headers)

    def post(self, url: str, data: Mapping[str, str] | bytes | None = None,
             params: Mapping[str, str] | None = None) -> Response:
        return self.request("POST", url, params=params, data=data)

    def request(self, method: str, url: str, *, params: Mapping[str, str] | None = None,
                data: Mapping[str, str] | bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Response:
        """`headers` go with this request only, on top of the session's."""
        full_url = self._full_url(url, params)
        attempt = 0
        while True:
            outcome = self._attempt(method, full_url, data, headers)
            if isinstance(outcome, Response):
                return outcome
            if attempt >= self.max_retries:
                raise RetriableError(
                    f"gave up after {attempt + 1} attempt(s); last failure: {outcome.reason}",
                    retry_after=outcome.retry_after, source=self.source_id, url=full_url)
            if outcome.retry_after is not None:
                wait = min(outcome.retry_after, self.max_retry_after_seconds)
            else:
                wait = self.backoff(attempt)
            log.warning("Source %s: %s failed (%s); retry %d of %d in %.2fs.", self.source_id,
                        full_url, outcome.reason, attempt + 1, self.max_retries, wait)
            self.sleep(wait)
            attempt += 1

    def backoff(self, attempt: int) -> float:
        """Exponential wait before retry `attempt` (0-based), with a little jitter, capped."""
        base = min(self.retry_backoff_seconds * 2 ** attempt, BACKOFF_CAP_SECONDS)
        return base * (1 + JITTER * self._rng.random())

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _attempt(self, method: str, url: str, data: Any,
                 headers: Mapping[str, str] | None = None) -> Response | _Failure:
        """One try: the response, or why it failed in a way worth retrying."""
        self._limiter.wait()
        started = time.monotonic()
        try:
            raw = self._session.request(method, url, data=data, headers=headers, stream=True,
                                        timeout=self.timeout_seconds)
        except _TRANSIENT as exc:
            return _Failure(_describe(exc))
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema) as exc:
            raise ConfigError(f"the URL cannot be requested: {exc}", source=self.source_id,
                              url=url) from exc
        except requests.RequestException as exc:
            raise SourceError(f"the request failed: {_describe(exc)}", source=self.source_id,
                              url=url) from exc
        with raw:
            if raw.status_code >= 500 or raw.status_code == 429:
                return _Failure(f"HTTP {raw.status_code} {raw.reason}",
                                parse_retry_after(raw.headers.get("Retry-After")))
            try:
                body = self._read_bounded(raw, url, started)
            except _TRANSIENT as exc:
                return _Failure(_describe(exc))
            except requests.RequestException as exc:
                raise SourceError(f"the response cannot be read: {_describe(exc)}",
                                  source=self.source_id, url=url) from exc
            return Response(status=raw.status_code, headers=raw.headers, body=body,
                            url=raw.url, elapsed=time.monotonic() - started)

    def _read_bounded(self, raw: requests.Response, url: str, started: float) -> bytes:
        declared = raw.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url, f"declares {int(declared):,} bytes")
        body = bytearray()
        for chunk in _arriving(raw):
            body += chunk
            if len(body) > self.max_bytes:
                raise self._too_large(url, f"exceeded {len(body):,} bytes while reading")
            # requests' timeout bounds each socket read, not the whole body; a server that
            # trickles bytes forever must not hold the harvest.
            if time.monotonic() - started > self.timeout_seconds:
                raise requests.Timeout(f"the body took longer than {self.timeout_seconds:g}s")
        return bytes(body)

    def _too_large(self, url: str, detail: str) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"the response {detail}, over the page_size_limit_mb bound of "
            f"{self.max_bytes / 1024 / 1024:g} MB", source=self.source_id, url=url)

    @staticmethod
    def _full_url(url: str, params: Mapping[str, str] | None) -> str:
        prepared = PreparedRequest()
        prepared.prepare_url(url, dict(params) if params else None)
        return str(prepared.url)


def _arriving(raw: requests.Response) -> Iterator[bytes]:
    """The decoded body as it arrives, at most CHUNK_BYTES at a time.

    Unlike iter_content, which blocks until a whole chunk has come, read1 returns what one socket
    read brings, so a body trickling in stays under the caller's clock.
    """
    try:
        while chunk := raw.raw.read1(CHUNK_BYTES, decode_content=True):
            yield chunk
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.Timeout(str(exc)) from exc
    except urllib3.exceptions.ProtocolError as exc:  # resets, bodies shorter than announced
        raise requests.exceptions.ChunkedEncodingError(str(exc)) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(str(exc)) from exc


def _describe(exc: BaseException) -> str:
    if isinstance(exc, requests.Timeout):
        return f"timed out ({exc})"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"the connection broke while reading the body ({exc})"
    if isinstance(exc, requests.ConnectionError):
        return f"connection failed ({exc})"
    return f"{type(exc).__name__}: {exc}"
