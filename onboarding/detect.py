"""Which protocol an endpoint speaks: OAI-PMH Identify, CKAN status_show, or a DCAT RDF document.

Each probe makes one request through the project's HttpClient (bounded, rate-limited) and reads
the answer with the project's hardened parsers (safexml, rdf_formats), then says what it saw:
`matched`, `invalid` (the protocol, broken), `other` (something else) or `absent` (HTTP 4xx).
A transport failure (refused, timed out, 5xx on every try) ends detection at once: no other
protocol would fare better on the same host.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree
from rdflib.namespace import RDF

import safexml
from errors import ConfigError, RetriableError, SourceError, UnparseableResponseError
from harvesters.dcat import dataset_nodes
from harvesters.oai_pmh import OAI_NS
from harvesters.rdf_formats import ACCEPT, DCAT, DCT, parse_graph, refusal, syntax_for
from harvesters.transport import HttpClient, Response
from schemas.onboarding import Attempt, Status

PROTOCOLS = ("oai_pmh", "ckan", "dcat")
LABELS = {"oai_pmh": "OAI-PMH", "ckan": "CKAN", "dcat": "DCAT"}
OAI_ARGUMENTS = frozenset({"verb", "metadataPrefix", "set", "from", "until", "identifier",
                           "resumptionToken"})
RDF_SUFFIXES = (".ttl", ".rdf", ".jsonld", ".nt", ".owl")
_API_TAIL = re.compile(r"/api(?:/\d+)?(?:/action(?:/[^/]*)?)?/?$")
_OAI = {"oai": OAI_NS}
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
# Generic XML and JSON media types say nothing about RDF: a parse failure there means "not RDF".
_GENERIC = frozenset({"application/xml", "text/xml", "application/json", "text/plain", ""})


class Unreachable(Exception):
    """The endpoint could not be talked to at all; `status` is the verdict it earns."""

    def __init__(self, status: Status, sentence: str) -> None:
        super().__init__(sentence)
        self.status = status
        self.sentence = sentence


class Probe(NamedTuple):
    attempt: Attempt
    base_url: str  # what a source would be registered with
    name: str | None = None  # the endpoint's name for itself
    conclusive: bool = False  # no other protocol needs trying


class Detection(NamedTuple):
    protocol: str | None  # None when no probe matched
    base_url: str | None
    name: str | None
    attempts: list[Attempt]


def detect(client: HttpClient, url: str, protocol: str | None = None) -> Detection:
    """Probe `url` protocol by protocol (only `protocol` when given) until one matches."""
    attempts: list[Attempt] = []
    for name in probe_order(url, protocol):
        probe = PROBES[name](client, url)
        attempts.append(probe.attempt)
        if probe.attempt.outcome == "matched":
            return Detection(name, probe.base_url, probe.name, attempts)
        if probe.conclusive:
            break
    return Detection(None, None, None, attempts)


def probe_order(url: str, protocol: str | None = None) -> tuple[str, ...]:
    """The protocol given, else the one the URL's shape suggests first, then the others."""
    if protocol:
        return (protocol,)
    first = suggested_protocol(url) or PROTOCOLS[0]
    return (first, *(p for p in PROTOCOLS if p != first))


def suggested_protocol(url: str) -> str | None:
    """The protocol a URL's shape claims: `?verb=`, `/api/3/action/...`, a `.ttl` document."""
    parts = urlsplit(url)
    if any(key == "verb" for key, _ in parse_qsl(parts.query)):
        return "oai_pmh"
    if _API_TAIL.search(parts.path) or "/api/3/" in parts.path:
        return "ckan"
    if parts.path.lower().endswith(RDF_SUFFIXES):
        return "dcat"
    return None


def oai_base(url: str) -> str:
    """The URL without OAI-PMH arguments: what `?verb=Identify` is appended to."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in OAI_ARGUMENTS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))


def ckan_base(url: str) -> str:
    """The portal's address, also when given an API URL like .../api/3/action/package_search."""
    parts = urlsplit(url)
    path = _API_TAIL.sub("", parts.path).rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


# --- the probes ---------------------------------------------------------------------------------

def probe_oai(client: HttpClient, url: str) -> Probe:
    base = oai_base(url)
    response = fetch(client, base, {"verb": "Identify"})
    found = _outcome("oai_pmh", response, oai_base(response.url))  # where redirects led
    if _is_html(response):
        return found("absent" if response.status >= 400 else "other",
                     f"answered Identify with {describe(response)}, not OAI-PMH XML")
    body = safexml.repair(response.body)[0]
    if not body.lstrip().startswith(b"<"):
        return found("absent" if response.status >= 400 else "other",
                     f"answered Identify with {describe(response)}, not XML")
    try:
        root = safexml.parse(body, url=response.url)
    except UnparseableResponseError as exc:
        return found("invalid", f"answered Identify with XML that cannot be used: "
                     f"{_sentence(exc.message)}")
    if root.tag != f"{{{OAI_NS}}}OAI-PMH":
        return found("absent" if response.status >= 400 else "other",
                     f"answered Identify with XML whose root element is "
                     f"<{etree.QName(root).localname}>, not an OAI-PMH document")
    error = root.find("oai:error", _OAI)
    if error is not None:
        text = " ".join((error.text or "").split()) or "no message"
        return found("invalid", f"answered Identify with the OAI-PMH error "
                     f"{error.get('code') or 'unknown'}: {text}", conclusive=True)
    identify = root.find("oai:Identify", _OAI)
    if identify is None:
        return found("invalid", "answered Identify with an OAI-PMH document holding neither "
                     "<Identify> nor <error>", conclusive=True)
    name = _text(identify.find("oai:repositoryName", _OAI))
    version = _text(identify.find("oai:protocolVersion", _OAI)) or "of unknown version"
    return found("matched", f"answered Identify: repository {name!r}, OAI-PMH {version}",
                 name=name)


def probe_ckan(client: HttpClient, url: str) -> Probe:
    base = ckan_base(url)
    response = fetch(client, f"{base}/api/3/action/status_show",
                     headers={"Accept": "application/json"})
    found = _outcome("ckan", response, ckan_base(response.url))
    missing = "absent" if response.status >= 400 else "other"
    if _is_html(response):
        return found(missing, f"answered status_show with {describe(response)}, not CKAN JSON")
    try:
        envelope = json.loads(response.body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return found(missing, f"answered status_show with {describe(response)}, not JSON")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("success"), bool):
        return found(missing, "answered status_show with JSON that is not a CKAN Action API "
                     "response (no boolean 'success')")
    if envelope["success"] is not True:
        error = envelope.get("error") if isinstance(envelope.get("error"), dict) else {}
        kind = error.get("__type") or "error"
        message = error.get("message") or "no message"
        advice = ""
        if response.status in (401, 403) or kind == "Authorization Error":
            advice = ("; the portal wants an API key: register it with credentials.token_env "
                      "naming the environment variable that holds it")
        return found("invalid", f"answered status_show with success false (HTTP "
                     f"{response.status}, {kind}: {message}){advice}", conclusive=True)
    result = envelope.get("result")
    if not isinstance(result, dict):
        return found("invalid", "answered status_show with success but no result object",
                     conclusive=True)
    name = result.get("site_title") if isinstance(result.get("site_title"), str) else None
    version = result.get("ckan_version") or "of unknown version"
    return found("matched", f"answered status_show: portal {name!r}, CKAN {version}", name=name)


def probe_dcat(client: HttpClient, url: str) -> Probe:
    response = fetch(client, url, headers={"Accept": ACCEPT})
    found = _outcome("dcat", response, urlunsplit(urlsplit(response.url)._replace(fragment="")))
    if response.status >= 400:
        return found("absent", f"answered HTTP {response.status} ({describe(response)})")
    syntax = syntax_for(response.headers.get("Content-Type"), response.url)
    if syntax is None:
        return found("other", f"answered with {describe(response)}, not an RDF document "
                     "(Turtle, RDF/XML, JSON-LD or N-Triples)")
    try:
        graph = parse_graph(response.body, syntax, url=response.url)
    except UnparseableResponseError as exc:
        declared = _media_type(response) not in _GENERIC
        refused = refusal(response.body, syntax, response.url) is not None
        return found("invalid" if declared or refused else "other",
                     f"answered with a document that is not usable {syntax.name}: "
                     f"{_sentence(exc.message)}")
    catalogues = sorted(graph.subjects(RDF.type, DCAT.Catalog), key=str)
    datasets = len(dataset_nodes(graph))
    if catalogues:
        titles = sorted(str(t) for t in graph.objects(catalogues[0], DCT.title))
        name = titles[0] if titles else None
        return found("matched", f"answered with {syntax.name} describing a dcat:Catalog "
                     f"({name!r}) and {datasets} dataset(s)", name=name)
    if datasets:
        return found("matched", f"answered with {syntax.name} describing {datasets} "
                     "dataset(s) but no dcat:Catalog")
    return found("other", f"answered with {syntax.name} ({len(graph)} statements) that "
                 "describes no dcat:Catalog and no dcat:Dataset")


PROBES: Mapping[str, Callable[[HttpClient, str], Probe]] = {
    "oai_pmh": probe_oai,
    "ckan": probe_ckan,
    "dcat": probe_dcat,
}


# --- requests and what came back -----------------------------------------------------------------

def fetch(client: HttpClient, url: str, params: Mapping[str, str] | None = None, *,
          headers: Mapping[str, str] | None = None) -> Response:
    """One GET; a failure to get any answer becomes Unreachable with its verdict."""
    try:
        return client.get(url, params, headers=headers)
    except RetriableError as exc:
        raise unreachable(exc, client) from None
    except ConfigError as exc:
        raise Unreachable("invalid", f"The URL cannot be requested: {_sentence(exc.message)}.") \
            from None
    except SourceError as exc:  # a response over the size bound, a request that cannot be made
        raise Unreachable("invalid", f"The request to {url} failed: "
                          f"{_sentence(exc.message)}.") from None


def unreachable(exc: RetriableError, client: HttpClient) -> Unreachable:
    """The verdict for a request that got no usable answer after the client's retries.

    The transport words its failures as "timed out (...)", "connection failed (...)", "the
    connection broke ..." or "HTTP 503 ..."; that wording is what is read here.
    """
    host = urlsplit(exc.url or "").netloc or "the host"
    tries = client.max_retries + 1
    reason = exc.message.partition("last failure: ")[2] or exc.message
    if reason.startswith("timed out"):
        return Unreachable("slow", f"The endpoint at {host} is too slow: no answer came within "
                           f"the {client.timeout_seconds:g}-second timeout, {tries} time(s) in a "
                           f"row ({exc.url}). Try again later or with a longer --timeout; if it "
                           "stays this slow, harvesting it will fail the same way.")
    if reason.startswith(("connection failed", "the connection broke")):
        errno = _ERRNO.search(reason)
        why = errno.group(1).strip() if errno else reason.split(" (")[0]
        return Unreachable("down", f"The endpoint at {host} is down or unreachable: the "
                           f"connection failed ({why}), {tries} time(s) in a row ({exc.url}). "
                           "Check the host name and port, or ask the partner whether the "
                           "service is running and open to us.")
    return Unreachable("unavailable", f"The endpoint at {host} is unavailable: it answered "
                       f"{reason.split(' (')[0]} to {tries} request(s) in a row ({exc.url}). "
                       "Try again later; if it persists, tell the partner.")


def describe(response: Response) -> str:
    """What a body is, in a few words: "an HTML page (HTTP 200, text/html)"."""
    media = _media_type(response) or "no Content-Type"
    where = f"HTTP {response.status}, {media}"
    head = response.body[:1024].lstrip()
    if not head:
        return f"an empty response ({where})"
    if _is_html(response):
        return f"an HTML page ({where})"
    if head[:1] in (b"{", b"["):
        return f"JSON ({where})"
    if head[:1] == b"<":
        return f"XML ({where})"
    return f"a {media} document ({where})" if media != "no Content-Type" else \
        f"a document ({where})"


def received(response: Response) -> str:
    """What kind of body came back: html, json, xml, rdf, text or empty."""
    head = response.body[:1024].lstrip()
    if not head:
        return "empty"
    if _is_html(response):
        return "html"
    syntax = syntax_for(response.headers.get("Content-Type"), response.url)
    if syntax is not None and _media_type(response) not in _GENERIC:
        return "rdf"
    if head[:1] in (b"{", b"["):
        return "json"
    return "xml" if head[:1] == b"<" else "text"


def _outcome(protocol: str, response: Response, base_url: str):
    def found(outcome: str, detail: str, *, name: str | None = None,
              conclusive: bool = False) -> Probe:
        attempt = Attempt(protocol=protocol, url=response.url, outcome=outcome, detail=detail,
                          status=response.status, received=received(response))
        return Probe(attempt, base_url, name, conclusive)
    return found


def _is_html(response: Response) -> bool:
    head = response.body[:1024].lstrip().lower()
    return _media_type(response) in ("text/html", "application/xhtml+xml") or head.startswith(
        (b"<!doctype html", b"<html"))


def _media_type(response: Response) -> str:
    return (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _text(element) -> str | None:
    return element.text.strip() if element is not None and element.text else None


def _sentence(message: str) -> str:
    """A message as a clause: no closing full stop, first letter lower-case."""
    text = message.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
