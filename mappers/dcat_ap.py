"""DCAT-AP 2.x/3.x datasets (one dataset's description as N-Triples) to the record model.

The payload is what `harvesters.dcat` cuts out of a catalogue page: the dataset node and the
nodes it reaches (distributions, agents, contact points, periods, locations), as N-Triples. The
mapper reads that graph alone. Every language variant of a text is kept with its tag; where the
model holds one value (a publisher's name, a distribution's title) the choice is by rule: the
record's language, then no tag, then English, then the alphabetically first tag.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, DefinedNamespace

from errors import MappingError
from mappers.context import Draft, MapContext
from mappers.normalise import (
    classify_identifier,
    normalise_date,
    normalise_doi,
    normalise_language,
    normalise_licence,
    normalise_orcid,
    normalise_ror,
    publication_year_from,
    resource_type_general,
)
from mappers.normalise.subjects import EU_DATA_THEMES, vocabulary_for
from safexml import clean_text
from schemas import (
    AlternateIdentifier,
    ContactPoint,
    Contributor,
    Creator,
    Date,
    Description,
    Distribution,
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


def _vocabulary(name: str, iri: str) -> Any:
    """Terms by attribute; rdflib's Namespace is a str, whose .title and .format are methods."""
    return type(name, (DefinedNamespace,), {"_NS": Namespace(iri), "_warn": False})


ADMS = _vocabulary("ADMS", "http://www.w3.org/ns/adms#")
DCAT = _vocabulary("DCAT", "http://www.w3.org/ns/dcat#")
DCT = _vocabulary("DCT", "http://purl.org/dc/terms/")
FOAF = _vocabulary("FOAF", "http://xmlns.com/foaf/0.1/")
GSP = _vocabulary("GSP", "http://www.opengis.net/ont/geosparql#")
LOCN = _vocabulary("LOCN", "http://www.w3.org/ns/locn#")
ORG = _vocabulary("ORG", "http://www.w3.org/ns/org#")
OWL = _vocabulary("OWL", "http://www.w3.org/2002/07/owl#")
PROV = _vocabulary("PROV", "http://www.w3.org/ns/prov#")
RDFS = _vocabulary("RDFS", "http://www.w3.org/2000/01/rdf-schema#")
SCHEMA = _vocabulary("SCHEMA", "http://schema.org/")
SKOS = _vocabulary("SKOS", "http://www.w3.org/2004/02/skos/core#")
SPDX = _vocabulary("SPDX", "http://spdx.org/rdf/terms#")
TIME = _vocabulary("TIME", "http://www.w3.org/2006/time#")
VCARD = _vocabulary("VCARD", "http://www.w3.org/2006/vcard/ns#")

_DATASET_TYPES = (DCAT.Dataset, DCAT.DatasetSeries)
# What names a node, in order of preference: agents, concepts, places, documents.
_NAMES = (FOAF.name, VCARD.fn, VCARD["organization-name"], SCHEMA.name, SKOS.prefLabel,
          LOCN.geographicName, DCT.title, RDFS.label, SKOS.altLabel)
_PERSON_TYPES = frozenset({FOAF.Person, VCARD.Individual, SCHEMA.Person})
_ORGANISATION_TYPES = frozenset({FOAF.Organization, VCARD.Organization, ORG.Organization,
                                 SCHEMA.Organization, ORG.FormalOrganization})
_IANA_MEDIA_TYPE = re.compile(r"^https?://(?:www\.)?iana\.org/assignments/media-types/(.+)$",
                              re.IGNORECASE)
_EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"


# --- reading values -------------------------------------------------------------------------------

def _text(value: Any) -> str | None:
    """A literal's text, whitespace collapsed; None when empty or not a literal."""
    if not isinstance(value, Literal):
        return None
    return " ".join(str(value).split()) or None


def _prose(value: Any) -> str | None:
    """Running text: paragraphs (blank lines) kept apart, hard line wraps undone."""
    if not isinstance(value, Literal):
        return None
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", str(value)))
    return "\n\n".join(p for p in paragraphs if p) or None


def _order(graph: Graph, values: Iterable[Any], language: str | None) -> list[Any]:
    """Values in a stable order: literals by language preference, then nodes by IRI.

    Language preference: the record's language, no tag, English, then tags alphabetically.
    Blank nodes go by what they say, not by their labels, which differ from parse to parse.
    """
    base = (language or "").split("-")[0].lower()

    def key(value: Any) -> tuple:
        if isinstance(value, Literal):
            tag = (value.language or "").lower()
            rank = (0 if base and tag.split("-")[0] == base else 1 if not tag else
                    2 if tag.split("-")[0] == "en" else 3)
            return (0, rank, tag, str(value))
        if isinstance(value, URIRef):
            return (1, 0, "", str(value))
        return (2, 0, "", _signature(graph, value))

    return sorted(values, key=key)


def _signature(graph: Graph, node: Any) -> str:
    """What a blank node says (its statements without other blank nodes): a sort key that
    holds from one parse to the next, unlike the node's label."""
    return "\n".join(sorted(f"{p} {_n3(o)}" for p, o in graph.predicate_objects(node)
                            if not isinstance(o, BNode)))


def _n3(term: Any) -> str:
    """term.n3(); rdflib refuses that (with a bare Exception) for an IRI it finds invalid, such
    as a partner's <a\\b> that its N-Triples parser took, or a literal typed with one."""
    try:
        return term.n3()
    except Exception:  # noqa: BLE001 - rdflib raises nothing more specific
        if isinstance(term, Literal):
            return f'"{term}"@{term.language or ""}^^<{term.datatype or ""}>'
        return f"<{term}>"


def _objects(graph: Graph, node: Any, *predicates: Any) -> list[Any]:
    if node is None:  # rdflib reads None as "any subject"
        return []
    return [o for p in predicates for o in graph.objects(node, p)]


def _first_text(graph: Graph, node: Any, predicates: Iterable[Any],
                language: str | None = None) -> Literal | None:
    """The preferred literal of the first predicate that has one."""
    if node is None:  # rdflib reads None as "any subject"
        return None
    for predicate in predicates:
        texts = [v for v in _order(graph, graph.objects(node, predicate), language) if _text(v)]
        if texts:
            return texts[0]
    return None


def _name(graph: Graph, node: Any, language: str | None = None) -> Literal | None:
    """What a node is called; for a literal node, the literal itself."""
    if isinstance(node, Literal):
        return node if _text(node) else None
    return _first_text(graph, node, _NAMES, language)


def _reference(graph: Graph, node: Any, language: str | None = None) -> str | None:
    """An IRI as is; a blank node by its name or identifier; a literal by its text."""
    if isinstance(node, URIRef):
        return str(node)
    if isinstance(node, Literal):
        return _text(node)
    named = _name(graph, node, language) or _first_text(graph, node, (DCT.identifier,))
    return _text(named) if named is not None else None


def _local_name(iri: str) -> str:
    return re.split(r"[/#:]", iri.rstrip("/#"))[-1]


def _media_type(graph: Graph, node: Any) -> str | None:
    """"text/csv" from an IANA media-type IRI, a literal, or a node's rdf:value or label."""
    if isinstance(node, URIRef):
        match = _IANA_MEDIA_TYPE.match(str(node))
        return match.group(1) if match else None
    if isinstance(node, BNode):
        node = _first_text(graph, node, (RDF.value, RDFS.label, SKOS.prefLabel))
    return _text(node)


def _format(graph: Graph, node: Any) -> str | None:
    """A format name: the EU file-type code ("CSV"), a media type, a label, or the IRI."""
    if isinstance(node, URIRef):
        iri = str(node)
        if iri.startswith(f"{_EU_AUTHORITY}file-type/"):
            return _local_name(iri)
        return _media_type(graph, node) or _text(_name(graph, node)) or iri
    return _media_type(graph, node)


# --- the mapping table ----------------------------------------------------------------------------

Read = Callable[[Draft, Graph, Any], Any]
"""Reads one value (literal or node) of a predicate into one item; None skips it."""


def _title(draft: Draft, graph: Graph, value: Any) -> Title | None:
    """The first title (by language preference) is the main one; the others translations when
    their language differs from it, else alternative titles."""
    text = _text(value)
    if text is None:
        return None
    item = Title(value=text, lang=value.language)
    draft.tag_language("titles", item)
    if draft.position("titles"):
        main = draft.fields["titles"][0]
        languages = (item.lang, main.lang)
        translated = all(languages) and len({tag.split("-")[0] for tag in languages}) == 2
        item.title_type = "TranslatedTitle" if translated else "AlternativeTitle"
    return item


def _alternative_title(draft: Draft, graph: Graph, value: Any) -> Title | None:
    text = _text(value)
    if text is None:
        return None
    item = Title(value=text, lang=value.language, title_type="AlternativeTitle")
    draft.tag_language("titles", item)
    return item


def _description(draft: Draft, graph: Graph, value: Any) -> Description | None:
    text = _prose(value)
    if text is None:
        return None
    item = Description(value=text, lang=value.language, description_type="Abstract")
    draft.tag_language("descriptions", item)
    return item


def _keyword(draft: Draft, graph: Graph, value: Any) -> Subject | None:
    text = _text(value)
    if text is None:
        return None
    item = Subject(value=text, lang=value.language)
    draft.tag_language("subjects", item)
    return item


def _date(date_type: str) -> Read:
    def read(draft: Draft, graph: Graph, value: Any) -> Date | None:
        text = _text(value)
        if text is None:
            return None
        item = Date(value=text, date_type=date_type)
        draft.check_date("dates", item)
        return item
    read.__doc__ = f"date_type {date_type}"
    return read


def _language(draft: Draft, graph: Graph, value: Any) -> str | None:
    """A language IRI (EU authority ENG, id.loc.gov iso639-1/en, lexvo) or code, as BCP 47."""
    text = _local_name(str(value)) if isinstance(value, URIRef) else _text(value)
    return draft.language(text) if text else None


def _iri(draft: Draft, graph: Graph, value: Any) -> str | None:
    if isinstance(value, URIRef):
        return str(value)
    text = _text(value)
    return text if text and re.match(r"^https?://", text) else None


def _referenced(draft: Draft, graph: Graph, value: Any) -> str | None:
    return _reference(graph, value, draft.fields.get("language"))


def _plain(draft: Draft, graph: Graph, value: Any) -> str | None:
    return _text(value)


class Row(NamedTuple):
    """One regular field: each value of `predicates` on the dataset, read into one item.

    Values are taken in a stable order (`_order`: by language preference, then by IRI).
    `many=False` fills a single-valued field from the first value that reads.
    """

    field: str
    predicates: tuple[Any, ...]
    read: Read
    many: bool = True


ROWS: tuple[Row, ...] = (
    Row("language", (DCT.language,), _language, many=False),
    Row("titles", (DCT.title,), _title),
    Row("titles", (DCT.alternative,), _alternative_title),
    Row("descriptions", (DCT.description,), _description),
    Row("subjects", (DCAT.keyword,), _keyword),
    Row("dates", (DCT.issued,), _date("Issued")),
    Row("dates", (DCT.modified,), _date("Updated")),
    Row("landing_page", (DCAT.landingPage,), _iri, many=False),
    Row("conforms_to", (DCT.conformsTo,), _referenced),
    Row("version", (DCAT.version, OWL.versionInfo, ADMS.version), _plain, many=False),
    Row("access_rights", (DCT.accessRights,), _referenced, many=False),
)


def apply_rows(draft: Draft, graph: Graph, dataset: Any, rows: tuple[Row, ...]) -> None:
    """Fill the draft from the dataset's statements following a mapping table."""
    for row in rows:
        if not row.many and draft.has(row.field):
            continue
        values = _order(graph, _objects(graph, dataset, *row.predicates),
                        draft.fields.get("language"))
        for value in values:
            item = row.read(draft, graph, value)
            if item is None:
                continue
            if not row.many:
                draft.set(row.field, item)
                break
            if item not in draft.fields.get(row.field, ()):
                draft.append(row.field, item)


# --- identifiers ----------------------------------------------------------------------------------

def _identifiers(draft: Draft, graph: Graph, dataset: Any) -> None:
    """The first DOI (dct:identifier, adms:identifier, the IRI) is the identifier; without one,
    dct:identifier, else the dataset IRI. Every other identifier is an alternate identifier."""
    found: list[tuple[str, str | None]] = []  # (value, scheme named by the partner)
    for value in _order(graph, graph.objects(dataset, DCT.identifier), None):
        text = _text(value) or (str(value) if isinstance(value, URIRef) else None)
        if text:
            found.append((text, None))
    local = [text for text, _ in found]
    for node in _order(graph, graph.objects(dataset, ADMS.identifier), None):
        if isinstance(node, URIRef):
            found.append((str(node), None))
            continue
        notation = _first_text(graph, node, (SKOS.notation, RDF.value))
        if notation is None:
            continue
        scheme = _text(_first_text(graph, node, (ADMS.schemaAgency,))) or _text(
            _name(graph, next(iter(_objects(graph, node, DCT.creator)), None)))
        if scheme is None and notation.datatype is not None:
            scheme = _local_name(str(notation.datatype))
        found.append((_text(notation) or "", scheme))
    if isinstance(dataset, URIRef):
        found.append((str(dataset), None))
    doi = next((d for text, _ in found if (d := normalise_doi(text))), None)
    if doi:
        draft.set("identifier", Identifier(value=doi, type="DOI"))
    elif local:
        kind, value = classify_identifier(local[0])
        draft.set("identifier", Identifier(value=value, type=kind or "Other"))
    elif isinstance(dataset, URIRef):
        draft.set("identifier", Identifier(value=str(dataset), type="URL"))
    chosen = draft.fields["identifier"].value if draft.has("identifier") else None
    seen = {chosen}
    for text, scheme in found:
        kind, value = classify_identifier(text)
        if value in seen or normalise_doi(text) == chosen:
            continue
        seen.add(value)
        draft.append("alternate_identifiers",
                     AlternateIdentifier(value=value, type=scheme or kind))


# --- agents ---------------------------------------------------------------------------------------

def _agent_identifiers(graph: Graph, node: Any) -> list[NameIdentifier]:
    """ORCID iDs and ROR ids (checked), then any other IRI, from the node and its identifiers."""
    candidates = [str(node)] if isinstance(node, URIRef) else []
    others = _objects(graph, node, DCT.identifier, ADMS.identifier, OWL.sameAs)
    candidates += [text for v in _order(graph, others, None) if (text := _reference(graph, v))]
    identifiers: list[NameIdentifier] = []
    for text in dict.fromkeys(candidates):
        if orcid := normalise_orcid(text):
            item = NameIdentifier(identifier=orcid, scheme="ORCID",
                                  scheme_uri="https://orcid.org")
        elif ror := normalise_ror(text):
            item = NameIdentifier(identifier=ror, scheme="ROR", scheme_uri="https://ror.org")
        elif re.match(r"^https?://", text):
            item = NameIdentifier(identifier=text, scheme="URI")
        else:
            item = NameIdentifier(identifier=text)
        if item not in identifiers:
            identifiers.append(item)
    return identifiers


def _agent(draft: Draft, graph: Graph, node: Any, field: str, model: type,
           **extra: Any) -> Any | None:
    """A creator or contributor from a foaf/vcard/schema.org agent, or from a bare name."""
    language = draft.fields.get("language")
    where = f"{field}[{draft.position(field)}]"
    given = _text(_first_text(graph, node, (FOAF.givenName, FOAF.firstName,
                                            VCARD["given-name"], SCHEMA.givenName)))
    family = _text(_first_text(graph, node, (FOAF.familyName, FOAF.lastName, FOAF.surname,
                                             VCARD["family-name"], SCHEMA.familyName)))
    named = _name(graph, node, language)
    name = _text(named) or ", ".join(p for p in (family, given) if p) or None
    identifiers = _agent_identifiers(graph, node) if not isinstance(node, Literal) else []
    if name is None and isinstance(node, URIRef):
        name = str(node)
        draft.issue("name_from_identifier", f"An agent of {field} has no name in the "
                    "description; its IRI stands in for it.", field=where, severity="info")
    if name is None:
        draft.issue("empty_element", f"An agent of {field} without a name was skipped.",
                    field=field, severity="info")
        return None
    types = set(graph.objects(node, RDF.type)) if not isinstance(node, Literal) else set()
    schemes = {i.scheme for i in identifiers}
    name_type = None
    if types & _PERSON_TYPES or given or family or "ORCID" in schemes:
        name_type = "Personal"
    elif types & _ORGANISATION_TYPES or "ROR" in schemes:
        name_type = "Organizational"
    lang = draft.language(named.language, f"{where}.lang") if named is not None else None
    return draft.make(model, field, name=name, name_type=name_type, given_name=given,
                      family_name=family, lang=lang, name_identifiers=identifiers, **extra)


# PROV roles (dcat:hadRole in a qualified attribution), by local name, as DataCite contributor
# types. The ISO 19115 / INSPIRE responsible-party roles are what GeoDCAT-AP uses.
_ROLES: dict[str, str] = {t.lower(): t for t in vocab.CONTRIBUTOR_TYPE}
_ROLES.update({
    "custodian": "DataCurator", "distributor": "Distributor", "originator": "Producer",
    "pointofcontact": "ContactPerson", "principalinvestigator": "ProjectLeader",
    "resourceprovider": "Distributor", "owner": "RightsHolder", "publisher": "Distributor",
    "editor": "Editor", "sponsor": "Sponsor", "funder": "Sponsor", "collaborator": "Other",
    "processor": "Other", "user": "Other", "author": "Other", "contributor": "Other",
    "coauthor": "Other", "mediator": "Other", "stakeholder": "Other",
})


def _by_name(graph: Graph, nodes: Iterable[Any], language: str | None) -> list[Any]:
    """Agents by name: RDF keeps no order of creators, so the name gives a stable one."""
    return sorted(_order(graph, nodes, None),
                  key=lambda node: _text(_name(graph, node, language)) or "")


def _agents(draft: Draft, graph: Graph, dataset: Any) -> None:
    """dct:creator as creators; dct:contributor and prov:qualifiedAttribution (with the role
    as contributor type) as contributors."""
    language = draft.fields.get("language")
    for node in _by_name(graph, graph.objects(dataset, DCT.creator), language):
        if (item := _agent(draft, graph, node, "creators", Creator)) is not None:
            draft.append("creators", item)
    for node in _by_name(graph, graph.objects(dataset, DCT.contributor), language):
        item = _agent(draft, graph, node, "contributors", Contributor, contributor_type="Other")
        if item is not None:
            draft.append("contributors", item)
    for attribution in _order(graph, graph.objects(dataset, PROV.qualifiedAttribution), None):
        agents = _order(graph, graph.objects(attribution, PROV.agent), None)
        if not agents:
            continue
        roles = sorted(_local_name(str(r)).replace("_", "").replace("-", "").lower()
                       for r in _objects(graph, attribution, DCAT.hadRole))
        kind = next((_ROLES[r] for r in roles if r in _ROLES), "Other")
        item = _agent(draft, graph, agents[0], "contributors", Contributor,
                      contributor_type=kind)
        if item is not None:
            draft.append("contributors", item)


def _publisher(draft: Draft, graph: Graph, dataset: Any) -> None:
    """The first publisher (DCAT-AP allows one) with its name and, from its IRI, identifier."""
    language = draft.fields.get("language")
    for node in _order(graph, graph.objects(dataset, DCT.publisher), language):
        named = _name(graph, node, language)
        name = _text(named)
        identifier = scheme = scheme_uri = None
        if isinstance(node, URIRef):
            identifier = str(node)
            if ror := normalise_ror(identifier):
                identifier, scheme, scheme_uri = ror, "ROR", "https://ror.org/"
            else:
                scheme = classify_identifier(identifier)[0]
        if name is None and identifier is None:
            continue
        if name is None:
            name = str(node)
            draft.issue("name_from_identifier", "The publisher has no name in the description; "
                        "its IRI stands in for it.", field="publisher", severity="info")
        lang = draft.language(named.language, "publisher.lang") if named is not None else None
        draft.set("publisher", Publisher(name=name, lang=lang, identifier=identifier,
                                         identifier_scheme=scheme, scheme_uri=scheme_uri))
        return


def _contact_points(draft: Draft, graph: Graph, dataset: Any) -> None:
    language = draft.fields.get("language")
    for node in _order(graph, graph.objects(dataset, DCAT.contactPoint), language):
        if isinstance(node, Literal):
            text = _text(node)
            name, email, url = (None, text, None) if text and "@" in text else (text, None, None)
        else:
            name = _text(_name(graph, node, language))
            email = next((e for v in _order(graph, graph.objects(node, VCARD.hasEmail), None)
                          if (e := _email(graph, v))), None)
            url = next((u for v in _order(graph, _objects(graph, node, VCARD.hasURL, FOAF.homepage,
                                                   FOAF.page), None)
                        if (u := _reference(graph, v))), None)
        if name or email or url:
            item = ContactPoint(name=name, email=email, url=url)
            if item not in draft.fields.get("contact_points", ()):
                draft.append("contact_points", item)


def _email(graph: Graph, value: Any) -> str | None:
    """An address from <mailto:...>, a literal, or a vcard:Email node's vcard:value."""
    if isinstance(value, BNode):
        value = next(iter(_objects(graph, value, VCARD.value, RDF.value)), None)
    text = str(value).strip() if value is not None else ""
    address = re.sub(r"^mailto:", "", text, flags=re.IGNORECASE).strip()
    return address if "@" in address else None


# --- subjects, time, place ------------------------------------------------------------------------

def _themes(draft: Draft, graph: Graph, dataset: Any) -> None:
    """dcat:theme and dct:subject concepts: one subject per label language, with the concept
    IRI as value_uri and its scheme; literals as plain subjects."""
    for value in _order(graph, _objects(graph, dataset, DCAT.theme, DCT.subject), None):
        if isinstance(value, Literal):
            if (text := _text(value)) is not None:
                item = Subject(value=text, lang=value.language)
                draft.tag_language("subjects", item)
                draft.append("subjects", item)
            continue
        iri = str(value) if isinstance(value, URIRef) else None
        known = vocabulary_for(iri)
        scheme, scheme_uri = (known.scheme, known.scheme_uri) if known else (None, None)
        for in_scheme in _order(graph, graph.objects(value, SKOS.inScheme), None):
            scheme_uri = str(in_scheme) if isinstance(in_scheme, URIRef) else scheme_uri
            scheme = _text(_name(graph, in_scheme)) or scheme
        labels = [(_text(v), v.language)
                  for v in _order(graph, graph.objects(value, SKOS.prefLabel), None) if _text(v)]
        if not labels and known and known.scheme == "EU Data Theme":
            label = EU_DATA_THEMES.get(_local_name(iri))
            labels = [(label, "en")] if label else []
        if not labels:
            labels = [(_text(_name(graph, value)) or (_local_name(iri) if iri else None), None)]
        for label, lang in labels:
            if label:
                item = Subject(value=label, lang=normalise_language(lang) if lang else None,
                               scheme=scheme, scheme_uri=scheme_uri, value_uri=iri)
                if item not in draft.fields.get("subjects", ()):
                    draft.append("subjects", item)


_STARTS = (DCAT.startDate, SCHEMA.startDate, TIME.hasBeginning)
_ENDS = (DCAT.endDate, SCHEMA.endDate, TIME.hasEnd)
_INSTANTS = (TIME.inXSDDateTimeStamp, TIME.inXSDDateTime, TIME.inXSDDate, TIME.inXSDgYear,
             TIME.inXSDgYearMonth, TIME.inDateTime)


def _instant(graph: Graph, node: Any, predicates: tuple[Any, ...]) -> str | None:
    for value in _order(graph, _objects(graph, node, *predicates), None):
        if isinstance(value, Literal):
            return _text(value)
        if (found := _first_text(graph, value, _INSTANTS)) is not None:
            return _text(found)
    return None


def _temporal(draft: Draft, graph: Graph, dataset: Any) -> None:
    """dct:temporal periods (DCAT, schema.org or OWL-Time ends) as Coverage date ranges."""
    for value in _order(graph, graph.objects(dataset, DCT.temporal), None):
        if isinstance(value, Literal):
            text = _text(value)
        else:
            start, end = _instant(graph, value, _STARTS), _instant(graph, value, _ENDS)
            text = f"{start or ''}/{end or ''}" if start or end else None
        if text is None:
            what = f" {str(value)!r}" if isinstance(value, URIRef) else ""
            draft.issue("unmapped_value", f"A temporal coverage{what} has no start or end date "
                        "in the description; it was not mapped.", field="dates",
                        severity="info")
            continue
        item = Date(value=text, date_type="Coverage")
        draft.check_date("dates", item)
        draft.append("dates", item)


_WKT = re.compile(r"^\s*(?:<([^>]*)>\s*)?(POINT|POLYGON|MULTIPOLYGON)\s*(?:Z\s*)?\((.*)\)\s*$",
                  re.IGNORECASE | re.DOTALL)
_GML_CORNER = re.compile(r"<(?:\w+:)?(lowerCorner|upperCorner)>\s*([^<]+?)\s*<", re.IGNORECASE)
_GML_POS = re.compile(r"<(?:\w+:)?pos>\s*([^<]+?)\s*<", re.IGNORECASE)
_SRS = re.compile(r'srsName\s*=\s*"([^"]*)"', re.IGNORECASE)


def _lat_first(crs: str | None) -> bool:
    """EPSG:4326 orders latitude first; CRS84 (WKT's and GeoJSON's default) longitude first."""
    return bool(crs) and "4326" in crs and "CRS84" not in crs.upper()


def _pairs(text: str, lat_first: bool) -> list[tuple[float, float]] | None:
    """(longitude, latitude) pairs from "x y, x y, ..." (extra ordinates ignored)."""
    pairs = []
    for chunk in re.split(r"\s*,\s*", text.replace("(", " ").replace(")", " ").strip()):
        numbers = chunk.split()
        if len(numbers) < 2:
            return None
        try:
            a, b = float(numbers[0]), float(numbers[1])
        except ValueError:
            return None
        pairs.append((b, a) if lat_first else (a, b))
    return pairs


def _shape(pairs: list[tuple[float, float]]) -> dict[str, Any]:
    """A point, an axis-aligned box, or a polygon from (longitude, latitude) pairs."""
    if len(pairs) == 1:
        return {"point": pairs[0]}
    lons, lats = {p[0] for p in pairs}, {p[1] for p in pairs}
    if len(pairs) in (4, 5) and len(lons) == 2 and len(lats) == 2:
        return {"box": (min(lons), max(lons), min(lats), max(lats))}
    return {"polygon": pairs}


def _geometry(text: str) -> dict[str, Any] | None:
    """What a WKT, GeoJSON or GML literal describes, as {"point"|"box"|"polygon": ...}."""
    if match := _WKT.match(text):
        crs, kind, body = match.groups()
        if kind.upper() == "POLYGON" or kind.upper() == "MULTIPOLYGON":
            body = re.split(r"\)\s*,\s*\(", body)[0]  # the outer ring of the first polygon
        pairs = _pairs(body, _lat_first(crs))
        return _shape(pairs) if pairs else None
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            shape = json.loads(stripped)
            coordinates = shape["coordinates"]
            kind = shape["type"]
            ring = {"Point": lambda c: [c], "Polygon": lambda c: c[0],
                    "MultiPolygon": lambda c: c[0][0]}[kind](coordinates)
            return _shape([(float(c[0]), float(c[1])) for c in ring])
        except (ValueError, KeyError, IndexError, TypeError, OverflowError, RecursionError):
            return None
    if stripped.startswith("<"):
        srs = _SRS.search(stripped)
        lat_first = _lat_first(srs.group(1) if srs else None)
        corners = dict((k.lower(), v) for k, v in _GML_CORNER.findall(stripped))
        if "lowercorner" in corners and "uppercorner" in corners:
            pairs = _pairs(f"{corners['lowercorner']}, {corners['uppercorner']}", lat_first)
            if pairs:
                (west, south), (east, north) = pairs
                return {"box": (west, east, south, north)}
        if position := _GML_POS.search(stripped):
            pairs = _pairs(position.group(1), lat_first)
            return _shape(pairs) if pairs else None
    return None


def _in_range(longitude: float, latitude: float) -> bool:
    return -180 <= longitude <= 180 and -90 <= latitude <= 90


def _spatial(draft: Draft, graph: Graph, dataset: Any) -> None:
    """dct:spatial: a place name (or the place's IRI) and its geometries (dcat:bbox,
    dcat:centroid, locn:geometry; WKT, GeoJSON or GML) as one geo location."""
    language = draft.fields.get("language")
    for value in _order(graph, graph.objects(dataset, DCT.spatial), language):
        where = f"geo_locations[{draft.position('geo_locations')}]"
        place, literals = None, []
        if isinstance(value, Literal):
            text = _text(value) or ""
            literals, place = ([value], None) if _geometry(text) else ([], text or None)
        else:
            place = _text(_name(graph, value, language)) or (
                str(value) if isinstance(value, URIRef) else None)
            for geometry in _order(graph, _objects(graph, value, DCAT.bbox, DCAT.centroid,
                                            LOCN.geometry), None):
                literals += [geometry] if isinstance(geometry, Literal) else _objects(
                    graph, geometry, GSP.asWKT, GSP.asGML, LOCN.geometry)
        found: dict[str, Any] = {}
        for literal in literals:
            shape = _geometry(str(literal))
            if shape is None:
                draft.issue("invalid_coordinates", f"The geometry {str(literal)[:80]!r} is not "
                            "WKT, GeoJSON or GML we read; it was dropped.", field=where)
                continue
            for kind, data in shape.items():
                found.setdefault(kind, data)
        location = _location(draft, place, found, where)
        if location is not None:
            draft.append("geo_locations", location)


def _location(draft: Draft, place: str | None, found: dict[str, Any],
              where: str) -> GeoLocation | None:
    point = box = None
    polygon: list[GeoPoint] = []
    if "point" in found:
        longitude, latitude = found["point"]
        if _in_range(longitude, latitude):
            point = GeoPoint(latitude=latitude, longitude=longitude)
        else:
            draft.issue("invalid_coordinates", f"The point {found['point']!r} (longitude, "
                        "latitude) is out of range; it was dropped.", field=where)
    if "box" in found:
        west, east, south, north = found["box"]
        if _in_range(west, south) and _in_range(east, north):
            box = GeoBox(west=west, east=east, south=south, north=north)
        else:
            draft.issue("invalid_coordinates", f"The box {found['box']!r} (west, east, south, "
                        "north) is out of range; it was dropped.", field=where)
    if "polygon" in found:
        if all(_in_range(lon, lat) for lon, lat in found["polygon"]):
            polygon = [GeoPoint(latitude=lat, longitude=lon) for lon, lat in found["polygon"]]
        else:
            draft.issue("invalid_coordinates", "A polygon has points out of range; it was "
                        "dropped.", field=where)
    if not (place or point or box or polygon):
        return None
    return GeoLocation(place=place, point=point, box=box, polygon=polygon)


# --- distributions and rights ---------------------------------------------------------------------

_MAX_SIZE = 2**63 - 1  # what a byte count can sensibly be (and a bigint holds)


def _byte_size(value: Any) -> int | None:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    # Bounded before int(): int(Decimal("1E+999999999")) would build a billion-digit number.
    return int(number) if number.is_finite() and 0 <= number <= _MAX_SIZE else None


def _checksum(graph: Graph, node: Any) -> str | None:
    """"algorithm:value" from an spdx:Checksum (spdx:checksumAlgorithm_sha256 -> "sha256")."""
    for checksum in _order(graph, graph.objects(node, SPDX.checksum), None):
        value = _text(_first_text(graph, checksum, (SPDX.checksumValue,)))
        if value:
            algorithms = [_local_name(str(a)).removeprefix("checksumAlgorithm_").lower()
                          for a in _order(graph, graph.objects(checksum, SPDX.algorithm), None)]
            return f"{algorithms[0]}:{value}" if algorithms else value
    return None


def _date_text(graph: Graph, node: Any, predicate: Any) -> str | None:
    text = _text(_first_text(graph, node, (predicate,)))
    return (normalise_date(text) or text) if text else None


def _distribution_key(graph: Graph, node: Any) -> tuple[str, str]:
    """Distributions in a stable order, blank ones too: by URL, then by what they say."""
    urls = sorted(str(u) for u in _objects(graph, node, DCAT.downloadURL, DCAT.accessURL))
    return (urls[0] if urls else "", str(node) if isinstance(node, URIRef) else
            _signature(graph, node))


def _distributions(draft: Draft, graph: Graph, dataset: Any) -> None:
    language = draft.fields.get("language")
    for node in sorted(graph.objects(dataset, DCAT.distribution),
                       key=lambda n: _distribution_key(graph, n)):
        if isinstance(node, Literal):
            continue
        licences = _order(graph, graph.objects(node, DCT.license), None)
        licence = _reference(graph, licences[0]) if licences else None
        media_type = next((m for v in _order(graph, graph.objects(node, DCAT.mediaType), None)
                           if (m := _media_type(graph, v))), None)
        file_format = next((f for v in _order(graph, graph.objects(node, DCT.format), None)
                            if (f := _format(graph, v))), None)
        size = next((s for v in graph.objects(node, DCAT.byteSize)
                     if (s := _byte_size(v)) is not None), None)
        values = {
            "access_url": next((u for v in _order(graph, graph.objects(node, DCAT.accessURL), None)
                                if (u := _reference(graph, v))), None),
            "download_url": next((u for v in _order(graph, graph.objects(node, DCAT.downloadURL),
                                                    None) if (u := _reference(graph, v))), None),
            "title": _text(_first_text(graph, node, (DCT.title,), language)),
            "description": _prose(_first_text(graph, node, (DCT.description,), language)),
            "format": file_format, "media_type": media_type, "license": licence,
            "spdx_id": normalise_licence(licence)[0] if licence else None,
            "access_rights": next((r for v in _order(graph, graph.objects(node, DCT.accessRights),
                                                     None) if (r := _reference(graph, v))),
                                  None),
            "byte_size": size, "checksum": _checksum(graph, node),
            "issued": _date_text(graph, node, DCT.issued),
            "modified": _date_text(graph, node, DCT.modified),
        }
        if not any(values.values()):
            continue
        item = draft.make(Distribution, "distributions", **values)
        if item is None:
            continue
        draft.append("distributions", item)
        kind = media_type or file_format
        if kind and kind not in draft.fields.get("formats", ()):
            draft.append("formats", kind)
        if size is not None and f"{size} bytes" not in draft.fields.get("sizes", ()):
            draft.append("sizes", f"{size} bytes")


def _rights(draft: Draft, graph: Graph, dataset: Any) -> None:
    """dct:license and dct:rights of the dataset, then the licences of its distributions,
    each licence once (by SPDX id, else by URI or statement)."""
    language = draft.fields.get("language")
    values = _order(graph, graph.objects(dataset, DCT.license), language)
    values += _order(graph, graph.objects(dataset, DCT.rights), language)
    for distribution in _order(graph, graph.objects(dataset, DCAT.distribution), None):
        values += _order(graph, graph.objects(distribution, DCT.license), None)
    seen: set[str] = set()
    for value in values:
        named = _name(graph, value, language)
        statement = _text(named)
        if statement is None and isinstance(value, BNode):
            statement = _text(_first_text(graph, value, (DCT.identifier,)))
        lang = None
        if named is not None and named.language:
            lang = draft.language(named.language, f"rights[{draft.position('rights')}].lang")
        item = draft.rights(statement, str(value) if isinstance(value, URIRef) else None,
                            lang=lang)
        if item is None:
            continue
        key = item.spdx_id or item.uri or item.statement or ""
        if key not in seen:
            seen.add(key)
            draft.append("rights", item)


# --- relations, type, year ------------------------------------------------------------------------

# Dataset-to-resource links as DataCite relation types; None where DCAT does not say which.
RELATIONS: tuple[tuple[Any, str | None], ...] = (
    (DCT.isReferencedBy, "IsReferencedBy"), (DCT.references, "References"),
    (DCT.source, "IsDerivedFrom"), (DCT.hasVersion, "HasVersion"),
    (DCT.isVersionOf, "IsVersionOf"), (DCAT.previousVersion, "IsNewVersionOf"),
    (DCT.replaces, "Obsoletes"), (DCT.isReplacedBy, "IsObsoletedBy"),
    (DCAT.inSeries, "IsPartOf"), (DCT.isPartOf, "IsPartOf"), (DCT.hasPart, "HasPart"),
    (DCT.requires, "Requires"), (DCT.isRequiredBy, "IsRequiredBy"),
    (FOAF.page, "IsDocumentedBy"), (DCT.relation, None),
)
_RELATION_NAMES = {t.lower(): t for t in vocab.RELATION_TYPE}


def _related(draft: Draft, graph: Graph, dataset: Any) -> None:
    links = [(value, relation) for predicate, relation in RELATIONS
             for value in _order(graph, graph.objects(dataset, predicate), None)]
    for qualified in _order(graph, graph.objects(dataset, DCAT.qualifiedRelation), None):
        roles = sorted(_local_name(str(r)).lower()
                       for r in graph.objects(qualified, DCAT.hadRole))
        relation = next((_RELATION_NAMES[r] for r in roles if r in _RELATION_NAMES), None)
        targets = _objects(graph, qualified, DCT.relation, DCT.source)
        links += [(target, relation) for target in _order(graph, targets, None)]
    seen = set()
    for value, relation in links:
        text = _reference(graph, value) if not isinstance(value, BNode) else _text(
            _first_text(graph, value, (DCT.identifier,)))
        if not text:
            continue
        kind, normalised = classify_identifier(text)
        if (normalised, relation) in seen:
            continue
        seen.add((normalised, relation))
        draft.append("related_identifiers", RelatedIdentifier(
            value=normalised, relation_type=relation,
            related_identifier_type=kind if kind in vocab.RELATED_IDENTIFIER_TYPE else None))


def _resource_type(draft: Draft, graph: Graph, dataset: Any) -> None:
    """Dataset, unless dct:type names another DataCite type; the type's name as value."""
    types = set(graph.objects(dataset, RDF.type))
    value = "Dataset series" if DCAT.DatasetSeries in types and DCAT.Dataset not in types \
        else None
    general = "Dataset"
    for kind in _order(graph, graph.objects(dataset, DCT.type), None):
        label = _text(_name(graph, kind)) if not isinstance(kind, Literal) else _text(kind)
        text = str(kind) if isinstance(kind, URIRef) else label
        value = label or (_local_name(text) if text else value)
        general = resource_type_general(text) or resource_type_general(label) or general
        break
    draft.set("resource_type", ResourceType(general=general, value=value))


def _publication_year(draft: Draft) -> None:
    """The year of the earliest Issued date, else of the earliest Updated one."""
    for date_type in ("Issued", "Updated"):
        years = [y for d in draft.fields.get("dates", []) if d.date_type == date_type
                 if (y := publication_year_from(d.value)) is not None]
        if years:
            draft.set("publication_year", min(years))
            return


# --- the mapper -----------------------------------------------------------------------------------

def _xml_safe(graph: Graph) -> Graph:
    """The graph, with characters XML 1.0 cannot carry (which N-Triples and JSON-LD spell as
    escapes, in literals and IRIs alike) replaced by U+FFFD, as safexml repairs XML."""
    if not any(_unsafe(term) for triple in graph for term in triple):
        return graph
    cleaned = Graph()
    for triple in graph:
        cleaned.add(tuple(_clean_term(term) if _unsafe(term) else term for term in triple))
    return cleaned


def _unsafe(term: Any) -> bool:
    text = str(term)  # rdflib terms never equal a plain str
    return clean_text(text) != text


def _clean_term(term: Any) -> Any:
    text = clean_text(str(term))
    if isinstance(term, Literal):
        return Literal(text, lang=term.language, datatype=term.datatype)
    return type(term)(text)


def _graph(payload: bytes | None, context: MapContext, element: Any) -> Graph:
    if isinstance(element, Graph):
        return _xml_safe(element)
    if payload is None or not payload.strip():
        raise MappingError("The record has no metadata payload to map.",
                           source=context.source_id, record_id=context.source_identifier)
    graph = Graph()
    try:
        graph.parse(data=payload.decode("utf-8"), format="nt")
    except Exception as exc:  # noqa: BLE001 - any parser failure means "not N-Triples"
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise MappingError(f"The payload is not N-Triples: {detail}.", source=context.source_id,
                           record_id=context.source_identifier) from exc
    return _xml_safe(graph)


def _dataset(graph: Graph, context: MapContext) -> Any:
    """The one dataset the description is about: typed dcat:Dataset (or DatasetSeries) and,
    when several are, the one no other of them points to."""
    datasets = {s for t in _DATASET_TYPES for s in graph.subjects(RDF.type, t)}
    if len(datasets) > 1:
        datasets = {d for d in datasets if not any(
            s in datasets for s, _ in graph.subject_predicates(d))}
    if len(datasets) != 1:
        what = "no dcat:Dataset" if not datasets else f"{len(datasets)} candidate datasets"
        raise MappingError(f"The payload describes {what}; a DCAT-AP record describes exactly "
                           "one.", source=context.source_id, record_id=context.source_identifier)
    return next(iter(datasets))


def map_dcat_ap(payload: bytes | None, context: MapContext, element: Any = None) -> Record:
    """One DCAT-AP dataset description as a common-model Record."""
    graph = _graph(payload, context, element)
    dataset = _dataset(graph, context)
    draft = Draft(context)
    apply_rows(draft, graph, dataset, ROWS)
    _identifiers(draft, graph, dataset)
    _publisher(draft, graph, dataset)
    _agents(draft, graph, dataset)
    _contact_points(draft, graph, dataset)
    _themes(draft, graph, dataset)
    _temporal(draft, graph, dataset)
    _spatial(draft, graph, dataset)
    _distributions(draft, graph, dataset)
    _rights(draft, graph, dataset)
    _related(draft, graph, dataset)
    _resource_type(draft, graph, dataset)
    _publication_year(draft)
    return draft.record()
