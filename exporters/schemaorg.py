"""schema.org JSON-LD for dataset search engines: JSON Lines, one Dataset object per line.

JSON Lines rather than one JSON array: each line is a complete JSON-LD document with its own
`"@context": "https://schema.org/"`, so the file streams out (and back in) a record at a time,
and a line can be pasted as it is into a landing page's `<script type="application/ld+json">`.
Deleted items are skipped: schema.org has no tombstone, search engines drop what disappears.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import IO, Any, ClassVar
from urllib.parse import quote

from exporters.base import ExportItem, ExportOptions, record_data
from exporters.dcat import access_level, identifier_iri, iri
from exporters.jsonl import json_line
from safexml import clean_text
from schemas import Record
from schemas import vocabularies as vocab

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
Data = Mapping[str, Any]


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


def _known(value: str | None, vocabulary: frozenset[str]) -> str | None:
    """A controlled value, or None for one outside DataCite's list (as the model drops it)."""
    return value if value in vocabulary else None


def _agent(person: Data) -> dict[str, Any]:
    organisation = person.get("name_type") == "Organizational"
    node: dict[str, Any] = {"@type": "Organization" if organisation else "Person"}
    ids = [u for i in person.get("name_identifiers", ()) if (u := _url(i.get("identifier")))]
    if ids:
        node["@id"] = ids[0]  # an ORCID iD or ROR id, as Google's guidelines ask
        node["sameAs"] = _one_or_many(ids)
    node["name"] = _text(person.get("name"))
    if not organisation:
        if given := _text(person.get("given_name")):
            node["givenName"] = given
        if family := _text(person.get("family_name")):
            node["familyName"] = family
    affiliations = []
    for a in person.get("affiliations", ()):
        org: dict[str, Any] = {"@type": "Organization"}
        if identifier := _url(a.get("identifier")):
            org["@id"] = identifier
        if name := _text(a.get("name")):
            org["name"] = name
        if len(org) > 1:
            affiliations.append(org)
    if affiliations and not organisation:
        node["affiliation"] = _one_or_many(affiliations)
    return node


def _floats(data: Data | None, *keys: str) -> tuple[float, ...] | None:
    """The values as floats (the model's type), or None when one is missing: JSON has no NaN
    or infinity, the model's dump writes them as null."""
    values = [data.get(key) for key in keys] if data is not None else [None]
    return None if None in values else tuple(float(v) for v in values)


def _geo(location: Data) -> list[dict]:
    shapes = []
    box = _floats(location.get("box"), "south", "west", "north", "east")
    if box is not None:
        south, west, north, east = box
        if -90 <= south <= 90 and -90 <= north <= 90 and -180 <= west <= 180 and \
                -180 <= east <= 180:
            # schema.org boxes are "south west north east" (lat lon lat lon).
            shapes.append({"@type": "GeoShape", "box": f"{south!r} {west!r} {north!r} {east!r}"})
    polygon = [_floats(p, "latitude", "longitude") for p in location.get("polygon", ())]
    if len(polygon) >= 4 and None not in polygon:
        shapes.append({"@type": "GeoShape", "polygon": " ".join(
            f"{latitude!r} {longitude!r}" for latitude, longitude in polygon)})
    point = _floats(location.get("point"), "latitude", "longitude")
    if point is not None and -90 <= point[0] <= 90 and -180 <= point[1] <= 180:
        shapes.append({"@type": "GeoCoordinates", "latitude": point[0], "longitude": point[1]})
    return shapes


def _place(location: Data) -> dict[str, Any] | None:
    place: dict[str, Any] = {"@type": "Place"}
    if name := _text(location.get("place")):
        place["name"] = name
    if shapes := _geo(location):
        place["geo"] = _one_or_many(shapes)
    return place if len(place) > 1 else None


_INTERVAL = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?$")


def _temporal(record: Data) -> list[str]:
    """ISO 8601 intervals ("2010-01-01/2012-12-31", ".." for an open end) of coverage dates."""
    out = []
    for d in record.get("dates", ()):
        if d.get("date_type") not in ("Coverage", "Collected"):
            continue
        value = d.get("value", "")
        start, _, end = (value.partition("/") if "/" in value else (value, "", None))
        start, end = start.strip(), end.strip() if end is not None else None
        if end is None and _INTERVAL.match(start):
            out.append(start)
        elif (not start or _INTERVAL.match(start)) and (not end or _INTERVAL.match(end)) and \
                (start or end):
            out.append(f"{start or '..'}/{end or '..'}")
    return out


def _date(record: Data, kind: str, last: bool = False) -> str | None:
    values = [value for d in record.get("dates", ()) if d.get("date_type") == kind
              and "/" not in (value := d.get("value", "")) and _INTERVAL.match(value)]
    if not values:
        return None
    return max(values) if last else values[0]


def _doi(record: Data) -> str | None:
    identifier = record.get("identifier")
    if identifier and (identifier.get("type") or "").upper() == "DOI":
        return identifier.get("value")
    return None


def _identifiers(record: Data) -> tuple[list[Any], list[str]]:
    """(identifier values, sameAs URLs): the DOI as its URL and as a PropertyValue."""
    identifiers: list[Any] = []
    same_as: list[str] = []
    identifier = record.get("identifier")
    if doi := _doi(record):
        url = doi_url(doi)
        identifiers += [url, {"@type": "PropertyValue", "propertyID": "DOI",
                              "value": _text(doi), "url": url}]
        same_as.append(url)
    elif identifier and (value := _text(identifier.get("value"))):
        url = identifier_url(value, identifier.get("type"))
        identifiers.append({"@type": "PropertyValue",
                            "propertyID": _text(identifier.get("type")),
                            "value": value, **({"url": url} if url else {})})
    for alternate in record.get("alternate_identifiers", ()):
        if value := _text(alternate.get("value")):
            entry: dict[str, Any] = {"@type": "PropertyValue", "value": value}
            if kind := _text(alternate.get("type")):
                entry["propertyID"] = kind
            identifiers.append(entry)
    return identifiers, same_as


def _licences(record: Data) -> list[Any]:
    out: list[Any] = []
    for rights in record.get("rights", ()):
        if url := _url(rights.get("uri")):
            out.append(url)
        elif statement := _text(rights.get("statement")):
            out.append({"@type": "CreativeWork", "name": statement})
    return out


def _distributions(record: Data) -> list[dict[str, Any]]:
    out = []
    for d in record.get("distributions", ()):
        url = _url(d.get("download_url")) or _url(d.get("access_url"))
        if url is None:  # a DataDownload without contentUrl is no use to a crawler
            continue
        entry: dict[str, Any] = {"@type": "DataDownload", "contentUrl": url}
        if encoding := _text(d.get("media_type") or d.get("format")):
            entry["encodingFormat"] = encoding
        if name := _text(d.get("title")):
            entry["name"] = name
        if description := _text(d.get("description")):
            entry["description"] = description
        byte_size = d.get("byte_size")
        if byte_size is not None and byte_size >= 0:
            entry["contentSize"] = f"{byte_size} B"
        if licence := _url(d.get("license")):
            entry["license"] = licence
        out.append(entry)
    return out


def _funders(record: Data) -> list[dict[str, Any]]:
    out = []
    for f in record.get("funding_references", ()):
        if name := _text(f.get("funder_name")):
            funder: dict[str, Any] = {"@type": "Organization", "name": name}
            if identifier := _url(f.get("funder_identifier")):
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


def _main_title(titles: list[Data]) -> str | None:
    for title in titles:
        if _known(title.get("title_type"), vocab.TITLE_TYPE) is None:
            return title.get("value")
    return titles[0].get("value") if titles else None


def dataset_object(record: Record | Data, catalogue_id: str | None = None,
                   options: ExportOptions | None = None) -> dict[str, Any]:
    """One record as a schema.org JSON-LD object (pure), context included."""
    record = record_data(record)
    options = options or ExportOptions()
    general = _known(_get(record.get("resource_type"), "general"), vocab.RESOURCE_TYPE_GENERAL)
    kind = SCHEMA_TYPES.get(general or "", "Dataset")
    node: dict[str, Any] = {"@context": CONTEXT, "@type": kind}
    base = options.base_url.rstrip("/")
    if catalogue_id:
        node["@id"] = f"{base}/dataset/{quote(catalogue_id, safe='-._~:')}"
    titles = record.get("titles", ())
    if name := _text(_main_title(titles)):
        node["name"] = name
    alternates = [_tagged(value, t.get("lang")) for t in titles
                  if (value := _text(t.get("value"))) and value != node.get("name")]
    if alternates:
        node["alternateName"] = _one_or_many(alternates)
    # (value, language, an abstract?) of each description with text, abstracts first.
    descriptions = sorted(((value, d.get("lang"), _known(d.get("description_type"),
                                                          vocab.DESCRIPTION_TYPE)
                            in (None, "Abstract"))
                           for d in record.get("descriptions", ())
                           if (value := _text(d.get("value")))),
                          key=lambda d: not d[2])
    if descriptions:
        node["description"] = descriptions[0][0]
    # Search engines read one description; an abstract in several languages keeps every one,
    # each with its language, under `abstract`.
    abstracts = [d for d in descriptions if d[2]]
    if len({_language(lang) for _, lang, _ in abstracts if _language(lang)}) > 1:
        node["abstract"] = [_tagged(value, lang) for value, lang, _ in abstracts]
    identifiers, same_as = _identifiers(record)
    if identifiers:
        node["identifier"] = _one_or_many(identifiers)
    doi = _doi(record)
    landing_page = record.get("landing_page")
    landing = _url(landing_page) or (doi_url(doi) if doi else None)
    if landing:
        node["url"] = landing
    if landing_page and (page := _url(landing_page)) and page not in same_as:
        same_as.append(page)
    related: dict[str, list[str]] = {}
    for r in record.get("related_identifiers", ()):
        prop = RELATIONS.get(_known(r.get("relation_type"), vocab.RELATION_TYPE) or "")
        kind_of_id = _known(r.get("related_identifier_type"), vocab.RELATED_IDENTIFIER_TYPE)
        url = identifier_url(r.get("value"), kind_of_id) if prop else None
        if url and url not in related.setdefault(prop, []):
            related[prop].append(url)
    same_as += [u for u in related.pop("sameAs", []) if u not in same_as]
    if same_as:
        node["sameAs"] = _one_or_many(same_as)
    if creators := record.get("creators"):
        node["creator"] = [_agent(c) for c in creators]
    publisher = record.get("publisher")
    if publisher and (publisher_name := _text(publisher.get("name"))):
        node["publisher"] = {"@type": "Organization", "name": publisher_name}
        if identifier := _url(publisher.get("identifier")):
            node["publisher"]["@id"] = identifier
    issued = _date(record, "Issued")
    year = record.get("publication_year")
    if issued or year:
        node["datePublished"] = issued or f"{year:04d}"
    if created := _date(record, "Created"):
        node["dateCreated"] = created
    if modified := _date(record, "Updated", last=True):
        node["dateModified"] = modified
    keywords = list(dict.fromkeys((value, _language(s.get("lang")))
                                  for s in record.get("subjects", ())
                                  if (value := _text(s.get("value")))))
    if keywords:
        node["keywords"] = [_tagged(value, lang) for value, lang in keywords]
    if licences := _licences(record):
        node["license"] = _one_or_many(licences)
    if language := _language(record.get("language")):
        node["inLanguage"] = language
    level = access_level(record.get("access_rights"))
    if level is not None:
        node["isAccessibleForFree"] = level == "PUBLIC"
    places = [p for location in record.get("geo_locations", ()) if (p := _place(location))]
    if places:
        node["spatialCoverage"] = _one_or_many(places)
    if temporal := _temporal(record):
        node["temporalCoverage"] = _one_or_many(temporal)
    if kind == "Dataset":
        if distributions := _distributions(record):
            node["distribution"] = distributions
        node["includedInDataCatalog"] = {"@type": "DataCatalog", "name": "OS10 open science "
                                         "catalogue", "url": f"{base}/"}
    elif formats := record.get("formats"):
        node["encodingFormat"] = _one_or_many([value for f in formats if (value := _text(f))])
    if version := _text(record.get("version")):
        node["version"] = version
    if funders := _funders(record):
        node["funder"] = _one_or_many(funders)
    for prop, urls in related.items():
        if urls:
            node[prop] = _one_or_many(urls)
    return node


def _get(data: Data | None, key: str) -> Any:
    return data.get(key) if data else None


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
        self.out.write(self.render(item))

    def render(self, item: ExportItem) -> str:
        """What write() writes for the item: it depends on nothing else (see Exporter)."""
        record = None if item.deleted else item.data
        if record is None:
            return ""
        node = dataset_object(record, item.id, self.options)
        # json_line keeps names readable and escapes quotes, control characters and line
        # separators; "<" is escaped too so that a line is safe inside an HTML <script> element.
        return json_line(node).replace("<", "\\u003c") + "\n"

    def end(self) -> None:
        pass
