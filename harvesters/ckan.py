"""CKAN Action API: status_show, package_show, and package_search as resumable keyset pages.

Paging is by keyset, not by `start`. Offsets shift whenever the portal changes mid-harvest (an
edited package leaves its place in a `metadata_modified` ordering and every later offset moves
down by one, so one package is skipped), and a checkpoint holding an offset cannot be resumed
safely the next day. Each request asks instead for the packages strictly after the last one
handed out, in the order `metadata_modified asc, id asc`:

    metadata_modified:{T TO *] OR (metadata_modified:[T TO T] AND id:{"I" TO *])

An edited package moves to the end and is listed again (newer, harmless); nothing is skipped,
and the checkpoint {"after": {"modified": T, "id": I}} resumes exactly there whenever it is read.
Solr keeps dates to the millisecond, so T is written, and compared here, at that precision.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple

from errors import (
    ConfigError,
    ProtocolViolationError,
    SourceError,
    UnparseableResponseError,
)
from harvesters.base import EndpointInfo, FailedRecord, HarvestRequest, Page, RawRecord
from harvesters.transport import HttpClient, Response, credentials_from_env
from schemas import SourceConfig

log = logging.getLogger("os10.harvesters.ckan")

API_PATH = "/api/3/action/"
ROWS = 100
MAX_ROWS = 1000  # CKAN's default ckan.search.rows_max; larger requests are silently cut to it
SORT = "metadata_modified asc, id asc"
METADATA_FORMAT = "ckan"
# Counters CKAN adds to package dicts when page-view tracking is on: they change with every
# visit, and kept in the payload they would make an unchanged package look updated.
VOLATILE_KEYS = ("tracking_summary",)
_API_SUFFIXES = ("/api/3/action", "/api/3", "/api")


class CkanClient(HttpClient):
    """The polite client, sending the API key as CKAN reads it: raw in `Authorization`.

    CKAN does not take `Bearer <key>`; the base client's bearer token is therefore not used.
    """

    def __init__(self, *, api_key: str | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        if api_key:
            self._session.headers["Authorization"] = api_key

    @classmethod
    def from_source(cls, source: SourceConfig, **overrides: Any) -> CkanClient:
        _, token = credentials_from_env(source)
        return super().from_source(source, **{"bearer_token": None, "api_key": token,
                                              **overrides})


class Key(NamedTuple):
    """A package's place in the harvest order; Solr sorts dates at millisecond precision."""

    modified: datetime
    id: str

    @classmethod
    def of(cls, modified: datetime, identifier: str) -> Key:
        return cls(modified.replace(microsecond=modified.microsecond // 1000 * 1000), identifier)


@dataclass(frozen=True, slots=True)
class _Reply:
    result: Any
    url: str


class CkanHarvester:
    protocol: ClassVar[str] = "ckan"
    # package_search lists active packages only; a full harvest tombstones what it no longer lists.
    reports_deletions: ClassVar[bool] = False

    def __init__(self, source: SourceConfig, client: HttpClient | None = None,
                 rows: int | None = None) -> None:
        self.source = source
        self.base_url = portal_url(source.base_url)
        self.api_url = self.base_url + API_PATH
        self.rows = min(max(1, rows or getattr(source, "ckan_rows", None) or ROWS), MAX_ROWS)
        # Read defensively: these fields are proposed for SourceConfig, not yet in it.
        self.organizations = _names(getattr(source, "ckan_organizations", None))
        self.groups = _names(getattr(source, "ckan_groups", None))
        self._owns_client = client is None
        self._client = client or CkanClient.from_source(source)
        self._info: EndpointInfo | None = None

    def identify(self) -> EndpointInfo:
        """What status_show says about the portal; asked once per harvester, then remembered."""
        if self._info is None:
            reply = self._call("status_show", {})
            status = reply.result if isinstance(reply.result, dict) else {}
            self._info = EndpointInfo(
                protocol=self.protocol, base_url=self.base_url,
                name=_string(status.get("site_title")), deleted_record="no",
                extra={"ckan_version": _string(status.get("ckan_version")),
                       "site_url": _string(status.get("site_url")),
                       "extensions": _names(status.get("extensions")),
                       "locale_default": _string(status.get("locale_default"))})
        return self._info

    def package(self, identifier: str) -> RawRecord:
        """One package by id or name (package_show)."""
        reply = self._call("package_show", {"id": identifier})
        outcome = _read_package(reply.result, reply.url)
        if isinstance(outcome, FailedRecord):
            raise ProtocolViolationError(f"package_show returned an unusable package: "
                                         f"{outcome.reason}", source=self.source.id,
                                         url=reply.url)
        return outcome

    def action(self, name: str, params: dict[str, str] | None = None) -> Any:
        """The `result` of any read action (organization_list, package_search with rows=0, ...),
        through the same envelope and error checks as the harvest."""
        return self._call(name, params or {}).result

    def pages(self, request: HarvestRequest) -> Iterator[Page]:
        """package_search in harvest order, one page per request, each resumable."""
        window = self._window_clause(request)
        after = self._resume_point(request.resume)
        while True:
            fq = " AND ".join(c for c in (window, *self._filter_clauses(), _after_clause(after))
                              if c)
            params = {"q": "*:*", "sort": SORT, "rows": str(self.rows), "start": "0"}
            if fq:
                params["fq"] = fq
            reply = self._call("package_search", params)
            results, count = _search_result(reply, self.source.id)
            records, failed, last = _read_packages(results, reply.url, after)
            if results and last is None:
                raise ProtocolViolationError(
                    f"none of the {len(results)} packages on the page has a usable id and "
                    "metadata_modified, so the harvest cannot move past them",
                    source=self.source.id, url=reply.url)
            if after is not None and last is not None and last <= after:
                raise ProtocolViolationError(
                    "the portal answered with packages the harvest has already passed; it "
                    "seems to ignore the fq filter, and paging would never end",
                    source=self.source.id, url=reply.url)
            done = not results or count <= len(results)
            if results or after is not None:
                # A list that ran dry right after a full page still needs a page to close it.
                yield Page(records=records, url=reply.url,
                           checkpoint=None if done else _checkpoint(last), failed=failed,
                           complete_list_size=count if after is None else None)
            if done:
                return
            after = last

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> CkanHarvester:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the query ----------------------------------------------------------------------------

    def _window_clause(self, request: HarvestRequest) -> str | None:
        start, end = request.window_from, request.window_until
        if start and end and start > end:
            raise ConfigError(f"the harvest window starts ({start.isoformat()}) after it ends "
                              f"({end.isoformat()})", source=self.source.id)
        if not (start or end):
            return None
        low = solr_time(start) if start else "*"
        high = solr_time(end) if end else "*"
        return f"metadata_modified:[{low} TO {high}]"

    def _filter_clauses(self) -> list[str]:
        clauses = []
        if self.organizations:
            clauses.append(f"organization:({' OR '.join(map(solr_quote, self.organizations))})")
        if self.groups:
            clauses.append(f"groups:({' OR '.join(map(solr_quote, self.groups))})")
        return clauses

    def _resume_point(self, resume: Mapping[str, Any] | None) -> Key | None:
        if not resume:
            return None
        after = resume.get("after")
        try:
            modified = parse_timestamp(after["modified"])
            identifier = after["id"]
            if not isinstance(identifier, str) or not identifier:
                raise ValueError(identifier)
        except (TypeError, KeyError, ValueError):
            # Starting over costs time but loses nothing: the store recognises what it holds.
            log.warning("Source %s: the checkpoint %r is not a CKAN keyset; harvesting from "
                        "the start.", self.source.id, resume)
            return None
        return Key.of(modified, identifier)

    # --- one call -----------------------------------------------------------------------------

    def _call(self, action: str, params: dict[str, str]) -> _Reply:
        """One action's result; a body that is not JSON is fetched again, like any passing fault."""
        retries = self._client.max_retries
        attempt = 0
        while True:
            response = self._client.get(self.api_url + action, params)
            try:
                return self._read_reply(response, action)
            except UnparseableResponseError as exc:
                if attempt == retries:
                    raise UnparseableResponseError(
                        f"{exc.message.rstrip('.')}; still so after {attempt + 1} attempt(s)",
                        source=self.source.id, url=response.url) from exc
                wait = self._client.backoff(attempt)
                log.warning("Source %s: %s is unusable (%s); fetching it again in %.2fs "
                            "(%d of %d).", self.source.id, response.url, exc.message, wait,
                            attempt + 1, retries)
                self._client.sleep(wait)
                attempt += 1

    def _read_reply(self, response: Response, action: str) -> _Reply:
        status, url = response.status, response.url
        try:
            envelope = _parse_json(response)
        except UnparseableResponseError as exc:
            if status in (401, 403):
                raise self._auth_error(action, status, "the body is not a CKAN response",
                                       url) from None
            if status >= 400:
                raise SourceError(
                    f"the portal answered {action} with HTTP {status} and a body that is not "
                    f"a CKAN API response ({exc.message}); is {self.base_url} the base URL of "
                    f"a CKAN portal?", source=self.source.id, url=url) from None
            raise UnparseableResponseError(exc.message, source=self.source.id, url=url) from None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("success"), bool):
            raise ProtocolViolationError(
                f"the {action} response is JSON but not a CKAN Action API envelope "
                f"({_shape(envelope)} without a boolean 'success')",
                source=self.source.id, url=url)
        if envelope["success"] is not True or status >= 400:
            raise self._ckan_error(envelope.get("error"), action, status, url)
        if "result" not in envelope:
            raise ProtocolViolationError(f"the {action} response says success but has no "
                                         "'result'", source=self.source.id, url=url)
        return _Reply(result=envelope["result"], url=url)

    def _ckan_error(self, error: Any, action: str, status: int, url: str) -> SourceError:
        kind, message = _error_text(error)
        if status in (401, 403) or kind == "Authorization Error":
            return self._auth_error(action, status, f"{kind}: {message}", url)
        http = f"HTTP {status}, " if status >= 400 else ""
        return SourceError(f"the portal refused {action} ({http}{kind}): {message}",
                           source=self.source.id, url=url)

    def _auth_error(self, action: str, status: int, detail: str, url: str) -> SourceError:
        creds = self.source.credentials
        env = creds.token_env if creds else None
        if env:
            advice = (f"the API key in the environment variable {env} is wrong, expired or "
                      "lacks the rights")
        else:
            advice = ("the portal needs an API key and none is configured: name the "
                      "environment variable holding it in credentials.token_env")
        return SourceError(f"the portal refused {action} (HTTP {status}, {detail}): {advice}",
                           source=self.source.id, url=url)


# --- reading responses ---------------------------------------------------------------------------

def _parse_json(response: Response) -> Any:
    """The body as JSON; UnparseableResponseError saying why not (HTML, encoding, syntax)."""
    body = response.body
    head = body[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise UnparseableResponseError(
            f"the response is an HTML page (Content-Type "
            f"{response.headers.get('Content-Type', 'not given')}), not CKAN JSON")
    try:
        text = body.decode("utf-8-sig")  # JSON is UTF-8; a BOM is wrong but harmless
    except UnicodeDecodeError as exc:
        raise UnparseableResponseError(
            f"the response is not UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start})"
        ) from None
    if not text.strip():
        raise UnparseableResponseError("the response is empty, not CKAN JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnparseableResponseError(f"the response is not JSON ({exc.msg} at line "
                                       f"{exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise UnparseableResponseError("the response nests JSON too deeply to read") from None


def _search_result(reply: _Reply, source_id: str) -> tuple[list[Any], int]:
    result = reply.result
    results = result.get("results") if isinstance(result, dict) else None
    count = result.get("count") if isinstance(result, dict) else None
    if not isinstance(results, list) or isinstance(count, bool) or not isinstance(count, int):
        raise ProtocolViolationError(
            f"the package_search result is {_shape(result)}, not an object with a 'count' "
            "and a 'results' list", source=source_id, url=reply.url)
    return results, count


def _read_packages(results: list[Any], url: str, after: Key | None
                   ) -> tuple[list[RawRecord], list[FailedRecord], Key | None]:
    """The page's new records, its failures, and the key of its last usable package."""
    records: list[RawRecord] = []
    failed: list[FailedRecord] = []
    last: Key | None = None
    for item in results:
        outcome = _read_package(item, url)
        if isinstance(outcome, FailedRecord):
            failed.append(outcome)
            continue
        key = Key.of(outcome.datestamp, outcome.identifier)
        last = key if last is None or key > last else last
        if after is None or key > after:
            # A portal rounding the filter differently may repeat the page boundary: skip it.
            records.append(outcome)
    return records, failed, last


def _read_package(item: Any, url: str) -> RawRecord | FailedRecord:
    if not isinstance(item, dict):
        return FailedRecord(identifier=None, url=url,
                            reason=f"the result is {_shape(item)}, not a package object")
    identifier = item.get("id")
    if not isinstance(identifier, str) or not identifier.strip():
        name = item.get("name") if isinstance(item.get("name"), str) else None
        return FailedRecord(identifier=name, url=url, reason="the package has no id")
    stamp = item.get("metadata_modified")
    try:
        datestamp = parse_timestamp(stamp)
    except ValueError:
        return FailedRecord(identifier=identifier, url=url,
                            reason=f"the package has an unusable metadata_modified {stamp!r}")
    package = _without_volatile(item)
    payload = json.dumps(package, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":")).encode("utf-8")
    return RawRecord(identifier=identifier, datestamp=datestamp, deleted=False, payload=payload,
                     metadata_format=METADATA_FORMAT, sets=_sets(package), element=package)


def _without_volatile(package: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in package.items() if k not in VOLATILE_KEYS}
    resources = cleaned.get("resources")
    if isinstance(resources, list):
        cleaned["resources"] = [
            {k: v for k, v in r.items() if k not in VOLATILE_KEYS} if isinstance(r, dict) else r
            for r in resources]
    return cleaned


def _sets(package: dict[str, Any]) -> tuple[str, ...]:
    """organization:<name> and group:<name>, the CKAN counterparts of OAI sets."""
    sets = []
    organization = package.get("organization")
    if isinstance(organization, dict) and isinstance(organization.get("name"), str):
        sets.append(f"organization:{organization['name']}")
    for group in package.get("groups") or []:
        if isinstance(group, dict) and isinstance(group.get("name"), str):
            sets.append(f"group:{group['name']}")
    return tuple(sets)


def _checkpoint(last: Key | None) -> dict[str, Any] | None:
    if last is None:
        return None
    return {"after": {"modified": last.modified.isoformat(), "id": last.id}}


def _after_clause(after: Key | None) -> str | None:
    if after is None:
        return None
    at = solr_time(after.modified)
    return (f"(metadata_modified:{{{at} TO *] OR "
            f"(metadata_modified:[{at} TO {at}] AND id:{{{solr_quote(after.id)} TO *]))")


def _error_text(error: Any) -> tuple[str, str]:
    """(__type, message) of a CKAN error object; field errors are joined into the message."""
    if not isinstance(error, dict):
        return "error", (str(error) if error else "no error details given")
    kind = error.get("__type") if isinstance(error.get("__type"), str) else "error"
    message = error.get("message") if isinstance(error.get("message"), str) else None
    fields = [f"{name}: {'; '.join(map(str, value)) if isinstance(value, list) else value}"
              for name, value in error.items() if name not in ("__type", "message")]
    return kind, message or "; ".join(fields) or "no message"


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:5])
        return f"an object with keys {keys}" if keys else "an empty object"
    return {list: "a list", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _string(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    return [v.strip() for v in value or () if isinstance(v, str) and v.strip()]


# --- timestamps and Solr syntax ---------------------------------------------------------------

def portal_url(url: str) -> str:
    """The portal's base URL, also when a steward gave its API root."""
    base = url.rstrip("/")
    for suffix in _API_SUFFIXES:
        if base.endswith(suffix):
            return base[:-len(suffix)]
    return base


def parse_timestamp(value: Any) -> datetime:
    """A CKAN timestamp as aware UTC; CKAN writes UTC without a zone ("2024-05-01T10:00:00.5")."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a timestamp")
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def solr_time(moment: datetime) -> str:
    """`moment` as a Solr date at millisecond precision, the precision Solr keeps."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone")
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def solr_quote(value: str) -> str:
    """A Solr phrase: quotes and backslashes escaped, so any name or id is one term."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
