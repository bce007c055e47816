"""The common record model as OAI Dublin Core (`oai_dc:dc`): one table row per dc: element.

Each row names a dc: element and a function giving its (text, xml:lang) values from a Record;
`dc_element` applies the table in order. docs/provider.md mirrors the table. The spellings are
the ones our own oai_dc mapper reads back (eu-repo date and grant URIs, DCMI Point/Box, DDC
URIs), so a record harvested from us as oai_dc keeps as much as Dublin Core can carry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from lxml import etree

from safexml import clean_text
from schemas import Record

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NSMAP = {"oai_dc": OAI_DC, "dc": DC, "xsi": _XSI}
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*\Z")  # what xs:language accepts
# DataCite dateTypes that the eu-repo date URIs name; the mapper reads them back as typed dates.
_EU_REPO_DATES = {"Accepted": "accepted", "Available": "available", "Copyrighted": "copyrighted",
                  "Created": "created", "Submitted": "submitted", "Updated": "updated",
                  "Valid": "valid"}

Value = tuple[str, str | None]  # (text, xml:lang)


class DcRow(NamedTuple):
    element: str  # the dc: element's local name
    values: Callable[[Record], Iterator[Value]]


def _titles(r: Record) -> Iterator[Value]:
    # The main title first: the mapper takes the first dc:title as the main one.
    main = [t for t in r.titles if t.title_type is None]
    for title in main + [t for t in r.titles if t.title_type is not None]:
        yield title.value, title.lang


def _creators(r: Record) -> Iterator[Value]:
    for creator in r.creators:
        yield creator.name, creator.lang


def _subjects(r: Record) -> Iterator[Value]:
    for subject in r.subjects:
        if subject.scheme == "DDC" and subject.classification_code:
            yield f"info:eu-repo/classification/ddc/{subject.classification_code}", None
        else:
            yield subject.value, subject.lang


def _descriptions(r: Record) -> Iterator[Value]:
    for description in r.descriptions:
        if description.description_type != "SeriesInformation":
            yield description.value, description.lang


def _publisher(r: Record) -> Iterator[Value]:
    if r.publisher:
        yield r.publisher.name, r.publisher.lang


def _contributors(r: Record) -> Iterator[Value]:
    for contributor in r.contributors:
        yield contributor.name, contributor.lang


def _dates(r: Record) -> Iterator[Value]:
    """The Issued date (else the publication year) first and plain; others as eu-repo URIs."""
    issued = next((d for d in r.dates if d.date_type == "Issued"), None)
    if issued:
        yield issued.value, None
    elif r.publication_year:
        yield str(r.publication_year), None
    for date in r.dates:
        if date is issued or date.date_type == "Coverage":
            continue
        kind = _EU_REPO_DATES.get(date.date_type or "")
        if date.date_type == "Available" and date.information == "embargo end":
            kind = "embargoEnd"
        yield (f"info:eu-repo/date/{kind}/{date.value}" if kind else date.value), None


def _types(r: Record) -> Iterator[Value]:
    if r.resource_type:
        general, value = r.resource_type.general, r.resource_type.value
        if general:
            yield general, None
        if value and value != general:
            yield value, None


def _formats(r: Record) -> Iterator[Value]:
    for value in r.formats:
        yield value, None


def _identifiers(r: Record) -> Iterator[Value]:
    if r.doi:
        yield f"https://doi.org/{r.doi}", None
    elif r.identifier:
        yield r.identifier.value, None
    if r.landing_page:
        yield r.landing_page, None
    for alternate in r.alternate_identifiers:
        yield alternate.value, None


def _sources(r: Record) -> Iterator[Value]:
    for description in r.descriptions:
        if description.description_type == "SeriesInformation":
            yield description.value, description.lang


def _language(r: Record) -> Iterator[Value]:
    if r.language:
        yield r.language, None


def _relations(r: Record) -> Iterator[Value]:
    for related in r.related_identifiers:
        if related.related_identifier_type == "DOI":
            yield f"https://doi.org/{related.value}", None
        else:
            yield related.value, None
    for funding in r.funding_references:
        parts = (funding.funder_name, funding.award_number or "")
        if funding.award_number and not any("/" in p for p in parts):
            yield f"info:eu-repo/grantAgreement/{funding.funder_name}//{funding.award_number}", None


def _coverage(r: Record) -> Iterator[Value]:
    for date in r.dates:
        if date.date_type == "Coverage":
            yield date.value, None
    for location in r.geo_locations:
        name = f"; name={location.place}" if location.place and ";" not in location.place else ""
        if location.point:
            yield (f"east={location.point.longitude}; north={location.point.latitude}{name}",
                   None)
        elif location.box:
            box = location.box
            yield (f"northlimit={box.north}; southlimit={box.south}; eastlimit={box.east}; "
                   f"westlimit={box.west}{name}", None)
        elif location.place:
            yield location.place, None


def _rights(r: Record) -> Iterator[Value]:
    for rights in r.rights:
        if rights.uri:
            yield rights.uri, None
        elif rights.statement:
            yield rights.statement, rights.lang
    if r.access_rights:
        yield r.access_rights, None


# The fifteen dc: elements in the order of the DCMI element set; docs/provider.md mirrors this.
ROWS: tuple[DcRow, ...] = (
    DcRow("title", _titles),
    DcRow("creator", _creators),
    DcRow("subject", _subjects),
    DcRow("description", _descriptions),
    DcRow("publisher", _publisher),
    DcRow("contributor", _contributors),
    DcRow("date", _dates),
    DcRow("type", _types),
    DcRow("format", _formats),
    DcRow("identifier", _identifiers),
    DcRow("source", _sources),
    DcRow("language", _language),
    DcRow("relation", _relations),
    DcRow("coverage", _coverage),
    DcRow("rights", _rights),
)


def dc_element(record: Record) -> etree._Element:
    """`<oai_dc:dc>` for one record; empty values are left out, never written empty."""
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap=_NSMAP)
    root.set(f"{{{_XSI}}}schemaLocation", f"{OAI_DC} {SCHEMA}")
    for row in ROWS:
        seen: set[Value] = set()
        for text, lang in row.values(record):
            text = clean_text((text or "").strip())  # lxml refuses what XML 1.0 cannot carry
            if not text or (text, lang) in seen:
                continue
            seen.add((text, lang))
            element = etree.SubElement(root, f"{{{DC}}}{row.element}")
            element.text = text
            if lang and _LANGUAGE.match(lang):
                element.set(_XML_LANG, lang)
    return root
