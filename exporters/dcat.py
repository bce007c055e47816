"""DCAT-AP 3 in Turtle, RDF/XML and JSON-LD: one dcat:Catalog, one dcat:Dataset per record.

Each record becomes a short list of triples (`dataset_triples` gives them as rdflib terms,
`dataset_graph` in a Graph, for the OAI-PMH provider's DCAT endpoint). The exporters never build
a graph: they write each record's triples as soon as they are made, nesting blank nodes under
the node that points to them, so memory stays flat whatever the catalogue's size. The triples
are made from the record's JSON as the store keeps it, with plain-string terms (`Iri`, `Blank`,
`Lit`): rdflib's terms, and a validated model, cost more than writing the triples out.

Every node that a DCAT-AP range shape constrains is typed in the output itself (a licence IRI is
also `a dct:LicenseDocument`, a language IRI `a dct:LinguisticSystem`, ...), so that the data
validate against the shapes and range shapes without the EU vocabularies being loaded. Deleted
items are skipped: DCAT has no tombstone.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import IO, Any, ClassVar, NamedTuple
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from errors import ExportError
from exporters.base import ExportItem, ExportOptions, record_data
from safexml import clean_text
from schemas import Record
from schemas import vocabularies as vocab

PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "adms": "http://www.w3.org/ns/adms#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "locn": "http://www.w3.org/ns/locn#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "spdx": "http://spdx.org/rdf/terms#",
}
JSONLD_CONTEXT = dict(PREFIXES)


def _terms(prefix: str, names: str) -> dict[str, URIRef]:
    return {name: URIRef(PREFIXES[prefix] + name) for name in names.split()}


RDF = _terms("rdf", "type")
RDFS = _terms("rdfs", "label")
XSD = _terms("xsd", "string date dateTime gYear gYearMonth nonNegativeInteger anyURI hexBinary")
OWL = _terms("owl", "versionInfo")
DCAT = _terms("dcat", "Catalog Dataset Distribution dataset distribution keyword theme "
              "contactPoint landingPage version accessURL downloadURL mediaType byteSize bbox "
              "centroid startDate endDate")
DCT = _terms("dct", "title alternative description publisher creator issued modified temporal "
             "spatial language conformsTo accessRights identifier format license rights relation "
             "isReferencedBy isPartOf hasPart isVersionOf references requires isRequiredBy "
             "LicenseDocument LinguisticSystem Location MediaType MediaTypeOrExtent "
             "PeriodOfTime RightsStatement Standard")
FOAF = _terms("foaf", "Agent Person Organization Document name givenName familyName homepage")
VCARD = _terms("vcard", "Kind Individual Organization fn hasEmail hasURL")
ADMS = _terms("adms", "Identifier identifier schemeAgency")
SKOS = _terms("skos", "Concept prefLabel notation")
LOCN = _terms("locn", "geometry geographicName")
GSP = _terms("gsp", "wktLiteral")
SPDX = _terms("spdx", "Checksum checksum algorithm checksumValue")

Triple = tuple[Node, URIRef, Node]
TYPE = RDF["type"]
Data = Mapping[str, Any]


class Iri(str):
    """An IRI as the exporters write it; `dataset_triples` converts to rdflib's URIRef, which
    checks every IRI it is given (and logs what it dislikes) at a cost the export cannot pay."""

    __slots__ = ()


class Blank(str):
    """A blank node's label, as the exporters write it (rdflib's BNode for callers)."""

    __slots__ = ()


class Lit(NamedTuple):
    """A literal as the exporters write it; `rdflib()` makes the rdflib Literal.

    rdflib's Literal parses and checks every value it is given, which cost more than all the
    rest of the export; `dataset_triples` converts for callers that want rdflib terms.
    """

    value: str
    lang: str | None = None
    datatype: URIRef | None = None

    def rdflib(self) -> Literal:
        return Literal(self.value, lang=self.lang, datatype=self.datatype)


_BLANKS = itertools.count()
_RUN = uuid.uuid4().hex  # keeps our labels apart from another process's in a merged graph


def _blank() -> Blank:
    # Blank-node labels never reach the output (blank nodes are nested), so a counter will do
    # where BNode() would draw a UUID each time.
    return Blank(f"b{_RUN}x{next(_BLANKS)}")  # a letter first: RDF/XML nodeIDs are NCNames


# --- values ----------------------------------------------------------------------------------------

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')
_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_MIME = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_CHECKSUM = re.compile(r"^(md5|sha1|sha224|sha256|sha384|sha512)\s*[:=]\s*([0-9a-fA-F]+)$",
                       re.IGNORECASE)


def _text(value: object) -> str:
    """Text every syntax can carry: RDF/XML cannot hold control characters, so none does."""
    return clean_text(str(value).strip()) if value is not None else ""


def iri(value: str | None) -> Iri | None:
    """An absolute IRI, with the characters no syntax allows percent-encoded; else None."""
    text = _text(value)
    match = _SCHEME.match(text)
    # A scheme that is one of our prefixes would read as a compact IRI in JSON-LD.
    if not match or match.group(1).lower() in PREFIXES or len(text) == len(match.group(0)):
        return None
    return Iri(_NOT_IN_IRI.sub(lambda m: quote(m.group(), safe=""), text))


def doi_iri(doi: str) -> Iri | None:
    return iri("https://doi.org/" + quote(_text(doi), safe="/:;()._-~"))


def _lang(tag: str | None) -> str | None:
    return tag if tag and _LANGUAGE.match(tag) else None


def _literal(value: object, lang: str | None = None) -> Lit | None:
    text = _text(value)
    return Lit(text, _lang(lang)) if text else None


_DATE_FORMS = (
    (re.compile(r"^\d{4}$"), XSD["gYear"], None),
    (re.compile(r"^\d{4}-\d{2}$"), XSD["gYearMonth"], lambda v: date.fromisoformat(v + "-01")),
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), XSD["date"], date.fromisoformat),
    (re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$"),
     XSD["dateTime"], lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))),
)


def date_literal(value: str | None) -> Lit | None:
    """A typed xsd:date/dateTime/gYear/gYearMonth literal, or None for anything else."""
    text = (value or "").strip()
    for pattern, datatype, check in _DATE_FORMS:
        if pattern.match(text):
            try:
                if check is not None:
                    check(text)
            except ValueError:
                return None
            if text.startswith("0000"):  # year zero is not an xsd year everywhere
                return None
            return Lit(text, None, datatype)
    return None


# --- vocabularies ----------------------------------------------------------------------------------

LANGUAGE_AUTHORITY = "http://publications.europa.eu/resource/authority/language/"
FILE_TYPE_AUTHORITY = "http://publications.europa.eu/resource/authority/file-type/"
ACCESS_RIGHT_AUTHORITY = "http://publications.europa.eu/resource/authority/access-right/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"

# ISO 639-1 -> ISO 639-2/T, which the EU language authority table uses (upper-cased) as codes.
# A copy, not an import from mappers.normalise: exporters read the model, never the mappers.
_ISO_639_PAIRS = """
aa aar ab abk ae ave af afr ak aka am amh an arg ar ara as asm av ava ay aym az aze ba bak be
bel bg bul bi bis bm bam bn ben bo bod br bre bs bos ca cat ce che ch cha co cos cr cre cs ces
cu chu cv chv cy cym da dan de deu dv div dz dzo ee ewe el ell en eng eo epo es spa et est eu
eus fa fas ff ful fi fin fj fij fo fao fr fra fy fry ga gle gd gla gl glg gn grn gu guj gv glv
ha hau he heb hi hin ho hmo hr hrv ht hat hu hun hy hye hz her ia ina id ind ie ile ig ibo ii
iii ik ipk io ido is isl it ita iu iku ja jpn jv jav ka kat kg kon ki kik kj kua kk kaz kl kal
km khm kn kan ko kor kr kau ks kas ku kur kv kom kw cor ky kir la lat lb ltz lg lug li lim ln
lin lo lao lt lit lu lub lv lav mg mlg mh mah mi mri mk mkd ml mal mn mon mr mar ms msa mt mlt
my mya na nau nb nob nd nde ne nep ng ndo nl nld nn nno no nor nr nbl nv nav ny nya oc oci oj
oji om orm or ori os oss pa pan pi pli pl pol ps pus pt por qu que rm roh rn run ro ron ru rus
rw kin sa san sc srd sd snd se sme sg sag si sin sk slk sl slv sm smo sn sna so som sq sqi sr
srp ss ssw st sot su sun sv swe sw swa ta tam te tel tg tgk th tha ti tir tk tuk tl tgl tn tsn
to ton tr tur ts tso tt tat tw twi ty tah ug uig uk ukr ur urd uz uzb ve ven vi vie vo vol wa
wln wo wol xh xho yi yid yo yor za zha zh zho zu zul
""".split()
_ISO_639_2 = dict(zip(_ISO_639_PAIRS[::2], _ISO_639_PAIRS[1::2], strict=True))


def language_iri(tag: str | None) -> Iri | None:
    """The EU language authority IRI for a BCP 47 tag ("en-GB" -> .../language/ENG)."""
    primary = (_lang(tag) or "").split("-")[0].lower()
    code = _ISO_639_2.get(primary) or (primary if len(primary) == 3 else None)
    return Iri(LANGUAGE_AUTHORITY + code.upper()) if code else None


# Formats (a media type or a file extension, lower-cased) -> EU file-type authority codes.
_FILE_TYPES = {
    key: code for code, keys in {
        "CSV": "text/csv csv", "JSON": "application/json json", "ZIP": "application/zip zip",
        "NETCDF": "application/x-netcdf application/netcdf netcdf nc", "PDF": "application/pdf pdf",
        "TIFF": "image/tiff tiff tif", "PNG": "image/png png", "JPEG": "image/jpeg jpeg jpg",
        "XML": "application/xml text/xml xml", "HTML": "text/html html htm",
        "TXT": "text/plain txt", "XLS": "application/vnd.ms-excel xls",
        "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet xlsx",
        "RDF_XML": "application/rdf+xml rdf", "RDF_TURTLE": "text/turtle ttl turtle",
        "JSON_LD": "application/ld+json jsonld", "GEOJSON": "application/geo+json geojson",
        "GZIP": "application/gzip gzip gz", "TAR": "application/x-tar tar",
        "HDF": "application/x-hdf5 hdf5 hdf h5", "PARQUET": "application/vnd.apache.parquet parquet",
        "SHP": "shp", "TSV": "text/tab-separated-values tsv",
    }.items() for key in keys.split()
}

# Access-right terms (EU, COAR, info:eu-repo, plain labels) -> the EU access-right authority.
_ACCESS_TERMS = {term.lower(): code for code, terms in {
    "PUBLIC": ("public", "open access", "info:eu-repo/semantics/openaccess",
               "http://purl.org/coar/access_right/c_abf2"),
    "RESTRICTED": ("restricted", "restricted access", "embargoed access",
                   "info:eu-repo/semantics/restrictedaccess",
                   "info:eu-repo/semantics/embargoedaccess",
                   "http://purl.org/coar/access_right/c_16ec",
                   "http://purl.org/coar/access_right/c_f1cf"),
    "NON_PUBLIC": ("non_public", "non-public", "closed access", "metadata only access",
                   "info:eu-repo/semantics/closedaccess",
                   "info:eu-repo/semantics/metadataonlyaccess",
                   "http://purl.org/coar/access_right/c_14cb"),
}.items() for term in (*terms, ACCESS_RIGHT_AUTHORITY + code)}


def access_level(access_rights: str | None) -> str | None:
    """The EU access-right code (PUBLIC, RESTRICTED, NON_PUBLIC) of a term we know; else None."""
    return _ACCESS_TERMS.get((access_rights or "").strip().rstrip("/").lower())


# relationType -> the Dublin Core property that says the same (dct:relation otherwise). Not
# dct:source or dct:hasVersion: DCAT-AP wants their objects to be dcat:Datasets.
_RELATIONS = {
    "IsCitedBy": DCT["isReferencedBy"], "IsReferencedBy": DCT["isReferencedBy"],
    "IsSupplementedBy": DCT["isReferencedBy"], "Cites": DCT["references"],
    "References": DCT["references"], "IsPartOf": DCT["isPartOf"], "HasPart": DCT["hasPart"],
    "IsVersionOf": DCT["isVersionOf"], "Requires": DCT["requires"],
    "IsRequiredBy": DCT["isRequiredBy"],
}
_RESOLVERS = {"HANDLE": "https://hdl.handle.net/", "ARK": "https://n2t.net/", "PMID":
              "https://pubmed.ncbi.nlm.nih.gov/", "ARXIV": "https://arxiv.org/abs/"}


def identifier_iri(value: str, kind: str | None) -> Iri | None:
    """A resolvable IRI for an identifier of a DataCite relatedIdentifierType."""
    kind = (kind or "").upper()
    if kind == "DOI":
        return doi_iri(value.removeprefix("doi:"))
    if kind in _RESOLVERS and not value.lower().startswith(("http://", "https://")):
        return iri(_RESOLVERS[kind] + value.removeprefix("hdl:"))
    return iri(value) if value.lower().startswith(("http://", "https://", "urn:")) else None


# --- one record as triples -------------------------------------------------------------------------

def dataset_iri(catalogue_id: str, options: ExportOptions) -> URIRef:
    return URIRef(_dataset_iri(catalogue_id, options))


def _dataset_iri(catalogue_id: str, options: ExportOptions) -> Iri:
    return Iri(f"{options.base_url.rstrip('/')}/dataset/{quote(catalogue_id, safe='-._~:')}")


def catalogue_iri(options: ExportOptions) -> URIRef:
    return URIRef(_catalogue_iri(options))


def _catalogue_iri(options: ExportOptions) -> Iri:
    return Iri(f"{options.base_url.rstrip('/')}/catalogue")


Term = Iri | Blank | Lit | URIRef


class _Triples(list):
    """The triples of one record, with the typed-node helpers every property uses."""

    def add(self, s: Term, p: URIRef, o: Term | None) -> None:
        if o is not None:
            self.append((s, p, o))

    def typed(self, node: Term, *types: URIRef) -> Term:
        for kind in types:
            self.append((node, TYPE, kind))
        return node


def _known(value: str | None, vocabulary: frozenset[str]) -> str | None:
    """A controlled value, or None for one outside DataCite's list (as the model drops it)."""
    return value if value in vocabulary else None


def _doi(record: Data) -> str | None:
    identifier = record.get("identifier")
    if identifier and (identifier.get("type") or "").upper() == "DOI":
        return identifier.get("value")
    return None


def _agent(t: _Triples, person: Data) -> Term:
    """A foaf:Agent: its ORCID or ROR IRI when it has one, else a blank node."""
    node: Term | None = None
    for identifier in person.get("name_identifiers", ()):
        if (identifier.get("scheme") or "").upper() in ("ORCID", "ROR", "ISNI"):
            node = iri(identifier.get("identifier"))
            if node is not None:
                break
    name_type = _known(person.get("name_type"), vocab.NAME_TYPE)
    organisation = name_type == "Organizational"
    kinds = [FOAF["Agent"]]
    if name_type:
        kinds.append(FOAF["Organization"] if organisation else FOAF["Person"])
    node = t.typed(node if node is not None else _blank(), *kinds)
    t.add(node, FOAF["name"], _literal(person.get("name"), person.get("lang")) or Lit("(:unkn)"))
    t.add(node, FOAF["givenName"], _literal(person.get("given_name")))
    t.add(node, FOAF["familyName"], _literal(person.get("family_name")))
    return node


def _publisher(t: _Triples, ds: Iri, record: Data) -> None:
    publisher = record.get("publisher")
    if not publisher or not _text(publisher.get("name")):
        return
    node = iri(publisher["identifier"]) if publisher.get("identifier") else None
    node = t.typed(node if node is not None else _blank(), FOAF["Agent"])
    t.add(node, FOAF["name"], _literal(publisher.get("name"), publisher.get("lang")))
    t.add(ds, DCT["publisher"], node)


def _contact_points(t: _Triples, ds: Iri, record: Data, options: ExportOptions) -> None:
    for contact in record.get("contact_points", ()):
        email = _text(contact.get("email")) if options.include_emails else ""
        if not (_text(contact.get("name")) or email or _text(contact.get("url"))):
            continue
        node = t.typed(_blank(), VCARD["Kind"])
        t.add(node, VCARD["fn"], _literal(contact.get("name")))
        if email and "@" in email:
            t.add(node, VCARD["hasEmail"], iri("mailto:" + email.removeprefix("mailto:")))
        t.add(node, VCARD["hasURL"], iri(contact["url"]) if contact.get("url") else None)
        t.add(ds, DCAT["contactPoint"], node)
    # DataCite's contact persons are contact points too.
    for person in record.get("contributors", ()):
        if person.get("contributor_type") == "ContactPerson" and _text(person.get("name")):
            kind = VCARD["Organization"] if person.get("name_type") == "Organizational" else \
                VCARD["Individual"]
            node = t.typed(_blank(), VCARD["Kind"], kind)
            t.add(node, VCARD["fn"], _literal(person.get("name"), person.get("lang")))
            t.add(ds, DCAT["contactPoint"], node)


def _dates(t: _Triples, ds: Iri, record: Data) -> None:
    dates = record.get("dates", ())
    issued = next((lit for d in dates if d.get("date_type") == "Issued"
                   if (lit := date_literal(d.get("value"))) is not None), None)
    if issued is None and record.get("publication_year") is not None:
        issued = date_literal(f"{record['publication_year']:04d}")
    t.add(ds, DCT["issued"], issued)
    updates = [lit for d in dates if d.get("date_type") == "Updated"
               if (lit := date_literal(d.get("value"))) is not None]
    t.add(ds, DCT["modified"], max(updates, key=lambda lit: lit.value) if updates else None)  # maxCount 1
    for d in dates:
        if d.get("date_type") not in ("Coverage", "Collected"):
            continue
        value = d.get("value", "")
        start, _, end = value.partition("/") if "/" in value else (value, "", value)
        start_literal, end_literal = date_literal(start), date_literal(end)
        if start_literal is None and end_literal is None:
            continue
        period = t.typed(_blank(), DCT["PeriodOfTime"])
        t.add(period, DCAT["startDate"], start_literal)
        t.add(period, DCAT["endDate"], end_literal)
        t.add(ds, DCT["temporal"], period)


Point = tuple[float, float]  # (longitude, latitude)


def _coordinates(point: Data | None) -> Point | None:
    """(longitude, latitude) as floats; None when one is missing (JSON writes NaN as null)."""
    if point is None:
        return None
    longitude, latitude = point.get("longitude"), point.get("latitude")
    if longitude is None or latitude is None:
        return None
    return float(longitude), float(latitude)


def _wkt_point(point: Point) -> str:
    return f"{point[0]!r} {point[1]!r}"


def _valid(point: Point | None) -> bool:
    return point is not None and -180 <= point[0] <= 180 and -90 <= point[1] <= 90


def _location(t: _Triples, ds: Iri, location: Data) -> None:
    node = _blank()
    triples = _Triples()
    triples.add(node, LOCN["geographicName"], _literal(location.get("place")))
    box = location.get("box")
    bounds = [box.get(key) for key in ("west", "east", "south", "north")] if box else []
    if box is not None and None not in bounds:
        w, e, s, n = (float(v) for v in bounds)
        if all(-180 <= v <= 180 for v in (w, e)) and all(-90 <= v <= 90 for v in (s, n)):
            w, e, s, n = (repr(v) for v in (w, e, s, n))
            triples.add(node, DCAT["bbox"], Lit(
                f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))",
                datatype=GSP["wktLiteral"]))
    polygon = [_coordinates(p) for p in location.get("polygon", ())]
    ring = [p for p in polygon if _valid(p)]
    point = _coordinates(location.get("point"))
    point = point if _valid(point) else None
    if len(ring) >= 3 and len(ring) == len(polygon):
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        triples.add(node, LOCN["geometry"], Lit(
            "POLYGON((" + ", ".join(map(_wkt_point, ring)) + "))", datatype=GSP["wktLiteral"]))
        if point is not None:  # geometry is taken by the polygon (maxCount 1)
            triples.add(node, DCAT["centroid"], Lit(f"POINT({_wkt_point(point)})",
                                                        datatype=GSP["wktLiteral"]))
    elif point is not None:
        triples.add(node, LOCN["geometry"], Lit(f"POINT({_wkt_point(point)})",
                                                    datatype=GSP["wktLiteral"]))
    if triples:
        t.typed(node, DCT["Location"])
        t.extend(triples)
        t.add(ds, DCT["spatial"], node)


def _format(t: _Triples, dist: Blank, fmt: str | None, media_type: str | None) -> None:
    """dct:format (EU file type, else a labelled extent) and dcat:mediaType (IANA); one each."""
    text = _text(fmt or media_type)
    key = text.lower().split(";")[0].strip()
    if key:
        code = _FILE_TYPES.get(key) or _FILE_TYPES.get(key.rsplit(".", 1)[-1])
        if code:
            node = t.typed(Iri(FILE_TYPE_AUTHORITY + code), DCT["MediaTypeOrExtent"])
        else:
            node = t.typed(_blank(), DCT["MediaTypeOrExtent"])
            t.add(node, RDFS["label"], Lit(text))
        t.add(dist, DCT["format"], node)
    mime = _text(media_type or fmt).lower().split(";")[0].strip()
    # IANA lists registered types only; "x-" types have no page there.
    if _MIME.match(mime) and not mime.split("/")[1].startswith("x-"):
        t.add(dist, DCAT["mediaType"], t.typed(Iri(IANA_MEDIA_TYPES + mime), DCT["MediaType"]))


def _license(t: _Triples, dist: Blank, uri: str | None) -> None:
    node = iri(uri) if uri else None
    if node is not None:
        t.add(dist, DCT["license"], t.typed(node, DCT["LicenseDocument"]))


def _record_licence(record: Data) -> str | None:
    return next((r["uri"] for r in record.get("rights", ())
                 if r.get("uri") and iri(r["uri"]) is not None), None)


def _distribution(t: _Triples, ds: Iri, record: Data, item: Data,
                  fallback: Iri | None) -> None:
    access = iri(item.get("access_url")) or iri(item.get("download_url")) or fallback
    if access is None:  # dcat:accessURL is mandatory: a distribution nobody can reach is left out
        return
    dist = t.typed(_blank(), DCAT["Distribution"])
    t.add(dist, DCAT["accessURL"], access)
    t.add(dist, DCAT["downloadURL"], iri(item["download_url"]) if item.get("download_url")
          else None)
    t.add(dist, DCT["title"], _literal(item.get("title")))
    t.add(dist, DCT["description"], _literal(item.get("description")))
    _format(t, dist, item.get("format"), item.get("media_type"))
    _license(t, dist, item.get("license") or _record_licence(record))
    byte_size = item.get("byte_size")
    if byte_size is not None and byte_size >= 0:
        t.add(dist, DCAT["byteSize"], Lit(str(byte_size), None, XSD["nonNegativeInteger"]))
    t.add(dist, DCT["issued"], date_literal(item.get("issued")))
    t.add(dist, DCT["modified"], date_literal(item.get("modified")))
    checksum = item.get("checksum")
    if checksum and (match := _CHECKSUM.match(checksum.strip())):
        node = t.typed(_blank(), SPDX["Checksum"])
        t.add(node, SPDX["algorithm"],
              Iri(PREFIXES["spdx"] + "checksumAlgorithm_" + match.group(1).lower()))
        t.add(node, SPDX["checksumValue"], Lit(match.group(2).lower(), None, XSD["hexBinary"]))
        t.add(dist, SPDX["checksum"], node)
    t.add(ds, DCAT["distribution"], dist)


def _distributions(t: _Triples, ds: Iri, record: Data, landing: Iri | None) -> None:
    distributions = record.get("distributions", ())
    for item in distributions:
        _distribution(t, ds, record, item, landing)
    # A DataCite record has no distributions, but its formats and licence describe the one
    # behind its DOI: one distribution per format, reached through the landing page.
    formats = record.get("formats")
    if not distributions and landing is not None and (formats or record.get("rights")):
        licence = _record_licence(record)
        for fmt in formats or [None]:
            _distribution(t, ds, record, {"format": fmt, "license": licence}, landing)


def _identifiers(t: _Triples, ds: Iri, record: Data) -> None:
    identifier = record.get("identifier")
    if doi := _doi(record):
        doi = doi_iri(doi)
        t.add(ds, DCT["identifier"], Lit(str(doi)) if doi else None)
        node = t.typed(_blank(), ADMS["Identifier"])
        t.add(node, SKOS["notation"], Lit(str(doi), None, XSD["anyURI"]) if doi else None)
        t.add(node, ADMS["schemeAgency"], Lit("DataCite"))
        t.add(ds, ADMS["identifier"], node)
    elif identifier:
        t.add(ds, DCT["identifier"], _literal(identifier.get("value")))
    for alternate in record.get("alternate_identifiers", ()):
        if _text(alternate.get("value")):
            node = t.typed(_blank(), ADMS["Identifier"])
            t.add(node, SKOS["notation"], _literal(alternate.get("value")))
            t.add(node, ADMS["schemeAgency"], _literal(alternate.get("type")))
            t.add(ds, ADMS["identifier"], node)


def _texts(t: _Triples, ds: Iri, record: Data) -> None:
    titled = described = False
    for title in record.get("titles", ()):
        main = _known(title.get("title_type"), vocab.TITLE_TYPE) in (None, "TranslatedTitle")
        if (value := _literal(title.get("value"), title.get("lang"))) is not None:
            t.add(ds, DCT["title"] if main else DCT["alternative"], value)
            titled = titled or main
    for description in record.get("descriptions", ()):
        if (value := _literal(description.get("value"), description.get("lang"))) is not None:
            t.add(ds, DCT["description"], value)
            described = True
    # dct:title and dct:description are mandatory: the DataCite export's placeholder, again.
    if not titled:
        t.add(ds, DCT["title"], Lit("(:unav)"))
    if not described:
        t.add(ds, DCT["description"], Lit("(:unav)"))


def _subjects(t: _Triples, ds: Iri, record: Data) -> None:
    for subject in record.get("subjects", ()):
        keyword = _literal(subject.get("value"), subject.get("lang"))
        t.add(ds, DCAT["keyword"], keyword)
        concept = iri(subject["value_uri"]) if subject.get("value_uri") else None
        if concept is not None and keyword is not None:
            t.add(ds, DCAT["theme"], t.typed(concept, SKOS["Concept"]))
            t.add(concept, SKOS["prefLabel"], keyword)


def _relations(t: _Triples, ds: Iri, record: Data) -> None:
    for related in record.get("related_identifiers", ()):
        kind = _known(related.get("related_identifier_type"), vocab.RELATED_IDENTIFIER_TYPE)
        target = identifier_iri(_text(related.get("value")), kind)
        if target is not None:
            relation = _known(related.get("relation_type"), vocab.RELATION_TYPE)
            t.add(ds, _RELATIONS.get(relation or "", DCT["relation"]), target)


def _access_rights(t: _Triples, ds: Iri, record: Data) -> None:
    value = _text(record.get("access_rights"))
    if not value:
        return
    level = access_level(value)
    node = Iri(ACCESS_RIGHT_AUTHORITY + level) if level else iri(value)
    if node is None:
        node = _blank()
        t.add(node, RDFS["label"], Lit(value))
    t.add(ds, DCT["accessRights"], t.typed(node, DCT["RightsStatement"]))


def _rdflib_term(term: Term) -> Node:
    if isinstance(term, Lit):
        return term.rdflib()
    if isinstance(term, Iri):
        return URIRef(term)
    if isinstance(term, Blank):
        return BNode(term)
    return term  # an rdflib term already: our predicates and classes


def _rdflib(triples: list) -> list[Triple]:
    return [(_rdflib_term(s), p, _rdflib_term(o)) for s, p, o in triples]


def dataset_triples(record: Record | Data, catalogue_id: str,
                    options: ExportOptions | None = None) -> list[Triple]:
    """The triples of one record's dcat:Dataset (pure); the dataset is the first subject."""
    return _rdflib(_dataset_triples(record_data(record), catalogue_id,
                                    options or ExportOptions()))


def _dataset_triples(record: Data, catalogue_id: str, options: ExportOptions) -> list:
    ds = _dataset_iri(catalogue_id, options)
    t = _Triples()
    t.typed(ds, DCAT["Dataset"])
    _texts(t, ds, record)
    _identifiers(t, ds, record)
    _subjects(t, ds, record)
    _publisher(t, ds, record)
    for person in record.get("creators", ()):
        t.add(ds, DCT["creator"], _agent(t, person))
    _contact_points(t, ds, record, options)
    _dates(t, ds, record)
    for location in record.get("geo_locations", ()):
        _location(t, ds, location)
    language = language_iri(record.get("language"))
    t.add(ds, DCT["language"], language)
    if language is not None:
        t.typed(language, DCT["LinguisticSystem"])
    landing = iri(record["landing_page"]) if record.get("landing_page") else None
    doi = _doi(record)
    if landing is None and doi:
        landing = doi_iri(doi)  # a DOI resolves to the landing page
    if landing is not None:
        t.add(ds, DCAT["landingPage"], t.typed(landing, FOAF["Document"]))
    for standard in record.get("conforms_to", ()):
        node = iri(standard)
        if node is None and _text(standard):
            node = _blank()
            t.add(node, RDFS["label"], Lit(_text(standard)))
        if node is not None:
            t.add(ds, DCT["conformsTo"], t.typed(node, DCT["Standard"]))
    if version := _literal(record.get("version")):
        t.add(ds, DCAT["version"], version)
        t.add(ds, OWL["versionInfo"], version)
    _access_rights(t, ds, record)
    _relations(t, ds, record)
    _distributions(t, ds, record, landing)
    return list(t)


def dataset_graph(record: Record | Data, catalogue_id: str,
                  options: ExportOptions | None = None) -> Graph:
    """One record's dcat:Dataset as an rdflib Graph (pure; for the provider's DCAT endpoint)."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    for triple in dataset_triples(record, catalogue_id, options):
        graph.add(triple)
    return graph


def catalogue_triples(options: ExportOptions) -> list[Triple]:
    """The dcat:Catalog that holds the export (its mandatory title, description, publisher)."""
    return _rdflib(_catalogue_triples(options))


def _catalogue_triples(options: ExportOptions) -> list:
    catalogue = _catalogue_iri(options)
    home = Iri(options.base_url.rstrip("/") + "/")
    t = _Triples()
    t.typed(catalogue, DCAT["Catalog"])
    t.add(catalogue, DCT["title"], Lit("OS10 open science catalogue", "en"))
    t.add(catalogue, DCT["description"], Lit(
        "Research data and publications harvested from the partner repositories of the OS10 "
        "network and merged into one catalogue.", "en"))
    publisher = t.typed(_blank(), FOAF["Agent"])
    t.add(publisher, FOAF["name"], Lit("OS10 network", "en"))
    t.add(catalogue, DCT["publisher"], publisher)
    t.add(catalogue, FOAF["homepage"], t.typed(home, FOAF["Document"]))
    return list(t)


# --- writing triples -------------------------------------------------------------------------------

@lru_cache(maxsize=256)  # predicates, classes and datatypes only: a bounded set
def compact(term: URIRef) -> str | None:
    """"dct:title" for a term of one of our vocabularies; None for any other IRI."""
    text = str(term)
    for prefix, namespace in PREFIXES.items():
        if text.startswith(namespace):
            local = text[len(namespace):]
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", local):
                return f"{prefix}:{local}"
    return None


def _grouped(triples: list[Triple]) -> dict[Node, list[tuple[URIRef, Node]]]:
    nodes: dict[Node, list[tuple[URIRef, Node]]] = {}
    for s, p, o in triples:
        nodes.setdefault(s, []).append((p, o))
    return nodes


def _name(term: URIRef) -> str:
    name = compact(term)
    if name is None:  # every predicate we write is in PREFIXES; anything else is a bug here
        raise ExportError(f"{term} is not in a namespace the DCAT export declares.")
    return name


_TURTLE_ESCAPES = re.compile(r'[\\"\n\r]')
_XML_ESCAPES = re.compile(r"[&<>\r]")
_XML_ATTRIBUTE_ESCAPES = re.compile(r'[&<>\r"\n\t]')


def _turtle_string(text: str) -> str:
    if _TURTLE_ESCAPES.search(text):
        text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
            .replace("\r", "\\r")
    return f'"{text}"'


def _turtle_term(term: Node | Lit) -> str:
    if isinstance(term, Lit):
        text = _turtle_string(term.value)
        if term.lang:
            return f"{text}@{term.lang}"
        if term.datatype:
            return f"{text}^^{compact(term.datatype) or '<' + term.datatype + '>'}"
        return text
    return f"<{term}>"


def _turtle_block(nodes: dict, subject: Node, indent: str, seen: set) -> str:
    lines = []
    for p, o in nodes.get(subject, ()):
        if p is TYPE:  # our triples all use this very object: identity is enough, and fast
            lines.append(f"a {_name(o)}")
        elif isinstance(o, Blank) and o not in seen:
            seen.add(o)
            inner = _turtle_block(nodes, o, indent + "    ", seen)
            lines.append(f"{_name(p)} [\n{indent}    {inner}\n{indent}]")
        else:
            lines.append(f"{_name(p)} {_turtle_term(o)}")
    return f" ;\n{indent}".join(lines)


def _xml_text(text: str) -> str:
    if not _XML_ESCAPES.search(text):  # most values: nothing to do
        return text
    # CR as a reference, or XML parsers would read it back as LF.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace("\r", "&#13;")


def _xml_attr(text: str) -> str:
    if _XML_ATTRIBUTE_ESCAPES.search(text):
        text = _xml_text(text).replace('"', "&quot;").replace("\n", "&#10;") \
            .replace("\t", "&#9;")
    return f'"{text}"'


def _rdfxml_properties(nodes: dict, subject: Node, indent: str, seen: set) -> list[str]:
    lines = []
    for p, o in nodes.get(subject, ()):
        name = _name(p)
        if isinstance(o, Lit):
            attrs = ""
            if o.lang:
                attrs = f" xml:lang={_xml_attr(o.lang)}"
            elif o.datatype:
                attrs = f" rdf:datatype={_xml_attr(str(o.datatype))}"
            lines.append(f"{indent}<{name}{attrs}>{_xml_text(o.value)}</{name}>")
        elif isinstance(o, Blank) and o not in seen:
            seen.add(o)
            inner = _rdfxml_properties(nodes, o, indent + "  ", seen)
            lines.append(f'{indent}<{name} rdf:parseType="Resource">')
            lines.extend(inner)
            lines.append(f"{indent}</{name}>")
        elif isinstance(o, Blank):
            lines.append(f'{indent}<{name} rdf:nodeID="{o}"/>')
        else:
            lines.append(f"{indent}<{name} rdf:resource={_xml_attr(str(o))}/>")
    return lines


def _jsonld_value(nodes: dict, term: Node, seen: set) -> object:
    if isinstance(term, Lit):
        if term.lang:
            return {"@value": term.value, "@language": term.lang}
        if term.datatype:
            return {"@value": term.value, "@type": compact(term.datatype) or str(term.datatype)}
        return term.value
    if term in nodes and term not in seen:
        return _jsonld_node(nodes, term, seen)
    return {"@id": str(term)}


def _jsonld_node(nodes: dict, subject: Node, seen: set) -> dict:
    seen.add(subject)
    node: dict[str, object] = {} if isinstance(subject, Blank) else {"@id": str(subject)}
    types: list[str] = []
    for p, o in nodes.get(subject, ()):
        if p is TYPE:
            types.append(_name(o))
            continue
        value = _jsonld_value(nodes, o, seen)
        key = _name(p)
        if key in node:
            existing = node[key]
            node[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            node[key] = value
    if types:
        node = {"@type": types[0] if len(types) == 1 else types, **node}
        if "@id" in node:
            node = {"@id": node.pop("@id"), **node}
    return node


def _top_subjects(nodes: dict) -> Iterator[Node]:
    return (s for s in nodes if not isinstance(s, Blank))


# --- the exporters ---------------------------------------------------------------------------------

class _DcatExporter:
    """begin() writes the catalogue, write() one dataset's triples, end() closes the document."""

    name: ClassVar[str]
    suffix: ClassVar[str]
    media_type: ClassVar[str]

    def __init__(self, out: IO[str], options: ExportOptions | None = None) -> None:
        self.out = out
        self.options = options or ExportOptions()
        self.catalogue = _catalogue_iri(self.options)

    def begin(self) -> None:
        self.out.write(self._open(_grouped(_catalogue_triples(self.options))))

    def write(self, item: ExportItem) -> None:
        self.out.write(self.render(item))

    def render(self, item: ExportItem) -> str:
        """What write() writes for the item: it depends on nothing else (see Exporter)."""
        record = None if item.deleted else item.data
        if record is None:
            return ""  # DCAT has no tombstones: a deleted dataset is simply absent
        triples = _dataset_triples(record, item.id, self.options)
        return self._dataset(triples[0][0], _grouped(triples))

    def end(self) -> None:
        self.out.write(self._close())

    def _open(self, catalogue: dict) -> str:
        raise NotImplementedError

    def _dataset(self, dataset: Iri, nodes: dict) -> str:
        raise NotImplementedError

    def _close(self) -> str:
        raise NotImplementedError


class DcatTurtleExporter(_DcatExporter):
    name = "dcat-ttl"
    suffix = ".ttl"
    media_type = "text/turtle"

    def _open(self, catalogue: dict) -> str:
        return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + \
            self._subjects(catalogue)

    def _subjects(self, nodes: dict) -> str:
        seen: set = set()
        return "".join(f"\n<{subject}> {_turtle_block(nodes, subject, '    ', seen)} .\n"
                       for subject in _top_subjects(nodes))

    def _dataset(self, dataset: Iri, nodes: dict) -> str:
        return f"\n<{self.catalogue}> dcat:dataset <{dataset}> .\n" + self._subjects(nodes)

    def _close(self) -> str:
        return ""


class DcatRdfXmlExporter(_DcatExporter):
    name = "dcat-rdfxml"
    suffix = ".rdf"
    media_type = "application/rdf+xml"

    def _open(self, catalogue: dict) -> str:
        namespaces = "".join(f"\n    xmlns:{p}={_xml_attr(ns)}" for p, ns in PREFIXES.items())
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<rdf:RDF{namespaces}>\n' + \
            self._subjects(catalogue)

    def _subjects(self, nodes: dict) -> str:
        seen: set = set()
        lines: list[str] = []
        for subject in _top_subjects(nodes):
            lines.append(f"  <rdf:Description rdf:about={_xml_attr(subject)}>")
            lines += _rdfxml_properties(nodes, subject, "    ", seen)
            lines.append("  </rdf:Description>")
        return "\n".join(lines) + "\n" if lines else ""

    def _dataset(self, dataset: Iri, nodes: dict) -> str:
        return (f"  <rdf:Description rdf:about={_xml_attr(self.catalogue)}>"
                f"<dcat:dataset rdf:resource={_xml_attr(dataset)}/>"
                "</rdf:Description>\n") + self._subjects(nodes)

    def _close(self) -> str:
        return "</rdf:RDF>\n"


class DcatJsonLdExporter(_DcatExporter):
    name = "dcat-jsonld"
    suffix = ".jsonld"
    media_type = "application/ld+json"

    def _open(self, catalogue: dict) -> str:
        node = _jsonld_node(catalogue, self.catalogue, set())
        return '{"@context": ' + json.dumps(JSONLD_CONTEXT) + ',\n"@graph": [\n' + \
            json.dumps(node, ensure_ascii=False)

    def _dataset(self, dataset: Iri, nodes: dict) -> str:
        # One node object per record: everything it points to is embedded in it, and the
        # catalogue's dcat:dataset link is stated from this side with @reverse.
        node = _jsonld_node(nodes, dataset, set())
        node["@reverse"] = {"dcat:dataset": {"@id": str(self.catalogue)}}
        return ",\n" + json.dumps(node, ensure_ascii=False)

    def _close(self) -> str:
        return "\n]}\n"
