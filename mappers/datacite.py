"""DataCite XML (kernels 2.x, 3, 4.0-4.7; bare or in oai_datacite) to the record model."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from lxml import etree

from errors import MappingError
from mappers.context import Draft, MapContext
from mappers.normalise import (
    classify_identifier,
    normalise_doi,
    normalise_orcid,
    normalise_ror,
    publication_year_from,
    resource_type_general,
)
from mappers.xmltools import (
    LANG,
    PROSE,
    TEXT,
    XML_LANG,
    Row,
    Tidy,
    apply_rows,
    attr,
    child,
    child_attr,
    local_name,
    namespace_of,
    qualify,
    root_of,
    text_of,
)
from schemas import (
    Affiliation,
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
    Rights,
    Subject,
    Title,
)
from schemas import vocabularies as vocab

KERNEL_NAMESPACE = re.compile(r"^http://datacite\.org/schema/kernel-[234](?:\.\d+)?$")
OAI_DATACITE_NAMESPACES = frozenset({"http://schema.datacite.org/oai/oai-1.0/",
                                     "http://schema.datacite.org/oai/oai-1.1/"})


# --- tidying the regular fields -------------------------------------------------------------------

def _tagged(field: str) -> Tidy:
    def tidy(draft: Draft, item: Any, element: etree._Element) -> Any:
        draft.tag_language(field, item)
        return item
    return tidy


def _attribute(element: etree._Element | None, name: str) -> str | None:
    value = element.get(name) if element is not None else None
    return (value.strip() or None) if value else None


def _publisher(draft: Draft, item: Publisher, element: etree._Element) -> Publisher:
    item.lang = draft.language(item.lang, "publisher.lang")
    if item.identifier and (item.identifier_scheme or "").upper() == "ROR":
        item.identifier = _checked_ror(draft, item.identifier, "publisher.identifier")
        item.identifier_scheme = "ROR" if item.identifier else None
    return item


def _publication_year(draft: Draft, text: str, element: etree._Element) -> int | None:
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    year = publication_year_from(text)
    draft.issue("invalid_publication_year",
                f"{text!r} is not a four-digit year" +
                (f"; {year} was read from it." if year else "; it was dropped."),
                field="publication_year")
    return year


def _date(draft: Draft, item: Date, element: etree._Element) -> Date:
    draft.check_date("dates", item)
    return item


def _language(draft: Draft, text: str, element: etree._Element) -> str | None:
    return draft.language(text)


def _related(draft: Draft, item: RelatedIdentifier, element: Any) -> RelatedIdentifier:
    kind = item.related_identifier_type
    if kind is None:
        found, value = classify_identifier(item.value)
        if found in vocab.RELATED_IDENTIFIER_TYPE:
            item.related_identifier_type, item.value = found, value
    elif kind.upper() == "DOI":
        item.related_identifier_type = "DOI"
        if doi := normalise_doi(item.value):
            item.value = doi
        else:
            draft.issue("invalid_doi", f"{item.value!r} is not a DOI; it was kept as given.",
                        field=f"related_identifiers[{draft.position('related_identifiers')}]")
    return item


def _rights(draft: Draft, item: Rights, element: etree._Element) -> Rights | None:
    scheme = (_attribute(element, "rightsIdentifierScheme") or "").upper()
    hint = _attribute(element, "rightsIdentifier") if scheme == "SPDX" else None
    lang = draft.language(item.lang, f"rights[{draft.position('rights')}].lang")
    rights = draft.rights(item.statement, item.uri, spdx_hint=hint, lang=lang,
                          scheme_uri=item.scheme_uri)
    identifier = _attribute(element, "rightsIdentifier")
    if rights is not None and identifier and scheme != "SPDX":
        rights.rights_identifier = identifier
        rights.rights_identifier_scheme = _attribute(element, "rightsIdentifierScheme")
    return rights


def _funding(draft: Draft, item: FundingReference, element: Any) -> FundingReference:
    kind = (item.funder_identifier_type or "").upper()
    if item.funder_identifier and kind == "CROSSREF FUNDER ID":
        if doi := normalise_doi(item.funder_identifier):
            item.funder_identifier = f"https://doi.org/{doi}"
    elif item.funder_identifier and kind == "ROR":
        where = f"funding_references[{draft.position('funding_references')}].funder_identifier"
        item.funder_identifier = _checked_ror(draft, item.funder_identifier, where)
        if item.funder_identifier is None:
            item.funder_identifier_type = None
    return item


# The regular fields of a DataCite resource; docs/mappings.md mirrors this table.
# "language" comes first: language detection on short texts checks against it.
ROWS: tuple[Row, ...] = (
    Row("language", "language", many=False, tidy=_language),
    Row("titles", "titles/title", Title,
        {"value": TEXT, "lang": LANG, "title_type": attr("titleType")},
        tidy=_tagged("titles")),
    Row("publisher", "publisher", Publisher,
        {"name": TEXT, "lang": LANG, "identifier": attr("publisherIdentifier"),
         "identifier_scheme": attr("publisherIdentifierScheme"), "scheme_uri": attr("schemeURI")},
        required=("name",), many=False, tidy=_publisher),
    Row("publication_year", "publicationYear", many=False, tidy=_publication_year),
    Row("subjects", "subjects/subject", Subject,
        {"value": TEXT, "scheme": attr("subjectScheme"), "scheme_uri": attr("schemeURI"),
         "value_uri": attr("valueURI"), "classification_code": attr("classificationCode"),
         "lang": LANG},
        tidy=_tagged("subjects")),
    Row("dates", "dates/date", Date,
        {"value": TEXT, "date_type": attr("dateType"), "information": attr("dateInformation")},
        tidy=_date),
    Row("alternate_identifiers", "alternateIdentifiers/alternateIdentifier", AlternateIdentifier,
        {"value": TEXT, "type": attr("alternateIdentifierType")}),
    Row("related_identifiers", "relatedIdentifiers/relatedIdentifier", RelatedIdentifier,
        {"value": TEXT, "related_identifier_type": attr("relatedIdentifierType"),
         "relation_type": attr("relationType"),
         "resource_type_general": attr("resourceTypeGeneral"),
         "relation_type_information": attr("relationTypeInformation"),
         "related_metadata_scheme": attr("relatedMetadataScheme"),
         "scheme_uri": attr("schemeURI"), "scheme_type": attr("schemeType")},
        tidy=_related),
    Row("sizes", "sizes/size"),
    Row("formats", "formats/format"),
    Row("version", "version", many=False),
    Row("rights", "rightsList/rights", Rights,
        {"statement": TEXT, "uri": attr("rightsURI"), "scheme_uri": attr("schemeURI"),
         "lang": LANG},
        required=("statement", "uri"), tidy=_rights),
    Row("rights", "rights", Rights,  # kernel 2.x: one <rights> straight under <resource>
        {"statement": TEXT, "uri": attr("rightsURI"), "lang": LANG},
        required=("statement", "uri"), tidy=_rights),
    Row("descriptions", "descriptions/description", Description,
        {"value": PROSE, "description_type": attr("descriptionType"), "lang": LANG},
        tidy=_tagged("descriptions")),
    Row("funding_references", "fundingReferences/fundingReference", FundingReference,
        {"funder_name": child("funderName"), "funder_identifier": child("funderIdentifier"),
         "funder_identifier_type": child_attr("funderIdentifier", "funderIdentifierType"),
         "award_number": child("awardNumber"),
         "award_uri": child_attr("awardNumber", "awardURI"), "award_title": child("awardTitle")},
        required=("funder_name",), tidy=_funding),
)


# --- irregular fields -----------------------------------------------------------------------------

def _checked_ror(draft: Draft, value: str, where: str) -> str | None:
    ror = normalise_ror(value)
    if ror is None:
        draft.issue("invalid_ror", f"{value!r} is not a valid ROR id (form or checksum); it was "
                    "dropped.", field=where)
    return ror


def _identifier(draft: Draft, resource: etree._Element, ns: str) -> None:
    element = resource.find(qualify(ns, "identifier"))
    value = text_of(element)
    if not value:
        return
    kind = _attribute(element, "identifierType") or "DOI"
    if kind.upper() != "DOI":
        draft.set("identifier", Identifier(value=value, type=kind))
        return
    doi = normalise_doi(value)
    if doi is None:
        draft.issue("invalid_doi", f"{value!r} is not a DOI; it was kept as given.",
                    field="identifier")
    draft.set("identifier", Identifier(value=doi or value, type="DOI"))


def _name_identifier(draft: Draft, element: etree._Element, where: str) -> NameIdentifier | None:
    value = text_of(element)
    if not value:
        return None
    scheme = _attribute(element, "nameIdentifierScheme")
    scheme_uri = _attribute(element, "schemeURI")
    upper = (scheme or "").upper()
    if upper == "ORCID" or (scheme is None and "orcid.org/" in value.lower()):
        orcid = normalise_orcid(value)
        if orcid is None:
            draft.issue("invalid_orcid", f"{value!r} is not a valid ORCID iD (form or checksum);"
                        " it was dropped.", field=f"{where}.name_identifiers")
            return None
        return NameIdentifier(identifier=orcid, scheme="ORCID", scheme_uri=scheme_uri)
    if upper == "ROR" or (scheme is None and "ror.org/" in value.lower()):
        ror = _checked_ror(draft, value, f"{where}.name_identifiers")
        return NameIdentifier(identifier=ror, scheme="ROR", scheme_uri=scheme_uri) if ror else None
    return NameIdentifier(identifier=value, scheme=scheme, scheme_uri=scheme_uri)


def _affiliation(draft: Draft, element: etree._Element, where: str) -> Affiliation | None:
    name = text_of(element)
    identifier = _attribute(element, "affiliationIdentifier")
    scheme = _attribute(element, "affiliationIdentifierScheme")
    if identifier and (scheme or "").upper() == "ROR":
        identifier = _checked_ror(draft, identifier, f"{where}.affiliations")
        scheme = "ROR" if identifier else None
    if not (name or identifier):
        return None
    return Affiliation(name=name, identifier=identifier, identifier_scheme=scheme)


def _names(draft: Draft, resource: etree._Element, ns: str, field: str) -> None:
    """Creators or contributors; kernel 3 "Funder" contributors become funding references."""
    tag = "creator" if field == "creators" else "contributor"
    path, name_tag, given_tag, family_tag, id_tag, affiliation_tag = _name_tags(ns, tag)
    for element in resource.iterfind(path):
        # One pass over the children instead of a search per part (the first of each counts).
        parts: dict[Any, list[etree._Element]] = {}
        for part in element:
            parts.setdefault(part.tag, []).append(part)
        name_element = parts[name_tag][0] if name_tag in parts else None
        given = text_of(parts[given_tag][0]) if given_tag in parts else None
        family = text_of(parts[family_tag][0]) if family_tag in parts else None
        name = text_of(name_element) or ", ".join(p for p in (family, given) if p) or None
        if not name:
            draft.issue("empty_element", f"A {tag} without a name was skipped.", field=field,
                        severity="info")
            continue
        kind = _attribute(element, "contributorType") if tag == "contributor" else None
        where = f"{field}[{draft.position(field)}]"
        identifiers = [i for e in parts.get(id_tag, ())
                       if (i := _name_identifier(draft, e, where)) is not None]
        if kind == "Funder":
            _funder_contributor(draft, name, identifiers)
            continue
        affiliations = [a for e in parts.get(affiliation_tag, ())
                        if (a := _affiliation(draft, e, where)) is not None]
        name_type = _attribute(name_element, "nameType") or \
            _infer_name_type(given, family, identifiers)
        if name_type == "Personal" and not (given or family) and name.count(",") == 1:
            family, _, given = (part.strip() for part in name.partition(","))
        lang = draft.language(_attribute(name_element, XML_LANG), f"{where}.lang")
        values = {"name": name, "name_type": name_type, "given_name": given or None,
                  "family_name": family or None, "lang": lang,
                  "name_identifiers": identifiers, "affiliations": affiliations}
        if tag == "contributor":
            values["contributor_type"] = kind
        item = draft.make(Contributor if tag == "contributor" else Creator, where, **values)
        if item is not None:
            draft.append(field, item)


@lru_cache(maxsize=64)
def _name_tags(ns: str, tag: str) -> tuple[str, ...]:
    """The path to the creator or contributor elements and the tags of their parts."""
    return tuple(qualify(ns, local) for local in (
        f"{tag}s/{tag}", f"{tag}Name", "givenName", "familyName", "nameIdentifier",
        "affiliation"))


def _infer_name_type(given: str | None, family: str | None,
                     identifiers: list[NameIdentifier]) -> str | None:
    """Only what the record itself proves: given/family names or an ORCID make a person."""
    schemes = {i.scheme for i in identifiers}
    if given or family or "ORCID" in schemes:
        return "Personal"
    if "ROR" in schemes:
        return "Organizational"
    return None


def _funder_contributor(draft: Draft, name: str, identifiers: list[NameIdentifier]) -> None:
    first = identifiers[0] if identifiers else None
    kind = None
    if first is not None:
        kind = first.scheme if first.scheme in vocab.FUNDER_IDENTIFIER_TYPE else "Other"
    draft.append("funding_references", FundingReference(
        funder_name=name, funder_identifier=first.identifier if first else None,
        funder_identifier_type=kind))


def _resource_type(draft: Draft, resource: etree._Element, ns: str) -> None:
    element = resource.find(qualify(ns, "resourceType"))
    if element is None:
        return
    given = _attribute(element, "resourceTypeGeneral")
    value = text_of(element)
    general = resource_type_general(given or value)
    if given and general is None:
        draft.issue("unknown_resource_type", f"{given!r} is not a DataCite resourceTypeGeneral.",
                    field="resource_type.general")
    if general or value:
        draft.set("resource_type", ResourceType(general=general, value=value))


def _first_children(element: etree._Element) -> dict[Any, etree._Element]:
    """The first child of each tag: one pass instead of a search per child wanted."""
    first: dict[Any, etree._Element] = {}
    for part in element:
        first.setdefault(part.tag, part)
    return first


def _coordinate(text: str | None, limit: float) -> float | None:
    try:
        number = float(text) if text is not None else None
    except ValueError:
        return None
    return number if number is not None and -limit <= number <= limit else None


def _point(draft: Draft, element: etree._Element | None, ns: str, where: str) -> GeoPoint | None:
    """A kernel-4 point (pointLatitude/pointLongitude) or a kernel-3 "lat lon" text."""
    if element is None:
        return None
    if len(element):
        parts = _first_children(element)
        raw = (text_of(parts.get(qualify(ns, "pointLatitude"))),
               text_of(parts.get(qualify(ns, "pointLongitude"))))
    else:
        raw = tuple((element.text or "").split()) + (None, None)
    latitude, longitude = _coordinate(raw[0], 90), _coordinate(raw[1], 180)
    if latitude is None or longitude is None:
        draft.issue("invalid_coordinates", f"The point {raw[:2]!r} is not a latitude and "
                    "longitude in range; it was dropped.", field=where)
        return None
    return GeoPoint(latitude=latitude, longitude=longitude)


def _box(draft: Draft, element: etree._Element | None, ns: str, where: str) -> GeoBox | None:
    """A kernel-4 box (four bound elements) or a kernel-3 "south west north east" text."""
    if element is None:
        return None
    if len(element):
        parts = _first_children(element)
        raw = [text_of(parts.get(qualify(ns, name))) for name in (
            "southBoundLatitude", "westBoundLongitude", "northBoundLatitude",
            "eastBoundLongitude")]
    else:
        raw = ((element.text or "").split() + [None] * 4)[:4]
    south, west = _coordinate(raw[0], 90), _coordinate(raw[1], 180)
    north, east = _coordinate(raw[2], 90), _coordinate(raw[3], 180)
    if None in (south, west, north, east):
        draft.issue("invalid_coordinates", f"The box {raw!r} (south, west, north, east) is not "
                    "in range; it was dropped.", field=where)
        return None
    return GeoBox(south=south, west=west, north=north, east=east)


def _polygon(draft: Draft, element: etree._Element, ns: str, where: str) -> list[GeoPoint]:
    points = [_point(draft, p, ns, where) for p in element.iterfind(qualify(ns, "polygonPoint"))]
    return [] if None in points else points


def _geo_locations(draft: Draft, resource: etree._Element, ns: str) -> None:
    for element in resource.iterfind(qualify(ns, "geoLocations/geoLocation")):
        where = f"geo_locations[{draft.position('geo_locations')}]"
        parts = _first_children(element)
        place = text_of(parts.get(qualify(ns, "geoLocationPlace")))
        point = _point(draft, parts.get(qualify(ns, "geoLocationPoint")), ns, where)
        box = _box(draft, parts.get(qualify(ns, "geoLocationBox")), ns, where)
        polygons = [p for e in element.iterfind(qualify(ns, "geoLocationPolygon"))
                    if (p := _polygon(draft, e, ns, where))]
        if place or point or box or polygons:
            draft.append("geo_locations", GeoLocation(
                place=place, point=point, box=box, polygon=polygons[0] if polygons else []))
        # The model holds one polygon per location; further polygons get locations of their own.
        for polygon in polygons[1:]:
            draft.append("geo_locations", GeoLocation(place=place, polygon=polygon))


def _related_items(draft: Draft, resource: etree._Element, ns: str) -> None:
    """Kernel 4.4+ relatedItems: those with an identifier become related identifiers."""
    seen = {(r.value, r.relation_type) for r in draft.fields.get("related_identifiers", [])}
    for element in resource.iterfind(qualify(ns, "relatedItems/relatedItem")):
        identifier = element.find(qualify(ns, "relatedItemIdentifier"))
        value = text_of(identifier)
        if not value:
            draft.issue("unmapped_value", "A relatedItem without an identifier was not mapped: "
                        "the model has no place for a citation.", field="related_identifiers",
                        severity="info")
            continue
        item = draft.make(RelatedIdentifier, "related_identifiers", value=value,
                          related_identifier_type=_attribute(identifier,
                                                             "relatedItemIdentifierType"),
                          relation_type=_attribute(element, "relationType"),
                          resource_type_general=_attribute(element, "relatedItemType"))
        if item is None:
            continue
        item = _related(draft, item, identifier)
        if (item.value, item.relation_type) not in seen:
            seen.add((item.value, item.relation_type))
            draft.append("related_identifiers", item)


def _derive_publication_year(draft: Draft) -> None:
    if draft.fields.get("publication_year") is not None:
        return
    for item in draft.fields.get("dates", []):
        if item.date_type == "Issued" and (year := publication_year_from(item.value)):
            draft.set("publication_year", year)
            draft.issue("publication_year_derived", f"publicationYear is missing; {year} was "
                        "taken from the Issued date.", field="publication_year", severity="info")
            return


# --- the mapper -----------------------------------------------------------------------------------

def _resource(root: etree._Element, context: MapContext) -> tuple[etree._Element, str]:
    """The <resource> element and its kernel namespace, unwrapping oai_datacite."""
    namespace = namespace_of(root)
    if namespace in OAI_DATACITE_NAMESPACES and local_name(root) == "oai_datacite":
        payload = root.find(f"{{{namespace}}}payload")
        children = [c for c in payload if isinstance(c.tag, str)] if payload is not None else []
        if not children:
            raise MappingError("The oai_datacite wrapper holds no <payload><resource>.",
                               source=context.source_id, record_id=context.source_identifier)
        root, namespace = children[0], namespace_of(children[0])
    if local_name(root) != "resource" or not KERNEL_NAMESPACE.match(namespace):
        raise MappingError(
            f"The root element is <{local_name(root)}> in namespace {namespace or '(none)'!r}, "
            "not a DataCite <resource> (kernel 2, 3 or 4) or an oai_datacite wrapper.",
            source=context.source_id, record_id=context.source_identifier)
    return root, namespace


def map_datacite(payload: bytes | None, context: MapContext, element: Any = None) -> Record:
    """One DataCite record (bare <resource> or oai_datacite) as a common-model Record."""
    resource, ns = _resource(root_of(payload, context, element), context)
    draft = Draft(context)
    _identifier(draft, resource, ns)
    _names(draft, resource, ns, "creators")
    apply_rows(draft, resource, ns, ROWS)
    _names(draft, resource, ns, "contributors")
    _resource_type(draft, resource, ns)
    _geo_locations(draft, resource, ns)
    _related_items(draft, resource, ns)
    _derive_publication_year(draft)
    return draft.record()
