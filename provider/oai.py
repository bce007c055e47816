"""The OAI-PMH 2.0 provider over the merged catalogue: arguments, the six verbs, errors -> XML.

Written with lxml rather than on `oaipmh.server` (pyoai 4.x): its list verbs page by offset
(`Resumption` rebuilds the whole result and slices it on every request, so a change between
pages shifts records across page boundaries), it owns the token format (`decodeResumptionToken`
runs on every resumed request), writes no `completeListSize`/`cursor` and no empty token on the
last page, and echoes arguments on badArgument. Keyset tokens (see `provider.resumption`) and
one page per response need control of exactly those parts, so little of it would be left.

Records are read from the merged store in (datestamp, id) order, one page per response, so a
list never holds more than a page in memory however big the catalogue. Records are written as
text straight from the stored JSON (see `provider.formats`) into the document lxml writes
around them: a page of records is never built as a tree. While a harvester reads a page, the
next one is read (`provider.read_ahead`). Datestamps are shown
at seconds granularity; `from`/`until` take seconds or days and are inclusive (a day covers all
its seconds). Deleted merged records are kept as headers with status="deleted" (deletedRecord
"persistent").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from lxml import etree

from exporters.datacite_xml import xml_text
from harvesters.datestamps import SECONDS, format_datestamp
from oai_grammar import DAY, PREFIX, SECOND, SET_SPEC, OaiArgumentError, parse_arguments
from provider.config import ProviderConfig
from provider.formats import FORMATS, Entry, MetadataFormat
from provider.read_ahead import ReadAhead
from provider.resumption import ResumptionToken, TokenError

log = logging.getLogger("os10.provider.oai")

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
LIST_VERBS = frozenset({"ListIdentifiers", "ListRecords"})
_SET_NAMES = {"source": "Records described by source {}",
              "type": "Records of resourceTypeGeneral {}"}
_PARENT_SET_NAMES = {"source": "Records by source", "type": "Records by resource type"}


OaiRequestError = OaiArgumentError  # the shared grammar raises it


def oai_identifier(repository_id: str, merged_id: str) -> str:
    return f"oai:{repository_id}:{merged_id}"


class Written(NamedTuple):
    """A verb's element already written as text: `<name>` + body + `</name>`."""

    name: str
    body: str


class OaiProvider:
    """Answers OAI-PMH requests from the merged store; one instance serves every thread."""

    def __init__(self, store: Any, config: ProviderConfig) -> None:
        self.store = store
        self.config = config
        self._token_key = f"os10-provider:{config.repository_id}"
        self._ahead = ReadAhead() if config.read_ahead else None
        self._verbs = {"Identify": self._identify, "ListMetadataFormats": self._list_formats,
                       "ListSets": self._list_sets, "GetRecord": self._get_record,
                       "ListIdentifiers": self._list, "ListRecords": self._list}

    def respond(self, args: Mapping[str, list[str]], base_url: str) -> bytes:
        """The response document for parsed arguments (name -> values, as parse_qs gives)."""
        attributes: dict[str, str] = {}
        try:
            verb, params = parse_arguments(args)
            attributes = {"verb": verb, **params}
            content = self._verbs[verb](verb, params, base_url)
        except OaiRequestError as problem:
            if problem.code in ("badVerb", "badArgument"):
                attributes = {}  # the protocol forbids echoing arguments that were not understood
            error = etree.Element(f"{{{OAI_NS}}}error", code=problem.code)
            error.text = problem.message
            content = error
        return _document(base_url, attributes, content)

    # -- verbs ------------------------------------------------------------------------------

    def _identify(self, verb: str, params: dict[str, str], base_url: str) -> etree._Element:
        earliest = self.store.earliest_merged_datestamp()
        # An empty catalogue has no earliest change yet; no later datestamp can be below now.
        earliest = earliest or datetime.now(UTC)
        identify = _element("Identify")
        for name, text in (("repositoryName", self.config.repository_name),
                           ("baseURL", base_url), ("protocolVersion", "2.0"),
                           ("adminEmail", self.config.admin_email),
                           ("earliestDatestamp", format_datestamp(earliest, SECONDS)),
                           ("deletedRecord", "persistent"), ("granularity", SECONDS)):
            _sub(identify, name, text)
        return identify

    def _list_formats(self, verb: str, params: dict[str, str],
                      base_url: str) -> etree._Element:
        if "identifier" in params:
            self._row(params["identifier"])  # idDoesNotExist when it is not ours
        listing = _element("ListMetadataFormats")
        for fmt in FORMATS.values():
            element = _sub(listing, "metadataFormat")
            _sub(element, "metadataPrefix", fmt.prefix)
            _sub(element, "schema", fmt.schema)
            _sub(element, "metadataNamespace", fmt.namespace)
        return listing

    def _list_sets(self, verb: str, params: dict[str, str], base_url: str) -> etree._Element:
        if "resumptionToken" in params:
            raise OaiRequestError("badResumptionToken",
                                  "ListSets fits in one response; it hands out no tokens.")
        # The store lists each hierarchy's parents too ("type" for "type:Dataset").
        specs = sorted(s for s in self.store.merged_sets() if SET_SPEC.match(s))
        if not specs:
            raise OaiRequestError("noSetHierarchy", "The catalogue has no sets yet: it is empty.")
        listing = _element("ListSets")
        for spec in specs:
            element = _sub(listing, "set")
            _sub(element, "setSpec", spec)
            _sub(element, "setName", _set_name(spec))
        return listing

    def _get_record(self, verb: str, params: dict[str, str], base_url: str) -> Written:
        fmt = _format(params["metadataPrefix"])
        row = self._row(params["identifier"])
        record = self._record_text(row, fmt)
        if record is None:
            raise OaiRequestError("cannotDisseminateFormat",
                                  f"The record {params['identifier']} cannot be written as "
                                  f"{fmt.prefix}.")
        return Written("GetRecord", record)

    def _list(self, verb: str, params: dict[str, str], base_url: str) -> Written:
        token = self._token(verb, params)
        fmt = FORMATS.get(token.prefix)
        if fmt is None:  # a token from before a format was withdrawn
            raise OaiRequestError("badResumptionToken",
                                  f"The token's format {token.prefix!r} is no longer served.")
        if self._ahead is None:
            return self._page(verb, token, fmt)[0]
        version = self.store.latest_merged_datestamp()
        ahead = self._ahead.take((verb, params.get("resumptionToken")), version)
        page, following = ahead.result() if ahead else self._page(verb, token, fmt)
        if following is not None:
            text, next_token = following
            self._ahead.start((verb, text), lambda: self._page(verb, next_token, fmt), version)
        return page

    def close(self) -> None:
        """Stop reading ahead (the server is stopping)."""
        if self._ahead is not None:
            self._ahead.close()

    def _page(self, verb: str, token: ResumptionToken,
              fmt: MetadataFormat) -> tuple[Written, tuple[str, ResumptionToken] | None]:
        """The list's page at the token, and the following page's token (text and token)."""
        listing: list[str] = []
        consumed, last, more = 0, None, False
        rows = self.store.iter_merged(since=token.since, until=token.until,
                                      set_spec=token.set_spec, include_deleted=True,
                                      after=token.after, batch=self.config.page_size + 1)
        try:
            served = 0
            for row in rows:
                # A page is full at page_size rows read; rows that cannot be written in this
                # format are skipped (and logged), but a page never goes out empty while rows
                # remain, because the schema demands at least one record.
                if consumed >= self.config.page_size and served:
                    more = True
                    break
                consumed += 1
                last = (row.datestamp, row.id)
                if verb == "ListIdentifiers":
                    listing.append(self._header(row))
                    served += 1
                elif (record := self._record_text(row, fmt)) is not None:
                    listing.append(record)
                    served += 1
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()  # end the store's read now rather than at garbage collection
        if not served:
            # Nothing (left) in the window: every remaining record changed since the list began
            # and moved past its fixed `until`; the next incremental harvest brings them.
            raise OaiRequestError("noRecordsMatch", "No records match the request.")
        resumed = token.after is not None
        following = None
        if more or resumed:
            size = max(token.size, token.cursor + consumed + (1 if more else 0))
            head = f'<resumptionToken completeListSize="{size}" cursor="{token.cursor}"'
            if more:
                next_token = token.following(last, consumed)
                following = (next_token.encode(self._token_key), next_token)
                listing.append(f"{head}>{xml_text(following[0])}</resumptionToken>")
            else:
                listing.append(head + "/>")
        return Written(verb, "".join(listing)), following

    # -- pieces -----------------------------------------------------------------------------

    def _token(self, verb: str, params: dict[str, str]) -> ResumptionToken:
        """The list's token: the one given, or a new one fixing the window of a first request."""
        if "resumptionToken" in params:
            try:
                token = ResumptionToken.decode(params["resumptionToken"], self._token_key)
            except TokenError as exc:
                raise OaiRequestError("badResumptionToken", str(exc)) from None
            if token.verb != verb:
                raise OaiRequestError("badResumptionToken",
                                      f"The resumption token belongs to {token.verb}, not {verb}.")
            return token
        fmt = _format(params["metadataPrefix"])
        set_spec = params.get("set")
        if set_spec is not None and not SET_SPEC.match(set_spec):
            raise OaiRequestError("badArgument", f"{set_spec!r} is not a valid setSpec.")
        since, until = _window(params.get("from"), params.get("until"))
        # Fixed now for the whole list: see provider.resumption for why nothing is lost.
        until = until or datetime.now(UTC)
        size = self.store.merged_count(since=since, until=until, set_spec=set_spec,
                                       include_deleted=True)
        if not size:
            raise OaiRequestError("noRecordsMatch", "No records match the request.")
        return ResumptionToken(verb=verb, prefix=fmt.prefix, set_spec=set_spec, since=since,
                               until=until, after=None, cursor=0, size=size)

    def _row(self, identifier: str) -> Any:
        prefix = f"oai:{self.config.repository_id}:"
        merged_id = identifier[len(prefix):] if identifier.startswith(prefix) else ""
        row = self.store.get_merged(merged_id) if merged_id else None
        if row is None:
            raise OaiRequestError("idDoesNotExist",
                                  f"{identifier!r} is not an identifier in this repository.")
        return row

    def _header(self, row: Any) -> str:
        identifier = xml_text(oai_identifier(self.config.repository_id, row.merged_id))
        specs = "".join(f"<setSpec>{xml_text(spec)}</setSpec>" for spec in row.sets or ()
                        if SET_SPEC.match(spec))
        status = ' status="deleted"' if row.deleted else ""
        return (f"<header{status}><identifier>{identifier}</identifier>"
                f"<datestamp>{format_datestamp(row.datestamp, SECONDS)}</datestamp>{specs}"
                "</header>")

    def _record_text(self, row: Any, fmt: MetadataFormat) -> str | None:
        """`<record>`: the header, and the payload unless deleted; None when it cannot be
        written in this format (logged, so a serialiser gap shows without failing the list)."""
        if row.deleted:
            return f"<record>{self._header(row)}</record>"
        try:
            payload = fmt.write(Entry(row.record, row.merged_id, row.datestamp,
                                      self.config.datacentre_symbol))
        except Exception:  # noqa: BLE001 - one bad record must not cost the whole page
            log.exception("Merged record %s cannot be written as %s; left out of the response.",
                          row.merged_id, fmt.prefix)
            return None
        return f"<record>{self._header(row)}<metadata>{payload}</metadata></record>"


# -- arguments ------------------------------------------------------------------------------



def _format(prefix: str) -> MetadataFormat:
    if not PREFIX.match(prefix):
        raise OaiRequestError("badArgument", f"{prefix[:40]!r} is not a valid metadataPrefix.")
    fmt = FORMATS.get(prefix)
    if fmt is None:
        raise OaiRequestError("cannotDisseminateFormat",
                              f"{prefix!r} is not served here; try {', '.join(FORMATS)}.")
    return fmt


def _window(from_: str | None,
            until: str | None) -> tuple[datetime | None, datetime | None]:
    """Inclusive bounds of from/until, to the microsecond: a day or second covers all of itself."""
    if from_ and until and len(from_) != len(until):
        raise OaiRequestError("badArgument", "from and until must have the same granularity.")
    first = _bound(from_, "from", end=False) if from_ else None
    last = _bound(until, "until", end=True) if until else None
    if first and last and first > last:
        raise OaiRequestError("badArgument", "from is later than until.")
    return first, last


def _bound(value: str, name: str, *, end: bool) -> datetime:
    if DAY.match(value):
        fmt, span = "%Y-%m-%d", timedelta(days=1)
    elif SECOND.match(value):
        fmt, span = "%Y-%m-%dT%H:%M:%SZ", timedelta(seconds=1)
    else:
        raise OaiRequestError("badArgument", f"{name}={value[:40]!r} is not a UTC datestamp "
                              "(YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ).")
    try:
        moment = datetime.strptime(value, fmt).replace(tzinfo=UTC)
    except ValueError:
        raise OaiRequestError("badArgument", f"{name}={value!r} is not a valid date.") from None
    if not end:
        return moment
    try:
        return moment + span - timedelta(microseconds=1)
    except OverflowError:  # until the last day or second of 9999: the end of time itself
        return datetime.max.replace(tzinfo=UTC)


# -- sets -----------------------------------------------------------------------------------

def _set_name(spec: str) -> str:
    kind, _, rest = spec.partition(":")
    if not rest:
        return _PARENT_SET_NAMES.get(kind, spec)
    template = _SET_NAMES.get(kind)
    return template.format(rest) if template else spec


# -- XML ------------------------------------------------------------------------------------

def _element(name: str) -> etree._Element:
    return etree.Element(f"{{{OAI_NS}}}{name}", nsmap={None: OAI_NS})


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{OAI_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


_END = b"</OAI-PMH>"


def _document(base_url: str, attributes: dict[str, str],
              content: etree._Element | Written) -> bytes:
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": _XSI})
    root.set(f"{{{_XSI}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    _sub(root, "responseDate", format_datestamp(datetime.now(UTC), SECONDS))
    request = _sub(root, "request", base_url)
    for name, value in attributes.items():
        request.set(name, value)
    if isinstance(content, etree._Element):
        root.append(content)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    # lxml writes the envelope (and checks what the request echoes); the verb's element,
    # already text, goes in as the root's last child.
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    if not document.endswith(_END):
        raise AssertionError("lxml wrote the OAI-PMH root's end tag differently")
    return b"".join((document[:-len(_END)], f"<{content.name}>".encode(),
                     content.body.encode("utf-8"), f"</{content.name}>".encode(), _END))
