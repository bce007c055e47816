"""The OAI-PMH 2.0 protocol of one simulated feed: arguments, verbs, tokens and errors -> XML bytes."""

from __future__ import annotations

import calendar
import time
import zlib
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from oai_grammar import DAY, PREFIX, SECOND, SET_SPEC, OaiArgumentError, parse_arguments
from simulator import records
from simulator.feed import DAYS, Entry, Feed, Selection

LIST_VERBS = frozenset({"ListIdentifiers", "ListRecords"})
ADMIN_EMAIL = "admin@simulator.os10.example.org"
_ROOT = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
         'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
         'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">')


class Reply(NamedTuple):
    status: int
    body: bytes
    page: bool  # a list page with records: what `Faults.after_pages` counts


OaiProblem = OaiArgumentError  # the shared grammar raises it


class Token(NamedTuple):
    """Everything needed to continue a list, so the server keeps no state per harvest."""

    verb: str
    prefix: str
    set_spec: str
    from_: str  # the request's arguments as given ("" when absent)
    until: str
    position: int  # index of the first record of the next page
    generation: int  # the feed's token generation when the token was made

    def encode(self, key: str) -> str:
        body = "|".join([self.verb, self.prefix, self.set_spec, self.from_, self.until,
                         str(self.position), str(self.generation)])
        return f"{body}|{zlib.crc32(f'{key}|{body}'.encode()):08x}"

    @classmethod
    def decode(cls, key: str, text: str) -> Token:
        body, _, checksum = text.rpartition("|")
        fields = body.split("|")
        if len(fields) != 7 or checksum != f"{zlib.crc32(f'{key}|{body}'.encode()):08x}":
            raise OaiProblem("badResumptionToken", "The resumption token is not one of ours.")
        verb, prefix, set_spec, from_, until, position, generation = fields
        return cls(verb, prefix, set_spec, from_, until, int(position), int(generation))


def format_datestamp(seconds: int, granularity: str) -> str:
    """The one way a datestamp is written, at the repository's granularity."""
    fmt = "%Y-%m-%d" if granularity == DAYS else "%Y-%m-%dT%H:%M:%SZ"
    return time.strftime(fmt, time.gmtime(seconds))


class Repository:
    """One feed answering OAI-PMH requests under the key it is served as."""

    def __init__(self, key: str, feed: Feed) -> None:
        self.key = key
        self.feed = feed
        self._verbs = {"Identify": self._identify, "ListMetadataFormats": self._list_formats,
                       "ListSets": self._list_sets, "GetRecord": self._get_record}

    def respond(self, args: dict[str, list[str]], base_url: str, *, expire_token: bool = False,
                repeat_token: bool = False) -> Reply:
        """Answer parsed request arguments (name -> values, as parse_qs gives them)."""
        attributes: dict[str, str] = {}
        try:
            verb, params = parse_arguments(args)
            attributes = {"verb": verb, **params}
            if expire_token and "resumptionToken" in params:
                raise OaiProblem("badResumptionToken", "The resumption token has expired.")
            if verb in LIST_VERBS:
                content, page = self._list(verb, params, repeat_token), True
            else:
                content, page = self._verbs[verb](params, base_url), False
        except OaiProblem as problem:
            if problem.code in ("badVerb", "badArgument"):
                attributes = {}  # the protocol forbids echoing arguments that were not understood
            return Reply(200, self._envelope(base_url, attributes, _error(problem)), False)
        return Reply(200, self._envelope(base_url, attributes, content), page)

    def error(self, code: str, message: str, base_url: str, status: int) -> Reply:
        """An error document for any code, e.g. the HTTP 422 some providers answer with."""
        return Reply(status, self._envelope(base_url, {}, _error(OaiProblem(code, message))),
                     False)

    def _envelope(self, base_url: str, attributes: dict[str, str], content: str | bytes) -> bytes:
        request = "".join(f" {name}={quoteattr(value)}" for name, value in attributes.items())
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        head = (f"{_ROOT}<responseDate>{now}</responseDate>"
                f"<request{request}>{escape(base_url)}</request>").encode()
        return b"".join((head, content if isinstance(content, bytes) else content.encode(),
                         b"</OAI-PMH>"))

    def _identify(self, params: dict[str, str], base_url: str) -> str:
        feed = self.feed
        earliest = format_datestamp(feed.earliest_datestamp(), feed.granularity)
        return (f"<Identify><repositoryName>{escape(feed.name)}</repositoryName>"
                f"<baseURL>{escape(base_url)}</baseURL><protocolVersion>2.0</protocolVersion>"
                f"<adminEmail>{ADMIN_EMAIL}</adminEmail>"
                f"<earliestDatestamp>{earliest}</earliestDatestamp>"
                "<deletedRecord>persistent</deletedRecord>"
                f"<granularity>{feed.granularity}</granularity></Identify>")

    def _list_formats(self, params: dict[str, str], base_url: str) -> str:
        if "identifier" in params:
            self._index(params["identifier"])
        formats = "".join(
            f"<metadataFormat><metadataPrefix>{f.prefix}</metadataPrefix><schema>{f.schema}"
            f"</schema><metadataNamespace>{f.namespace}</metadataNamespace></metadataFormat>"
            for f in records.FORMATS.values())
        return f"<ListMetadataFormats>{formats}</ListMetadataFormats>"

    def _list_sets(self, params: dict[str, str], base_url: str) -> str:
        if "resumptionToken" in params:
            raise OaiProblem("badResumptionToken", "ListSets fits in one response; no token.")
        sets = "".join(f"<set><setSpec>{s.spec}</setSpec><setName>{s.name}</setName></set>"
                       for s in records.SETS.values())
        return f"<ListSets>{sets}</ListSets>"

    def _get_record(self, params: dict[str, str], base_url: str) -> bytes:
        index = self._index(params["identifier"])
        prefix = _prefix(params["metadataPrefix"])
        return b"<GetRecord>%b</GetRecord>" % self._record(self.feed.entry(index), prefix)

    def _list(self, verb: str, params: dict[str, str], repeat_token: bool) -> bytes:
        feed = self.feed
        if "resumptionToken" in params:
            token = Token.decode(self.key, params["resumptionToken"])
            if token.verb != verb:
                raise OaiProblem("badResumptionToken", f"The token belongs to {token.verb}.")
            if token.generation != feed.generation:
                raise OaiProblem("badResumptionToken", "The resumption token has expired.")
        else:
            set_spec = params.get("set", "")
            if set_spec and not SET_SPEC.match(set_spec):
                raise OaiProblem("badArgument", f"{set_spec!r} is not a valid setSpec.")
            token = Token(verb, _prefix(params["metadataPrefix"]), set_spec,
                          params.get("from", ""), params.get("until", ""), 0, feed.generation)
        first, last = _window(token.from_, token.until, feed.granularity)
        page = feed.page(Selection(token.set_spec or None, first, last), token.position,
                         feed.page_size)
        if not page.entries:
            raise OaiProblem("noRecordsMatch", "No records match the request.")
        if verb == "ListRecords":
            items = [self._record(e, token.prefix) for e in page.entries]
        else:
            items = ["".join(self._header(e) for e in page.entries).encode()]
        sizes = f'completeListSize="{page.complete_size}" cursor="{page.cursor}"'
        if repeat_token:  # a looping server: the token we were given, once more
            resumption = f"<resumptionToken {sizes}>{escape(params['resumptionToken'])}"
        elif page.next_position is not None:
            resumption = (f"<resumptionToken {sizes}>"
                          + escape(token._replace(position=page.next_position).encode(self.key)))
        elif "resumptionToken" in params:  # the last page of a list that took several
            resumption = f"<resumptionToken {sizes}>"
        else:
            resumption = ""
        tail = f"{resumption}</resumptionToken></{verb}>" if resumption else f"</{verb}>"
        return b"".join((f"<{verb}>".encode(), *items, tail.encode()))

    def _index(self, identifier: str) -> int:
        head, _, number = identifier.rpartition(":")
        if head != f"oai:{self.key}.sim" or not number.isdigit() or int(number) >= self.feed.count:
            raise OaiProblem("idDoesNotExist", f"{identifier!r} is not an identifier here.")
        return int(number)

    def _header(self, e: Entry) -> str:
        status = ' status="deleted"' if e.deleted else ""
        specs = "".join(f"<setSpec>{s}</setSpec>" for s in records.set_specs(e.index))
        return (f"<header{status}><identifier>{records.identifier(self.key, e.index)}"
                f"</identifier><datestamp>{format_datestamp(e.datestamp, self.feed.granularity)}"
                f"</datestamp>{specs}</header>")

    def _record(self, e: Entry, prefix: str) -> bytes:
        """One <record>, as bytes: a page is joined from these without another copy as str."""
        if e.deleted:
            return f"<record>{self._header(e)}</record>".encode()
        every = self.feed.faults.illegal_chars_every
        metadata = records.render(prefix, key=self.key, seed=self.feed.seed, index=e.index,
                                  version=e.version, publisher=self.feed.name,
                                  tainted=every > 0 and e.index % every == 0)
        return b"".join((f"<record>{self._header(e)}<metadata>".encode(), metadata.encode(),
                         b"</metadata></record>"))




def _prefix(prefix: str) -> str:
    if not PREFIX.match(prefix):
        raise OaiProblem("badArgument", f"{prefix!r} is not a valid metadataPrefix.")
    if prefix not in records.FORMATS:
        raise OaiProblem("cannotDisseminateFormat",
                         f"{prefix!r} is not served here; try {', '.join(records.FORMATS)}.")
    return prefix


def _window(from_: str, until: str, granularity: str) -> tuple[int | None, int | None]:
    """Inclusive epoch-second bounds of from/until; a day covers all of its seconds."""
    if from_ and until and len(from_) != len(until):
        raise OaiProblem("badArgument", "from and until must have the same granularity.")
    first = _stamp(from_, "from", granularity, end=False) if from_ else None
    last = _stamp(until, "until", granularity, end=True) if until else None
    return first, last


def _stamp(value: str, name: str, granularity: str, *, end: bool) -> int:
    if DAY.match(value):
        fmt, extra = "%Y-%m-%d", 86399 if end else 0
    elif SECOND.match(value):
        if granularity == DAYS:
            raise OaiProblem("badArgument", f"{name} is finer than the repository's granularity.")
        fmt, extra = "%Y-%m-%dT%H:%M:%SZ", 0
    else:
        raise OaiProblem("badArgument", f"{name}={value!r} is not a UTC datestamp.")
    try:
        return calendar.timegm(time.strptime(value, fmt)) + extra
    except ValueError as exc:
        raise OaiProblem("badArgument", f"{name}={value!r} is not a valid date.") from exc


def _error(problem: OaiProblem) -> str:
    return f'<error code="{problem.code}">{escape(problem.message)}</error>'
