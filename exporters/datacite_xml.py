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
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import IO, Any, ClassVar
from urllib.parse import quote

from lxml import etree

from exporters.base import ExportItem, ExportOptions, record_data
from safexml import clean_text
from schemas import Record
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


@lru_cache(maxsize=4096)  # scheme URIs, licences, ORCID and ROR bases repeat across records
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


# --- writing elements ------------------------------------------------------------------------------
# The resource is written as text straight from the stored JSON: no model, no tree. Values are
# cleaned (`_text`) and escaped in one step; an attribute whose value is None or empty once
# cleaned is left out, and an element without text or children is written empty (<rights/>).

Data = Mapping[str, Any]
Parts = list[str]

# Anything `_text` or the escapes would change inside a value; most values hold none of it.
_SPECIAL = re.compile('[&<>"\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]')


def _content(value: object) -> str:
    """`_text(value)` escaped as element content."""
    if value is None:
        return ""
    text = (value if isinstance(value, str) else str(value)).strip()
    return text if _SPECIAL.search(text) is None else _escape(clean_text(text))


xml_text = _content  # for the other XML writers (the OAI-PMH provider)


def _attribute(value: object) -> str:
    """`_text(value)` escaped as an attribute value."""
    if value is None:
        return ""
    text = (value if isinstance(value, str) else str(value)).strip()
    return text if _SPECIAL.search(text) is None else _escape_attribute(clean_text(text))


@lru_cache(maxsize=4096)
def _uri_attribute(value: object) -> str:
    return _escape_attribute(_uri(value))


def _attributes(pairs: Iterable[tuple[str, object]], lang: str | None = None) -> str:
    """` name="value" ...` of the pairs whose value is not None or empty once cleaned."""
    out = ""
    for key, value in pairs:
        if value is not None:
            text = _uri_attribute(value) if key in _URI_ATTRIBUTES else _attribute(value)
            if text:
                out += f' {key}="{text}"'
    if lang and _LANGUAGE.match(lang):
        out += f' xml:lang="{_escape_attribute(lang)}"'
    return out


def _lang_attribute(lang: str | None) -> str:
    return f' xml:lang="{_escape_attribute(lang)}"' if lang and _LANGUAGE.match(lang) else ""


def _leaf(parts: Parts, name: str, content: str, attributes: str = "") -> None:
    """<name attributes>content</name>, or <name attributes/>; `content` is escaped text."""
    parts.append(f"<{name}{attributes}>{content}</{name}>" if content
                 else f"<{name}{attributes}/>")


def _get(data: Data | None, key: str) -> Any:
    return data.get(key) if data else None


def _doi(record: Data) -> str | None:
    identifier = record.get("identifier")
    if identifier and (identifier.get("type") or "").upper() == "DOI":
        return identifier.get("value")
    return None


# --- the mandatory properties ----------------------------------------------------------------------

def _identifier(parts: Parts, record: Data, missing: list[str]) -> None:
    # DataCite's identifier is a DOI; any other primary identifier travels as an
    # alternateIdentifier (see _alternate_identifiers) and the DOI slot gets the placeholder.
    doi = _content(_doi(record))
    if not doi:
        missing.append("identifier")
    parts.append(f'<identifier identifierType="DOI">{doi or UNAVAILABLE}</identifier>')


def _name_parts(parts: Parts, person: Data, tag: str, placeholder: str) -> None:
    name_type = person.get("name_type")
    attributes = f' nameType="{name_type}"' if name_type in vocab.NAME_TYPE else ""
    _leaf(parts, f"{tag}Name", _content(person.get("name")) or placeholder,
          attributes + _lang_attribute(person.get("lang")))
    if given := _content(person.get("given_name")):
        parts.append(f"<givenName>{given}</givenName>")
    if family := _content(person.get("family_name")):
        parts.append(f"<familyName>{family}</familyName>")
    for identifier in person.get("name_identifiers", ()):
        if value := _content(identifier.get("identifier")):
            # nameIdentifierScheme is required; an identifier of unknown scheme keeps its value.
            _leaf(parts, "nameIdentifier", value, _attributes(
                (("nameIdentifierScheme", identifier.get("scheme") or UNKNOWN),
                 ("schemeURI", identifier.get("scheme_uri")))))
    for affiliation in person.get("affiliations", ()):
        scheme = affiliation.get("identifier_scheme")
        _leaf(parts, "affiliation", _content(affiliation.get("name")) or UNAVAILABLE,
              _attributes((("affiliationIdentifier", affiliation.get("identifier")),
                           ("affiliationIdentifierScheme", scheme),
                           ("schemeURI", "https://ror.org/" if (scheme or "").upper() == "ROR"
                            else None))))


def _creators(parts: Parts, record: Data, missing: list[str]) -> None:
    parts.append("<creators>")
    creators = record.get("creators")
    for person in creators or ():
        parts.append("<creator>")
        _name_parts(parts, person, "creator", UNKNOWN)
        parts.append("</creator>")
    if not creators:
        missing.append("creators")
        parts.append(f"<creator><creatorName>{UNKNOWN}</creatorName></creator>")
    parts.append("</creators>")


def _titles(parts: Parts, record: Data, missing: list[str]) -> None:
    parts.append("<titles>")
    written = False
    for title in record.get("titles", ()):
        if value := _content(title.get("value")):
            title_type = title.get("title_type")
            attributes = f' titleType="{title_type}"' if title_type in vocab.TITLE_TYPE else ""
            parts.append(f"<title{attributes}{_lang_attribute(title.get('lang'))}>"
                         f"{value}</title>")
            written = True
    if not written:
        missing.append("titles")
        parts.append(f"<title>{UNAVAILABLE}</title>")
    parts.append("</titles>")


def _publisher(parts: Parts, record: Data, missing: list[str]) -> None:
    publisher = record.get("publisher")
    name = _content(_get(publisher, "name"))
    if not name:
        missing.append("publisher")
        parts.append(f"<publisher>{UNAVAILABLE}</publisher>")
        return
    _leaf(parts, "publisher", name, _attributes(
        (("publisherIdentifier", publisher.get("identifier")),
         ("publisherIdentifierScheme", publisher.get("identifier_scheme")),
         ("schemeURI", publisher.get("scheme_uri"))), publisher.get("lang")))


_YEAR_DATES = ("Issued", "Available", "Created", "Submitted", "Accepted", "Copyrighted")


def _year_of(moment: datetime | str | None) -> int | None:
    """The year of a datetime, or of an ISO 8601 timestamp as the JSON holds it."""
    if moment is None or isinstance(moment, datetime):
        return None if moment is None else moment.year
    match = _YEAR.match(moment)
    return int(match.group(1)) if match else None


def publication_year(record: Record | Data, datestamp: datetime | None = None) -> int | None:
    """The year to write: the record's, else its first dated event, else the catalogue's own."""
    record = record_data(record)
    year = record.get("publication_year")
    if year is not None and 0 <= year <= 9999:
        return year
    dates = record.get("dates", ())
    for kind in _YEAR_DATES:
        for date in dates:
            if date.get("date_type") == kind and (match := _YEAR.match(date.get("value", ""))):
                return int(match.group(1))
    provenance = record.get("provenance")
    for moment in (datestamp, _get(provenance, "datestamp"), _get(provenance, "harvested_at")):
        if (year := _year_of(moment)) is not None:
            return year
    return None


def _publication_year(parts: Parts, record: Data, missing: list[str],
                      datestamp: datetime | None) -> None:
    year = publication_year(record, datestamp)
    given = record.get("publication_year")
    if given is None or year != given:
        missing.append("publicationYear")
    # yearType is four digits: no placeholder fits, so "0000" marks a year nobody knows.
    parts.append(f"<publicationYear>{year:04d}</publicationYear>" if year is not None
                 else "<publicationYear>0000</publicationYear>")


def _resource_type(parts: Parts, record: Data, missing: list[str]) -> None:
    kind = record.get("resource_type")
    general = _get(kind, "general")
    if general not in vocab.RESOURCE_TYPE_GENERAL:  # what the model drops, with an issue
        general = None
    value = _content(_get(kind, "value"))
    if general is None:
        missing.append("resourceType")
        general, value = "Other", value or UNAVAILABLE
    elif general not in _GENERAL_46:  # a 4.7-only type: Other, keeping its name as the text
        general, value = "Other", value or general
    _leaf(parts, "resourceType", value, f' resourceTypeGeneral="{general}"')


# --- the optional properties -----------------------------------------------------------------------

def _subjects(parts: Parts, record: Data) -> None:
    items = [(value, s) for s in record.get("subjects", ()) if (value := _content(s.get("value")))]
    if items:
        parts.append("<subjects>")
        for value, s in items:
            _leaf(parts, "subject", value, _attributes(
                (("subjectScheme", s.get("scheme")), ("schemeURI", s.get("scheme_uri")),
                 ("valueURI", s.get("value_uri")),
                 ("classificationCode", s.get("classification_code"))), s.get("lang")))
        parts.append("</subjects>")


def _contributors(parts: Parts, record: Data) -> None:
    contributors = record.get("contributors")
    if contributors:
        parts.append("<contributors>")
        for person in contributors:
            kind = person.get("contributor_type")
            parts.append(f'<contributor contributorType='
                         f'"{kind if kind in vocab.CONTRIBUTOR_TYPE else "Other"}">')
            _name_parts(parts, person, "contributor", UNKNOWN)
            parts.append("</contributor>")
        parts.append("</contributors>")


def _dates(parts: Parts, record: Data) -> None:
    items = [(value, d) for d in record.get("dates", ()) if (value := _content(d.get("value")))]
    if items:
        parts.append("<dates>")
        for value, d in items:
            kind = d.get("date_type")
            information = _attribute(d.get("information"))
            parts.append(f'<date dateType="{kind if kind in vocab.DATE_TYPE else "Other"}"'
                         + (f' dateInformation="{information}"' if information else "")
                         + f">{value}</date>")
        parts.append("</dates>")


def _language(parts: Parts, record: Data) -> None:
    if language := _lang(record.get("language")):
        _leaf(parts, "language", _content(language))


def _alternate_identifiers(parts: Parts, record: Data, catalogue_id: str | None) -> None:
    rows: list[tuple[str, str]] = []
    if catalogue_id:
        rows.append((catalogue_id, CATALOGUE_ID_TYPE))
    identifier = record.get("identifier")
    if identifier and not _doi(record):
        rows.append((identifier.get("value"), identifier.get("type")))
    rows += [(a.get("value"), a.get("type") or UNKNOWN)
             for a in record.get("alternate_identifiers", ())]
    rows = [(content, kind) for value, kind in rows if (content := _content(value))]
    if rows:
        parts.append("<alternateIdentifiers>")
        for content, kind in rows:
            _leaf(parts, "alternateIdentifier", content,
                  _attributes((("alternateIdentifierType", kind),)))
        parts.append("</alternateIdentifiers>")


def _related_type(kind: str | None, value: str) -> tuple[str | None, str]:
    """A kernel 4.6 relatedIdentifierType for (type, value); None when there is none."""
    if kind in _RELATED_TYPE_46:
        return kind, value
    if _URL.match(value):
        return "URL", value
    if kind in _RESOLVERS:
        return "URL", _RESOLVERS[kind] + value
    return None, value


def _related_identifiers(parts: Parts, record: Data) -> None:
    opened = False
    for r in record.get("related_identifiers", ()):
        relation = r.get("relation_type")
        if relation not in _RELATION_46:
            continue
        kind, value = _related_type(r.get("related_identifier_type"), _text(r.get("value")))
        # Both attributes are required; a relation we cannot type is left out, not guessed.
        if kind is None or not value:
            continue
        if not opened:
            parts.append("<relatedIdentifiers>")
            opened = True
        general = r.get("resource_type_general")
        _leaf(parts, "relatedIdentifier", _content(value), _attributes(
            (("relatedIdentifierType", kind), ("relationType", relation),
             ("resourceTypeGeneral", general if general in _GENERAL_46 else None),
             ("relatedMetadataScheme", r.get("related_metadata_scheme")),
             ("schemeURI", r.get("scheme_uri")), ("schemeType", r.get("scheme_type")))))
    if opened:
        parts.append("</relatedIdentifiers>")


def _strings(parts: Parts, wrapper: str, tag: str, values: Iterable[str]) -> None:
    contents = [content for value in values if (content := _content(value))]
    if contents:
        parts.append(f"<{wrapper}>")
        parts += (f"<{tag}>{content}</{tag}>" for content in contents)
        parts.append(f"</{wrapper}>")


def _version(parts: Parts, record: Data) -> None:
    if version := _content(record.get("version")):
        parts.append(f"<version>{version}</version>")


def _rights(parts: Parts, record: Data) -> None:
    rights = record.get("rights")
    if rights:
        parts.append("<rightsList>")
        for r in rights:
            if r.get("spdx_id"):
                identifier, scheme, scheme_uri = r["spdx_id"], "SPDX", "https://spdx.org/licenses/"
            else:
                identifier, scheme = r.get("rights_identifier"), r.get("rights_identifier_scheme")
                scheme_uri = r.get("scheme_uri")
            _leaf(parts, "rights", _content(r.get("statement")), _attributes(
                (("rightsURI", r.get("uri")), ("rightsIdentifier", identifier),
                 ("rightsIdentifierScheme", scheme), ("schemeURI", scheme_uri)), r.get("lang")))
        parts.append("</rightsList>")


def _descriptions(parts: Parts, record: Data) -> None:
    items = [(value, d) for d in record.get("descriptions", ())
             if (value := _content(d.get("value")))]
    if items:
        parts.append("<descriptions>")
        for value, d in items:
            kind = d.get("description_type")
            parts.append(f'<description descriptionType="'
                         f'{kind if kind in vocab.DESCRIPTION_TYPE else "Other"}"'
                         f'{_lang_attribute(d.get("lang"))}>{value}</description>')
        parts.append("</descriptions>")


def _number(value: float | None, limit: float) -> str | None:
    if value is None:  # JSON has no NaN or infinity: the model's dump writes them as null
        return None
    value = float(value)
    return repr(value) if math.isfinite(value) and -limit <= value <= limit else None


def _point(parts: Parts, tag: str, point: Data) -> None:
    longitude = _number(point.get("longitude"), 180)
    latitude = _number(point.get("latitude"), 90)
    if longitude is not None and latitude is not None:
        parts.append(f"<{tag}><pointLongitude>{longitude}</pointLongitude>"
                     f"<pointLatitude>{latitude}</pointLatitude></{tag}>")


_BOUNDS = (("westBoundLongitude", "west", 180), ("eastBoundLongitude", "east", 180),
           ("southBoundLatitude", "south", 90), ("northBoundLatitude", "north", 90))


def _box(parts: Parts, box: Data) -> None:
    bounds = [(tag, _number(box.get(key), limit)) for tag, key, limit in _BOUNDS]
    if all(value is not None for _, value in bounds):
        parts.append("<geoLocationBox>" + "".join(f"<{tag}>{value}</{tag}>"
                                                  for tag, value in bounds)
                     + "</geoLocationBox>")


def _valid_point(point: Data) -> bool:
    return _number(point.get("longitude"), 180) is not None and \
        _number(point.get("latitude"), 90) is not None


def _geo_locations(parts: Parts, record: Data) -> None:
    opened = False
    for location in record.get("geo_locations", ()):
        children: Parts = []
        if place := _content(location.get("place")):
            children.append(f"<geoLocationPlace>{place}</geoLocationPlace>")
        if location.get("point") is not None:
            _point(children, "geoLocationPoint", location["point"])
        if location.get("box") is not None:
            _box(children, location["box"])
        # The XSD wants at least four polygon points; a shorter ring is not a polygon.
        polygon = location.get("polygon", ())
        if len(polygon) >= 4 and all(_valid_point(p) for p in polygon):
            children.append("<geoLocationPolygon>")
            for point in polygon:
                _point(children, "polygonPoint", point)
            children.append("</geoLocationPolygon>")
        if children:  # a geoLocation needs at least one child
            if not opened:
                parts.append("<geoLocations>")
                opened = True
            parts += ("<geoLocation>", *children, "</geoLocation>")
    if opened:
        parts.append("</geoLocations>")


def _funding_references(parts: Parts, record: Data) -> None:
    items = [(name, f) for f in record.get("funding_references", ())
             if (name := _content(f.get("funder_name")))]
    if items:
        parts.append("<fundingReferences>")
        for name, f in items:
            parts.append(f"<fundingReference><funderName>{name}</funderName>")
            if identifier := _content(f.get("funder_identifier")):
                kind = f.get("funder_identifier_type")
                parts.append(f'<funderIdentifier funderIdentifierType="'
                             f'{kind if kind in vocab.FUNDER_IDENTIFIER_TYPE else "Other"}">'
                             f"{identifier}</funderIdentifier>")
            if f.get("award_number") or f.get("award_uri"):
                _leaf(parts, "awardNumber", _content(f.get("award_number")),
                      _attributes((("awardURI", f.get("award_uri")),)))
            if title := _content(f.get("award_title")):
                parts.append(f"<awardTitle>{title}</awardTitle>")
            parts.append("</fundingReference>")
        parts.append("</fundingReferences>")


# The optional properties in DataCite's documented order; each writes nothing when empty.
_OPTIONAL: tuple[Callable[[Parts, Data], None], ...] = (
    _subjects, _contributors, _dates, _language,
)
_LATER: tuple[Callable[[Parts, Data], None], ...] = (
    _related_identifiers,
    lambda parts, record: _strings(parts, "sizes", "size", record.get("sizes", ())),
    lambda parts, record: _strings(parts, "formats", "format", record.get("formats", ())),
    _version, _rights, _descriptions, _geo_locations, _funding_references,
)
_RESOURCE = (f'<resource xmlns="{KERNEL}" xmlns:xsi="{XSI}" '
             f'xsi:schemaLocation="{SCHEMA_LOCATION}">')
# Inside a document that declares xsi already (an OAI-PMH response), as lxml would write it.
_NESTED_RESOURCE = f'<resource xmlns="{KERNEL}" xsi:schemaLocation="{SCHEMA_LOCATION}">'


def write_resource(parts: Parts, record: Record | Data, *, catalogue_id: str | None = None,
                   datestamp: datetime | None = None, declare_xsi: bool = True) -> list[str]:
    """Append the <resource> to `parts`; returns the mandatory properties that got a
    placeholder. Without `declare_xsi` the xsi prefix is left to the enclosing document."""
    record = record_data(record)
    missing: list[str] = []
    parts.append(_RESOURCE if declare_xsi else _NESTED_RESOURCE)
    _identifier(parts, record, missing)
    _creators(parts, record, missing)
    _titles(parts, record, missing)
    _publisher(parts, record, missing)
    _publication_year(parts, record, missing, datestamp)
    _resource_type(parts, record, missing)
    for write in _OPTIONAL:
        write(parts, record)
    _alternate_identifiers(parts, record, catalogue_id)
    for write in _LATER:
        write(parts, record)
    parts.append("</resource>")
    return missing


def build_resource(record: Record | Data, *, catalogue_id: str | None = None,
                   datestamp: datetime | None = None) -> tuple[str, list[str]]:
    """The <resource> as XML text and the mandatory properties that got a placeholder."""
    parts: Parts = []
    missing = write_resource(parts, record, catalogue_id=catalogue_id, datestamp=datestamp)
    return "".join(parts), missing


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def resource_element(record: Record | Data, *, catalogue_id: str | None = None,
                     datestamp: datetime | None = None) -> etree._Element:
    """One record as a kernel-4.6 <resource> element (pure)."""
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
        self.out.write(self.render(item))

    def render(self, item: ExportItem) -> str:
        """What write() writes for the item: it depends on nothing else (see Exporter)."""
        head = f"id={_quote(item.id)} datestamp={_quote(utc_stamp(item.datestamp))}"
        record = None if item.deleted else item.data
        if record is None:
            return f"<deleted {head}/>\n"
        parts = ["<entry ", "", ">"]
        missing = write_resource(parts, record, catalogue_id=item.id, datestamp=item.datestamp)
        if item.sources:
            head += f" sources={_quote(' '.join(item.sources))}"
        if missing:
            head += f" placeholders={_quote(' '.join(missing))}"
        parts[1] = head
        parts.append("</entry>\n")
        return "".join(parts)

    def end(self) -> None:
        self.out.write("</catalogue>\n")
