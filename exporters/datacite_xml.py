"""DataCite kernel 4.6 XML: one <resource> per catalogue entry inside our <catalogue> wrapper.

The file is ours, the records are DataCite's: a `<catalogue>` root in the os10 namespace holds one
`<entry>` per item, each wrapping a `<resource>` that validates on its own against the kernel 4.6
XSD (which has no collection element). Deleted items become `<deleted id=... datestamp=.../>`
markers so that an incremental (`--since`) export can carry deletions downstream.

Kernel 4.6, the newer of the two kernels our consumers take (4.5, 4.6): a superset of 4.5, so
fewer of the model's values need writing down. The model speaks 4.7; its few 4.7-only values are
written down to 4.6 (`_GENERAL_46`, `_related_type`); docs/exports.md lists every such rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import IO, ClassVar
from urllib.parse import quote

from lxml import etree

from exporters.base import ExportItem, ExportOptions
from safexml import clean_text
from schemas import Creator, GeoBox, GeoPoint, Record
from schemas import vocabularies as vocab

KERNEL = "http://datacite.org/schema/kernel-4"
SCHEMA_VERSION = "4.6"
SCHEMA_LOCATION = f"{KERNEL} http://schema.datacite.org/meta/kernel-{SCHEMA_VERSION}/metadata.xsd"
CATALOGUE_NS = "https://schema.os10.example.org/catalogue/1.0"
CATALOGUE_ID_TYPE = "os10-catalogue"  # alternateIdentifierType of the catalogue id
XSI = "http://www.w3.org/2001/XMLSchema-instance"

# DataCite's standard values for unknown information (metadata schema, appendix 3).
UNAVAILABLE = "(:unav)"
UNKNOWN = "(:unkn)"

_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")  # xs:language
_YEAR = re.compile(r"^(\d{4})")
_URL = re.compile(r"^(?:https?|ftp)://\S+$", re.IGNORECASE)

# Values kernel 4.7 added and 4.6 does not know.
_GENERAL_46 = vocab.RESOURCE_TYPE_GENERAL - {"Poster", "Presentation"}
_RELATED_TYPE_46 = vocab.RELATED_IDENTIFIER_TYPE - {"RAiD", "SWHID"}
_RELATION_46 = vocab.RELATION_TYPE - {"Other"}
# Where a 4.7-only identifier type resolves, so that it can travel as a URL.
_RESOLVERS = {"SWHID": "https://archive.softwareheritage.org/", "RAiD": "https://raid.org/"}


def _text(value: object) -> str:
    """Text that XML 1.0 can carry: partners send control characters, XML has no place for them."""
    if value is None:
        return ""
    return clean_text((value if isinstance(value, str) else str(value)).strip())


def _lang(value: str | None) -> str | None:
    return value if value and _LANGUAGE.match(value) else None


_MARKUP = re.compile(r"[&<>\r]")
_ATTRIBUTE_MARKUP = re.compile(r"[&<>\r\"\n\t]")


def _escape(text: str) -> str:
    if not _MARKUP.search(text):  # most values: nothing to do
        return text
    # CR as a reference, or XML parsers would read it back as LF.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace("\r", "&#13;")


def _escape_attribute(text: str) -> str:
    if not _ATTRIBUTE_MARKUP.search(text):
        return text
    return _escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


class _Element:
    """A node of the resource being written: plain objects and one join are several times
    faster than building an lxml tree, which only `resource_element` needs (it parses)."""

    __slots__ = ("attrib", "children", "name", "text")

    def __init__(self, name: str, attrib: dict[str, str] | None = None,
                 text: str | None = None) -> None:
        self.name, self.attrib, self.text = name, attrib, text
        self.children: list[_Element] = []

    def __len__(self) -> int:
        return len(self.children)

    def append(self, child: _Element) -> None:
        self.children.append(child)

    def write(self, parts: list[str]) -> None:
        parts.append("<" + self.name)
        if self.attrib:
            parts.extend(f' {key}="{_escape_attribute(value)}"'
                         for key, value in self.attrib.items())
        if self.children:
            parts.append(">")
            for child in self.children:
                child.write(parts)
            parts.append(f"</{self.name}>")
        elif self.text:
            parts.append(f">{_escape(self.text)}</{self.name}>")
        else:
            parts.append("/>")


# The attributes the kernel types xs:anyURI. A value that is no URI reference would make the
# resource invalid: what URIs cannot hold is percent-encoded, and what is still no URI
# reference (a bad scheme or host, "1:x") is left out; the text it qualifies stays.
_URI_ATTRIBUTES = frozenset({"schemeURI", "valueURI", "rightsURI", "awardURI",
                             "classificationCode"})
_NOT_IN_URI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f\[\]]|%(?![0-9A-Fa-f]{2})')
_URI_HEAD = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.-]*:|(?=[^:]*(?:[/?#]|\Z)))"  # a scheme, or none
    r"(//(?:(?:[^/?#@\[\]%]|%[0-9A-Fa-f]{2})*@)?"  # an authority: user information,
    r"(?:(?:\[[0-9A-Fa-f:.]+\]|(?:[^/?#:@\[\]%]|%[0-9A-Fa-f]{2})+)"  # host
    r"(?::\d+)?)?(?=[/?#]|\Z))?")  # and port


def _uri(value: object) -> str:
    """An xs:anyURI attribute value, or "" (left out) when the text is no URI reference."""
    text = _text(value)
    head = _URI_HEAD.match(text)
    rest = text[head.end():] if head else "//"
    if rest.startswith("//"):  # no scheme the grammar allows, or an authority it does not
        return ""
    fragment = rest.find("#")
    if fragment >= 0:  # one fragment: a later "#" is data
        rest = rest[:fragment + 1] + rest[fragment + 1:].replace("#", "%23")
    encode = lambda m: quote(m.group(), safe="")  # noqa: E731 - one use, here
    return head.group() + _NOT_IN_URI.sub(encode, rest)


def _sub(parent: _Element, name: str, text: object = None,
         attrs: Iterable[tuple[str, object]] = (), lang: str | None = None) -> _Element:
    attrib = {key: cleaned for key, value in attrs if value is not None and (
        cleaned := _uri(value) if key in _URI_ATTRIBUTES else _text(value))} if attrs else {}
    if lang and _LANGUAGE.match(lang):
        attrib["xml:lang"] = lang
    element = _Element(name, attrib, _text(text) if text is not None else None)
    parent.children.append(element)
    return element


# --- the mandatory properties ----------------------------------------------------------------------

def _identifier(resource: _Element, record: Record, missing: list[str]) -> None:
    # DataCite's identifier is a DOI; any other primary identifier travels as an
    # alternateIdentifier (see _alternate_identifiers) and the DOI slot gets the placeholder.
    doi = record.doi and _text(record.doi)
    if not doi:
        missing.append("identifier")
    _sub(resource, "identifier", doi or UNAVAILABLE, [("identifierType", "DOI")])


def _name_parts(parent: _Element, person: Creator, tag: str, placeholder: str) -> None:
    name_type = person.name_type if person.name_type in vocab.NAME_TYPE else None
    _sub(parent, f"{tag}Name", _text(person.name) or placeholder, [("nameType", name_type)],
         lang=person.lang)
    if person.given_name and _text(person.given_name):
        _sub(parent, "givenName", person.given_name)
    if person.family_name and _text(person.family_name):
        _sub(parent, "familyName", person.family_name)
    for identifier in person.name_identifiers:
        if _text(identifier.identifier):
            # nameIdentifierScheme is required; an identifier of unknown scheme keeps its value.
            _sub(parent, "nameIdentifier", identifier.identifier,
                 [("nameIdentifierScheme", identifier.scheme or UNKNOWN),
                  ("schemeURI", identifier.scheme_uri)])
    for affiliation in person.affiliations:
        _sub(parent, "affiliation", _text(affiliation.name) or UNAVAILABLE,
             [("affiliationIdentifier", affiliation.identifier),
              ("affiliationIdentifierScheme", affiliation.identifier_scheme),
              ("schemeURI", "https://ror.org/" if (affiliation.identifier_scheme or "").upper()
               == "ROR" else None)])


def _creators(resource: _Element, record: Record, missing: list[str]) -> None:
    creators = _sub(resource, "creators")
    for person in record.creators:
        _name_parts(_sub(creators, "creator"), person, "creator", UNKNOWN)
    if not record.creators:
        missing.append("creators")
        _sub(_sub(creators, "creator"), "creatorName", UNKNOWN)


def _titles(resource: _Element, record: Record, missing: list[str]) -> None:
    titles = _sub(resource, "titles")
    for title in record.titles:
        if _text(title.value):
            title_type = title.title_type if title.title_type in vocab.TITLE_TYPE else None
            _sub(titles, "title", title.value, [("titleType", title_type)], lang=title.lang)
    if not len(titles):
        missing.append("titles")
        _sub(titles, "title", UNAVAILABLE)


def _publisher(resource: _Element, record: Record, missing: list[str]) -> None:
    publisher = record.publisher
    if publisher is None or not _text(publisher.name):
        missing.append("publisher")
        _sub(resource, "publisher", UNAVAILABLE)
        return
    _sub(resource, "publisher", publisher.name,
         [("publisherIdentifier", publisher.identifier),
          ("publisherIdentifierScheme", publisher.identifier_scheme),
          ("schemeURI", publisher.scheme_uri)], lang=publisher.lang)


_YEAR_DATES = ("Issued", "Available", "Created", "Submitted", "Accepted", "Copyrighted")


def publication_year(record: Record, datestamp: datetime | None = None) -> int | None:
    """The year to write: the record's, else its first dated event, else the catalogue's own."""
    if record.publication_year is not None and 0 <= record.publication_year <= 9999:
        return record.publication_year
    for kind in _YEAR_DATES:
        for date in record.dates:
            if date.date_type == kind and (match := _YEAR.match(date.value)):
                return int(match.group(1))
    provenance = record.provenance
    for moment in (datestamp, provenance and provenance.datestamp,
                   provenance and provenance.harvested_at):
        if moment is not None:
            return moment.year
    return None


def _publication_year(resource: _Element, record: Record, missing: list[str],
                      datestamp: datetime | None) -> None:
    year = publication_year(record, datestamp)
    if record.publication_year is None or year != record.publication_year:
        missing.append("publicationYear")
    # yearType is four digits: no placeholder fits, so "0000" marks a year nobody knows.
    _sub(resource, "publicationYear", f"{year:04d}" if year is not None else "0000")


def _resource_type(resource: _Element, record: Record, missing: list[str]) -> None:
    kind = record.resource_type
    general = kind.general if kind else None
    value = _text(kind.value) if kind and kind.value else ""
    if general is None:
        missing.append("resourceType")
        general, value = "Other", value or UNAVAILABLE
    elif general not in _GENERAL_46:  # a 4.7-only type: Other, keeping its name as the text
        general, value = "Other", value or general
    _sub(resource, "resourceType", value, [("resourceTypeGeneral", general)])


# --- the optional properties -----------------------------------------------------------------------

def _subjects(resource: _Element, record: Record) -> None:
    items = [s for s in record.subjects if _text(s.value)]
    if items:
        parent = _sub(resource, "subjects")
        for s in items:
            _sub(parent, "subject", s.value,
                 [("subjectScheme", s.scheme), ("schemeURI", s.scheme_uri),
                  ("valueURI", s.value_uri), ("classificationCode", s.classification_code)],
                 lang=s.lang)


def _contributors(resource: _Element, record: Record) -> None:
    if record.contributors:
        parent = _sub(resource, "contributors")
        for person in record.contributors:
            kind = person.contributor_type
            element = _sub(parent, "contributor", attrs=[
                ("contributorType", kind if kind in vocab.CONTRIBUTOR_TYPE else "Other")])
            _name_parts(element, person, "contributor", UNKNOWN)


def _dates(resource: _Element, record: Record) -> None:
    items = [d for d in record.dates if _text(d.value)]
    if items:
        parent = _sub(resource, "dates")
        for d in items:
            kind = d.date_type if d.date_type in vocab.DATE_TYPE else "Other"
            _sub(parent, "date", d.value, [("dateType", kind), ("dateInformation", d.information)])


def _language(resource: _Element, record: Record) -> None:
    if language := _lang(record.language):
        _sub(resource, "language", language)


def _alternate_identifiers(resource: _Element, record: Record,
                           catalogue_id: str | None) -> None:
    rows: list[tuple[str, str]] = []
    if catalogue_id:
        rows.append((catalogue_id, CATALOGUE_ID_TYPE))
    if record.identifier and not record.doi:
        rows.append((record.identifier.value, record.identifier.type))
    rows += [(a.value, a.type or UNKNOWN) for a in record.alternate_identifiers]
    rows = [(v, t) for v, t in rows if _text(v)]
    if rows:
        parent = _sub(resource, "alternateIdentifiers")
        for value, kind in rows:
            _sub(parent, "alternateIdentifier", value, [("alternateIdentifierType", kind)])


def _related_type(kind: str | None, value: str) -> tuple[str | None, str]:
    """A kernel 4.6 relatedIdentifierType for (type, value); None when there is none."""
    if kind in _RELATED_TYPE_46:
        return kind, value
    if _URL.match(value):
        return "URL", value
    if kind in _RESOLVERS:
        return "URL", _RESOLVERS[kind] + value
    return None, value


def _related_identifiers(resource: _Element, record: Record) -> None:
    parent = None
    for r in record.related_identifiers:
        kind, value = _related_type(r.related_identifier_type, _text(r.value))
        # Both attributes are required; a relation we cannot type is left out, not guessed.
        if kind is None or r.relation_type not in _RELATION_46 or not value:
            continue
        if parent is None:
            parent = _sub(resource, "relatedIdentifiers")
        general = r.resource_type_general
        _sub(parent, "relatedIdentifier", value,
             [("relatedIdentifierType", kind), ("relationType", r.relation_type),
              ("resourceTypeGeneral", general if general in _GENERAL_46 else None),
              ("relatedMetadataScheme", r.related_metadata_scheme),
              ("schemeURI", r.scheme_uri), ("schemeType", r.scheme_type)])


def _strings(resource: _Element, wrapper: str, tag: str, values: list[str]) -> None:
    values = [v for v in values if _text(v)]
    if values:
        parent = _sub(resource, wrapper)
        for value in values:
            _sub(parent, tag, value)


def _version(resource: _Element, record: Record) -> None:
    if record.version and _text(record.version):
        _sub(resource, "version", record.version)


def _rights(resource: _Element, record: Record) -> None:
    if record.rights:
        parent = _sub(resource, "rightsList")
        for r in record.rights:
            if r.spdx_id:
                identifier, scheme, scheme_uri = r.spdx_id, "SPDX", "https://spdx.org/licenses/"
            else:
                identifier, scheme = r.rights_identifier, r.rights_identifier_scheme
                scheme_uri = r.scheme_uri
            _sub(parent, "rights", r.statement or "",
                 [("rightsURI", r.uri), ("rightsIdentifier", identifier),
                  ("rightsIdentifierScheme", scheme), ("schemeURI", scheme_uri)], lang=r.lang)


def _descriptions(resource: _Element, record: Record) -> None:
    items = [d for d in record.descriptions if _text(d.value)]
    if items:
        parent = _sub(resource, "descriptions")
        for d in items:
            kind = d.description_type if d.description_type in vocab.DESCRIPTION_TYPE else "Other"
            _sub(parent, "description", d.value, [("descriptionType", kind)], lang=d.lang)


def _number(value: float, limit: float) -> str | None:
    return repr(float(value)) if math.isfinite(value) and -limit <= value <= limit else None


def _point(parent: _Element, tag: str, point: GeoPoint) -> None:
    longitude, latitude = _number(point.longitude, 180), _number(point.latitude, 90)
    if longitude is not None and latitude is not None:
        element = _sub(parent, tag)
        _sub(element, "pointLongitude", longitude)
        _sub(element, "pointLatitude", latitude)


def _box(parent: _Element, box: GeoBox) -> None:
    bounds = [("westBoundLongitude", _number(box.west, 180)),
              ("eastBoundLongitude", _number(box.east, 180)),
              ("southBoundLatitude", _number(box.south, 90)),
              ("northBoundLatitude", _number(box.north, 90))]
    if all(value is not None for _, value in bounds):
        element = _sub(parent, "geoLocationBox")
        for tag, value in bounds:
            _sub(element, tag, value)


def _valid_point(point: GeoPoint) -> bool:
    return _number(point.longitude, 180) is not None and _number(point.latitude, 90) is not None


def _geo_locations(resource: _Element, record: Record) -> None:
    parent = None
    for location in record.geo_locations:
        element = _Element("geoLocation")
        if location.place and _text(location.place):
            _sub(element, "geoLocationPlace", location.place)
        if location.point is not None:
            _point(element, "geoLocationPoint", location.point)
        if location.box is not None:
            _box(element, location.box)
        # The XSD wants at least four polygon points; a shorter ring is not a polygon.
        if len(location.polygon) >= 4 and all(_valid_point(p) for p in location.polygon):
            polygon = _sub(element, "geoLocationPolygon")
            for point in location.polygon:
                _point(polygon, "polygonPoint", point)
        if len(element):  # a geoLocation needs at least one child
            if parent is None:
                parent = _sub(resource, "geoLocations")
            parent.append(element)


def _funding_references(resource: _Element, record: Record) -> None:
    items = [f for f in record.funding_references if _text(f.funder_name)]
    if items:
        parent = _sub(resource, "fundingReferences")
        for f in items:
            element = _sub(parent, "fundingReference")
            _sub(element, "funderName", f.funder_name)
            if f.funder_identifier and _text(f.funder_identifier):
                kind = f.funder_identifier_type
                _sub(element, "funderIdentifier", f.funder_identifier, [
                    ("funderIdentifierType", kind if kind in vocab.FUNDER_IDENTIFIER_TYPE
                     else "Other")])
            if f.award_number or f.award_uri:
                _sub(element, "awardNumber", f.award_number or "", [("awardURI", f.award_uri)])
            if f.award_title and _text(f.award_title):
                _sub(element, "awardTitle", f.award_title)


# The optional properties in DataCite's documented order; each writes nothing when empty.
_OPTIONAL: tuple[Callable[[_Element, Record], None], ...] = (
    _subjects, _contributors, _dates, _language,
)
_LATER: tuple[Callable[[_Element, Record], None], ...] = (
    _related_identifiers,
    lambda resource, record: _strings(resource, "sizes", "size", record.sizes),
    lambda resource, record: _strings(resource, "formats", "format", record.formats),
    _version, _rights, _descriptions, _geo_locations, _funding_references,
)


def build_resource(record: Record, *, catalogue_id: str | None = None,
                   datestamp: datetime | None = None) -> tuple[str, list[str]]:
    """The <resource> as XML text and the mandatory properties that got a placeholder."""
    missing: list[str] = []
    resource = _Element("resource", {"xmlns": KERNEL, "xmlns:xsi": XSI,
                                     "xsi:schemaLocation": SCHEMA_LOCATION})
    _identifier(resource, record, missing)
    _creators(resource, record, missing)
    _titles(resource, record, missing)
    _publisher(resource, record, missing)
    _publication_year(resource, record, missing, datestamp)
    _resource_type(resource, record, missing)
    for write in _OPTIONAL:
        write(resource, record)
    _alternate_identifiers(resource, record, catalogue_id)
    for write in _LATER:
        write(resource, record)
    parts: list[str] = []
    resource.write(parts)
    return "".join(parts), missing


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def resource_element(record: Record, *, catalogue_id: str | None = None,
                     datestamp: datetime | None = None) -> etree._Element:
    """One record as a kernel-4.6 <resource> (pure; the OAI-PMH provider's oai_datacite)."""
    text, _ = build_resource(record, catalogue_id=catalogue_id, datestamp=datestamp)
    return etree.fromstring(text, _PARSER)


# --- the exporter ----------------------------------------------------------------------------------

def _quote(value: str) -> str:
    """An XML attribute value in double quotes, safe for any text."""
    return f'"{_escape_attribute(clean_text(value))}"'


def utc_stamp(moment: datetime) -> str:
    """An ISO 8601 UTC timestamp; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class DataCiteXmlExporter:
    """Streams `<catalogue>`: begin writes the root, each item one `<entry>` or `<deleted>`."""

    name: ClassVar[str] = "datacite-xml"
    suffix: ClassVar[str] = ".xml"
    media_type: ClassVar[str] = "application/xml"

    def __init__(self, out: IO[str], options: ExportOptions | None = None) -> None:
        self.out = out
        self.options = options or ExportOptions()

    def begin(self) -> None:
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                       f'<catalogue xmlns="{CATALOGUE_NS}" schemaVersion="{SCHEMA_VERSION}" '
                       f"baseURL={_quote(self.options.base_url)}>\n")

    def write(self, item: ExportItem) -> None:
        head = f"id={_quote(item.id)} datestamp={_quote(utc_stamp(item.datestamp))}"
        if item.deleted or item.record is None:
            self.out.write(f"<deleted {head}/>\n")
            return
        resource, missing = build_resource(item.record, catalogue_id=item.id,
                                           datestamp=item.datestamp)
        if item.sources:
            head += f" sources={_quote(' '.join(item.sources))}"
        if missing:
            head += f" placeholders={_quote(' '.join(missing))}"
        self.out.write(f"<entry {head}>{resource}</entry>\n")

    def end(self) -> None:
        self.out.write("</catalogue>\n")
