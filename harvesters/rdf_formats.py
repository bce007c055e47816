"""RDF syntaxes for harvesters: media types, the Accept header, and parsing with no network access.

Four syntaxes are read: Turtle, RDF/XML, JSON-LD and N-Triples. The parser is chosen from the
media type, then from the URL's file extension. Parsing never touches the network: a JSON-LD
document that names a remote `@context` gets the local copy kept in `harvesters/contexts/`, or
is refused with the context's URL; RDF/XML declaring a DTD is refused like any other XML here.
The body is already bounded by the transport's size limit before it reaches this module.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from pathlib import PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

from rdflib import Dataset, Graph, Namespace
from rdflib.namespace import DefinedNamespace

from errors import UnparseableResponseError


def vocabulary(name: str, iri: str) -> Any:
    """Terms of a vocabulary by attribute, e.g. DCT.title.

    rdflib's `Namespace` is a str, so `Namespace(...).title` is str.title, not the term; a
    DefinedNamespace that accepts any name has no such trap.
    """
    return type(name, (DefinedNamespace,), {"_NS": Namespace(iri), "_warn": False})


DCAT = vocabulary("DCAT", "http://www.w3.org/ns/dcat#")
DCT = vocabulary("DCT", "http://purl.org/dc/terms/")
FOAF = vocabulary("FOAF", "http://xmlns.com/foaf/0.1/")
HYDRA = vocabulary("HYDRA", "http://www.w3.org/ns/hydra/core#")
SKOS = vocabulary("SKOS", "http://www.w3.org/2004/02/skos/core#")


class Syntax(NamedTuple):
    """One RDF syntax: how rdflib calls it and how HTTP and file names announce it."""

    name: str
    rdflib_format: str
    media_types: tuple[str, ...]
    extensions: tuple[str, ...]


TURTLE = Syntax("Turtle", "turtle", ("text/turtle", "application/x-turtle"), (".ttl",))
RDF_XML = Syntax("RDF/XML", "xml", ("application/rdf+xml", "application/xml", "text/xml"),
                 (".rdf", ".owl", ".xml"))
JSON_LD = Syntax("JSON-LD", "json-ld", ("application/ld+json", "application/json"),
                 (".jsonld", ".json"))
N_TRIPLES = Syntax("N-Triples", "nt", ("application/n-triples",), (".nt",))
SYNTAXES: tuple[Syntax, ...] = (TURTLE, RDF_XML, JSON_LD, N_TRIPLES)

# Turtle first: it is the most compact and the one every DCAT server speaks.
ACCEPT = ("text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.9, "
          "application/n-triples;q=0.8")

# Media types that say nothing about the syntax: the file extension decides, and text/plain
# without one is read as Turtle, which N-Triples (once served as text/plain) is a subset of.
_UNINFORMATIVE = frozenset({"text/plain", "application/octet-stream", "binary/octet-stream",
                            "application/x-download", ""})
_HTML = frozenset({"text/html", "application/xhtml+xml"})


class LocalContext(NamedTuple):
    """A JSON-LD context kept in harvesters/contexts/, and the URLs it answers for."""

    urls: tuple[str, ...]
    file: str
    origin: str  # where the copy was taken from


LOCAL_CONTEXTS: tuple[LocalContext, ...] = (
    LocalContext(
        urls=("https://semiceu.github.io/DCAT-AP/releases/3.0.1/context/dcat-ap.jsonld",
              "https://raw.githubusercontent.com/SEMICeu/DCAT-AP/master/releases/3.0.1/"
              "context/dcat-ap.jsonld"),
        file="dcat-ap-3.0.1.jsonld",
        origin="SEMICeu/DCAT-AP releases/3.0.1/context/dcat-ap.jsonld at 7c531da7"),
)


def syntax_for(content_type: str | None, url: str) -> Syntax | None:
    """The syntax a response is in: by media type, else by the URL's extension; None if neither.

    HTML is never RDF here, whatever the URL says: it is an error page or a portal's front end.
    """
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in _HTML:
        return None
    for syntax in SYNTAXES:
        if media_type in syntax.media_types:
            return syntax
    if media_type not in _UNINFORMATIVE and not media_type.endswith(("+xml", "+json")):
        return None
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    for syntax in SYNTAXES:
        if suffix in syntax.extensions:
            return syntax
    return TURTLE if media_type == "text/plain" else None


def parse_graph(body: bytes, syntax: Syntax, *, url: str, source: str | None = None) -> Graph:
    """The triples of a document; UnparseableResponseError with the reason when it has none.

    Named graphs (JSON-LD `@graph` under an `@id`) are merged into the one graph returned: a
    catalogue page is read as one set of statements.
    """
    data: bytes | str = body
    if syntax is RDF_XML and (reason := _declares_dtd(body)):
        raise UnparseableResponseError(reason, url=url, source=source)
    if syntax is JSON_LD:  # decoded once: contexts are checked and substituted on the way
        data = json.dumps(_with_local_contexts(_json(body, url, source), url, source))
    # Only JSON-LD can hold named graphs (an `@graph` under an `@id`); the other syntaxes go
    # straight into a plain graph, which is much cheaper to fill than a Dataset.
    store: Graph = Dataset() if syntax is JSON_LD else Graph()
    try:
        with warnings.catch_warnings():
            # rdflib's JSON-LD parser calls its own deprecated ConjunctiveGraph API.
            warnings.simplefilter("ignore", DeprecationWarning)
            store.parse(data=data, format=syntax.rdflib_format, publicID=url)
    # Parsers of untrusted input fail in many ways (syntax errors, SAX errors, ValueErrors deep
    # inside the JSON-LD algorithm, recursion on deep nesting); each means "not usable RDF".
    except Exception as exc:  # noqa: BLE001
        detail = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise UnparseableResponseError(f"the response is not well-formed {syntax.name}: "
                                       f"{detail}", url=url, source=source) from exc
    if not isinstance(store, Dataset):
        return store
    graph = Graph()
    for subject, predicate, obj, _ in store.quads((None, None, None, None)):
        graph.add((subject, predicate, obj))
    return graph


def refusal(body: bytes, syntax: Syntax, url: str) -> str | None:
    """Why a document is refused on purpose (fetching it again would not help); else None."""
    if syntax is RDF_XML:
        return _declares_dtd(body)
    if syntax is JSON_LD:
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return None
        for name in _remote_contexts(document):
            if _local_context(urljoin(url, name)) is None:
                return _unknown_context(urljoin(url, name))
    return None


def local_context(url: str) -> dict[str, Any] | None:
    """The local copy of the context published at `url` (its `@context` value), if we keep one."""
    found = _local_context(url)
    return copy.deepcopy(found) if found is not None else None


def _declares_dtd(body: bytes) -> str | None:
    """As safexml does for every other XML: a DOCTYPE is refused, not expanded."""
    head = body[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        return ("the RDF/XML declares a DTD or entities, which we refuse to process "
                "(protection against entity expansion and external entities)")
    return None


# --- JSON-LD contexts ------------------------------------------------------------------------

def _json(body: bytes, url: str, source: str | None) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise UnparseableResponseError(f"the response is not well-formed JSON-LD: {exc}",
                                       url=url, source=source) from exc


def _remote_contexts(node: Any) -> Iterator[str]:
    """Every context named by URL, in `@context` and `@import`, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("@context", "@import"):
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str):
                        yield item
            yield from _remote_contexts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _remote_contexts(item)


def _with_local_contexts(node: Any, base: str, source: str | None) -> Any:
    """The document with every context URL replaced by the local copy's content.

    rdflib 7 has no document loader to plug in, and would fetch a remote context itself; so the
    substitution happens on the JSON before rdflib sees it. An `@import` is replaced by the
    imported definitions, which the importing context's own definitions then override.
    """
    if isinstance(node, list):
        return [_with_local_contexts(item, base, source) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    imported = node.get("@import")
    if isinstance(imported, str):
        result.update(_context_value(imported, base, source))
    for key, value in node.items():
        if key == "@import" and isinstance(imported, str):
            continue
        if key == "@context":
            items = value if isinstance(value, list) else [value]
            result[key] = [_context_value(item, base, source) for item in items]
        else:
            result[key] = _with_local_contexts(value, base, source)
    return result


def _context_value(item: Any, base: str, source: str | None) -> Any:
    if not isinstance(item, str):
        return _with_local_contexts(item, base, source)
    url = urljoin(base, item)
    found = _local_context(url)
    if found is None:
        raise UnparseableResponseError(_unknown_context(url), url=base, source=source)
    return found


def _unknown_context(url: str) -> str:
    known = ", ".join(u for c in LOCAL_CONTEXTS for u in c.urls)
    return (f"the JSON-LD names the remote context {url}, which is not fetched at run time and "
            f"has no local copy in harvesters/contexts/ (local copies: {known})")


def _local_context(url: str) -> dict[str, Any] | None:
    """The cached copy itself: only ever serialised again, never changed."""
    return _contexts_by_url().get(_context_key(url))


@cache
def _contexts_by_url() -> dict[str, Any]:
    folder = files("harvesters") / "contexts"
    by_url: dict[str, Any] = {}
    for context in LOCAL_CONTEXTS:
        content = json.loads((folder / context.file).read_text(encoding="utf-8"))["@context"]
        for url in context.urls:
            by_url[_context_key(url)] = content
    return by_url


def _context_key(url: str) -> str:
    """http and https, and any fragment, name the same published context."""
    parts = urlsplit(url.strip())
    return f"{parts.netloc.lower()}{parts.path}" + (f"?{parts.query}" if parts.query else "")
