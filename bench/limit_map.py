"""`limit_map`: the floor of mapping a DataCite record into the common model, in one process.

Fetch and parse every page (as `limit_parse`), then, per record, build the whole Record of
`schemas.record` in one straight pass over the `<resource>` (every field and attribute the
mapper reads, text stripped of runs of spaces) and validate it once with the model's pydantic
validator. Nothing else: no identifier, date, licence or language normalisation, no language
detection, no issues, no quality score, no JSON, no hashing, no storage. The issue's reference
row "build the DataCite dict + pydantic validation" is this step; the os10 mapper does all of
it and the rest, so the gap between the two is what normalisation and the rest cost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lxml import etree

from bench.limits import OAI, parsed_records
from bench.measured import Measured, Stopwatch
from schemas import Record

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _text(element: etree._Element | None) -> str | None:
    text = element.text if element is not None else None
    return (" ".join(text.split()) or None) if text else None


def _first_children(element: etree._Element) -> dict[Any, etree._Element]:
    first: dict[Any, etree._Element] = {}
    for part in element:
        first.setdefault(part.tag, part)
    return first


def _agent(element: etree._Element, k: str, kind: str) -> dict:
    parts = _first_children(element)
    name = parts.get(f"{k}{kind}Name")
    agent = {"name": _text(name), "name_type": None if name is None else name.get("nameType"),
             "given_name": _text(parts.get(f"{k}givenName")),
             "family_name": _text(parts.get(f"{k}familyName")),
             "lang": None if name is None else name.get(XML_LANG),
             "name_identifiers": [
                 {"identifier": _text(e), "scheme": e.get("nameIdentifierScheme"),
                  "scheme_uri": e.get("schemeURI")}
                 for e in element.iterchildren(f"{k}nameIdentifier")],
             "affiliations": [
                 {"name": _text(e), "identifier": e.get("affiliationIdentifier"),
                  "identifier_scheme": e.get("affiliationIdentifierScheme")}
                 for e in element.iterchildren(f"{k}affiliation")]}
    if kind == "contributor":
        agent["contributor_type"] = element.get("contributorType")
    return agent


def _number(element: etree._Element | None) -> float | None:
    return float(element.text) if element is not None and element.text else None


def _geo_location(element: etree._Element, k: str) -> dict:
    parts = _first_children(element)
    location: dict[str, Any] = {"place": _text(parts.get(f"{k}geoLocationPlace"))}
    if (point := parts.get(f"{k}geoLocationPoint")) is not None:
        p = _first_children(point)
        location["point"] = {"latitude": _number(p.get(f"{k}pointLatitude")),
                             "longitude": _number(p.get(f"{k}pointLongitude"))}
    if (box := parts.get(f"{k}geoLocationBox")) is not None:
        b = _first_children(box)
        location["box"] = {side: _number(b.get(f"{k}{name}")) for side, name in (
            ("west", "westBoundLongitude"), ("east", "eastBoundLongitude"),
            ("south", "southBoundLatitude"), ("north", "northBoundLatitude"))}
    return location


def _funding(element: etree._Element, k: str) -> dict:
    parts = _first_children(element)
    identifier, award = parts.get(f"{k}funderIdentifier"), parts.get(f"{k}awardNumber")
    return {"funder_name": _text(parts.get(f"{k}funderName")),
            "funder_identifier": _text(identifier),
            "funder_identifier_type": None if identifier is None
            else identifier.get("funderIdentifierType"),
            "award_number": _text(award),
            "award_uri": None if award is None else award.get("awardURI"),
            "award_title": _text(parts.get(f"{k}awardTitle"))}


def _items(element: etree._Element, read) -> list:
    return [read(child) for child in element if isinstance(child.tag, str)]


def record_dict(record: etree._Element, harvested_at: datetime) -> dict | None:
    """The Record of one oai_datacite <record>, as plain data; None for a deleted record."""
    header, metadata = record.find(f"{OAI}header"), record.find(f"{OAI}metadata")
    resource = None if metadata is None else next(metadata.iter("{*}resource"), None)
    if resource is None:
        return None
    k = resource.tag[:resource.tag.index("}") + 1]
    data: dict[str, Any] = {}
    for element in resource:
        if not isinstance(element.tag, str):
            continue
        name = element.tag[len(k):]
        if name == "identifier":
            data["identifier"] = {"value": _text(element),
                                  "type": element.get("identifierType") or "DOI"}
        elif name in ("creators", "contributors"):
            kind = name[:-1]
            data[name] = _items(element, lambda e, kind=kind: _agent(e, k, kind))
        elif name == "titles":
            data["titles"] = _items(element, lambda e: {
                "value": _text(e), "lang": e.get(XML_LANG), "title_type": e.get("titleType")})
        elif name == "publisher":
            data["publisher"] = {"name": _text(element), "lang": element.get(XML_LANG),
                                 "identifier": element.get("publisherIdentifier"),
                                 "identifier_scheme": element.get("publisherIdentifierScheme"),
                                 "scheme_uri": element.get("schemeURI")}
        elif name == "publicationYear":
            data["publication_year"] = int(element.text)
        elif name == "resourceType":
            data["resource_type"] = {"general": element.get("resourceTypeGeneral"),
                                     "value": _text(element)}
        elif name == "subjects":
            data["subjects"] = _items(element, lambda e: {
                "value": _text(e), "scheme": e.get("subjectScheme"),
                "scheme_uri": e.get("schemeURI"), "value_uri": e.get("valueURI"),
                "classification_code": e.get("classificationCode"), "lang": e.get(XML_LANG)})
        elif name == "dates":
            data["dates"] = _items(element, lambda e: {
                "value": _text(e), "date_type": e.get("dateType"),
                "information": e.get("dateInformation")})
        elif name == "language":
            data["language"] = _text(element)
        elif name == "alternateIdentifiers":
            data["alternate_identifiers"] = _items(element, lambda e: {
                "value": _text(e), "type": e.get("alternateIdentifierType")})
        elif name == "relatedIdentifiers":
            data["related_identifiers"] = _items(element, lambda e: {
                "value": _text(e), "related_identifier_type": e.get("relatedIdentifierType"),
                "relation_type": e.get("relationType"),
                "resource_type_general": e.get("resourceTypeGeneral"),
                "scheme_uri": e.get("schemeURI"), "scheme_type": e.get("schemeType")})
        elif name in ("sizes", "formats"):
            data[name] = _items(element, _text)
        elif name == "version":
            data["version"] = _text(element)
        elif name == "rightsList":
            data["rights"] = _items(element, lambda e: {
                "statement": _text(e), "uri": e.get("rightsURI"), "lang": e.get(XML_LANG),
                "rights_identifier": e.get("rightsIdentifier"),
                "rights_identifier_scheme": e.get("rightsIdentifierScheme"),
                "scheme_uri": e.get("schemeURI")})
        elif name == "descriptions":
            data["descriptions"] = _items(element, lambda e: {
                "value": _text(e), "description_type": e.get("descriptionType"),
                "lang": e.get(XML_LANG)})
        elif name == "geoLocations":
            data["geo_locations"] = _items(element, lambda e: _geo_location(e, k))
        elif name == "fundingReferences":
            data["funding_references"] = _items(element, lambda e: _funding(e, k))
    data["provenance"] = {
        "source_id": "bench", "source_identifier": header.findtext(f"{OAI}identifier"),
        "metadata_format": "oai_datacite", "harvested_at": harvested_at, "raw_sha256": "",
        "datestamp": header.findtext(f"{OAI}datestamp")}
    return data


def map_records(spec: dict) -> Measured:
    validate = Record.__pydantic_validator__.validate_python
    harvested_at = datetime.now(UTC)
    n = mapped = 0
    with Stopwatch() as clock:
        for records in parsed_records(spec["feed_url"], spec["prefix"]):
            for record in records:
                n += 1
                data = record_dict(record, harvested_at)
                if data is not None:
                    validate(data)
                    mapped += 1
    return Measured(n, clock.seconds, {"records_validated": mapped})
