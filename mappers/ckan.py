"""CKAN package dicts (core, extras, ckanext-scheming DCAT-AP, ckanext-fluent) to the record model.

A package is read through `Fields`: its own keys first, then its extras, so the same row serves
scheming portals (DCAT-AP fields at the top level, lists as lists) and ckanext-dcat's legacy
profiles (the same fields as extras, lists and objects as JSON inside strings). Every value is
read defensively: a field of the wrong JSON type is skipped or noted, never an exception. The
DCAT-JSON spellings ckanext-dcat exchanges (`description`, `keyword`, `landingPage`,
`distribution`) are read as fallbacks of the CKAN ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from errors import MappingError
from mappers.context import Draft, MapContext
from mappers.normalise import (
    classify_identifier,
    normalise_date,
    normalise_doi,
    normalise_licence,
    normalise_orcid,
    normalise_ror,
    publication_year_from,
    resource_type_general,
)
from mappers.normalise.subjects import vocabulary_for
from mappers.oai_dc import parse_name
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
    Rights,
    Subject,
    Title,
)
from schemas import vocabularies as vocab

_EMPTY = (None, "", [], {})


# --- reading JSON values defensively --------------------------------------------------------------

def _text(value: Any) -> str | None:
    """A string with whitespace collapsed; numbers as written; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return clean_text(" ".join(value.split())) or None
    return None


def _prose(value: Any) -> str | None:
    """Running text (CKAN notes are Markdown): paragraphs kept, line wraps undone."""
    if not isinstance(value, str):
        return _text(value)
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", value.replace("\r", "")))
    return clean_text("\n\n".join(p for p in paragraphs if p)) or None


def _decoded(value: Any) -> Any:
    """Legacy extras hold lists and objects as JSON inside strings ('["en", "fr"]')."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _items(value: Any) -> list[Any]:
    """A list from a list, a JSON list inside a string, or one value; [] for nothing."""
    value = _decoded(value)
    if value in _EMPTY:
        return []
    return value if isinstance(value, list) else [value]


def _texts(value: Any, *, split: str | None = None) -> list[str]:
    """The strings of a list (or of one value), optionally split ("en,es,ca")."""
    found = []
    for item in _items(value):
        text = _text(item)
        if text is None:
            continue
        pieces = text.split(split) if split else [text]
        found.extend(p.strip() for p in pieces if p.strip())
    return found


def _in_languages(value: Any) -> list[tuple[str | None, str]]:
    """(language, text) pairs: a ckanext-fluent {"en": ..., "es": ...} object, or plain text."""
    value = _decoded(value)
    if isinstance(value, dict):
        return [(lang, text) for lang, raw in value.items()
                if isinstance(lang, str) and (text := _prose(raw))]
    return [(None, text) for item in _items(value) if (text := _prose(item))]


def _objects(value: Any) -> list[dict[str, Any]]:
    """Objects from a list of objects (scheming repeating subfields), one object, or names."""
    found = []
    for item in _items(value):
        if isinstance(item, dict):
            found.append(item)
        elif text := _text(item):
            found.append({"name": text})
    return found


def _email(value: Any) -> str | None:
    text = _text(value)
    if text and text.lower().startswith("mailto:"):
        text = text[7:].strip()
    return text or None


class Fields:
    """A package's fields: its own keys first, then its extras, JSON inside strings decoded."""

    __slots__ = ("extras", "package")

    def __init__(self, package: dict[str, Any], draft: Draft) -> None:
        self.package = package
        self.extras = _extras(package.get("extras"), draft)

    def get(self, key: str) -> Any:
        value = self.package.get(key)
        if value in _EMPTY:
            return _decoded(self.extras.get(key))
        return value


def _extras(value: Any, draft: Draft) -> dict[str, Any]:
    """CKAN's [{"key": k, "value": v}] list (or a plain object) as a dict; later keys lose."""
    if isinstance(value, dict):
        return dict(value)
    extras: dict[str, Any] = {}
    skipped = 0
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            extras.setdefault(item["key"], item.get("value"))
        else:
            skipped += 1
    if skipped or (value not in _EMPTY and not isinstance(value, list)):
        draft.issue("invalid_element", "Extras that are not {key, value} objects were skipped.",
                    field="extras", severity="info")
    return extras


# --- the mapping table ------------------------------------------------------------------------

Read = Callable[[Any], list[Any]]
"""Turns a field's value into items for the record; [] when it holds nothing usable."""

Tidy = Callable[[Draft, Any], Any]
"""Normalises one item, recording issues on the draft; returns it, or None to drop it."""


class Row(NamedTuple):
    """One regular field: the first of `keys` that reads to something fills `field`.

    Keys are looked up in the package, then its extras (`Fields.get`). `read` turns the value
    into items; `tidy` normalises each just before it is added. `many=False` fills a
    single-valued field from the first item that survives tidying.
    """

    field: str
    keys: tuple[str, ...]
    read: Read
    tidy: Tidy | None = None
    many: bool = True


def _reader(doc: str) -> Callable[[Read], Read]:
    def name(read: Read) -> Read:
        read.__doc__ = doc
        return read
    return name


def texts_in_languages(model: type, **constants: str) -> Read:
    @_reader(f"text or {{lang: text}} → {model.__name__}"
             + "".join(f", {k} = {v}" for k, v in constants.items()))
    def read(value: Any) -> list[Any]:
        return [model(value=text, lang=lang, **constants) for lang, text in _in_languages(value)]
    return read


@_reader("tag objects, names, {lang: [names]} or \"a,b\" → Subject")
def _keywords(value: Any) -> list[Subject]:
    value = _decoded(value)
    if isinstance(value, dict):  # tags_translated
        return [Subject(value=word, lang=lang) for lang, words in value.items()
                if isinstance(lang, str) for word in _texts(words)]
    if isinstance(value, str):  # tag_string
        return [Subject(value=word) for word in _texts(value, split=",")]
    words = [_text(item.get("display_name") or item.get("name")) if isinstance(item, dict)
             else _text(item) for item in _items(value)]
    return [Subject(value=word) for word in words if word]


@_reader("URIs or labels → Subject (URIs also as value_uri, with a known vocabulary's scheme)")
def _themes(value: Any) -> list[Subject]:
    subjects = []
    for text in _texts(value):
        if not _is_url(text):
            subjects.append(Subject(value=text))
            continue
        known = vocabulary_for(text)
        subjects.append(Subject(value=text, value_uri=text,
                                scheme=known.scheme if known else None,
                                scheme_uri=known.scheme_uri if known else None))
    return subjects


@_reader("group objects → Subject (title, else name)")
def _groups(value: Any) -> list[Subject]:
    names = [_text(g.get("title") or g.get("display_name") or g.get("name"))
             for g in _objects(value)]
    return [Subject(value=name) for name in names if name]


@_reader("codes, \"en,es\", or vocabulary URIs (…/language/ENG)")
def _language_codes(value: Any) -> list[str]:
    # EU and Library of Congress vocabularies put the code last: .../language/ENG, .../en
    return [text.rstrip("/").rsplit("/", 1)[-1] if _is_url(text) else text
            for text in _texts(value, split=",")]


def dated(date_type: str) -> Read:
    @_reader(f"date → Date({date_type})")
    def read(value: Any) -> list[Date]:
        return [Date(value=text, date_type=date_type) for text in _texts(value)[:1]]
    return read


def related(relation: str | None) -> Read:
    @_reader(f"identifiers → RelatedIdentifier({relation or 'no relation type'})")
    def read(value: Any) -> list[RelatedIdentifier]:
        return [RelatedIdentifier(value=text, relation_type=relation) for text in _texts(value)]
    return read


@_reader("{relation, role} objects → RelatedIdentifier(no relation type)")
def _qualified_relations(value: Any) -> list[RelatedIdentifier]:
    return [RelatedIdentifier(value=text) for item in _objects(value)
            if (text := _text(item.get("relation") or item.get("uri")))]


@_reader("identifiers → AlternateIdentifier")
def _alternates(value: Any) -> list[AlternateIdentifier]:
    return [AlternateIdentifier(value=text) for text in _texts(value)]


@_reader("text")
def _one_text(value: Any) -> list[str]:
    return _texts(value)[:1]


@_reader("texts")
def _all_texts(value: Any) -> list[str]:
    return _texts(value)


def _tagged(field: str) -> Tidy:
    def tidy(draft: Draft, item: Any) -> Any:
        draft.tag_language(field, item)
        return item
    return tidy


def _language(draft: Draft, code: str) -> str | None:
    return draft.language(code)


def _date(draft: Draft, item: Date) -> Date:
    draft.check_date("dates", item)
    return item


def _related(draft: Draft, item: RelatedIdentifier) -> RelatedIdentifier | None:
    kind, value = classify_identifier(item.value)
    if kind in ("ORCID", "ROR"):
        kind = "URL"
    if kind not in vocab.RELATED_IDENTIFIER_TYPE:
        draft.issue("unmapped_value", f"{item.value!r} is not an identifier; it was not mapped.",
                    field="related_identifiers", severity="info")
        return None
    item.value, item.related_identifier_type = value, kind
    return item


def _alternate(draft: Draft, item: AlternateIdentifier) -> AlternateIdentifier:
    kind, value = classify_identifier(item.value)
    item.value, item.type = value, kind or "Local"
    return item


def _landing_page(draft: Draft, text: str) -> str | None:
    if _is_url(text):
        return text
    draft.issue("unmapped_value", f"The landing page {text!r} is not a URL; it was not mapped.",
                field="landing_page", severity="info")
    return None


# The regular fields; docs/mappings.md mirrors this table. "language" comes first: language
# detection on short texts checks against it.
ROWS: tuple[Row, ...] = (
    Row("language", ("language",), _language_codes, _language, many=False),
    Row("descriptions", ("notes_translated", "notes", "description"),
        texts_in_languages(Description, description_type="Abstract"), _tagged("descriptions")),
    Row("descriptions", ("provenance_translated", "provenance"),
        texts_in_languages(Description, description_type="Methods"), _tagged("descriptions")),
    Row("descriptions", ("version_notes_translated", "version_notes"),
        texts_in_languages(Description, description_type="Other"), _tagged("descriptions")),
    Row("subjects", ("tags_translated", "tags", "keyword", "tag_string"), _keywords,
        _tagged("subjects")),
    Row("subjects", ("theme",), _themes),
    Row("subjects", ("groups",), _groups),
    Row("dates", ("issued", "dcat_issued", "metadata_created"), dated("Issued"), _date),
    Row("dates", ("modified", "dcat_modified", "metadata_modified"), dated("Updated"), _date),
    Row("version", ("version", "dcat_version"), _one_text, many=False),
    Row("landing_page", ("url", "landingPage"), _one_text, _landing_page, many=False),
    Row("alternate_identifiers", ("alternate_identifier",), _alternates, _alternate),
    Row("related_identifiers", ("documentation",), related("IsDocumentedBy"), _related),
    Row("related_identifiers", ("is_referenced_by",), related("IsReferencedBy"), _related),
    Row("related_identifiers", ("has_version",), related("HasVersion"), _related),
    Row("related_identifiers", ("is_version_of",), related("IsVersionOf"), _related),
    Row("related_identifiers", ("source",), related("IsDerivedFrom"), _related),
    Row("related_identifiers", ("related_resource",), related(None), _related),
    Row("related_identifiers", ("qualified_relation",), _qualified_relations, _related),
    Row("conforms_to", ("conforms_to",), _all_texts),
    Row("access_rights", ("access_rights",), _one_text, many=False),
)


def apply_rows(draft: Draft, fields: Fields, rows: tuple[Row, ...]) -> None:
    """Fill the draft from the package following a mapping table."""
    for row in rows:
        if not row.many and draft.fields.get(row.field) is not None:
            continue
        for key in row.keys:
            items = row.read(fields.get(key))
            if not items:
                continue
            for item in items:
                tidied = row.tidy(draft, item) if row.tidy else item
                if tidied is None:
                    continue
                if row.many:
                    draft.append(row.field, tidied)
                else:
                    draft.set(row.field, tidied)
                    break
            break  # the first key holding something is the field's source, kept or not


# --- titles ---------------------------------------------------------------------------------------

def _titles(draft: Draft, fields: Fields) -> None:
    """Every language of title_translated; the one equal to `title` (else the first) is main."""
    plain = _text(fields.get("title"))
    entries = [(lang, text) for lang, text in _in_languages(fields.get("title_translated"))
               if lang]
    entries.sort(key=lambda entry: entry[1] != plain)  # stable: the rest keep their order
    if plain and not any(text == plain for _, text in entries):
        entries.insert(0, (None, plain))
    for position, (lang, text) in enumerate(entries):
        item = Title(value=text, lang=lang)
        draft.tag_language("titles", item)
        if position:
            main = draft.fields["titles"][0].lang
            translated = item.lang and main and item.lang.split("-")[0] != main.split("-")[0]
            item.title_type = "TranslatedTitle" if translated else "AlternativeTitle"
        draft.append("titles", item)


# --- identifiers ----------------------------------------------------------------------------------

_IDENTIFIER_KEYS = ("identifier", "guid", "uri")


def _identifiers(draft: Draft, fields: Fields) -> None:
    """A DOI (the `doi` field, or any identifier that is one) first; else dct:identifier, the
    harvest guid, the dataset URI, the CKAN id. The other identifiers become alternates."""
    declared = _texts(fields.get("doi"))
    doi = None
    for text in declared:
        if doi := normalise_doi(text):
            break
        draft.issue("invalid_doi", f"{text!r} in the doi field is not a DOI; it was kept as an "
                    "alternate identifier.", field="identifier")
    candidates = [text for key in _IDENTIFIER_KEYS for text in _texts(fields.get(key))]
    if doi is None:
        doi = next((d for text in (*candidates, *_texts(fields.get("url")))
                    if (d := normalise_doi(text))), None)
    if doi:
        draft.set("identifier", Identifier(value=doi, type="DOI"))
    elif candidates or (candidates := _texts(fields.get("id"))):
        kind, value = classify_identifier(candidates[0])
        draft.set("identifier", Identifier(value=value, type=kind or "Local"))
    main = draft.fields.get("identifier")
    seen = {main.value} if main else set()
    for text in (*declared, *candidates):
        kind, value = classify_identifier(text)
        if value not in seen:
            seen.add(value)
            draft.append("alternate_identifiers",
                         AlternateIdentifier(value=value, type=kind or "Local"))


# --- agents ---------------------------------------------------------------------------------------

_ORGANISATION_TYPES = re.compile(
    r"organi[sz]ation|corporate|public.?body|company|non.?profit|academia|government|"
    r"publishertype|agency|foaf.*organization", re.IGNORECASE)
_PERSON_TYPES = re.compile(r"person|individual", re.IGNORECASE)


def _legacy_agent(fields: Fields, role: str) -> list[dict[str, Any]]:
    """ckanext-dcat's legacy extras for one agent: <role>_name, dcat_<role>_name, ..."""
    for base in (role, f"dcat_{role}"):
        agent = {part: fields.get(f"{base}_{part}")
                 for part in ("name", "email", "url", "uri", "identifier", "type")}
        agent["identifier"] = agent["identifier"] or fields.get(f"{base}_id")
        if _text(agent["name"]) or _email(agent["email"]):
            return [agent]
    return []


def _agent_name(agent: dict[str, Any]) -> str | None:
    name = _text(agent.get("name"))
    if name is None:
        name = next((t for _, t in _in_languages(agent.get("name_translated"))), None)
    return name


def _name_identifiers(draft: Draft, agent: dict[str, Any], where: str) -> list[NameIdentifier]:
    found = []
    for text in _texts(agent.get("identifier")) + _texts(agent.get("uri")):
        if orcid := normalise_orcid(text):
            found.append(NameIdentifier(identifier=orcid, scheme="ORCID",
                                        scheme_uri="https://orcid.org"))
        elif ror := normalise_ror(text):
            found.append(NameIdentifier(identifier=ror, scheme="ROR",
                                        scheme_uri="https://ror.org"))
        elif "orcid.org/" in text.lower() or "ror.org/" in text.lower():
            draft.issue("invalid_orcid" if "orcid" in text.lower() else "invalid_ror",
                        f"{text!r} is not a valid ORCID iD or ROR id; it was dropped.",
                        field=f"{where}.name_identifiers")
        else:
            found.append(NameIdentifier(identifier=text))
    unique = {i.identifier: i for i in found}
    return list(unique.values())


def _person_or_organisation(draft: Draft, agent: dict[str, Any], name: str, field: str,
                            model: type, **extra: Any) -> Any | None:
    where = f"{field}[{draft.position(field)}]"
    identifiers = _name_identifiers(draft, agent, where)
    declared = _text(agent.get("type")) or ""
    values = parse_name(name)
    if _ORGANISATION_TYPES.search(declared) or any(i.scheme == "ROR" for i in identifiers):
        values = {"name": values["name"], "name_type": "Organizational"}
    elif _PERSON_TYPES.search(declared) or any(i.scheme == "ORCID" for i in identifiers):
        values["name_type"] = "Personal"
    return draft.make(model, where, **values, name_identifiers=identifiers, **extra)


def _creators(draft: Draft, fields: Fields) -> None:
    agents = (_objects(fields.get("creator")) or _legacy_agent(fields, "creator")
              or _objects(fields.get("author")))
    for agent in agents:
        name = _agent_name(agent)
        if name is None:
            draft.issue("empty_element", "A creator without a name was skipped.",
                        field="creators", severity="info")
            continue
        if item := _person_or_organisation(draft, agent, name, "creators", Creator):
            draft.append("creators", item)


def _contributors(draft: Draft, fields: Fields) -> None:
    """DCAT-US contributors (role unknown: Other)."""
    for agent in _objects(fields.get("contributor")):
        if name := _agent_name(agent):
            item = _person_or_organisation(draft, agent, name, "contributors", Contributor,
                                           contributor_type="Other")
            if item:
                draft.append("contributors", item)


def _contacts(draft: Draft, fields: Fields) -> None:
    """Contact points: scheming `contact`, legacy contact_* extras, the maintainer, else the
    author when an e-mail is given (ckanext-dcat's fallbacks). Named ones are also
    ContactPerson contributors, the role DataCite gives them."""
    agents = _objects(fields.get("contact")) or _legacy_agent(fields, "contact")
    if not agents and (email := _email(fields.get("contact-email"))):  # ISO 19139 harvests
        agents = [{"email": email}]
    for person, email in (("maintainer", "maintainer_email"), ("author", "author_email")):
        if agents:
            break
        name, address = _text(fields.get(person)), _email(fields.get(email))
        if address or (name and person == "maintainer"):
            agents = [{"name": name, "email": address}]
    for agent in agents:
        name, email = _agent_name(agent), _email(agent.get("email"))
        url = _text(agent.get("url") or agent.get("homepage") or agent.get("uri"))
        if not (name or email or url):
            continue
        draft.append("contact_points", ContactPoint(name=name, email=email, url=url))
        if name:
            item = _person_or_organisation(draft, agent, name, "contributors", Contributor,
                                           contributor_type="ContactPerson")
            if item:
                draft.append("contributors", item)


def _publisher(draft: Draft, fields: Fields) -> None:
    """Scheming `publisher`, legacy publisher_* extras, else the owning organisation."""
    organisation = fields.get("organization")
    agents = _objects(fields.get("publisher")) or _legacy_agent(fields, "publisher")
    if isinstance(organisation, dict):
        agents.append({"name": organisation.get("title") or organisation.get("display_name")
                       or organisation.get("name")})
    for agent in agents:
        name = _agent_name(agent)
        if name is None:
            continue
        identifier = next(iter(_texts(agent.get("identifier")) + _texts(agent.get("uri"))), None)
        scheme = None
        if identifier and (ror := normalise_ror(identifier)):
            identifier, scheme = ror, "ROR"
        draft.set("publisher", Publisher(name=name, identifier=identifier,
                                         identifier_scheme=scheme))
        return


# --- types and rights -----------------------------------------------------------------------------

def _resource_type(draft: Draft, fields: Fields) -> None:
    """DCAT-AP `dcat_type` when recognised, else the CKAN package type; Dataset by default."""
    given = [text for key in ("dcat_type", "type") if (text := _text(fields.get(key)))]
    for value in given:
        if general := resource_type_general(value):
            draft.set("resource_type", ResourceType(general=general, value=value))
            return
    if given:
        draft.issue("unknown_resource_type", f"No package type ({', '.join(map(repr, given))}) "
                    "names a known resource type; Dataset was assumed.",
                    field="resource_type.general", severity="info")
    draft.set("resource_type", ResourceType(general="Dataset", value=given[0] if given else None))


class CkanLicence(NamedTuple):
    """A licence id from CKAN's default list: its SPDX id when there is one, and its title."""

    spdx: str | None
    title: str


CKAN_LICENCES: dict[str, CkanLicence] = {
    "cc-by": CkanLicence("CC-BY-4.0", "Creative Commons Attribution"),
    "cc-by-sa": CkanLicence("CC-BY-SA-4.0", "Creative Commons Attribution Share-Alike"),
    "cc-zero": CkanLicence("CC0-1.0", "Creative Commons CCZero"),
    "cc-nc": CkanLicence(None, "Creative Commons Non-Commercial (Any)"),
    "odc-by": CkanLicence("ODC-By-1.0", "Open Data Commons Attribution License"),
    "odc-odbl": CkanLicence("ODbL-1.0", "Open Data Commons Open Database License (ODbL)"),
    "odc-pddl": CkanLicence("PDDL-1.0", "Open Data Commons Public Domain Dedication and License"),
    "gfdl": CkanLicence(None, "GNU Free Documentation License"),
    "uk-ogl": CkanLicence(None, "UK Open Government Licence (OGL)"),
    "other-open": CkanLicence(None, "Other (Open)"),
    "other-pd": CkanLicence(None, "Other (Public Domain)"),
    "other-at": CkanLicence(None, "Other (Attribution)"),
    "other-nc": CkanLicence(None, "Other (Non-Commercial)"),
    "other-closed": CkanLicence(None, "Other (Not Open)"),
}
# CKAN's "cc-by" and "cc-by-sa" name no version; the current one, 4.0, is assumed (with a note).
_VERSIONLESS = frozenset({"cc-by", "cc-by-sa"})
_EU_LICENCE = re.compile(r"publications\.europa\.eu/resource/authority/licence/([A-Z0-9_]+)/?$")
_EU_CC = re.compile(r"CC_(BY(?:NC)?(?:SA|ND)?)_(\d)_(\d)")
_EU_OTHER = {"CC0": "CC0-1.0", "ODC_BL": "ODbL-1.0", "ODC_BY": "ODC-By-1.0",
             "ODC_PDDL": "PDDL-1.0", "EUPL_1_2": "EUPL-1.2"}


def eu_licence_spdx(text: str | None) -> str | None:
    """The SPDX id of an EU Publications Office licence URI (…/authority/licence/CC_BYNC_4_0)."""
    match = _EU_LICENCE.search(text or "")
    if not match:
        return None
    code = match.group(1)
    if cc := _EU_CC.fullmatch(code):
        parts = re.findall(r"NC|SA|ND|BY", cc.group(1))
        return f"CC-{'-'.join(parts)}-{cc.group(2)}.{cc.group(3)}"
    return _EU_OTHER.get(code)


def _licence(text: str | None) -> tuple[str | None, str | None]:
    """(SPDX id, canonical URI) of a licence URI, SPDX id, name or EU vocabulary URI."""
    if spdx := eu_licence_spdx(text):
        return normalise_licence(spdx)
    return normalise_licence(text)


def _rights(draft: Draft, fields: Fields) -> None:
    licence_id = _text(fields.get("license_id"))
    title = _text(fields.get("license_title"))
    url = _text(fields.get("license_url")) or _text(fields.get("license"))
    if licence_id == "notspecified" and not url:
        draft.issue("unmapped_value", "The licence is 'notspecified'; no rights were recorded.",
                    field="rights", severity="info")
        return
    known = CKAN_LICENCES.get((licence_id or "").lower())
    if known and known.spdx:
        rights = draft.rights(title or known.title, spdx_hint=known.spdx)
        if licence_id.lower() in _VERSIONLESS:
            draft.issue("licence_version_assumed", f"The CKAN licence {licence_id!r} names no "
                        f"version; {known.spdx} was assumed.", field="rights", severity="info")
    elif known:
        rights = Rights(statement=title or known.title, uri=url, rights_identifier=licence_id,
                        rights_identifier_scheme="CKAN")
    else:
        hint = eu_licence_spdx(url) or eu_licence_spdx(licence_id) or licence_id
        rights = draft.rights(title, uri=url, spdx_hint=hint)
        if rights is not None and licence_id and not rights.spdx_id:
            rights.rights_identifier, rights.rights_identifier_scheme = licence_id, "CKAN"
    if rights is not None:
        draft.append("rights", rights)


# --- where and when -------------------------------------------------------------------------------

def _number(value: Any, limit: float) -> float | None:
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond floats
        return None
    return number if number is not None and -limit <= number <= limit else None


def _positions(coordinates: Any) -> Iterator[tuple[Any, Any]]:
    """Every [lon, lat] pair in a GeoJSON coordinates array of any depth."""
    if isinstance(coordinates, list) and len(coordinates) >= 2 and \
            not isinstance(coordinates[0], list):
        yield coordinates[0], coordinates[1]
    elif isinstance(coordinates, list):
        for part in coordinates:
            yield from _positions(part)


def _points(geometry: Any) -> list[GeoPoint] | None:
    """The positions of a GeoJSON geometry as points; None when any is not a coordinate."""
    if not isinstance(geometry, dict):
        return None
    raw = list(_positions(geometry.get("coordinates")))
    if not raw and isinstance(geometry.get("geometries"), list):  # a GeometryCollection
        raw = [p for g in geometry["geometries"] if isinstance(g, dict)
               for p in _positions(g.get("coordinates"))]
    points = [(_number(lat, 90), _number(lon, 180)) for lon, lat in raw]
    if not points or any(lat is None or lon is None for lat, lon in points):
        return None
    return [GeoPoint(latitude=lat, longitude=lon) for lat, lon in points]


def _box_of(points: list[GeoPoint]) -> GeoBox:
    return GeoBox(west=min(p.longitude for p in points), east=max(p.longitude for p in points),
                  south=min(p.latitude for p in points), north=max(p.latitude for p in points))


def _is_rectangle(points: list[GeoPoint]) -> bool:
    corners = {(p.longitude, p.latitude) for p in points}
    box = _box_of(points)
    return len(corners) == 4 and corners == {(box.west, box.south), (box.west, box.north),
                                             (box.east, box.south), (box.east, box.north)}


def _location(draft: Draft, place: str | None, geometry: Any = None, bbox: Any = None,
              centroid: Any = None) -> None:
    """One GeoLocation from GeoJSON: a Point is a point, the bbox or a rectangle a box, another
    polygon a polygon (its outer ring), other shapes their bounding box."""
    where = f"geo_locations[{draft.position('geo_locations')}]"
    location = GeoLocation(place=place)
    for name, value in (("bbox", bbox), ("centroid", centroid), ("geometry", geometry)):
        if value in _EMPTY:
            continue
        points = _points(value)
        if points is None:
            draft.issue("invalid_coordinates", f"The spatial {name} {str(value)[:80]!r} is not "
                        "GeoJSON with coordinates in range; it was dropped.", field=where)
            continue
        kind = value.get("type")
        if kind == "Point":
            location.point = location.point or points[0]
        elif name == "geometry" and kind == "Polygon" and not _is_rectangle(points):
            ring = list(_positions(value["coordinates"][0]))
            location.polygon = points[:len(ring)]
        else:  # a bbox, a rectangle, or a shape the model has no place for: its bounds
            location.box = location.box or _box_of(points)
    if location.place or location.point or location.box or location.polygon:
        draft.append("geo_locations", location)


def _geo_locations(draft: Draft, fields: Fields) -> None:
    coverage = _objects(fields.get("spatial_coverage"))
    for item in coverage:  # ckanext-dcat scheming
        _location(draft, _text(item.get("text")) or _text(item.get("uri")),
                  _decoded(item.get("geom")), _decoded(item.get("bbox")),
                  _decoded(item.get("centroid")))
    if not coverage:  # ckanext-spatial and ckanext-dcat's legacy extras
        geometry, bbox, centroid = (fields.get(k) for k in ("spatial", "spatial_bbox",
                                                             "spatial_centroid"))
        place = _text(fields.get("spatial_text")) or _text(fields.get("spatial_uri"))
        if isinstance(geometry, str) and place is None:
            geometry, place = None, _text(geometry)  # plain text where GeoJSON belongs
        _location(draft, place, geometry, bbox, centroid)
    for box in _objects(fields.get("bbox")):  # DCAT-US bounding boxes
        _bounds(draft, box.get("west"), box.get("east"), box.get("south"), box.get("north"))
    if not draft.has("geo_locations"):  # ISO 19139 harvests: bbox-west-long ...
        sides = [fields.get(f"bbox-{side}") for side in ("west-long", "east-long", "south-lat",
                                                         "north-lat")]
        if any(side not in _EMPTY for side in sides):
            _bounds(draft, *sides)


def _bounds(draft: Draft, west: Any, east: Any, south: Any, north: Any) -> None:
    sides = [_number(west, 180), _number(east, 180), _number(south, 90), _number(north, 90)]
    if None in sides:
        draft.issue("invalid_coordinates", f"The bounding box {[west, east, south, north]!r} "
                    "(west, east, south, north) is not in range; it was dropped.",
                    field=f"geo_locations[{draft.position('geo_locations')}]")
        return
    west, east, south, north = sides
    draft.append("geo_locations", GeoLocation(box=GeoBox(west=west, east=east, south=south,
                                                         north=north)))


def _coverage_dates(draft: Draft, fields: Fields) -> None:
    """Temporal coverage as Coverage ranges: scheming objects, legacy start/end extras."""
    spans = [(item.get("start"), item.get("end"))
             for item in _objects(fields.get("temporal_coverage"))]
    if not spans:
        for start_key, end_key in (("temporal_start", "temporal_end"),
                                   ("temporal_coverage-from", "temporal_coverage-to")):
            start, end = _texts(fields.get(start_key))[:1], _texts(fields.get(end_key))[:1]
            if start or end:
                spans = [(start[0] if start else None, end[0] if end else None)]
                break
    if not spans and (text := _text(fields.get("temporal"))):
        spans = [(text, None)] if "/" not in text else [tuple(text.split("/", 1))]
    for start, end in spans:
        start, end = _text(start), _text(end)
        if start or end:
            item = Date(value=f"{start or ''}/{end or ''}", date_type="Coverage")
            draft.check_date("dates", item)
            draft.append("dates", item)


def _publication_year(draft: Draft) -> None:
    for item in draft.fields.get("dates", []):
        if item.date_type == "Issued" and (year := publication_year_from(item.value)):
            draft.set("publication_year", year)
            return


# --- resources ------------------------------------------------------------------------------------

_MEDIA_TYPE_URI = re.compile(r"^https?://www\.iana\.org/assignments/media-types/", re.IGNORECASE)
_HASH_ALGORITHM = re.compile(r"checksumAlgorithm_(\w+)$|^(\w+)$")


def _distributions(draft: Draft, fields: Fields) -> None:
    """Resources (DCAT-JSON: distribution) as distributions; their formats as record formats."""
    resources = fields.get("resources") or fields.get("distribution")
    for position, resource in enumerate(_items(resources)):
        if not isinstance(resource, dict):
            draft.issue("invalid_element", "A resource that is not an object was skipped.",
                        field=f"distributions[{position}]", severity="info")
            continue
        item = _distribution(resource)
        if item is None:
            draft.issue("empty_element", "A resource without a URL, title or format was "
                        "skipped.", field="distributions", severity="info")
            continue
        draft.append("distributions", item)
        label = item.format or item.media_type
        if label and label not in draft.fields.get("formats", []):
            draft.append("formats", label)


def _distribution(r: dict[str, Any]) -> Distribution | None:
    def text(*keys: str) -> str | None:
        return next((t for k in keys if (t := _text(_decoded(r.get(k))))), None)

    url = text("url")
    download = text("download_url", "downloadURL") or (url if r.get("url_type") == "upload"
                                                       else None)
    title = text("name", "title") or next(
        (t for _, t in _in_languages(r.get("name_translated"))), None)
    description = _prose(r.get("description")) or next(
        (t for _, t in _in_languages(r.get("description_translated"))), None)
    media_type = text("mimetype", "mediaType")
    if media_type:
        media_type = _MEDIA_TYPE_URI.sub("", media_type)
    licence = text("license")
    spdx, canonical = _licence(licence)
    size = r.get("size", r.get("byteSize"))
    checksum = text("hash")
    if checksum and (algorithm := text("hash_algorithm")):
        if match := _HASH_ALGORITHM.search(algorithm):
            checksum = f"{(match.group(1) or match.group(2)).lower()}:{checksum}"
    item = Distribution(
        access_url=text("access_url", "accessURL") or url, download_url=download,
        title=title, description=description, format=text("format"), media_type=media_type,
        license=canonical or licence, spdx_id=spdx, access_rights=text("access_rights"),
        byte_size=_size(size), checksum=checksum,
        issued=_canonical_date(text("issued", "created")),
        modified=_canonical_date(text("modified", "last_modified", "metadata_modified")))
    if not (item.access_url or item.download_url or item.title or item.format):
        return None
    return item


_MAX_SIZE = 2**63 - 1  # what a byte count can sensibly be (and a bigint holds)


def _size(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 19:
        value = int(value.strip())
    return value if isinstance(value, int) and 0 <= value <= _MAX_SIZE else None


def _canonical_date(text: str | None) -> str | None:
    return normalise_date(text) or text if text else None


_URL = re.compile(r"^(?:https?|ftp)://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def _is_url(text: str) -> bool:
    return bool(_URL.match(text))


# --- the mapper -----------------------------------------------------------------------------------

def _package(payload: bytes | None, context: MapContext, element: Any) -> dict[str, Any]:
    """The package dict: `element` when the harvester parsed it, else the JSON payload."""
    def refuse(message: str) -> MappingError:
        return MappingError(message, source=context.source_id,
                            record_id=context.source_identifier)

    if isinstance(element, dict):
        package = element
    else:
        if payload is None or not payload.strip():
            raise refuse("The record has no metadata payload to map.")
        try:
            package = json.loads(payload.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise refuse(f"The payload is not UTF-8 (byte offset {exc.start}).") from None
        except json.JSONDecodeError as exc:
            raise refuse(f"The payload is not JSON: {exc.msg} at line {exc.lineno} column "
                         f"{exc.colno}.") from None
        except RecursionError:
            raise refuse("The payload nests JSON too deeply to read.") from None
        except ValueError as exc:  # e.g. an integer of more digits than Python converts
            raise refuse(f"The payload is not JSON we can read: {str(exc)[:120]}.") from None
    if isinstance(package, dict) and isinstance(package.get("success"), bool) and \
            isinstance(package.get("result"), dict):
        package = package["result"]  # a whole package_show response
    if not isinstance(package, dict):
        kind = {list: "a list", str: "a string"}.get(type(package), type(package).__name__)
        raise refuse(f"The payload is JSON {kind}, not a CKAN package object.")
    if isinstance(package.get("dataset"), list) and not ({"id", "name"} & package.keys()):
        raise refuse(f"The payload is a DCAT-JSON catalogue of {len(package['dataset'])} "
                     "datasets, not one dataset; map its datasets one by one.")
    if not {"id", "name", "title", "title_translated", "notes", "identifier"} & package.keys():
        keys = ", ".join(sorted(map(str, package))[:8]) or "none"
        raise refuse(f"The payload has none of the fields of a CKAN package (id, name, title, "
                     f"notes, identifier); its keys: {keys}.")
    return package


def map_ckan(payload: bytes | None, context: MapContext, element: Any = None) -> Record:
    """One CKAN package (package_show/package_search dict) as a common-model Record."""
    package = _package(payload, context, element)
    draft = Draft(context)
    fields = Fields(package, draft)
    apply_rows(draft, fields, ROWS)
    _titles(draft, fields)
    _identifiers(draft, fields)
    _creators(draft, fields)
    _contributors(draft, fields)
    _contacts(draft, fields)
    _publisher(draft, fields)
    _resource_type(draft, fields)
    _rights(draft, fields)
    _geo_locations(draft, fields)
    _coverage_dates(draft, fields)
    _publication_year(draft)
    _distributions(draft, fields)
    return draft.record()
