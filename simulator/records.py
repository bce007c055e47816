"""What record i of a feed looks like: identifiers, sets and its metadata in every served format.

Everything here is a pure function of (feed key, seed, index, version): the same arguments always
give the same string, and nothing about other records is ever computed or kept. Records whose
index is a multiple of 10 describe a dataset shared by every feed (same DOI, same core content),
so cross-source merging has overlap to work on.
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import blake2b
from typing import NamedTuple
from xml.sax.saxutils import escape

from simulator import texts


class MetadataFormat(NamedTuple):
    prefix: str
    schema: str
    namespace: str


FORMATS = {
    f.prefix: f
    for f in (
        MetadataFormat("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
                       "http://www.openarchives.org/OAI/2.0/oai_dc/"),
        MetadataFormat("oai_datacite", "http://schema.datacite.org/oai/oai-1.1/oai.xsd",
                       "http://schema.datacite.org/oai/oai-1.1/"),
        MetadataFormat("datacite", "http://schema.datacite.org/meta/kernel-4.5/metadata.xsd",
                       "http://datacite.org/schema/kernel-4"),
    )
}


class SetDef(NamedTuple):
    spec: str
    name: str
    period: int  # membership is `index % period in residues`, so counting a range is arithmetic
    residues: tuple[int, ...]


# resourceTypeGeneral by index % 20: mostly datasets. A function of the index alone, so that set
# membership never changes and a set's size over any index range can be computed, not scanned.
_TYPE_CYCLE = tuple(
    {4: "Text", 14: "Text", 9: "Software", 19: "Image"}.get(r, "Dataset") for r in range(20))
_TYPE_RESIDUES = {t: tuple(r for r, x in enumerate(_TYPE_CYCLE) if x == t) for t in _TYPE_CYCLE}

SETS = {
    s.spec: s
    for s in (
        SetDef("collection:a", "Collection A", 3, (0,)),
        SetDef("collection:b", "Collection B", 3, (1,)),
        SetDef("collection:c", "Collection C", 3, (2,)),
        SetDef("type:dataset", "Datasets", 20, _TYPE_RESIDUES["Dataset"]),
        SetDef("type:text", "Texts", 20, _TYPE_RESIDUES["Text"]),
    )
}
# Sets are hierarchical in OAI-PMH: a record in collection:a is also in collection.
_PARENT_SETS = {
    "collection": SetDef("collection", "Collections", 1, (0,)),
    "type": SetDef("type", "Types", 20,
                   tuple(sorted(_TYPE_RESIDUES["Dataset"] + _TYPE_RESIDUES["Text"]))),
}


def set_filter(spec: str) -> SetDef | None:
    """The membership rule of a set (or a parent of sets); None when no such set exists."""
    return SETS.get(spec) or _PARENT_SETS.get(spec)


def set_specs(index: int) -> tuple[str, ...]:
    collection = "collection:" + "abc"[index % 3]
    general = _TYPE_CYCLE[index % 20]
    if general in ("Dataset", "Text"):
        return collection, "type:" + general.lower()
    return (collection,)


def resource_type(index: int) -> str:
    return _TYPE_CYCLE[index % 20]


def identifier(key: str, index: int) -> str:
    return f"oai:{key}.sim:{index}"


def doi(key: str, index: int) -> str:
    return f"10.5555/os10-shared-{index}" if index % 10 == 0 else f"10.5555/{key}-{index}"


class _Dice:
    """Deterministic draws for one record, read off two BLAKE2b digests (128 bytes).

    Our own generator rather than `random`, so the bytes stay the same across Python versions.
    A draw takes one byte (three for ranges over 256): a modulo bias a simulator can afford.
    """

    __slots__ = ("_next",)

    def __init__(self, key: str) -> None:
        first = blake2b(key.encode(), digest_size=64).digest()
        self._next = iter(first + blake2b(first, digest_size=64).digest()).__next__

    def below(self, n: int) -> int:
        take = self._next
        if n <= 256:
            return take() % n
        return (take() << 16 | take() << 8 | take()) % n

    def pick(self, options):
        return options[self.below(len(options))]


_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _number(name: str) -> int:
    return int.from_bytes(blake2b(name.encode(), digest_size=8).digest(), "big")


def ror_id(name: str) -> str:
    """A well-formed ROR id (Crockford base32 with its ISO 7064 mod 97-10 checksum) for a name."""
    n = _number(name) % 32**6
    body = "0" + "".join(_CROCKFORD[(n >> (5 * k)) & 31] for k in range(5, -1, -1))
    number = 0
    for char in body:
        number = number * 32 + _CROCKFORD.index(char)
    return f"https://ror.org/{body}{98 - (number * 100) % 97:02d}"


def orcid(number: int) -> str:
    """The ORCID iD 0000-0002-xxxx-xxxC for a 7-digit number, with its ISO 7064 11,2 check."""
    digits = f"00000002{number:07d}"
    total = 0
    for d in digits:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    full = digits + ("X" if check == 10 else str(check))
    return "https://orcid.org/" + "-".join(full[k:k + 4] for k in range(0, 16, 4))


# Everything drawn from the banks is escaped once, at import, not per record.
_TITLES = {lang: tuple(map(escape, ts)) for lang, ts in texts.TITLES.items()}
_ABSTRACTS = {lang: tuple(map(escape, ts)) for lang, ts in texts.ABSTRACTS.items()}
_ORGS = tuple((escape(name), ror_id(name)) for name in texts.ORGANISATIONS)
_FUNDERS = tuple(
    f"<funderName>{escape(name)}</funderName>" + (
        f'<funderIdentifier funderIdentifierType="ROR">{ror_id(name)}</funderIdentifier>' if k % 2
        else '<funderIdentifier funderIdentifierType="Crossref Funder ID">'
        f"https://doi.org/10.13039/50110{_number(name) % 10**7:07d}</funderIdentifier>")
    for k, name in enumerate(texts.FUNDERS))
_RIGHTS = tuple(
    f'<rights xml:lang="en" rightsURI="{uri}" rightsIdentifier="{spdx}" '
    f'rightsIdentifierScheme="SPDX" schemeURI="https://spdx.org/licenses/">{escape(name)}</rights>'
    for spdx, name, uri in texts.LICENCES)
# Keyword subjects per topic, with each keyword left out in turn (or none: the last variant).
_KEYWORD_SETS = tuple(
    tuple(tuple(map(escape, (k for n, k in enumerate(t.keywords) if n != skip)))
          for skip in range(5))
    for t in texts.TOPICS)
_SUBJECTS = tuple(tuple("".join(f'<subject xml:lang="en">{k}</subject>' for k in ks)
                        for ks in variants) for variants in _KEYWORD_SETS)
_DC_SUBJECTS = tuple(tuple("".join(f"<dc:subject>{k}</dc:subject>" for k in ks)
                           for ks in variants) for variants in _KEYWORD_SETS)
_PLACES = tuple((escape(name), lat, lon) for name, lat, lon in texts.PLACES)
_METHODS = escape(texts.METHODS_EN)
_XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
_ORCID = 'nameIdentifierScheme="ORCID" schemeURI="https://orcid.org"'
_ROR = 'nameIdentifierScheme="ROR" schemeURI="https://ror.org"'
_AFFILIATION = 'affiliationIdentifierScheme="ROR" schemeURI="https://ror.org"'
_RESOURCE_OPEN = (
    f'<resource xmlns="http://datacite.org/schema/kernel-4" {_XSI} '
    'xsi:schemaLocation="http://datacite.org/schema/kernel-4 '
    'http://schema.datacite.org/meta/kernel-4.5/metadata.xsd">')
_DC_OPEN = (
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    f'xmlns:dc="http://purl.org/dc/elements/1.1/" {_XSI} '
    'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ '
    'http://www.openarchives.org/OAI/2.0/oai_dc.xsd">')


class _Agent(NamedTuple):
    person: int | None  # index into texts.PEOPLE; None for an organisation
    org: int  # index into _ORGS: the organisation itself, or the person's affiliation


class _Content(NamedTuple):
    """One record's drawn content, already XML-escaped."""

    index: int
    version: int
    lang: str
    tagged: bool  # whether titles and descriptions carry xml:lang
    title: str
    translation: tuple[str, str] | None  # (lang, title)
    abstract: str
    methods: bool
    topic: int
    years: tuple[int, int, int]  # first and last year collected, publication year
    creators: tuple[_Agent, ...]
    contact: _Agent
    collector: _Agent | None
    host: _Agent
    general: str
    type_text: str
    skip: int  # which keyword of the topic to leave out (none when out of range)
    month_day: tuple[int, int]
    collected: bool
    licence: int
    formats: tuple[str, ...]
    size_mb: str
    files: int
    place: tuple[str, float, float]
    funder: int
    award: str
    award_title: str
    article: int


def _person(dice: _Dice) -> _Agent:
    return _Agent(dice.below(len(texts.PEOPLE)), dice.below(len(_ORGS)))


def _org(dice: _Dice) -> _Agent:
    return _Agent(None, dice.below(len(_ORGS)))


def _content(seed: int, index: int, version: int, tainted: bool) -> _Content:
    dice = _Dice(f"shared:{index}" if index % 10 == 0 else f"{seed}:{index}")
    lang = dice.pick(texts.LANGUAGE_WHEEL)
    topic = dice.below(len(texts.TOPICS))
    first = 2010 + dice.below(11)
    last = first + 1 + dice.below(3)
    years = (first, last, min(2024, last + dice.below(2)))
    title = f"{_TITLES[lang][topic]}, {first}–{last}"
    if tainted:  # illegal in XML 1.0: a raw control character and a reference to one
        title += ("\x0b" if index % 2 == 0 else "\x01") + " &#11;"
    if version > 1:
        title += f" (v{version})"
    translation = None
    if lang != "en" and dice.below(2) == 0:
        translation = ("en", f"{_TITLES['en'][topic]}, {first}–{last}")
    elif lang == "en" and dice.below(3) == 0:
        other = dice.pick(("fr", "es", "pt"))
        translation = (other, f"{_TITLES[other][topic]}, {first}–{last}")
    creators = tuple(_org(dice) if dice.below(6) == 0 else _person(dice)
                     for _ in range(dice.pick((1, 1, 1, 2, 2, 3, 4))))
    general = resource_type(index)
    formats = texts.FILE_FORMATS[general]
    return _Content(
        index=index, version=version, lang=lang, tagged=dice.below(2) == 0, title=title,
        translation=translation, abstract=_ABSTRACTS[lang][topic], methods=dice.below(4) == 0,
        topic=topic, years=years, creators=creators, contact=_person(dice),
        collector=_person(dice) if dice.below(4) == 0 else None, host=_org(dice),
        general=general, type_text=escape(dice.pick(texts.RESOURCE_TYPES[general])),
        skip=dice.below(5),
        month_day=(1 + dice.below(12), 1 + dice.below(28)), collected=dice.below(2) == 0,
        licence=dice.below(len(texts.LICENCES)),
        formats=formats[:1 + dice.below(len(formats))],
        size_mb=f"{1 + dice.below(900)}.{dice.below(10)}", files=1 + dice.below(40),
        place=_jitter(dice.pick(_PLACES), dice), funder=dice.below(len(_FUNDERS)),
        award=f"OSP-{first}-{dice.below(100000):05d}",
        award_title=escape(dice.pick(texts.AWARD_TITLES)), article=dice.below(10**6),
    )


def _jitter(place: tuple[str, float, float], dice: _Dice) -> tuple[str, float, float]:
    name, lat, lon = place
    return name, lat + (dice.below(2001) - 1000) / 10000, lon + (dice.below(2001) - 1000) / 10000


@lru_cache(maxsize=64)
def _feed_parts(key: str, publisher: str) -> tuple[str, str, str]:
    """(escaped publisher, its ROR id, datacentre symbol) of a feed."""
    symbol = "SIM." + "".join(c for c in key.upper() if c.isalnum() or c in "-.")
    return escape(publisher), ror_id("publisher:" + key), symbol


def _lang(c: _Content) -> str:
    return f' xml:lang="{c.lang}"' if c.tagged else ""


def _agent_fragments(tag: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The XML of every person (without affiliation) and every organisation, as `tag`."""
    people = []
    for given, family in texts.PEOPLE:
        given, family, number = escape(given), escape(family), _number(given + " " + family)
        people.append(f'<{tag}Name nameType="Personal">{family}, {given}</{tag}Name>'
                      f"<givenName>{given}</givenName><familyName>{family}</familyName>"
                      f"<nameIdentifier {_ORCID}>{orcid(number % 10**7)}</nameIdentifier>")
    orgs = tuple(f'<{tag}Name nameType="Organizational">{name}</{tag}Name>'
                 f"<nameIdentifier {_ROR}>{ror}</nameIdentifier>" for name, ror in _ORGS)
    return tuple(people), orgs


# A person has one ORCID iD wherever they appear; only their affiliation varies by record.
_AGENTS = {tag: _agent_fragments(tag) for tag in ("creator", "contributor")}
_AFFILIATIONS = tuple(f'<affiliation affiliationIdentifier="{ror}" {_AFFILIATION}>{name}'
                      "</affiliation>" for name, ror in _ORGS)
_DC_NAMES = tuple(f"{escape(f)}, {escape(g)}" for g, f in texts.PEOPLE)


def _name_xml(tag: str, agent: _Agent) -> str:
    people, orgs = _AGENTS[tag]
    if agent.person is None:
        return orgs[agent.org]
    return people[agent.person] + _AFFILIATIONS[agent.org]


def _dc_name(agent: _Agent) -> str:
    return _ORGS[agent.org][0] if agent.person is None else _DC_NAMES[agent.person]


def _resource(c: _Content, key: str, publisher: str) -> str:
    pub_name, pub_ror, _ = _feed_parts(key, publisher)
    first, last, year = c.years
    month, day = c.month_day
    lang = _lang(c)
    parts = [_RESOURCE_OPEN, f'<identifier identifierType="DOI">{doi(key, c.index)}</identifier>',
             "<creators>"]
    parts += [f"<creator>{_name_xml('creator', p)}</creator>" for p in c.creators]
    parts.append(f"</creators><titles><title{lang}>{c.title}</title>")
    if c.translation:
        parts.append(f'<title titleType="TranslatedTitle" xml:lang="{c.translation[0]}">'
                     f"{c.translation[1]}</title>")
    parts.append(
        f'</titles><publisher publisherIdentifier="{pub_ror}" publisherIdentifierScheme="ROR" '
        f'schemeURI="https://ror.org/">{pub_name}</publisher>'
        f"<publicationYear>{year}</publicationYear>"
        f'<resourceType resourceTypeGeneral="{c.general}">{c.type_text}</resourceType>'
        '<subjects><subject subjectScheme="Fields of Science and Technology (FOS)" '
        f'schemeURI="http://www.oecd.org/science/inno/38235147.pdf">{texts.TOPICS[c.topic].fos}'
        "</subject>")
    parts.append(_SUBJECTS[c.topic][c.skip])
    parts.append("</subjects><contributors>"
                 f'<contributor contributorType="ContactPerson">{_name_xml("contributor", c.contact)}'
                 "</contributor>")
    if c.collector:
        parts.append(f'<contributor contributorType="DataCollector">'
                     f'{_name_xml("contributor", c.collector)}</contributor>')
    parts.append(f'<contributor contributorType="HostingInstitution">'
                 f'{_name_xml("contributor", c.host)}</contributor></contributors>'
                 f'<dates><date dateType="Issued">{year}-{month:02d}-{day:02d}</date>'
                 f'<date dateType="Created">{last}-{month:02d}-01</date>')
    if c.collected:
        parts.append(f'<date dateType="Collected">{first}-01-01/{last}-12-31</date>')
    place, lat, lon = c.place
    parts.append(
        f"</dates><language>{c.lang}</language><alternateIdentifiers>"
        f'<alternateIdentifier alternateIdentifierType="Local accession number">'
        f"{key.upper()}-{c.index:07d}</alternateIdentifier>"
        "</alternateIdentifiers><relatedIdentifiers>"
        '<relatedIdentifier relatedIdentifierType="DOI" relationType="IsSupplementTo" '
        f'resourceTypeGeneral="JournalArticle">10.5555/article-{c.article:06d}</relatedIdentifier>'
        '<relatedIdentifier relatedIdentifierType="URL" relationType="IsDocumentedBy">'
        f"https://{key}.sim.example.org/docs/{texts.TOPICS[c.topic].key}</relatedIdentifier>"
        '<relatedIdentifier relatedIdentifierType="DOI" relationType="IsPartOf" '
        f'resourceTypeGeneral="Collection">10.5555/{key}-collection-{"abc"[c.index % 3]}'
        "</relatedIdentifier></relatedIdentifiers>"
        f"<sizes><size>{c.size_mb} MB</size><size>{c.files} files</size></sizes><formats>"
        + "".join(f"<format>{f}</format>" for f in c.formats)
        + f"</formats><version>{c.version}.0</version><rightsList>"
        f"{_RIGHTS[c.licence]}</rightsList><descriptions>"
        f'<description descriptionType="Abstract"{lang}>'
        f"{c.abstract}</description>")
    if c.methods:
        parts.append(f'<description descriptionType="Methods" xml:lang="en">{_METHODS}'
                     "</description>")
    parts.append(
        f"</descriptions><geoLocations><geoLocation><geoLocationPlace>{place}</geoLocationPlace>"
        f"<geoLocationPoint><pointLongitude>{lon:.4f}</pointLongitude>"
        f"<pointLatitude>{lat:.4f}</pointLatitude></geoLocationPoint><geoLocationBox>"
        f"<westBoundLongitude>{lon - 0.5:.4f}</westBoundLongitude>"
        f"<eastBoundLongitude>{lon + 0.5:.4f}</eastBoundLongitude>"
        f"<southBoundLatitude>{lat - 0.5:.4f}</southBoundLatitude>"
        f"<northBoundLatitude>{lat + 0.5:.4f}</northBoundLatitude>"
        "</geoLocationBox></geoLocation></geoLocations><fundingReferences><fundingReference>"
        f"{_FUNDERS[c.funder]}"
        f'<awardNumber awardURI="https://awards.sim.example.org/{c.award}">{c.award}'
        f"</awardNumber><awardTitle>{c.award_title}</awardTitle>"
        "</fundingReference></fundingReferences></resource>")
    return "".join(parts)


def _oai_datacite(c: _Content, key: str, publisher: str) -> str:
    return ('<oai_datacite xmlns="http://schema.datacite.org/oai/oai-1.1/" '
            f'{_XSI} xsi:schemaLocation="http://schema.datacite.org/oai/oai-1.1/ '
            'http://schema.datacite.org/oai/oai-1.1/oai.xsd"><schemaVersion>4.5</schemaVersion>'
            f"<datacentreSymbol>{_feed_parts(key, publisher)[2]}</datacentreSymbol>"
            f"<payload>{_resource(c, key, publisher)}</payload></oai_datacite>")


def _oai_dc(c: _Content, key: str, publisher: str) -> str:
    lang = _lang(c)
    first, last, year = c.years
    month, day = c.month_day
    parts = [_DC_OPEN, f"<dc:title{lang}>{c.title}</dc:title>"]
    if c.translation:
        parts.append(f'<dc:title xml:lang="{c.translation[0]}">{c.translation[1]}</dc:title>')
    parts += [f"<dc:creator>{_dc_name(p)}</dc:creator>" for p in c.creators]
    parts.append(_DC_SUBJECTS[c.topic][c.skip])
    parts.append(f"<dc:description{lang}>{c.abstract}</dc:description>"
                 f"<dc:publisher>{_feed_parts(key, publisher)[0]}</dc:publisher>"
                 f"<dc:contributor>{_dc_name(c.contact)}</dc:contributor>"
                 f"<dc:date>{year}-{month:02d}-{day:02d}</dc:date>"
                 f"<dc:type>{c.general}</dc:type>")
    parts += [f"<dc:format>{f}</dc:format>" for f in c.formats]
    parts.append(f"<dc:identifier>https://doi.org/{doi(key, c.index)}</dc:identifier>"
                 f"<dc:language>{c.lang}</dc:language>"
                 f"<dc:relation>https://doi.org/10.5555/article-{c.article:06d}</dc:relation>"
                 f"<dc:coverage>{c.place[0]}</dc:coverage>"
                 f"<dc:coverage>{first}/{last}</dc:coverage>"
                 f"<dc:rights>{texts.LICENCES[c.licence][2]}</dc:rights></oai_dc:dc>")
    return "".join(parts)


_RENDERERS = {"oai_dc": _oai_dc, "oai_datacite": _oai_datacite,
              "datacite": lambda c, key, publisher: _resource(c, key, publisher)}


def render(prefix: str, *, key: str, seed: int, index: int, version: int = 1,
           publisher: str = "Simulated Repository", tainted: bool = False) -> str:
    """The `<metadata>` content of record `index` (at `version`) in the format `prefix`.

    `tainted` puts illegal XML characters into the title, as some real feeds do.
    """
    return _RENDERERS[prefix](_content(seed, index, version, tainted), key, publisher)
