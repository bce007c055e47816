"""OAI-PMH 2.0: Identify, ListMetadataFormats, ListSets, and ListRecords as resumable pages."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from lxml import etree

import safexml
from errors import (
    OAI_ERROR_CLASSES,
    BadResumptionTokenError,
    ConfigError,
    NoSetHierarchyError,
    OaiError,
    ProtocolViolationError,
    SourceError,
    UnparseableResponseError,
)
from harvesters.base import EndpointInfo, FailedRecord, HarvestRequest, Page, RawRecord
from harvesters.datestamps import DAY, GRANULARITIES, format_datestamp, parse_datestamp
from harvesters.transport import HttpClient, Response
from schemas import SourceConfig

log = logging.getLogger("os10.harvesters.oai_pmh")

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_NS = {"oai": OAI_NS}
_ROOT_TAG = f"{{{OAI_NS}}}OAI-PMH"
MAX_TOKEN_EXPIRIES = 3  # per run: more means the partner cannot serve the list at all
# Tokens remembered per list to catch a looping server; a loop longer than this many pages is
# not worth memory that would otherwise grow with the repository.
TOKEN_MEMORY = 10_000
_REPLACEMENT = "\ufffd"
_REPLACEMENT_UTF8 = _REPLACEMENT.encode()
_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MetadataFormat:
    prefix: str
    schema: str | None
    namespace: str | None


@dataclass(frozen=True, slots=True)
class OaiSet:
    spec: str
    name: str | None


@dataclass(frozen=True, slots=True)
class _Reply:
    """One parsed response: the verb's element, or None when the list is empty (noRecordsMatch)."""

    element: etree._Element | None
    url: str
    repaired: int


class OaiPmhHarvester:
    protocol: ClassVar[str] = "oai_pmh"
    reports_deletions: ClassVar[bool] = True

    def __init__(self, source: SourceConfig, client: HttpClient | None = None) -> None:
        self.source = source
        self.base_url = source.base_url
        self._owns_client = client is None
        self._client = client or HttpClient.from_source(source)
        self._info: EndpointInfo | None = None

    def identify(self) -> EndpointInfo:
        """What the repository says about itself; asked once per harvester, then remembered."""
        if self._info is None:
            reply = self._fetch({"verb": "Identify"})
            ident = reply.element
            granularity = _text(ident.find("oai:granularity", _NS))
            if granularity not in GRANULARITIES:
                # Every repository must support day granularity, so it is the safe fallback.
                log.warning("Source %s: Identify declares granularity %r; using %s.",
                            self.source.id, granularity, DAY)
                granularity = DAY
            earliest = _text(ident.find("oai:earliestDatestamp", _NS))
            try:
                earliest_datestamp = parse_datestamp(earliest) if earliest else None
            except ValueError:
                earliest_datestamp = None
            self._info = EndpointInfo(
                protocol=self.protocol, base_url=self.base_url,
                name=_text(ident.find("oai:repositoryName", _NS)),
                granularity=granularity,
                deleted_record=_text(ident.find("oai:deletedRecord", _NS)),
                earliest_datestamp=earliest_datestamp,
                extra={
                    "protocol_version": _text(ident.find("oai:protocolVersion", _NS)),
                    "reported_base_url": _text(ident.find("oai:baseURL", _NS)),
                    "admin_emails": [_text(e) for e in ident.iterfind("oai:adminEmail", _NS)],
                    "compression": [_text(e) for e in ident.iterfind("oai:compression", _NS)],
                })
        return self._info

    def list_metadata_formats(self) -> list[MetadataFormat]:
        reply = self._fetch({"verb": "ListMetadataFormats"})
        return [MetadataFormat(prefix=_text(f.find("oai:metadataPrefix", _NS)) or "",
                               schema=_text(f.find("oai:schema", _NS)),
                               namespace=_text(f.find("oai:metadataNamespace", _NS)))
                for f in reply.element.iterfind("oai:metadataFormat", _NS)]

    def list_sets(self) -> Iterator[OaiSet]:
        """Every set, page by page; nothing when the repository has no set hierarchy."""
        try:
            for reply, _token in self._list("ListSets", {"verb": "ListSets"}):
                for element in reply.element.iterfind("oai:set", _NS):
                    yield OaiSet(spec=_text(element.find("oai:setSpec", _NS)) or "",
                                 name=_text(element.find("oai:setName", _NS)))
        except NoSetHierarchyError:
            return

    def pages(self, request: HarvestRequest) -> Iterator[Page]:
        """ListRecords for each configured set in turn, one page at a time, each resumable."""
        params = self._list_records_params(request)
        specs: list[str | None] = list(self.source.sets) or [None]
        set_index, token = self._resume_point(request.resume, specs)
        expiries = 0
        last_checkpoint: dict[str, Any] | None = None
        yielded = False
        while set_index < len(specs):
            spec = specs[set_index]
            set_params = {**params, "set": spec} if spec else params
            pages_this_pass = 0
            try:
                for reply, next_token in self._list("ListRecords", set_params, token):
                    records, failed = _read_records(reply, self.source.metadata_prefix or "")
                    last_checkpoint = _checkpoint(specs, set_index, next_token)
                    pages_this_pass += 1
                    yielded = True
                    yield Page(records=records, url=reply.url, checkpoint=last_checkpoint,
                               failed=failed, complete_list_size=_list_size(reply))
            except BadResumptionTokenError as exc:
                if token is None and pages_this_pass == 0:
                    raise  # we sent no token, so none can have expired: the server is confused
                expiries += 1
                if expiries > MAX_TOKEN_EXPIRIES:
                    raise BadResumptionTokenError(
                        f"resumption tokens expired {expiries} times in this run; giving up "
                        f"({exc.message})", source=self.source.id, url=exc.url) from exc
                log.warning("Source %s: resumption token expired (%s); re-running %s from its "
                            "start (%d of %d).", self.source.id, exc.url,
                            f"set {spec!r}" if spec else "the list", expiries,
                            MAX_TOKEN_EXPIRIES)
                token = None
                continue
            set_index, token = set_index + 1, None
        if yielded and last_checkpoint is not None:
            # The last set matched nothing, so no page of it closed the run; this one does.
            yield Page(records=[], url=self.base_url, checkpoint=None)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> OaiPmhHarvester:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _list_records_params(self, request: HarvestRequest) -> dict[str, str]:
        params = {"verb": "ListRecords", "metadataPrefix": self.source.metadata_prefix or ""}
        start, end = request.window_from, request.window_until
        if start and end and start > end:
            raise ConfigError(f"the harvest window starts ({start.isoformat()}) after it ends "
                              f"({end.isoformat()})", source=self.source.id)
        if start or end:
            granularity = self.identify().granularity or DAY
            if start:
                params["from"] = format_datestamp(start, granularity)
            if end:
                params["until"] = format_datestamp(end, granularity)
        return params

    def _resume_point(self, resume: dict[str, Any] | None,
                      specs: list[str | None]) -> tuple[int, str | None]:
        if not resume:
            return 0, None
        index, token = resume.get("set_index"), resume.get("token")
        fits = (isinstance(index, int) and 0 <= index < len(specs)
                and resume.get("set") == specs[index] and (token is None or isinstance(token, str)))
        if not fits:
            # The source's sets changed since the checkpoint was written; starting over costs
            # time but loses nothing, as the store recognises records it already holds.
            log.warning("Source %s: the checkpoint %r does not fit the configured sets %r; "
                        "harvesting from the start.", self.source.id, resume, specs)
            return 0, None
        return index, token

    def _list(self, verb: str, params: dict[str, str],
              token: str | None = None) -> Iterator[tuple[_Reply, str | None]]:
        """The pages of one list as (reply, next token), following resumption tokens."""
        seen: dict[str, None] = {token: None} if token else {}  # insertion-ordered set
        while True:
            reply = self._fetch({"verb": verb, "resumptionToken": token} if token else params)
            if reply.element is None:  # noRecordsMatch
                return
            next_token = _resumption_token(reply.element)
            if next_token is not None and next_token in seen:
                raise ProtocolViolationError(
                    f"the repository handed back the resumption token {next_token!r}, which "
                    f"this list already used; stopping instead of looping",
                    source=self.source.id, url=reply.url)
            yield reply, next_token
            if next_token is None:
                return
            seen[next_token] = None
            if len(seen) > TOKEN_MEMORY:
                del seen[next(iter(seen))]
            token = next_token

    def _fetch(self, params: dict[str, str]) -> _Reply:
        """One verb's response, parsed once; a body that is not XML is fetched again."""
        retries = self._client.max_retries
        attempt = 0
        while True:
            response = self._client.get(self.base_url, params)
            try:
                return self._read_reply(response, params["verb"])
            except UnparseableResponseError as exc:
                if _declares_dtd(response.body):
                    raise  # refused on purpose; fetching it again would bring the same document
                if attempt == retries:
                    raise UnparseableResponseError(
                        f"{exc.message.rstrip('.')}; still so after {attempt + 1} attempt(s)",
                        source=self.source.id, url=response.url) from exc
                # Truncated bodies and proxy error pages are usually passing network faults.
                wait = self._client.backoff(attempt)
                log.warning("Source %s: %s is unusable (%s); fetching it again in %.2fs "
                            "(%d of %d).", self.source.id, response.url, exc.message, wait,
                            attempt + 1, retries)
                self._client.sleep(wait)
                attempt += 1

    def _read_reply(self, response: Response, verb: str) -> _Reply:
        content_type = response.headers.get("Content-Type")
        utf8 = safexml.as_utf8(response.body, _charset(content_type))
        if utf8.note:
            log.warning("Source %s: %s: %s.", self.source.id, response.url, utf8.note)
        body, repaired = safexml.repair(utf8.data)
        repaired += utf8.replaced
        try:
            for kind, looks_like in (("an HTML page", _looks_like_html),
                                     ("JSON", _looks_like_json)):
                if looks_like(body):
                    raise UnparseableResponseError(
                        f"the response is {kind} (Content-Type {content_type or 'not given'}), "
                        f"not OAI-PMH XML", source=self.source.id, url=response.url)
            root = safexml.parse(body, url=response.url, source=self.source.id)
        except UnparseableResponseError:
            if response.status >= 400:
                raise SourceError(
                    f"the repository answered {verb} with HTTP {response.status} and a body "
                    f"that is not an OAI-PMH document", source=self.source.id,
                    url=response.url) from None
            raise
        if root.tag != _ROOT_TAG:
            raise ProtocolViolationError(
                f"the {verb} response is not an OAI-PMH 2.0 document (its root element is "
                f"{root.tag!r})", source=self.source.id, url=response.url)
        errors = root.findall("oai:error", _NS)
        fatal = [e for e in errors if e.get("code") != "noRecordsMatch"]
        if fatal:
            raise self._oai_error(fatal[0], verb, response.url)
        if errors:
            return _Reply(element=None, url=response.url, repaired=repaired)
        if response.status >= 400:
            raise SourceError(f"the repository answered {verb} with HTTP {response.status} "
                              f"and no OAI-PMH error", source=self.source.id, url=response.url)
        element = root.find(f"oai:{verb}", _NS)
        if element is None:
            raise ProtocolViolationError(f"the {verb} response has neither <{verb}> nor <error>",
                                         source=self.source.id, url=response.url)
        return _Reply(element=element, url=response.url, repaired=repaired)

    def _oai_error(self, element: etree._Element, verb: str, url: str) -> OaiError:
        code = element.get("code") or "unknown"
        text = " ".join((element.text or "").split()) or "no message"
        error = OAI_ERROR_CLASSES.get(code, OaiError)(
            f"the repository answered {verb} with OAI-PMH error {code}: {text}",
            source=self.source.id, url=url)
        error.code = code  # keeps codes outside the specification, e.g. undefinedError
        return error


def _read_records(reply: _Reply, metadata_format: str
                  ) -> tuple[list[RawRecord], list[FailedRecord]]:
    records: list[RawRecord] = []
    failed: list[FailedRecord] = []
    for element in reply.element.iterfind("oai:record", _NS):
        outcome = _read_record(element, reply, metadata_format)
        (records if isinstance(outcome, RawRecord) else failed).append(outcome)
    return records, failed


def _read_record(element: etree._Element, reply: _Reply,
                 metadata_format: str) -> RawRecord | FailedRecord:
    header = element.find("oai:header", _NS)
    if header is None:
        return FailedRecord(identifier=None, url=reply.url, reason="the record has no <header>")
    identifier = _text(header.find("oai:identifier", _NS))
    if not identifier:
        return FailedRecord(identifier=None, url=reply.url,
                            reason="the record header has no identifier")
    stamp = _text(header.find("oai:datestamp", _NS))
    try:
        datestamp = parse_datestamp(stamp or "")
    except ValueError:
        return FailedRecord(identifier=identifier, url=reply.url,
                            reason=f"the record header has an unusable datestamp {stamp!r}")
    sets = tuple(s for s in (_text(e) for e in header.iterfind("oai:setSpec", _NS)) if s)
    if header.get("status") == "deleted":
        return RawRecord(identifier=identifier, datestamp=datestamp, deleted=True, payload=None,
                         metadata_format=metadata_format, sets=sets,
                         repaired=identifier.count(_REPLACEMENT) if reply.repaired else 0)
    metadata = element.find("oai:metadata", _NS)
    children = [] if metadata is None else [c for c in metadata if isinstance(c.tag, str)]
    if len(children) != 1:
        reason = ("the record is not deleted but has no metadata" if not children else
                  f"the record's <metadata> holds {len(children)} elements instead of one")
        return FailedRecord(identifier=identifier, url=reply.url, reason=reason)
    payload = etree.tostring(children[0], encoding="utf-8", with_tail=False)
    # repair() counts per page, not per record. When a page was repaired, the replacement
    # characters in a record are attributed to it; a character that was already U+FFFD in the
    # partner's data is counted too, which is rare enough to accept for a quality counter.
    repaired = 0
    if reply.repaired:
        repaired = payload.count(_REPLACEMENT_UTF8) + identifier.count(_REPLACEMENT)
    return RawRecord(identifier=identifier, datestamp=datestamp, deleted=False, payload=payload,
                     metadata_format=metadata_format, sets=sets, repaired=repaired,
                     element=children[0])


def _resumption_token(list_element: etree._Element) -> str | None:
    """The next token, or None when the list is complete (no element, or an empty one)."""
    return _text(list_element.find("oai:resumptionToken", _NS)) or None


def _list_size(reply: _Reply) -> int | None:
    token = reply.element.find("oai:resumptionToken", _NS)
    size = token.get("completeListSize") if token is not None else None
    return int(size) if size and size.strip().isdigit() else None


def _checkpoint(specs: list[str | None], set_index: int,
                next_token: str | None) -> dict[str, Any] | None:
    """Where to continue after a page: this set's next token, the next set, or nowhere."""
    if next_token is not None:
        return {"set_index": set_index, "set": specs[set_index], "token": next_token}
    if set_index + 1 < len(specs):
        return {"set_index": set_index + 1, "set": specs[set_index + 1], "token": None}
    return None


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _looks_like_json(body: bytes) -> bool:
    return body[:1024].lstrip()[:1] in (b"{", b"[")


def _charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _declares_dtd(body: bytes) -> bool:
    """What safexml.parse refuses outright (an HTML page's doctype aside)."""
    head = body[:4096].upper()
    return (b"<!DOCTYPE" in head or b"<!ENTITY" in head) and not _looks_like_html(body)


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()
