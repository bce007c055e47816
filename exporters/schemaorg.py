"""schema.org JSON-LD for dataset search engines: JSON Lines, one Dataset object per line.

JSON Lines rather than one JSON array: each line is a complete JSON-LD document with its own
`"@context": "https://schema.org/"`, so the file streams out (and back in) a record at a time,
and a line can be pasted as it is into a landing page's `<script type="application/ld+json">`.
Deleted items are skipped: schema.org has no tombstone, search engines drop what disappears.
"""

from __future__ import annotations

import re
from typing import IO, Any, ClassVar
from urllib.parse import quote

from exporters.base import ExportItem, ExportOptions
from exporters.dcat import access_level, identifier_iri, iri
from exporters.jsonl import json_line
from safexml import clean_text
from schemas import Creator, GeoBox, GeoLocation, GeoPoint, Record

CONTEXT = "https://schema.org/"
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")

# resourceTypeGeneral -> schema.org type; anything not listed is described as a Dataset, which
# is what dataset search engines read. Dataset-only properties go on Datasets only.
SCHEMA_TYPES = {
    "Software": "SoftwareSourceCode", "ComputationalNotebook": "SoftwareSourceCode",
    "JournalArticle": "ScholarlyArticle", "Preprint": "ScholarlyArticle",
    "DataPaper": "ScholarlyArticle", "Text": "CreativeWork", "Report": "Report",
    "Book": "Book", "BookChapter": "Chapter", "Dissertation": "Thesis",
    "Image": "ImageObject", "Audiovisual": "VideoObject", "Sound": "AudioObject",
    "Poster": "Poster", "Presentation": "PresentationDigitalDocument",
}
# relationType -> schema.org property. `citation` holds what the data provider asks to be cited
# with the dataset (the article it supplements, its data paper) and what it cites.
RELATIONS = {
    "IsSupplementTo": "citation", "IsDescribedBy": "citation", "Cites": "citation",
    "References": "citation", "IsPartOf": "isPartOf", "HasPart": "hasPart",
    "IsIdenticalTo": "sameAs", "IsVersionOf": "isBasedOn", "IsDerivedFrom": "isBasedOn",
}
def _text(value: object) -> str:
    return clean_text(str(value).strip()) if value is not None else ""


def _url(value: str | None) -> str | None:
    """An http(s) URL with the characters URLs cannot hold percent-encoded; else None."""
    node = iri(value) if value else None
    return str(node) if node is not None and _URL.match(node) else None


def doi_url(doi: str) -> str:
    return "https://doi.org/" + quote(_text(doi), safe="/:;()._-~")


def identifier_url(value: str, kind: str | None) -> str | None:
    """The URL an identifier resolves at (DOI, Handle, ARK, ... or a URL already)."""
    return _url(identifier_iri(_text(value), kind))


def _one_or_many(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _agent(person: Creator) -> dict[str, Any]:
    organisation = person.name_type == "Organizational"
    node: dict[str, Any] = {"@type": "Organization" if organisation else "Person"}
    ids = [u for i in person.name_identifiers if (u := _url(i.identifier))]
    if ids:
        node["@id"] = ids[0]  # an ORCID iD or ROR id, as Google's guidelines ask
        node["sameAs"] = _one_or_many(ids)
    node["name"] = _text(person.name)
    if not organisation:
        if person.given_name and _text(person.given_name):
            node["givenName"] = _text(person.given_name)
        if person.family_name and _text(person.family_name):
            node["familyName"] = _text(person.family_name)
    affiliations = []
    for a in person.affiliations:
        org: dict[str, Any] = {"@type": "Organization"}
        if identifier := _url(a.identifier):
            org["@id"] = identifier
        if name := _text(a.name):
            org["name"] = name
        if len(org) > 1:
            affiliations.append(org)
    if affiliations and not organisation:
        node["affiliation"] = _one_or_many(affiliations)
    return node


def _geo(box: GeoBox | None, point: GeoPoint | None, polygon: list[GeoPoint]) -> list[dict]:
    shapes = []
    if box is not None and -90 <= box.south <= 90 and -90 <= box.north <= 90 and \
            -180 <= box.west <= 180 and -180 <= box.east <= 180:
        # schema.org boxes are "south west north east" (lat lon lat lon).
        shapes.append({"@type": "GeoShape",
                       "box": f"{box.south!r} {box.west!r} {box.north!r} {box.east!r}"})
    if len(polygon) >= 4:
        shapes.append({"@type": "GeoShape", "polygon": " ".join(
            f"{p.latitude!r} {p.longitude!r}" for p in polygon)})
    if point is not None and -90 <= point.latitude <= 90 and -180 <= point.longitude <= 180:
        shapes.append({"@type": "GeoCoordinates", "latitude": point.latitude,
                       "longitude": point.longitude})
    return shapes


def _place(location: GeoLocation) -> dict[str, Any] | None:
    place: dict[str, Any] = {"@type": "Place"}
    if name := _text(location.place):
        place["name"] = name
    if shapes := _geo(location.box, location.point, location.polygon):
        place["geo"] = _one_or_many(shapes)
    return place if len(place) > 1 else None


_INTERVAL = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?$")


def _temporal(record: Record) -> list[str]:
    """ISO 8601 intervals ("2010-01-01/2012-12-31", ".." for an open end) of coverage dates."""
    out = []
    for d in record.dates:
        if d.date_type not in ("Coverage", "Collected"):
            continue
        start, _, end = (d.value.partition("/") if "/" in d.value else (d.value, "", None))
        start, end = start.strip(), end.strip() if end is not None else None
        if end is None and _INTERVAL.match(start):
            out.append(start)
        elif (not start or _INTERVAL.match(start)) and (not end or _INTERVAL.match(end)) and \
                (start or end):
            out.append(f"{start or '..'}/{end or '..'}")
    return out


def _date(record: Record, kind: str, last: bool = False) -> str | None:
    values = [d.value for d in record.dates if d.date_type == kind and "/" not in d.value
              and _INTERVAL.match(d.value)]
    if not values:
        return None
    return max(values) if last else values[0]


def _identifiers(record: Record) -> tuple[list[Any], list[str]]:
    """(identifier values, sameAs URLs): the DOI as its URL and as a PropertyValue."""
    identifiers: list[Any] = []
    same_as: list[str] = []
    if record.doi:
        url = doi_url(record.doi)
        identifiers += [url, {"@type": "PropertyValue", "propertyID": "DOI",
                              "value": _text(record.doi), "url": url}]
        same_as.append(url)
    elif record.identifier and _text(record.identifier.value):
        value = _text(record.identifier.value)
        url = identifier_url(value, record.identifier.type)
        identifiers.append({"@type": "PropertyValue", "propertyID": _text(record.identifier.type),
                            "value": value, **({"url": url} if url else {})})
    for alternate in record.alternate_identifiers:
        if value := _text(alternate.value):
            entry: dict[str, Any] = {"@type": "PropertyValue", "value": value}
            if alternate.type and _text(alternate.type):
                entry["propertyID"] = _text(alternate.type)
            identifiers.append(entry)
    return identifiers, same_as


def _licences(record: Record) -> list[Any]:
    out: list[Any] = []
    for rights in record.rights:
        if url := _url(rights.uri):
            out.append(url)
        elif statement := _text(rights.statement):
            out.append({"@type": "CreativeWork", "name": statement})
    return out


def _distributions(record: Record) -> list[dict[str, Any]]:
    out = []
    for d in record.distributions:
        url = _url(d.download_url) or _url(d.access_url)
        if url is None:  # a DataDownload without contentUrl is no use to a crawler
            continue
        entry: dict[str, Any] = {"@type": "DataDownload", "contentUrl": url}
        if encoding := _text(d.media_type or d.format):
            entry["encodingFormat"] = encoding
        if name := _text(d.title):
            entry["name"] = name
        if description := _text(d.description):
            entry["description"] = description
        if d.byte_size is not None and d.byte_size >= 0:
            entry["contentSize"] = f"{d.byte_size} B"
        if licence := _url(d.license):
            entry["license"] = licence
        out.append(entry)
    return out


def _funders(record: Record) -> list[dict[str, Any]]:
    out = []
    for f in record.funding_references:
        if name := _text(f.funder_name):
            funder: dict[str, Any] = {"@type": "Organization", "name": name}
            if identifier := _url(f.funder_identifier):
                funder["@id"] = identifier
            if funder not in out:
                out.append(funder)
    return out


def _language(tag: str | None) -> str | None:
    return tag if tag and _LANGUAGE.match(tag) else None


def _tagged(value: str, lang: str | None) -> str | dict[str, str]:
    """The text, as a JSON-LD language-tagged value when its language is known."""
    tag = _language(lang)
    return {"@value": value, "@language": tag} if tag else value


def dataset_object(record: Record, catalogue_id: str | None = None,
                   options: ExportOptions | None = None) -> dict[str, Any]:
    """One record as a schema.org JSON-LD object (pure), context included."""
    options = options or ExportOptions()
    general = record.resource_type.general if record.resource_type else None
    kind = SCHEMA_TYPES.get(general or "", "Dataset")
    node: dict[str, Any] = {"@context": CONTEXT, "@type": kind}
    base = options.base_url.rstrip("/")
    if catalogue_id:
        node["@id"] = f"{base}/dataset/{quote(catalogue_id, safe='-._~:')}"
    if name := _text(record.main_title):
        node["name"] = name
    alternates = [_tagged(_text(t.value), t.lang) for t in record.titles if _text(t.value) and
                  _text(t.value) != node.get("name")]
    if alternates:
        node["alternateName"] = _one_or_many(alternates)
    descriptions = sorted((d for d in record.descriptions if _text(d.value)),
                          key=lambda d: d.description_type not in (None, "Abstract"))
    if descriptions:
        node["description"] = _text(descriptions[0].value)
    # Search engines read one description; an abstract in several languages keeps every one,
    # each with its language, under `abstract`.
    abstracts = [d for d in descriptions if d.description_type in (None, "Abstract")]
    if len({_language(d.lang) for d in abstracts if _language(d.lang)}) > 1:
        node["abstract"] = [_tagged(_text(d.value), d.lang) for d in abstracts]
    identifiers, same_as = _identifiers(record)
    if identifiers:
        node["identifier"] = _one_or_many(identifiers)
    landing = _url(record.landing_page) or (doi_url(record.doi) if record.doi else None)
    if landing:
        node["url"] = landing
    if record.landing_page and (page := _url(record.landing_page)) and page not in same_as:
        same_as.append(page)
    related: dict[str, list[str]] = {}
    for r in record.related_identifiers:
        prop = RELATIONS.get(r.relation_type or "")
        url = identifier_url(r.value, r.related_identifier_type) if prop else None
        if url and url not in related.setdefault(prop, []):
            related[prop].append(url)
    same_as += [u for u in related.pop("sameAs", []) if u not in same_as]
    if same_as:
        node["sameAs"] = _one_or_many(same_as)
    if record.creators:
        node["creator"] = [_agent(c) for c in record.creators]
    if record.publisher and (publisher := _text(record.publisher.name)):
        node["publisher"] = {"@type": "Organization", "name": publisher}
        if identifier := _url(record.publisher.identifier):
            node["publisher"]["@id"] = identifier
    issued = _date(record, "Issued")
    if issued or record.publication_year:
        node["datePublished"] = issued or f"{record.publication_year:04d}"
    if created := _date(record, "Created"):
        node["dateCreated"] = created
    if modified := _date(record, "Updated", last=True):
        node["dateModified"] = modified
    keywords = list(dict.fromkeys((_text(s.value), _language(s.lang)) for s in record.subjects
                                  if _text(s.value)))
    if keywords:
        node["keywords"] = [_tagged(value, lang) for value, lang in keywords]
    if licences := _licences(record):
        node["license"] = _one_or_many(licences)
    if language := _language(record.language):
        node["inLanguage"] = language
    level = access_level(record.access_rights)
    if level is not None:
        node["isAccessibleForFree"] = level == "PUBLIC"
    places = [p for location in record.geo_locations if (p := _place(location))]
    if places:
        node["spatialCoverage"] = _one_or_many(places)
    if temporal := _temporal(record):
        node["temporalCoverage"] = _one_or_many(temporal)
    if kind == "Dataset":
        if distributions := _distributions(record):
            node["distribution"] = distributions
        node["includedInDataCatalog"] = {"@type": "DataCatalog", "name": "OS10 open science "
                                         "catalogue", "url": f"{base}/"}
    elif record.formats:
        node["encodingFormat"] = _one_or_many([_text(f) for f in record.formats if _text(f)])
    if version := _text(record.version):
        node["version"] = version
    if funders := _funders(record):
        node["funder"] = _one_or_many(funders)
    for prop, urls in related.items():
        if urls:
            node[prop] = _one_or_many(urls)
    return node


class SchemaOrgExporter:
    """JSON Lines: one schema.org object per line; begin() and end() write nothing."""

    name: ClassVar[str] = "schemaorg"
    suffix: ClassVar[str] = ".jsonl"
    media_type: ClassVar[str] = "application/x-ndjson"

    def __init__(self, out: IO[str], options: ExportOptions | None = None) -> None:
        self.out = out
        self.options = options or ExportOptions()

    def begin(self) -> None:
        pass

    def write(self, item: ExportItem) -> None:
        if item.deleted or item.record is None:
            return
        node = dataset_object(item.record, item.id, self.options)
        # json_line keeps names readable and escapes quotes, control characters and line
        # separators; "<" is escaped too so that a line is safe inside an HTML <script> element.
        line = json_line(node).replace("<", "\\u003c")
        self.out.write(line + "\n")

    def end(self) -> None:
        pass
