"""The DCAT endpoint of a simulated feed: its records as a paged DCAT-AP catalogue, four syntaxes.

`/<feed>/dcat/catalog` with `?page=N` (from 1), the syntax by Accept header or by suffix
(`catalog.ttl`, `catalog.rdf`, `catalog.jsonld`, `catalog.nt`). Pages are linked by a Hydra
PartialCollectionView (first/next/previous/last, hydra:totalItems on the catalogue); `?legacy=1`
gives ckanext-dcat's older hydra:PagedCollection with literal hydra:nextPage links instead.
Deleted records are simply absent. Every response carries an ETag and a Last-Modified that
change with any record of the feed, and a conditional request for an unchanged catalogue gets
304. The JSON-LD names the DCAT-AP 3.0.1 context by URL and uses its terms.

The `repeat_token` fault makes a page name itself as its next page: a paging loop.
"""

from __future__ import annotations

import calendar
import json
import math
import time
import unicodedata
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from hashlib import blake2b
from typing import TYPE_CHECKING, Any, NamedTuple
from xml.sax.saxutils import unescape

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD, DefinedNamespace

from simulator import records, texts
from simulator.feed import Feed, Selection

if TYPE_CHECKING:
    from simulator.routes import SimReply, SimRequest



def _vocabulary(name: str, iri: str) -> Any:
    """Terms by attribute; rdflib's Namespace is a str, whose .title and .format are methods."""
    return type(name, (DefinedNamespace,), {"_NS": Namespace(iri), "_warn": False})


DCAT = _vocabulary("DCAT", "http://www.w3.org/ns/dcat#")
DCT = _vocabulary("DCT", "http://purl.org/dc/terms/")
FOAF = _vocabulary("FOAF", "http://xmlns.com/foaf/0.1/")
VCARD = _vocabulary("VCARD", "http://www.w3.org/2006/vcard/ns#")
ADMS = _vocabulary("ADMS", "http://www.w3.org/ns/adms#")
SKOS = _vocabulary("SKOS", "http://www.w3.org/2004/02/skos/core#")
HYDRA = _vocabulary("HYDRA", "http://www.w3.org/ns/hydra/core#")
GSP = _vocabulary("GSP", "http://www.opengis.net/ont/geosparql#")
EU = "http://publications.europa.eu/resource/authority/"

DCAT_AP_CONTEXT = "https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld"
PREFIXES = {name.lower(): str(vocabulary._NS) for name, vocabulary in (
    ("DCAT", DCAT), ("DCT", DCT), ("FOAF", FOAF), ("VCARD", VCARD), ("ADMS", ADMS),
    ("SKOS", SKOS), ("HYDRA", HYDRA), ("GSP", GSP))} | {"xsd": str(XSD)}


class Syntax(NamedTuple):
    suffix: str
    rdflib_format: str
    media_type: str


SYNTAXES = (
    Syntax(".ttl", "turtle", "text/turtle"),
    Syntax(".rdf", "xml", "application/rdf+xml"),
    Syntax(".jsonld", "json-ld", "application/ld+json"),
    Syntax(".nt", "nt", "application/n-triples"),
)
_BY_SUFFIX = {s.suffix: s for s in SYNTAXES}
_BY_MEDIA_TYPE = {s.media_type: s for s in SYNTAXES}

# Terms of the DCAT-AP 3.0.1 context (type-scoped, so per class) for what the pages say:
# class -> (the class's term, {property: term}). Other properties are written as prefixed IRIs.
JSONLD_TERMS: dict[URIRef, tuple[str, dict[URIRef, str]]] = {
    DCAT.Catalog: ("Catalogue", {DCT.title: "title", DCT.publisher: "publisher",
                                 DCAT.dataset: "dataset"}),
    DCAT.Dataset: ("Dataset", {
        DCT.title: "title", DCT.description: "description", DCAT.keyword: "keyword",
        DCAT.theme: "theme", DCT.publisher: "publisher", DCT.creator: "creator",
        DCAT.contactPoint: "contactPoint", DCT.issued: "releaseDate",
        DCT.modified: "modificationDate", DCT.temporal: "temporalCoverage",
        DCT.spatial: "geographicalCoverage", DCT.language: "language",
        DCAT.landingPage: "landingPage", DCT.conformsTo: "conformsTo", DCAT.version: "version",
        DCT.accessRights: "accessRights", DCT.identifier: "identifier",
        ADMS.identifier: "otherIdentifier", DCAT.distribution: "datasetDistribution"}),
    DCAT.Distribution: ("Distribution", {
        DCT.title: "title", DCAT.accessURL: "accessUrl", DCAT.downloadURL: "downloadUrl",
        DCT.format: "format", DCAT.mediaType: "mediaType", DCT.license: "licence",
        DCAT.byteSize: "byteSize"}),
}

_THEMES = {"climate": "ENVI", "soil": "AGRI", "health": "HEAL", "oceans": "ENVI",
           "water": "ENVI", "biodiversity": "ENVI", "agriculture": "AGRI", "air": "ENVI"}
_LANGUAGES = {"en": "ENG", "fr": "FRA", "es": "SPA", "pt": "POR", "sw": "SWA", "zh": "ZHO",
              "ar": "ARA", "ru": "RUS"}
_FILE_TYPES = {"text/csv": ("CSV", "csv"), "application/x-netcdf": ("NETCDF", "nc"),
               "application/json": ("JSON", "json"), "application/zip": ("ZIP", "zip"),
               "application/pdf": ("PDF", "pdf"), "text/x-python": ("TXT", "py"),
               "image/tiff": ("TIFF", "tif"), "image/png": ("PNG", "png")}


def handle(request: SimRequest) -> SimReply:
    """Answer one request for the catalogue."""
    name, dot, suffix = request.path.partition(".")
    if name != "catalog" or (dot and f".{suffix}" not in _BY_SUFFIX):
        return _text(404, "Not found: the catalogue is at catalog, catalog.ttl, catalog.rdf, "
                          "catalog.jsonld or catalog.nt.")
    if request.method != "GET":
        return _text(405, "The catalogue answers GET only.")
    headers = {k.lower(): v for k, v in request.headers.items()}
    syntax = _BY_SUFFIX[f".{suffix}"] if dot else _negotiate(headers.get("accept"))
    if syntax is None:
        return _text(406, "Not acceptable: ask for text/turtle, application/rdf+xml, "
                          "application/ld+json or application/n-triples.")
    number, legacy = _page_numbers(request)
    if number is None:
        return _text(400, "page must be a whole number from 1.")
    feed = request.feed
    state = _catalogue_state(feed)
    last = max(1, math.ceil(feed.count / feed.page_size))
    if number > last:
        return _text(404, f"There is no page {number}; the last is {last}.")
    etag = f'"{state.digest}-{number}{syntax.suffix}{"-legacy" if legacy else ""}"'
    validators = [("ETag", etag), ("Last-Modified", formatdate(state.latest, usegmt=True)),
                  ("Vary", "Accept")]
    if _not_modified(headers, etag, state.latest):
        return _reply(304, b"", syntax.media_type, validators)
    graph = _page_graph(request, feed, state, number, last, legacy)
    if syntax.rdflib_format == "json-ld":
        body = json.dumps(_jsonld(graph), ensure_ascii=False, indent=1).encode()
    else:
        body = graph.serialize(format=syntax.rdflib_format, encoding="utf-8")
    return _reply(200, body, f"{syntax.media_type}; charset=utf-8", validators, page=True)


# --- the request -----------------------------------------------------------------------------

def _negotiate(accept: str | None) -> Syntax | None:
    """The syntax the Accept header prefers (highest q, then first listed); Turtle for */*."""
    if not accept or not accept.strip():
        return _BY_SUFFIX[".ttl"]
    best: tuple[float, int, Syntax] | None = None
    for position, part in enumerate(accept.split(",")):
        media_type, *parameters = (p.strip().lower() for p in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        syntax = _BY_MEDIA_TYPE.get(media_type)
        if syntax is None and media_type in ("*/*", "text/*"):
            syntax = _BY_SUFFIX[".ttl"]
        if syntax is not None and quality > 0 and (best is None or quality > best[0]):
            best = (quality, position, syntax)
    return best[2] if best else None


def _page_numbers(request: SimRequest) -> tuple[int | None, bool]:
    """The page asked for (None when it is not a page number) and whether in the legacy form."""
    page = (request.query.get("page") or ["1"])[0]
    number = int(page) if page.isdigit() and int(page) >= 1 else None
    return number, (request.query.get("legacy") or ["0"])[0] == "1"


def _not_modified(headers: dict[str, str], etag: str, latest: int) -> bool:
    """RFC 9110: If-None-Match decides when present; If-Modified-Since only without it."""
    if "if-none-match" in headers:
        tags = [t.strip().removeprefix("W/") for t in headers["if-none-match"].split(",")]
        return "*" in tags or etag in tags
    if "if-modified-since" in headers:
        try:
            since = parsedate_to_datetime(headers["if-modified-since"])
        except (TypeError, ValueError, IndexError):
            return False
        return latest <= calendar.timegm(since.utctimetuple())
    return False


class _State(NamedTuple):
    digest: str  # changes whenever any record is appended, updated or deleted
    latest: int  # the newest datestamp in the feed, deleted records included
    live: int  # records not deleted


def _catalogue_state(feed: Feed) -> _State:
    """The catalogue's version, by a walk over every record: fine for simulated feeds of up to
    some hundred thousand records, which is what tests and demos use."""
    digest = blake2b(digest_size=8)
    latest, live = 0, 0
    for index in range(feed.count):
        entry = feed.entry(index)
        digest.update(b"%d,%d,%d;" % (entry.version, entry.datestamp, entry.deleted))
        latest = max(latest, entry.datestamp)
        live += not entry.deleted
    return _State(digest.hexdigest(), latest, live)


# --- the page ----------------------------------------------------------------------------------

def _page_graph(request: SimRequest, feed: Feed, state: _State, number: int, last: int,
                legacy: bool) -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    catalogue = URIRef(f"{request.base_url}/catalog")
    publisher = URIRef(records.ror_id("publisher:" + request.key))
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    graph.add((catalogue, DCT.title, Literal(feed.name, lang="en")))
    graph.add((catalogue, DCT.publisher, publisher))
    page = feed.page(Selection(), (number - 1) * feed.page_size, feed.page_size)
    for entry in page.entries:
        if entry.deleted:
            continue
        triples = _dataset(request.key, feed.seed, entry.index, entry.version, entry.datestamp,
                           feed.name)
        graph.add((catalogue, DCAT.dataset, triples[0][0]))
        for triple in triples:
            graph.add(triple)
    _paging(graph, request, catalogue, state, number, last, legacy)
    return graph


def _paging(graph: Graph, request: SimRequest, catalogue: URIRef, state: _State, number: int,
            last: int, legacy: bool) -> None:
    def url(n: int) -> str:
        return f"{request.base_url}/{request.path}?page={n}" + ("&legacy=1" if legacy else "")

    view = URIRef(url(number))
    # A looping server: this page, once more, as the next one.
    following = number if request.feed.faults.take("repeat_token") else (
        number + 1 if number < last else None)
    if legacy:  # ckanext-dcat before 2.0: the links are literals, not IRIs
        graph.add((view, RDF.type, HYDRA.PagedCollection))
        graph.add((view, HYDRA.totalItems, Literal(state.live)))
        graph.add((view, HYDRA.itemsPerPage, Literal(request.feed.page_size)))
        graph.add((view, HYDRA.firstPage, Literal(url(1))))
        graph.add((view, HYDRA.lastPage, Literal(url(last))))
        if following is not None:
            graph.add((view, HYDRA.nextPage, Literal(url(following))))
        if number > 1:
            graph.add((view, HYDRA.previousPage, Literal(url(number - 1))))
        return
    graph.add((catalogue, RDF.type, HYDRA.Collection))
    graph.add((catalogue, HYDRA.totalItems, Literal(state.live)))
    graph.add((catalogue, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.first, URIRef(url(1))))
    graph.add((view, HYDRA.last, URIRef(url(last))))
    if following is not None:
        graph.add((view, HYDRA.next, URIRef(url(following))))
    if number > 1:
        graph.add((view, HYDRA.previous, URIRef(url(number - 1))))


@lru_cache(maxsize=4096)
def _dataset(key: str, seed: int, index: int, version: int, datestamp: int,
             publisher_name: str) -> tuple[tuple[Any, Any, Any], ...]:
    """The triples describing record `index`, its dataset node first; from the same drawn
    content as the record's OAI-PMH formats, so both sides describe one dataset."""
    c = records._content(seed, index, version, False)
    host = f"https://{key}.sim.example.org"
    ds = URIRef(f"{host}/dataset/{index}")
    doi = records.doi(key, index)
    lang = c.lang if c.tagged else None
    first, last, year = c.years
    month, day = c.month_day
    triples: list[tuple[Any, Any, Any]] = [(ds, RDF.type, DCAT.Dataset)]
    add = triples.append
    # Identity, varied on purpose: a local id, a DOI as dct:identifier, or the IRI alone; a
    # DOI as adms:identifier on two records in three.
    if index % 4 == 1:
        add((ds, DCT.identifier, Literal(f"https://doi.org/{doi}")))
    elif index % 4 != 3:
        add((ds, DCT.identifier, Literal(f"{key.upper()}-{index:07d}")))
    if index % 3 != 2 and index % 4 != 1:
        other = BNode()
        triples += [(ds, ADMS.identifier, other), (other, RDF.type, ADMS.Identifier),
                    (other, SKOS.notation, Literal(f"https://doi.org/{doi}")),
                    (other, ADMS.schemaAgency, Literal("DataCite"))]
    add((ds, DCT.title, Literal(unescape(c.title), lang=lang)))
    if c.translation:
        add((ds, DCT.title, Literal(unescape(c.translation[1]), lang=c.translation[0])))
    add((ds, DCT.description, Literal(unescape(c.abstract), lang=lang)))
    topic = texts.TOPICS[c.topic]
    for position, keyword in enumerate(topic.keywords):
        if position != c.skip:
            add((ds, DCAT.keyword, Literal(keyword, lang="en")))
    add((ds, DCAT.theme, URIRef(f"{EU}data-theme/{_THEMES[topic.key]}")))
    publisher = URIRef(records.ror_id("publisher:" + key))
    triples += [(ds, DCT.publisher, publisher), (publisher, RDF.type, FOAF.Organization),
                (publisher, FOAF.name, Literal(publisher_name))]
    for agent in c.creators:
        triples += _agent(ds, agent)
    triples += _contact(ds, c.contact)
    add((ds, DCT.issued, Literal(f"{year}-{month:02d}-{day:02d}", datatype=XSD.date)))
    add((ds, DCT.modified, Literal(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(datestamp)),
                                   datatype=XSD.dateTime)))
    if c.collected:
        period = BNode()
        triples += [(ds, DCT.temporal, period), (period, RDF.type, DCT.PeriodOfTime),
                    (period, DCAT.startDate, Literal(f"{first}-01-01", datatype=XSD.date)),
                    (period, DCAT.endDate, Literal(f"{last}-12-31", datatype=XSD.date))]
    place, lat, lon = c.place
    location = BNode()
    box = (f"POLYGON(({lon - 0.5:.4f} {lat - 0.5:.4f},{lon + 0.5:.4f} {lat - 0.5:.4f},"
           f"{lon + 0.5:.4f} {lat + 0.5:.4f},{lon - 0.5:.4f} {lat + 0.5:.4f},"
           f"{lon - 0.5:.4f} {lat - 0.5:.4f}))")
    triples += [(ds, DCT.spatial, location), (location, RDF.type, DCT.Location),
                (location, SKOS.prefLabel, Literal(unescape(place), lang="en")),
                (location, DCAT.bbox, Literal(box, datatype=GSP.wktLiteral)),
                (location, DCAT.centroid,
                 Literal(f"POINT({lon:.4f} {lat:.4f})", datatype=GSP.wktLiteral))]
    add((ds, DCT.language, URIRef(f"{EU}language/{_LANGUAGES[c.lang]}")))
    landing = URIRef(f"{host}/records/{index}")
    add((ds, DCAT.landingPage, landing))
    add((ds, DCT.conformsTo, URIRef("http://www.opengis.net/def/crs/EPSG/0/4326")))
    add((ds, DCAT.version, Literal(f"{c.version}.0")))
    add((ds, DCT.accessRights, URIRef(f"{EU}access-right/PUBLIC")))
    licence = URIRef(texts.LICENCES[c.licence][2])
    if index % 2 == 0:
        add((ds, DCT.license, licence))
    size = int(float(c.size_mb) * 1_000_000) // len(c.formats)
    for k, media_type in enumerate(c.formats):
        code, extension = _FILE_TYPES[media_type]
        distribution = URIRef(f"{host}/dataset/{index}/distribution/{k + 1}")
        triples += [
            (ds, DCAT.distribution, distribution),
            (distribution, RDF.type, DCAT.Distribution),
            (distribution, DCT.title, Literal(f"Data file {k + 1} ({code})", lang="en")),
            (distribution, DCAT.accessURL, landing),
            (distribution, DCAT.downloadURL,
             URIRef(f"{host}/files/{index}/data-{k + 1}.{extension}")),
            (distribution, DCT.format, URIRef(f"{EU}file-type/{code}")),
            (distribution, DCAT.mediaType,
             URIRef(f"https://www.iana.org/assignments/media-types/{media_type}")),
            (distribution, DCT.license, licence),
            (distribution, DCAT.byteSize, Literal(str(size), datatype=XSD.nonNegativeInteger)),
        ]
    return tuple(triples)


def _agent(ds: URIRef, agent: Any) -> list[tuple[Any, Any, Any]]:
    if agent.person is None:
        name = texts.ORGANISATIONS[agent.org]
        node = URIRef(records.ror_id(name))
        return [(ds, DCT.creator, node), (node, RDF.type, FOAF.Organization),
                (node, FOAF.name, Literal(name))]
    given, family = texts.PEOPLE[agent.person]
    # The same ORCID iD the person has in the feed's DataCite records.
    node = URIRef(records.orcid(records._number(f"{given} {family}") % 10**7))
    return [(ds, DCT.creator, node), (node, RDF.type, FOAF.Person),
            (node, FOAF.name, Literal(f"{given} {family}")),
            (node, FOAF.givenName, Literal(given)), (node, FOAF.familyName, Literal(family))]


def _contact(ds: URIRef, agent: Any) -> list[tuple[Any, Any, Any]]:
    given, family = texts.PEOPLE[agent.person]
    local = unicodedata.normalize("NFKD", f"{given}.{family}".replace(" ", "-").lower())
    email = local.encode("ascii", "ignore").decode()
    node = BNode()
    return [(ds, DCAT.contactPoint, node), (node, RDF.type, VCARD.Individual),
            (node, VCARD.fn, Literal(f"{given} {family}")),
            (node, VCARD.hasEmail, URIRef(f"mailto:{email}@sim.example.org"))]


# --- JSON-LD -------------------------------------------------------------------------------------

def _jsonld(graph: Graph) -> dict[str, Any]:
    """The page as flattened JSON-LD in DCAT-AP 3.0.1 terms, one node object per subject."""
    nodes: dict[Any, dict[str, Any]] = {}
    for subject in sorted(set(graph.subjects()), key=lambda n: (isinstance(n, BNode), str(n))):
        types = sorted(graph.objects(subject, RDF.type), key=str)
        scoped = next((JSONLD_TERMS[t] for t in types if t in JSONLD_TERMS), None)
        node: dict[str, Any] = {"@id": _node_id(subject)}
        if types:
            node["@type"] = [scoped[0] if scoped and t in JSONLD_TERMS else _compact(t)
                             for t in types]
        terms = scoped[1] if scoped else {}
        for predicate in sorted(set(graph.predicates(subject)), key=str):
            if predicate == RDF.type:
                continue
            values = sorted(graph.objects(subject, predicate), key=lambda o: (type(o).__name__,
                                                                              str(o)))
            node[terms.get(predicate) or _compact(predicate)] = [_value(v) for v in values]
        nodes[subject] = node
    return {"@context": [DCAT_AP_CONTEXT, PREFIXES], "@graph": list(nodes.values())}


def _node_id(node: Any) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _compact(iri: URIRef) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and iri[len(namespace):].isidentifier():
            return f"{prefix}:{iri[len(namespace):]}"
    return str(iri)


def _value(value: Any) -> dict[str, str]:
    """Explicit value and node objects, so that no term's type coercion can change a value."""
    if not isinstance(value, Literal):
        return {"@id": _node_id(value)}
    if value.language:
        return {"@value": str(value), "@language": value.language}
    if value.datatype and value.datatype != XSD.string:
        return {"@value": str(value), "@type": str(value.datatype)}
    return {"@value": str(value)}


def _text(status: int, message: str) -> SimReply:
    return _reply(status, (message + "\n").encode(), "text/plain; charset=utf-8")


def _reply(status: int, body: bytes, content_type: str,
           headers: list[tuple[str, str]] | None = None, page: bool = False) -> SimReply:
    from simulator.routes import SimReply  # here: routes imports this module to register it

    return SimReply(status, body, content_type, headers or [], page)
