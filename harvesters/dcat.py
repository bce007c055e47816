"""DCAT catalogues over HTTP: negotiated RDF pages, Hydra paging, conditional requests, datasets.

The source URL is the catalogue document (or its first page). Each page is one RDF graph, held
in memory only while its datasets are cut out of it: every dataset becomes one `RawRecord` whose
payload is the dataset's own description (the dataset node and what hangs off it, to a bounded
depth) as sorted, canonical N-Triples, so that the mapper needs nothing else and an unchanged
dataset always has the same bytes. Deletions are not announced by DCAT; a complete listing is
what a full harvest compares against (`reports_deletions = False`).

Conditional requests: after a run that started from the first page, `validators` holds that
page's ETag and Last-Modified. Handed back (`HarvestRequest.validators` once the pipeline
carries it, or the `validators` argument), the next run sends them; a 304 costs that one request
and yields no page at all, and `not_modified` is then True. Hand them to incremental runs only:
a full run that yields nothing would have the pipeline tombstone every dataset.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urljoin, urlsplit

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF

from errors import (
    ConfigError,
    ProtocolViolationError,
    SourceError,
    UnparseableResponseError,
)
from harvesters.base import EndpointInfo, FailedRecord, HarvestRequest, Page, RawRecord
from harvesters.datestamps import parse_datestamp
from harvesters.rdf_formats import (
    ACCEPT,
    DCAT,
    DCT,
    FOAF,
    HYDRA,
    SKOS,
    Syntax,
    parse_graph,
    refusal,
    syntax_for,
)
from harvesters.transport import HttpClient, Response
from schemas import SourceConfig

log = logging.getLogger("os10.harvesters.dcat")

METADATA_FORMAT = "dcat_ap"
# How far a dataset's description reaches: dataset -> distribution -> checksum -> value, or
# dataset -> contact point -> address -> street. Deeper nodes are someone else's description.
MAX_DEPTH = 4
# A dataset description bigger than this has swallowed a vocabulary or another catalogue.
MAX_TRIPLES = 5_000
# Pages remembered per run to catch a looping server; as for OAI resumption tokens.
PAGE_MEMORY = 10_000
BNODE_PREFIX = "_:dataset-"

_DATASET_TYPES = frozenset({DCAT.Dataset, DCAT.DatasetSeries})
# Nodes whose own description belongs to another record, or to nobody: a dataset links to
# them, but their statements stay out of its payload.
_BOUNDARY_TYPES = frozenset({DCAT.Dataset, DCAT.DatasetSeries, DCAT.Catalog, DCAT.CatalogRecord,
                             SKOS.ConceptScheme, HYDRA.Collection, HYDRA.PartialCollectionView,
                             HYDRA.PagedCollection})
_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{2}))?")


class _Paging(NamedTuple):
    next_url: str | None
    total: int | None
    kind: str | None  # "hydra" (PartialCollectionView), "legacy" (PagedCollection) or None


@dataclass(frozen=True, slots=True)
class _Reply:
    graph: Graph
    url: str
    syntax: Syntax
    validators: dict[str, str] | None


class DcatHarvester:
    protocol: ClassVar[str] = "dcat"
    reports_deletions: ClassVar[bool] = False

    def __init__(self, source: SourceConfig, client: HttpClient | None = None, *,
                 validators: dict[str, str] | None = None) -> None:
        self.source = source
        self.base_url = source.base_url
        self._owns_client = client is None
        self._client = client or HttpClient.from_source(source)
        self._given_validators = dict(validators) if validators else None
        self.validators: dict[str, str] | None = None
        self.not_modified = False
        self._info: EndpointInfo | None = None
        if source.sets or source.metadata_prefix not in (None, METADATA_FORMAT):
            log.warning("Source %s: a DCAT catalogue has no sets and one format (%s); the "
                        "configured sets %r and metadata_prefix %r are ignored.", source.id,
                        METADATA_FORMAT, source.sets, source.metadata_prefix)

    def identify(self) -> EndpointInfo:
        """What the catalogue's first page says about it; fetched once per harvester."""
        if self._info is None:
            reply = self._fetch(self.base_url)
            paging = _paging(reply.graph, reply.url, self.source.id)
            catalogues = sorted(reply.graph.subjects(RDF.type, DCAT.Catalog), key=str)
            name = None
            if catalogues:
                titles = sorted(str(t) for t in reply.graph.objects(catalogues[0], DCT.title))
                name = titles[0] if titles else None
            self._info = EndpointInfo(
                protocol=self.protocol, base_url=self.base_url, name=name, deleted_record="no",
                extra={"syntax": reply.syntax.name, "paging": paging.kind,
                       "total_items": paging.total,
                       "datasets_on_first_page": len(dataset_nodes(reply.graph))})
        return self._info

    def pages(self, request: HarvestRequest) -> Iterator[Page]:
        """The catalogue page by page, following hydra:next (or the older hydra:nextPage)."""
        start, end = request.window_from, request.window_until
        if start and end and start > end:
            raise ConfigError(f"the harvest window starts ({start.isoformat()}) after it ends "
                              f"({end.isoformat()})", source=self.source.id)
        self.validators, self.not_modified = None, False
        url = self._resume_point(request.resume)
        # Only a run from the first page may skip the catalogue: a resumed one must go on.
        conditional = None
        if url == self.base_url:
            conditional = getattr(request, "validators", None) or self._given_validators
        visited: dict[str, None] = {}  # insertion-ordered sets, oldest dropped first
        contents: dict[str, None] = {}
        first = True
        while url is not None:
            _remember(visited, _url_key(url))
            reply = self._fetch(url, conditional if first else None)
            if reply is None:
                self.not_modified, self.validators = True, conditional
                log.info("Source %s: the catalogue is unchanged since the last run (HTTP 304); "
                         "nothing to harvest.", self.source.id)
                return
            _remember(visited, _url_key(reply.url))  # where a redirect led
            if first and url == self.base_url:
                self.validators = reply.validators
            first = False
            paging = _paging(reply.graph, reply.url, self.source.id)
            nodes = dataset_nodes(reply.graph)
            self._check_progress(reply, paging, nodes, visited, contents)
            records, failed = dataset_records(reply.graph, reply.url, nodes)
            page_url = reply.url
            del reply, nodes  # one page's graph in memory at a time
            records = [r for r in records if _in_window(r.datestamp, start, end)]
            checkpoint = {"next": paging.next_url} if paging.next_url else None
            yield Page(records=records, url=page_url, checkpoint=checkpoint, failed=failed,
                       complete_list_size=paging.total)
            url = paging.next_url

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> DcatHarvester:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- paging ----------------------------------------------------------------------------------

    def _resume_point(self, resume: dict[str, Any] | None) -> str:
        if not resume:
            return self.base_url
        next_url = resume.get("next")
        if isinstance(next_url, str) and urlsplit(next_url).scheme in ("http", "https"):
            return next_url
        # A checkpoint from another protocol or version; starting over costs time, not data.
        log.warning("Source %s: the checkpoint %r is not a DCAT page; harvesting from the "
                    "first page.", self.source.id, resume)
        return self.base_url

    def _check_progress(self, reply: _Reply, paging: _Paging, nodes: list[Any],
                        visited: dict[str, None], contents: dict[str, None]) -> None:
        """Stop a server that sends us round in circles, by URL or by content."""
        if paging.next_url is not None and _url_key(paging.next_url) in visited:
            raise ProtocolViolationError(
                f"the page names {paging.next_url} as its next page, which this harvest has "
                f"already fetched; stopping instead of looping", source=self.source.id,
                url=reply.url)
        named = sorted(str(n) for n in nodes if isinstance(n, URIRef))
        if named:
            digest = hashlib.sha256("\n".join(named).encode()).hexdigest()
            if digest in contents:
                raise ProtocolViolationError(
                    "the page lists exactly the datasets of an earlier page of this harvest; "
                    "the server is repeating itself, stopping instead of looping",
                    source=self.source.id, url=reply.url)
            _remember(contents, digest)

    # --- fetching ------------------------------------------------------------------------------

    def _fetch(self, url: str, validators: dict[str, str] | None = None) -> _Reply | None:
        """One page, parsed; None when a conditional request got 304. Broken pages are fetched
        again (a truncated body or a maintenance page usually passes), refused ones are not."""
        headers = {"Accept": ACCEPT}
        if validators and validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if validators and validators.get("last_modified"):
            headers["If-Modified-Since"] = validators["last_modified"]
        retries = self._client.max_retries
        attempt = 0
        while True:
            with _request_headers(self._client, headers):
                response = self._client.get(url)
            if response.status == 304:
                if "If-None-Match" not in headers and "If-Modified-Since" not in headers:
                    raise ProtocolViolationError("the server answered 304 Not Modified to a "
                                                 "request that was not conditional",
                                                 source=self.source.id, url=response.url)
                return None
            try:
                return self._read(response)
            except UnparseableResponseError as exc:
                if not _worth_fetching_again(response) or attempt == retries:
                    if attempt:
                        raise UnparseableResponseError(
                            f"{exc.message.rstrip('.')}; still so after {attempt + 1} "
                            f"attempt(s)", source=self.source.id, url=response.url) from exc
                    raise
                wait = self._client.backoff(attempt)
                log.warning("Source %s: %s is unusable (%s); fetching it again in %.2fs "
                            "(%d of %d).", self.source.id, response.url, exc.message, wait,
                            attempt + 1, retries)
                self._client.sleep(wait)
                attempt += 1

    def _read(self, response: Response) -> _Reply:
        content_type = response.headers.get("Content-Type")
        if not 200 <= response.status < 300:
            raise SourceError(f"the catalogue answered HTTP {response.status} "
                              f"({content_type or 'no Content-Type'})", source=self.source.id,
                              url=response.url)
        syntax = syntax_for(content_type, response.url)
        if syntax is None:
            what = ("an HTML page" if _is_html(response) else
                    f"of media type {content_type or '(none)'}")
            raise UnparseableResponseError(
                f"the response is {what}, not an RDF syntax we read (Turtle, RDF/XML, "
                f"JSON-LD, N-Triples), and the URL's extension does not name one",
                source=self.source.id, url=response.url)
        graph = parse_graph(response.body, syntax, url=response.url, source=self.source.id)
        return _Reply(graph=graph, url=response.url, syntax=syntax,
                      validators=_validators(response))


# --- datasets: from a page's graph to raw records -------------------------------------------------

def dataset_nodes(graph: Graph) -> list[Any]:
    """The datasets a graph describes: typed dcat:Dataset or dcat:DatasetSeries, or listed by a
    catalogue's dcat:dataset (whose range is dcat:Dataset); never a catalogue itself."""
    found = {s for t in _DATASET_TYPES for s in graph.subjects(RDF.type, t)}
    found |= {o for o in graph.objects(None, DCAT.dataset) if not isinstance(o, Literal)}
    catalogues = set(graph.subjects(RDF.type, DCAT.Catalog))
    return sorted(found - catalogues, key=lambda n: (isinstance(n, BNode), str(n)))


def dataset_records(graph: Graph, url: str, nodes: list[Any] | None = None
                    ) -> tuple[list[RawRecord], list[FailedRecord]]:
    """One raw record per dataset of a page (those in `nodes`, else all of them)."""
    nodes = dataset_nodes(graph) if nodes is None else nodes
    boundary = set(nodes)
    records: list[RawRecord] = []
    failed: list[FailedRecord] = []
    for node in nodes:
        try:
            description = describe(graph, node, boundary)
        except ValueError as exc:
            failed.append(FailedRecord(identifier=_plain_identifier(graph, node), url=url,
                                       reason=str(exc)))
            continue
        try:
            payload = canonical_payload(description)
        except Exception as exc:  # noqa: BLE001 - rdflib refuses bad IRIs with a bare Exception
            failed.append(FailedRecord(
                identifier=_plain_identifier(graph, node), url=url,
                reason=f"The dataset's description cannot be written as N-Triples: {exc}"))
            continue
        # The mapper gets the description already parsed; its blank nodes are named otherwise
        # than in the payload, which no mapping depends on.
        records.append(RawRecord(
            identifier=_plain_identifier(graph, node) or
            BNODE_PREFIX + hashlib.sha256(payload).hexdigest()[:32],
            datestamp=dataset_datestamp(graph, node), deleted=False, payload=payload,
            metadata_format=METADATA_FORMAT, element=description))
    return records, failed


def describe(graph: Graph, focus: Any, boundary: Collection[Any] = ()) -> Graph:
    """The dataset's own statements and those of the nodes it reaches, to MAX_DEPTH.

    Other datasets, catalogues and concept schemes are linked to but not described: their
    statements are theirs. ValueError when the description exceeds MAX_TRIPLES.
    """
    description = Graph()
    if not any(True for t in graph.objects(focus, RDF.type) if t in _DATASET_TYPES):
        description.add((focus, RDF.type, DCAT.Dataset))  # the range of dcat:dataset says so
    frontier = [(focus, 0)]
    reached = {focus}
    while frontier:
        node, depth = frontier.pop()
        for predicate, obj in graph.predicate_objects(node):
            description.add((node, predicate, obj))
            if len(description) > MAX_TRIPLES:
                raise ValueError(f"the dataset's description exceeds {MAX_TRIPLES:,} statements "
                                 f"within {MAX_DEPTH} steps of it; it was not harvested")
            if isinstance(obj, Literal) or obj in reached or depth + 1 > MAX_DEPTH:
                continue
            if obj in boundary or any(t in _BOUNDARY_TYPES for t in graph.objects(obj, RDF.type)):
                continue
            reached.add(obj)
            frontier.append((obj, depth + 1))
    return description


def canonical_payload(description: Graph) -> bytes:
    """Sorted N-Triples with blank nodes named by content (RDF graph canonicalisation), so the
    same description always gives the same bytes, whatever the page and the syntax."""
    canonical: Any = description
    if any(isinstance(term, BNode) for triple in description for term in triple):
        canonical = to_canonical_graph(description)
    lines = canonical.serialize(format="nt", encoding="utf-8").splitlines(keepends=True)
    return b"".join(sorted({line for line in lines if line.strip()}))


def dataset_datestamp(graph: Graph, node: Any) -> datetime | None:
    """When the dataset last changed: dct:modified (its own or its catalogue record's), else
    dct:issued; the latest if several; None when it has no usable date."""
    records = list(graph.subjects(FOAF.primaryTopic, node))
    for predicate in (DCT.modified, DCT.issued):
        moments = [m for subject in (node, *records)
                   for value in graph.objects(subject, predicate)
                   if (m := _moment(value)) is not None]
        if moments:
            return max(moments)
    return None


def _plain_identifier(graph: Graph, node: Any) -> str | None:
    """dct:identifier (the smallest, when there are several), else the dataset IRI."""
    identifiers = sorted(text for o in graph.objects(node, DCT.identifier)
                         if not isinstance(o, BNode) and (text := " ".join(str(o).split())))
    if identifiers:
        return identifiers[0]
    return str(node) if isinstance(node, URIRef) else None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, Literal):
        return None
    text = str(value).strip()
    try:
        return parse_datestamp(text)
    except ValueError:
        pass
    match = _YEAR_MONTH.fullmatch(text)  # xsd:gYear and xsd:gYearMonth: their first instant
    if match:
        return datetime(int(match.group(1)), int(match.group(2) or 1), 1, tzinfo=UTC)
    return None


def _in_window(stamp: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    """Undated datasets are always in: without a date, nothing proves them unchanged."""
    if stamp is None:
        return True
    return (start is None or stamp >= start) and (end is None or stamp <= end)


# --- paging and HTTP details ----------------------------------------------------------------------

def _paging(graph: Graph, page_url: str, source: str | None = None) -> _Paging:
    """The next page and the total, from a Hydra view (hydra:next) or a ckanext-dcat style
    hydra:PagedCollection (hydra:nextPage, often a literal rather than an IRI)."""
    links = [(subject, obj, kind)
             for predicate, kind in ((HYDRA.next, "hydra"), (HYDRA.nextPage, "legacy"))
             for subject, obj in graph.subject_objects(predicate)]
    own = [link for link in links if _url_key(urljoin(page_url, str(link[0]))) ==
           _url_key(page_url)]
    chosen = own or links
    targets = sorted({urljoin(page_url, str(obj).strip()) for _, obj, _ in chosen
                      if str(obj).strip()})
    if len(targets) > 1:
        raise ProtocolViolationError(f"the page names several next pages ({', '.join(targets)})",
                                     source=source, url=page_url)
    totals = sorted(int(t) for t in graph.objects(None, HYDRA.totalItems)
                    if str(t).strip().isdigit())
    kinds = sorted({kind for _, _, kind in chosen}) or sorted(
        {"hydra" for _ in graph.subjects(RDF.type, HYDRA.PartialCollectionView)} |
        {"legacy" for _ in graph.subjects(RDF.type, HYDRA.PagedCollection)})
    return _Paging(next_url=targets[0] if targets else None,
                   total=totals[-1] if totals else None, kind=kinds[0] if kinds else None)


def _validators(response: Response) -> dict[str, str] | None:
    found = {"etag": response.headers.get("ETag"),
             "last_modified": response.headers.get("Last-Modified")}
    found = {name: value.strip() for name, value in found.items() if value and value.strip()}
    return found or None


@contextmanager
def _request_headers(client: HttpClient, headers: dict[str, str]) -> Iterator[None]:
    """Send `headers` with the requests made inside the block.

    HttpClient.get takes no per-request headers (yet); the session is the one place they can
    go. Harvesters use their client from one thread, so setting and restoring is safe.
    """
    session_headers = client._session.headers
    saved = {name: session_headers.get(name) for name in headers}
    session_headers.update(headers)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                session_headers.pop(name, None)
            else:
                session_headers[name] = value


def _worth_fetching_again(response: Response) -> bool:
    """A maintenance page or a truncated body may heal; a refused document or a foreign media
    type comes back the same."""
    if _is_html(response):
        return True
    syntax = syntax_for(response.headers.get("Content-Type"), response.url)
    return syntax is not None and refusal(response.body, syntax, response.url) is None


def _is_html(response: Response) -> bool:
    media_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    head = response.body[:1024].lstrip().lower()
    return media_type in ("text/html", "application/xhtml+xml") or head.startswith(
        (b"<!doctype html", b"<html"))


def _url_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path}?{parts.query}"


def _remember(memory: dict[str, None], key: str) -> None:
    memory[key] = None
    if len(memory) > PAGE_MEMORY:
        del memory[next(iter(memory))]
