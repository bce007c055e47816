"""The common record model as OAI Dublin Core (`oai_dc:dc`): one table row per dc: element.

Each row names a dc: element and a function giving its (text, xml:lang) values from a record
(the common model's JSON, as the store keeps it); `dc_text` applies the table in order.
docs/provider.md mirrors the table. The spellings are the ones our own oai_dc mapper reads back
(eu-repo date and grant URIs, DCMI Point/Box, DDC URIs), so a record harvested from us as
oai_dc keeps as much as Dublin Core can carry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from lxml import etree

from exporters.base import record_data
from exporters.datacite_xml import xml_text
from schemas import Record
from schemas import vocabularies as vocab

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*\Z")  # what xs:language accepts
# DataCite dateTypes that the eu-repo date URIs name; the mapper reads them back as typed dates.
_EU_REPO_DATES = {"Accepted": "accepted", "Available": "available", "Copyrighted": "copyrighted",
                  "Created": "created", "Submitted": "submitted", "Updated": "updated",
                  "Valid": "valid"}

Data = Mapping[str, Any]
Value = tuple[str, str | None]  # (text, xml:lang)


class DcRow(NamedTuple):
    element: str  # the dc: element's local name
    values: Callable[[Data], Iterator[Value]]


def _titles(r: Data) -> Iterator[Value]:
    # The main title first: the mapper takes the first dc:title as the main one. A title type
    # outside DataCite's list is none, as the model has it.
    titles = r.get("titles", ())
    main = [t for t in titles if t.get("title_type") not in vocab.TITLE_TYPE]
    for title in main + [t for t in titles if t.get("title_type") in vocab.TITLE_TYPE]:
        yield title.get("value"), title.get("lang")


def _creators(r: Data) -> Iterator[Value]:
    for creator in r.get("creators", ()):
        yield creator.get("name"), creator.get("lang")


def _subjects(r: Data) -> Iterator[Value]:
    for subject in r.get("subjects", ()):
        if subject.get("scheme") == "DDC" and subject.get("classification_code"):
            yield f"info:eu-repo/classification/ddc/{subject['classification_code']}", None
        else:
            yield subject.get("value"), subject.get("lang")


def _descriptions(r: Data) -> Iterator[Value]:
    for description in r.get("descriptions", ()):
        if description.get("description_type") != "SeriesInformation":
            yield description.get("value"), description.get("lang")


def _publisher(r: Data) -> Iterator[Value]:
    if publisher := r.get("publisher"):
        yield publisher.get("name"), publisher.get("lang")


def _contributors(r: Data) -> Iterator[Value]:
    for contributor in r.get("contributors", ()):
        yield contributor.get("name"), contributor.get("lang")


def _dates(r: Data) -> Iterator[Value]:
    """The Issued date (else the publication year) first and plain; others as eu-repo URIs."""
    dates = r.get("dates", ())
    issued = next((d for d in dates if d.get("date_type") == "Issued"), None)
    if issued:
        yield issued.get("value"), None
    elif r.get("publication_year"):
        yield str(r["publication_year"]), None
    for date in dates:
        if date is issued or date.get("date_type") == "Coverage":
            continue
        kind = _EU_REPO_DATES.get(date.get("date_type") or "")
        if date.get("date_type") == "Available" and date.get("information") == "embargo end":
            kind = "embargoEnd"
        value = date.get("value")
        yield (f"info:eu-repo/date/{kind}/{value}" if kind else value), None


def _types(r: Data) -> Iterator[Value]:
    if kind := r.get("resource_type"):
        general, value = kind.get("general"), kind.get("value")
        if general not in vocab.RESOURCE_TYPE_GENERAL:  # dropped by the model
            general = None
        if general:
            yield general, None
        if value and value != general:
            yield value, None


def _formats(r: Data) -> Iterator[Value]:
    for value in r.get("formats", ()):
        yield value, None


def _identifiers(r: Data) -> Iterator[Value]:
    identifier = r.get("identifier")
    is_doi = identifier and (identifier.get("type") or "").upper() == "DOI"
    if is_doi and identifier.get("value"):
        yield f"https://doi.org/{identifier['value']}", None
    elif identifier:
        yield identifier.get("value"), None
    if r.get("landing_page"):
        yield r["landing_page"], None
    for alternate in r.get("alternate_identifiers", ()):
        yield alternate.get("value"), None


def _sources(r: Data) -> Iterator[Value]:
    for description in r.get("descriptions", ()):
        if description.get("description_type") == "SeriesInformation":
            yield description.get("value"), description.get("lang")


def _language(r: Data) -> Iterator[Value]:
    if r.get("language"):
        yield r["language"], None


def _relations(r: Data) -> Iterator[Value]:
    for related in r.get("related_identifiers", ()):
        if related.get("related_identifier_type") == "DOI":
            yield f"https://doi.org/{related.get('value')}", None
        else:
            yield related.get("value"), None
    for funding in r.get("funding_references", ()):
        name, award = funding.get("funder_name", ""), funding.get("award_number")
        if award and not any("/" in p for p in (name, award)):
            yield f"info:eu-repo/grantAgreement/{name}//{award}", None


def _coverage(r: Data) -> Iterator[Value]:
    for date in r.get("dates", ()):
        if date.get("date_type") == "Coverage":
            yield date.get("value"), None
    for location in r.get("geo_locations", ()):
        place = location.get("place")
        name = f"; name={place}" if place and ";" not in place else ""
        # Coordinates are floats in the model: 10 is written 10.0.
        if point := location.get("point"):
            yield (f"east={float(point['longitude'])}; north={float(point['latitude'])}{name}",
                   None)
        elif box := location.get("box"):
            yield (f"northlimit={float(box['north'])}; southlimit={float(box['south'])}; "
                   f"eastlimit={float(box['east'])}; westlimit={float(box['west'])}{name}", None)
        elif place:
            yield place, None


def _rights(r: Data) -> Iterator[Value]:
    for rights in r.get("rights", ()):
        if rights.get("uri"):
            yield rights["uri"], None
        elif rights.get("statement"):
            yield rights["statement"], rights.get("lang")
    if r.get("access_rights"):
        yield r["access_rights"], None


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
_ROOT = f'<oai_dc:dc xmlns:oai_dc="{OAI_DC}" xmlns:dc="{DC}"'
_ROOT_END = f' xsi:schemaLocation="{OAI_DC} {SCHEMA}"'


def dc_text(record: Record | Data, *, declare_xsi: bool = True) -> str:
    """`<oai_dc:dc>` for one record as XML text; empty values are left out, never written
    empty. Without `declare_xsi` the xsi prefix is left to the enclosing document."""
    record = record_data(record)
    parts = [_ROOT + (f' xmlns:xsi="{_XSI}"' if declare_xsi else "") + _ROOT_END]
    for row in ROWS:
        seen: set[Value] = set()
        for text, lang in row.values(record):
            content = xml_text(text)  # what XML 1.0 cannot carry is replaced, then escaped
            if not content or (content, lang) in seen:
                continue
            seen.add((content, lang))
            language = f' xml:lang="{lang}"' if lang and _LANGUAGE.match(lang) else ""
            parts.append(f"<dc:{row.element}{language}>{content}</dc:{row.element}>")
    if len(parts) == 1:
        return parts[0] + "/>"
    parts[0] += ">"
    parts.append("</oai_dc:dc>")
    return "".join(parts)


def dc_element(record: Record | Data) -> etree._Element:
    """`<oai_dc:dc>` for one record as an element."""
    return etree.fromstring(dc_text(record))
