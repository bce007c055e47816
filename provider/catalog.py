"""The DCAT catalogue endpoint: `/catalog[.ttl|.rdf|.jsonld]`, paged with a Hydra view.

One page is a `dcat:Catalog` naming its datasets, the datasets themselves (each built by
`exporters.dcat.dataset_graph`), and a `hydra:PartialCollectionView` with first, previous, next
and last pages and `hydra:totalItems`, as ckanext-dcat's harvester and other DCAT clients
follow. Arguments: `page` (1-based) and `modified_since` (ISO 8601 date or date-time; only
datasets changed at or after it). Deleted entries are not datasets and are left out; OAI-PMH is
the interface that carries deletions.

Pages are in (datestamp, id) order. The `next` link carries the keyset position of the page's
last dataset (`after`), so a client walking the links reads each page with one keyset query
and sees no dataset twice or never while the catalogue changes; a page asked for by number
alone (`first`, `last`, or typed by hand) is found by counting from the start.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlencode

from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, XSD

from exporters.dcat import (
    JSONLD_CONTEXT,
    PREFIXES,
    catalogue_iri,
    catalogue_triples,
    dataset_graph,
    dataset_iri,
)
from provider.web import Reply, Request

if TYPE_CHECKING:
    from provider.server import Provider

log = logging.getLogger("os10.provider.catalog")

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_AFTER = re.compile(r"(-?[0-9]{1,20})\.([0-9]{1,19})\Z")
_MAX_ID = 2**63 - 1  # the largest row id a database column holds


class RdfFormat(NamedTuple):
    suffix: str
    rdflib_name: str
    media_type: str
    aliases: tuple[str, ...] = ()


# The first is the default, for `/catalog` when the client accepts anything.
RDF_FORMATS: tuple[RdfFormat, ...] = (
    RdfFormat(".ttl", "turtle", "text/turtle", ("application/x-turtle",)),
    RdfFormat(".rdf", "xml", "application/rdf+xml"),
    RdfFormat(".jsonld", "json-ld", "application/ld+json", ("application/json",)),
)
PATHS = ("/catalog", *(f"/catalog{f.suffix}" for f in RDF_FORMATS))


class CatalogueError(ValueError):
    """A request argument the endpoint cannot use; answered 400 with this message."""


def respond(provider: Provider, request: Request) -> Reply:
    """One page of the catalogue, in the format the path's suffix or the Accept header asks."""
    suffix = request.path[len("/catalog"):]
    headers: list[tuple[str, str]] = []
    if suffix:
        fmt = next(f for f in RDF_FORMATS if f.suffix == suffix)
    else:
        headers.append(("Vary", "Accept"))
        fmt = negotiate(request.headers.get("Accept", ""))
        if fmt is None:
            offered = ", ".join(f.media_type for f in RDF_FORMATS)
            return Reply.text(406, f"The catalogue is served as {offered}.", headers)
    try:
        page, since, after = _arguments(request)
    except CatalogueError as exc:
        return Reply.text(400, str(exc), headers)
    view = CataloguePage.read(provider, request, page=page, since=since, after=after)
    if view is None:
        return Reply.text(404, f"There is no page {page} of this catalogue.", headers)
    headers += [("Link", ", ".join(f'<{url}>; rel="{rel}"' for rel, url in view.links.items()))]
    extra = {"context": {**JSONLD_CONTEXT, "hydra": str(HYDRA)}} if fmt.suffix == ".jsonld" else {}
    body = view.graph.serialize(format=fmt.rdflib_name, encoding="utf-8", **extra)
    return Reply(200, body, f"{fmt.media_type}; charset=utf-8", headers)


def negotiate(accept: str) -> RdfFormat | None:
    """The best format for an Accept header, or None when nothing offered is acceptable.

    Each format takes the quality of the most specific range that names it (its type, then
    `type/*`, then `*/*`), so `text/turtle;q=0, */*` refuses Turtle only. The highest quality
    wins; on a tie a named type beats a wildcard, then the header's order, then ours.
    """
    if not accept.strip():
        return RDF_FORMATS[0]
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for order, fmt in enumerate(RDF_FORMATS):
        names = (fmt.media_type, *fmt.aliases)
        match = None  # (specificity, quality, position) of the most specific matching range
        for position, (media, quality) in enumerate(ranges):
            if media in names:
                specificity = 2
            elif media.endswith("/*") and any(n.startswith(media[:-1]) for n in names):
                specificity = 1
            elif media == "*/*":
                specificity = 0
            else:
                continue
            if match is None or specificity > match[0]:
                match = (specificity, quality, position)
        if match is None or match[1] <= 0:
            continue
        rank = (match[1], match[0], -match[2], -order)
        if best is None or rank > best:
            best, chosen = rank, fmt
    return chosen


class CataloguePage(NamedTuple):
    graph: Graph
    links: dict[str, str]  # rel -> URL: first, prev, next, last

    @classmethod
    def read(cls, provider: Provider, request: Request, *, page: int,
             since: datetime | None, after: tuple[datetime, int] | None) -> CataloguePage | None:
        """The page's graph, or None when the page number is past the last page."""
        store, config = provider.store, provider.config
        size = config.catalogue_page_size
        total = store.merged_count(since=since, include_deleted=False)
        last_page = max(1, -(-total // size))
        if page > last_page:
            return None
        rows = store.iter_merged(since=since, include_deleted=False, after=after,
                                 batch=size + 1 if after else min(size * page + 1, 10_000))
        try:
            skip = 0 if after else (page - 1) * size
            found = list(islice(rows, skip, skip + size + 1))
        finally:
            rows.close()
        more, found = len(found) > size, found[:size]

        here = provider.base_url(request) + request.path
        # The catalogue and its datasets keep the exporter's stable IRIs (config.export's base
        # URL); only the pages are named by where they are served.
        catalogue = catalogue_iri(config.export)
        graph = _graph()
        _add_relabelled(graph, catalogue_triples(config.export))
        graph.add((catalogue, RDF.type, HYDRA.Collection))
        graph.add((catalogue, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
        for node, dataset in _datasets(found, config):
            _add_relabelled(graph, dataset)
            graph.add((catalogue, DCAT.dataset, node))

        def link(number: int, position: Any = None) -> str:
            query: dict[str, str] = {}
            if since is not None:
                query["modified_since"] = _iso(since)
            query["page"] = str(number)
            if position is not None:
                query["after"] = _after_text(position)
            return f"{here}?{urlencode(query)}"

        view_url = link(page, after)
        view = URIRef(view_url)
        graph.add((catalogue, HYDRA.view, view))
        graph.add((view, RDF.type, HYDRA.PartialCollectionView))
        graph.add((view, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
        graph.add((view, HYDRA.itemsPerPage, Literal(size, datatype=XSD.integer)))
        links = {"first": link(1), "last": link(last_page)}
        if page > 1:
            links["prev"] = link(page - 1)
        if more:
            links["next"] = link(page + 1, (found[-1].datestamp, found[-1].id))
        for rel, predicate in (("first", HYDRA.first), ("prev", HYDRA.previous),
                               ("next", HYDRA.next), ("last", HYDRA.last)):
            if rel in links:
                graph.add((view, predicate, URIRef(links[rel])))
        return cls(graph, links)


def _datasets(rows: list[Any], config: Any) -> Iterator[tuple[URIRef, Graph]]:
    for row in rows:
        try:
            graph = dataset_graph(row.record, row.merged_id, config.export)
        except Exception:  # noqa: BLE001 - one bad record must not cost the whole page
            log.exception("Merged record %s cannot be written as DCAT; left out of the page.",
                          row.merged_id)
            continue
        yield dataset_iri(row.merged_id, config.export), graph


def _add_relabelled(graph: Graph, triples: Iterable[tuple[Any, Any, Any]]) -> None:
    """Add the exporter's triples with fresh blank-node labels: rdflib's RDF/XML writer uses
    the labels as rdf:nodeID, which must be an NCName, and the exporter's may start with a
    digit."""
    fresh: dict[BNode, BNode] = {}
    for s, p, o in triples:
        if isinstance(s, BNode):
            s = fresh.setdefault(s, BNode())
        if isinstance(o, BNode):
            o = fresh.setdefault(o, BNode())
        graph.add((s, p, o))


def _graph() -> Graph:
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in {**PREFIXES, "hydra": str(HYDRA)}.items():
        graph.bind(prefix, namespace)
    return graph


def _arguments(request: Request) -> tuple[int, datetime | None, tuple[datetime, int] | None]:
    def single(name: str) -> str | None:
        values = request.query.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise CatalogueError(f"{name} is given more than once.")
        return values[0]

    page_text = single("page") or "1"
    # isascii too: "²" is a digit to isdigit() that int() refuses.
    if not (page_text.isascii() and page_text.isdigit()) or len(page_text) > 8 or \
            not 1 <= int(page_text) <= 10_000_000:
        raise CatalogueError(f"page must be a whole number from 1, not {page_text[:40]!r}.")
    since = None
    if (text := single("modified_since")) is not None:
        since = parse_since(text)
    after = None
    if (text := single("after")) is not None:
        match = _AFTER.match(text)
        if not match or int(match.group(2)) > _MAX_ID:
            raise CatalogueError("after is not a position this catalogue handed out.")
        try:
            after = (_EPOCH + timedelta(microseconds=int(match.group(1))), int(match.group(2)))
        except OverflowError:
            raise CatalogueError("after is not a position this catalogue handed out.") from None
    return int(page_text), since, after


def parse_since(text: str) -> datetime:
    """An ISO 8601 date or date-time as aware UTC; a date is its midnight, no zone means UTC."""
    value = text.strip()
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time())
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        # OverflowError: an offset that moves 0001-01-01 or 9999-12-31 out of the calendar.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise CatalogueError(f"modified_since={value[:40]!r} is not an ISO 8601 date or "
                             "date-time (like 2024-05-01 or 2024-05-01T12:00:00Z).") from None


def _iso(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def _after_text(position: tuple[datetime, int]) -> str:
    stamp, row_id = position
    return f"{(stamp - _EPOCH) // timedelta(microseconds=1)}.{row_id}"
