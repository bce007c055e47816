"""OAI Dublin Core (oai_dc:dc with the fifteen dc: elements) to the record model."""

from __future__ import annotations

import math
import re
from typing import Any

from lxml import etree

from errors import MappingError
from mappers.context import Draft, MapContext
from mappers.normalise import (
    classify_identifier,
    normalise_date,
    normalise_orcid,
    publication_year_from,
    resource_type_general,
)
from mappers.normalise.subjects import classification
from mappers.xmltools import (
    LANG,
    PROSE,
    TEXT,
    XML_LANG,
    Row,
    apply_rows,
    const,
    local_name,
    namespace_of,
    qualify,
    root_of,
    text_of,
)
from schemas import (
    AlternateIdentifier,
    Contributor,
    Creator,
    Date,
    Description,
    FundingReference,
    GeoBox,
    GeoLocation,
    GeoPoint,
    Identifier,
    NameIdentifier,
    Publisher,
    Record,
    RelatedIdentifier,
    ResourceType,
    Subject,
    Title,
)
from schemas import vocabularies as vocab

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"


# --- tidying the regular fields -------------------------------------------------------------------

def _title(draft: Draft, item: Title, element: etree._Element) -> Title:
    """The first title is the main one; later ones are translations when their language differs."""
    draft.tag_language("titles", item)
    if draft.position("titles"):
        languages = (item.lang, draft.fields["titles"][0].lang)
        translated = all(languages) and len({tag.split("-")[0] for tag in languages}) == 2
        item.title_type = "TranslatedTitle" if translated else "AlternativeTitle"
    return item


def _subject(draft: Draft, item: Subject, element: etree._Element) -> Subject:
    if found := classification(item.value):  # info:eu-repo/classification/udc/551.5, ddc:550
        item.scheme, item.classification_code = found
        return item  # a class number has no language to detect
    draft.tag_language("subjects", item)
    return item


def _description(draft: Draft, item: Description, element: etree._Element) -> Description:
    draft.tag_language("descriptions", item)
    return item


def _publisher(draft: Draft, item: Publisher, element: etree._Element) -> Publisher:
    item.lang = draft.language(item.lang, "publisher.lang")
    return item


def _language(draft: Draft, text: str, element: etree._Element) -> str | None:
    return draft.language(text)


# The regular dc: elements; docs/mappings.md mirrors this table.
# "language" comes first: language detection on short texts checks against it.
ROWS: tuple[Row, ...] = (
    Row("language", "language", many=False, tidy=_language),
    Row("titles", "title", Title, {"value": TEXT, "lang": LANG}, tidy=_title),
    Row("publisher", "publisher", Publisher, {"name": TEXT, "lang": LANG}, required=("name",),
        many=False, tidy=_publisher),
    Row("subjects", "subject", Subject, {"value": TEXT, "lang": LANG}, split=";",
        tidy=_subject),
    Row("descriptions", "description", Description,
        {"value": PROSE, "lang": LANG, "description_type": const("Abstract")},
        tidy=_description),
    Row("formats", "format"),
)


# --- names ----------------------------------------------------------------------------------------

# Word stems (any ending) and whole words that name organisations, in the languages we see.
_ORGANISATION = re.compile(
    r"\b(?:univ|institut|istituto|laborat|societ|soci[eé]t[eé]|associa|asociaci|foundation|"
    r"fundaci|funda[cç]|stiftung|museu|mus[eé]e|librar|biblio|agenc|ministr|minist[eè]r|"
    r"council|conseil|consej|consorti|organi[sz]|committee|commission|comisi|observator|"
    r"academ|acad[eé]m|facult|department|departament|hospital|h[oô]pital|corporat|compan|"
    r"federa|archiv|repositor|government|gouvernement|gobierno|programm|laboratoire)"
    r"|\b(?:center|centre|centro|society|group|groupe|grupo|team|project|projet|proyecto|"
    r"survey|office|bureau|service|services|network|college|coll[eè]ge|school|[eé]cole|escuela|"
    r"company|program|authority|national|research|board|alliance|initiative|trust|press|"
    r"publishing|publisher|ltd|inc|gmbh|llc|plc|unit|unesco)\b",
    re.IGNORECASE)
_ORCID_IN_NAME = re.compile(
    r"[\s,;(\[]*(?:orcid:?\s*)?((?:https?://)?(?:www\.)?(?:orcid\.org/)?"
    r"\d{4}-\d{4}-\d{4}-\d{3}[\dXx])[\s)\]]*", re.IGNORECASE)
_PARTICLES = frozenset("van von der den de del della di da dos du la le ten ter bin al".split())


def _looks_like_a_given_name(part: str) -> bool:
    words = part.split()
    return 1 <= len(words) <= 4 and all(w[0].isupper() or w.lower() in _PARTICLES
                                        for w in words) and not any(c.isdigit() for c in part)


def parse_name(text: str) -> dict[str, Any]:
    """Name, name type and given/family names from a dc:creator or dc:contributor string.

    "Family, Given" is a person; an organisation word (University, Institut, Centre, ...) makes
    an organisation; "Given Family" of two capitalised words is a person; anything else (one
    word, a name in a script without capitals) is left untyped rather than guessed.
    """
    name = " ".join(text.split())
    if _ORGANISATION.search(name):
        return {"name": name, "name_type": "Organizational"}
    if name.count(",") == 1:
        family, given = (p.strip() for p in name.split(","))
        if family and given and _looks_like_a_given_name(given) and len(family.split()) <= 4:
            return {"name": name, "name_type": "Personal", "family_name": family,
                    "given_name": given}
    words = name.split()
    if len(words) == 2 and "," not in name and _looks_like_a_given_name(name):
        return {"name": name, "name_type": "Personal", "given_name": words[0],
                "family_name": words[1]}
    if 3 <= len(words) <= 4 and "," not in name and _looks_like_a_given_name(name):
        return {"name": name, "name_type": "Personal"}
    return {"name": name}


def _agents(draft: Draft, root: etree._Element, tag: str) -> None:
    field = "creators" if tag == "creator" else "contributors"
    for element in root.iterfind(qualify(DC, tag)):
        text = text_of(element)
        if not text:
            continue
        where = f"{field}[{draft.position(field)}]"
        identifiers: list[NameIdentifier] = []
        if match := _ORCID_IN_NAME.search(text):
            orcid = normalise_orcid(match.group(1))
            if orcid:
                identifiers.append(NameIdentifier(identifier=orcid, scheme="ORCID",
                                                  scheme_uri="https://orcid.org"))
            else:
                draft.issue("invalid_orcid", f"{match.group(1)!r} is not a valid ORCID iD "
                            "(form or checksum); it was dropped.",
                            field=f"{where}.name_identifiers")
            text = (text[:match.start()] + " " + text[match.end():]).strip(" ,;")
        values = parse_name(text)
        if identifiers:
            values["name_type"] = "Personal"
        model = Creator if tag == "creator" else Contributor
        if tag == "contributor":
            values["contributor_type"] = "Other"  # Dublin Core does not say which role
        item = draft.make(model, where, **values, name_identifiers=identifiers)
        if item is not None:
            draft.append(field, item)


# --- identifiers, dates, types, rights ------------------------------------------------------------

def _identifiers(draft: Draft, root: etree._Element) -> None:
    """The first DOI is the identifier, the first other URL the landing page; the rest alternate."""
    handle = None
    seen: set[str] = set()
    for element in root.iterfind(qualify(DC, "identifier")):
        text = text_of(element)
        if not text:
            continue
        kind, value = classify_identifier(text)
        if kind == "DOI" and "identifier" not in draft.fields:
            draft.set("identifier", Identifier(value=value, type="DOI"))
            seen.add(value)
            continue
        if kind == "URL" and "landing_page" not in draft.fields:
            draft.set("landing_page", value)
            continue
        if kind == "Handle" and handle is None:
            handle = value
        if value not in seen:
            seen.add(value)
            draft.append("alternate_identifiers", AlternateIdentifier(value=value, type=kind))
    if handle and "landing_page" not in draft.fields:
        draft.set("landing_page", f"https://hdl.handle.net/{handle}")


_EU_REPO_DATE = re.compile(r"^info:eu-repo/date/([A-Za-z]+)/(.+)$")
_EU_REPO_DATE_TYPES = {
    "embargoend": "Available", "available": "Available", "accepted": "Accepted",
    "issued": "Issued", "created": "Created", "updated": "Updated", "submitted": "Submitted",
    "copyrighted": "Copyrighted", "valid": "Valid",
}


def _dates(draft: Draft, root: etree._Element) -> None:
    """The first plain dc:date is the Issued date and gives the publication year."""
    for element in root.iterfind(qualify(DC, "date")):
        text = text_of(element)
        if not text:
            continue
        information = None
        if match := _EU_REPO_DATE.match(text):
            kind = _EU_REPO_DATE_TYPES.get(match.group(1).lower(), "Other")
            information = "embargo end" if match.group(1).lower() == "embargoend" else None
            text = match.group(2).strip()
        elif any(d.date_type == "Issued" for d in draft.fields.get("dates", [])):
            kind = "Other"
        else:
            kind = "Issued"
        if kind == "Issued" and draft.fields.get("publication_year") is None:
            draft.set("publication_year", publication_year_from(text))
        item = Date(value=text, date_type=kind, information=information)
        draft.check_date("dates", item)
        draft.append("dates", item)


_GENERIC_TYPES = frozenset({"Text", "Other"})


def _resource_type(draft: Draft, root: etree._Element) -> None:
    """The most specific dc:type we recognise; "Text" only when nothing better is given."""
    values = [v for e in root.iterfind(qualify(DC, "type")) if (v := text_of(e))]
    if not values:
        return
    mapped = [(general, value) for value in values
              if (general := resource_type_general(value)) is not None]
    if not mapped:
        draft.issue("unknown_resource_type", f"No dc:type ({', '.join(map(repr, values))}) "
                    "names a known resource type.", field="resource_type.general")
        draft.set("resource_type", ResourceType(general=None, value=values[0]))
        return
    specific = [m for m in mapped if m[0] not in _GENERIC_TYPES]
    general, value = (specific or mapped)[0]
    draft.set("resource_type", ResourceType(general=general, value=value))


def _looks_like_uri(text: str) -> bool:
    return " " not in text and bool(re.match(r"^(https?://|info:|urn:)", text, re.IGNORECASE))


def _rights(draft: Draft, root: etree._Element) -> None:
    for element in root.iterfind(qualify(DC, "rights")):
        text = text_of(element)
        if not text:
            continue
        lang = draft.language(element.get(XML_LANG), f"rights[{draft.position('rights')}].lang")
        rights = draft.rights(None, uri=text, lang=lang) if _looks_like_uri(text) else \
            draft.rights(text, lang=lang)
        if rights is not None:
            draft.append("rights", rights)


# --- relations, coverage, source ------------------------------------------------------------------

_GRANT = re.compile(r"^info:eu-repo/grantAgreement/([^/]*)/([^/]*)/([^/]+)(?:/([^/]*))?"
                    r"(?:/([^/]*))?", re.IGNORECASE)
_EU_REPO_RELATION = re.compile(r"^info:eu-repo/semantics/([A-Za-z]+)/([A-Za-z]+)/(.+)$")
_EU_REPO_ID_TYPES = {"doi": "DOI", "handle": "Handle", "hdl": "Handle", "urn": "URN",
                     "isbn": "ISBN", "issn": "ISSN", "eissn": "EISSN", "pmid": "PMID",
                     "arxiv": "arXiv", "url": "URL", "ark": "ARK", "purl": "PURL"}


def _related_value(text: str) -> tuple[str | None, str]:
    """(relatedIdentifierType, value): ORCID and ROR ids are kept as URLs."""
    kind, value = classify_identifier(text)
    if kind in ("ORCID", "ROR"):
        return "URL", value
    return (kind if kind in vocab.RELATED_IDENTIFIER_TYPE else None), value


def _relations(draft: Draft, root: etree._Element) -> None:
    for element in root.iterfind(qualify(DC, "relation")):
        text = text_of(element)
        if not text:
            continue
        if (match := _GRANT.match(text)) and match.group(1):
            funder, _, award, _, title = match.groups()
            draft.append("funding_references", FundingReference(
                funder_name=funder, award_number=award, award_title=title or None))
            continue
        relation = None
        if match := _EU_REPO_RELATION.match(text):
            relation_name, id_type, text = match.groups()
            kind = _EU_REPO_ID_TYPES.get(id_type.lower())
            if relation_name.lower() == "altidentifier":
                found, value = classify_identifier(text)
                draft.append("alternate_identifiers",
                             AlternateIdentifier(value=value, type=found or kind))
                continue
            relation = "References" if relation_name.lower().startswith("reference") else None
        kind, value = _related_value(text)
        if kind is None:
            draft.issue("unmapped_value", f"The dc:relation {text!r} is not an identifier; it "
                        "was not mapped.", field="related_identifiers", severity="info")
            continue
        draft.append("related_identifiers", RelatedIdentifier(
            value=value, related_identifier_type=kind, relation_type=relation))


_DCMI_PAIR = re.compile(r"\s*([A-Za-z]+)\s*=\s*([^;]*)")


def _finite(text: str) -> float:
    """A coordinate; ValueError for "nan", "inf" and "1e999" too, which no JSON can carry."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
    return number


def _dcmi_geo(draft: Draft, text: str) -> GeoLocation | None:
    """A DCMI Point ("east=..; north=..") or Box ("northlimit=..; ...") encoding, if it is one."""
    pairs = {k.lower(): v.strip() for k, v in _DCMI_PAIR.findall(text)}
    try:
        if {"east", "north"} <= pairs.keys():
            point = GeoPoint(latitude=_finite(pairs["north"]), longitude=_finite(pairs["east"]))
            return GeoLocation(place=pairs.get("name") or None, point=point)
        if {"northlimit", "southlimit", "eastlimit", "westlimit"} <= pairs.keys():
            box = GeoBox(north=_finite(pairs["northlimit"]), south=_finite(pairs["southlimit"]),
                         east=_finite(pairs["eastlimit"]), west=_finite(pairs["westlimit"]))
            return GeoLocation(place=pairs.get("name") or None, box=box)
    except ValueError:
        draft.issue("invalid_coordinates", f"The dc:coverage {text!r} has coordinates that are "
                    "not numbers; it was kept as a place name.", field="geo_locations")
    return None


def _coverage(draft: Draft, root: etree._Element) -> None:
    """A date or range becomes a Coverage date; anything else a place (DCMI Point/Box parsed)."""
    for element in root.iterfind(qualify(DC, "coverage")):
        text = text_of(element)
        if not text:
            continue
        if canonical := normalise_date(text):
            draft.append("dates", Date(value=canonical, date_type="Coverage"))
            continue
        draft.append("geo_locations", _dcmi_geo(draft, text) or GeoLocation(place=text))


def _sources(draft: Draft, root: etree._Element) -> None:
    """An identifier is what the record derives from; a citation is series information."""
    for element in root.iterfind(qualify(DC, "source")):
        text = text_of(element)
        if not text:
            continue
        kind, value = _related_value(text)
        if kind is not None:
            relation = "IsPublishedIn" if kind in ("ISSN", "EISSN") else "IsDerivedFrom"
            draft.append("related_identifiers", RelatedIdentifier(
                value=value, related_identifier_type=kind, relation_type=relation))
            continue
        item = Description(value=text, description_type="SeriesInformation")
        draft.tag_language("descriptions", item)
        draft.append("descriptions", item)


# --- the mapper -----------------------------------------------------------------------------------

def map_oai_dc(payload: bytes | None, context: MapContext, element: Any = None) -> Record:
    """One oai_dc:dc record as a common-model Record."""
    root = root_of(payload, context, element)
    if local_name(root) != "dc" or namespace_of(root) != OAI_DC:
        raise MappingError(
            f"The root element is <{local_name(root)}> in namespace "
            f"{namespace_of(root) or '(none)'!r}, not <oai_dc:dc> ({OAI_DC}).",
            source=context.source_id, record_id=context.source_identifier)
    draft = Draft(context)
    _identifiers(draft, root)
    _agents(draft, root, "creator")
    apply_rows(draft, root, DC, ROWS)
    _agents(draft, root, "contributor")
    _dates(draft, root)
    _resource_type(draft, root)
    _rights(draft, root)
    _relations(draft, root)
    _coverage(draft, root)
    _sources(draft, root)
    return draft.record()
