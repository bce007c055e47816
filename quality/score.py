"""Scoring one mapped record: weighted DataCite completeness and FAIR-minded checks (pure).

The weights and checks are documented in docs/quality.md; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from mappers.normalise import (
    access_right_label,
    classify_identifier,
    normalise_date,
    normalise_doi,
    normalise_handle,
    normalise_language,
    normalise_licence,
    normalise_orcid,
    normalise_ror,
)
from schemas import Record, RecordQuality

# The completeness score: 0.6 × mandatory + 0.3 × recommended + 0.1 × optional.
GROUP_WEIGHTS = {"mandatory": 0.6, "recommended": 0.3, "optional": 0.1}
DIGITS = 3  # scores are rounded to this many decimals
MIN_DESCRIPTION_CHARS = 50


class Property(NamedTuple):
    """A DataCite property, its weight inside its group, and how to tell it is filled in."""

    name: str  # as DataCite spells it
    weight: float
    present: Callable[[Record], bool]


MANDATORY: tuple[Property, ...] = (
    Property("identifier", 1, lambda r: r.identifier is not None and bool(r.identifier.value)),
    Property("creators", 1, lambda r: bool(r.creators)),
    Property("titles", 1, lambda r: bool(r.titles)),
    Property("publisher", 1, lambda r: r.publisher is not None and bool(r.publisher.name)),
    Property("publicationYear", 1, lambda r: r.publication_year is not None),
    Property("resourceTypeGeneral", 1,
             lambda r: r.resource_type is not None and r.resource_type.general is not None),
)
# Descriptions and subjects are what people find a dataset by: they weigh double.
RECOMMENDED: tuple[Property, ...] = (
    Property("subjects", 2, lambda r: bool(r.subjects)),
    Property("contributors", 1, lambda r: bool(r.contributors)),
    Property("dates", 1, lambda r: bool(r.dates)),
    Property("relatedIdentifiers", 1, lambda r: bool(r.related_identifiers)),
    Property("descriptions", 2, lambda r: any(d.value.strip() for d in r.descriptions)),
    Property("geoLocations", 1, lambda r: bool(r.geo_locations)),
)
# Rights weigh double: without a licence nobody may reuse the data.
OPTIONAL: tuple[Property, ...] = (
    Property("language", 1, lambda r: r.language is not None),
    Property("alternateIdentifiers", 1, lambda r: bool(r.alternate_identifiers)),
    Property("sizes", 1, lambda r: bool(r.sizes)),
    Property("formats", 1, lambda r: bool(r.formats)),
    Property("version", 1, lambda r: bool(r.version)),
    Property("rights", 2, lambda r: bool(r.rights)),
    Property("fundingReferences", 1, lambda r: bool(r.funding_references)),
)

# The check codes a record can fail, in the order they are reported.
CHECK_CODES: tuple[str, ...] = (
    "no_persistent_id", "malformed_persistent_id", "no_licence", "unrecognised_licence",
    "no_creator_ids", "no_language", "invalid_language_tag", "no_description",
    "short_description", "no_access_url", "unparseable_dates",
)
_PID_TYPES = frozenset({"DOI", "Handle", "ARK", "URN"})
_RESOLVABLE = frozenset({"DOI", "Handle", "ARK", "URL"})  # each leads to a landing page

# The same dates, languages, ORCID iDs and ROR ids come back record after record: remember
# the normalisers' answers (bounded) rather than run their regular expressions again.
_date_ok = lru_cache(maxsize=4096)(lambda text: normalise_date(text) is not None)
_language = lru_cache(maxsize=1024)(normalise_language)
_orcid_ok = lru_cache(maxsize=8192)(lambda text: normalise_orcid(text) is not None)
_ror_ok = lru_cache(maxsize=8192)(lambda text: normalise_ror(text) is not None)


def score_record(record: Record) -> RecordQuality:
    """The quality of one mapped record: completeness scores, failed checks and flags."""
    mandatory = _completeness(record, MANDATORY)
    recommended = _completeness(record, RECOMMENDED)
    optional = _completeness(record, OPTIONAL)
    score = (GROUP_WEIGHTS["mandatory"] * mandatory + GROUP_WEIGHTS["recommended"] * recommended
             + GROUP_WEIGHTS["optional"] * optional)

    failed: list[str] = []
    pid_type, pid_failure = _persistent_id(record)
    has_doi = pid_type == "DOI" or any(normalise_doi(a.value) for a in record.alternate_identifiers
                                       if (a.type or "").upper() == "DOI")
    has_licence, licence_failure = _licence(record)
    has_orcid, has_ror = _agent_ids(record)
    languages, language_failure = _languages(record)
    for failure in (
        pid_failure,
        licence_failure,
        None if has_orcid or has_ror else "no_creator_ids",
        language_failure,
        _description(record),
        _access(record, pid_type),
        _dates(record),
    ):
        if failure:
            failed.append(failure)
    return RecordQuality(
        score=round(score, DIGITS), mandatory=round(mandatory, DIGITS),
        recommended=round(recommended, DIGITS), optional=round(optional, DIGITS),
        failed_checks=failed, issues=sorted({issue.code for issue in record.issues}),
        has_doi=bool(has_doi), has_licence=has_licence, has_orcid=has_orcid, has_ror=has_ror,
        languages=languages,
    )


def _completeness(record: Record, properties: tuple[Property, ...]) -> float:
    filled = total = 0.0
    for prop in properties:
        total += prop.weight
        if prop.present(record):
            filled += prop.weight
    return filled / total


def _persistent_id(record: Record) -> tuple[str | None, str | None]:
    """(the PID type found, or None; the failure code, or None).

    The record identifier counts when its declared type is a PID type and its value has that
    type's form, or when an undeclared value has the form of one; an alternate identifier of
    PID form counts too. A declared PID of the wrong form is reported as malformed.
    """
    failure = "no_persistent_id"
    found = None
    if record.identifier is not None:
        declared = _pid_type(record.identifier.type)
        if declared is not None:
            if _well_formed(declared, record.identifier.value):
                return declared, None
            failure = "malformed_persistent_id"
        else:
            found = classify_identifier(record.identifier.value)[0]
            if found in _PID_TYPES:
                return found, None
    for alternate in record.alternate_identifiers:
        kind = classify_identifier(alternate.value)[0]
        if kind in _PID_TYPES:
            return kind, None
    return found, failure  # found: e.g. "URL", which still leads somewhere


def _pid_type(declared: str | None) -> str | None:
    upper = (declared or "").upper()
    for pid in _PID_TYPES:
        if pid.upper() == upper:
            return pid
    return None


def _well_formed(pid_type: str, value: str) -> bool:
    if pid_type == "DOI":
        return normalise_doi(value) is not None
    if pid_type == "Handle":
        return normalise_handle(value) is not None
    return classify_identifier(value)[0] == pid_type


def _licence(record: Record) -> tuple[bool, str | None]:
    """(a recognised licence is given; the failure code, or None)."""
    given = False
    for rights in record.rights:
        texts = [t for t in (rights.spdx_id, rights.uri, rights.statement) if t]
        if not texts or any(access_right_label(t) for t in texts):
            continue  # an access-rights term says who may get the data, not how to reuse it
        given = True
        if any(normalise_licence(t) != (None, None) for t in texts):
            return True, None
    for distribution in record.distributions:
        for text in (distribution.spdx_id, distribution.license):
            if text:
                given = True
                if normalise_licence(text) != (None, None):
                    return True, None
    return False, "unrecognised_licence" if given else "no_licence"


def _agent_ids(record: Record) -> tuple[bool, bool]:
    """(an ORCID iD, a ROR id) on any creator or contributor or their affiliations."""
    orcid = ror = False
    for agent in (*record.creators, *record.contributors):
        for name_id in agent.name_identifiers:
            scheme = (name_id.scheme or "").upper()
            value = name_id.identifier
            if not orcid and (scheme == "ORCID" or "orcid.org/" in value):
                orcid = _orcid_ok(value)
            elif not ror and (scheme == "ROR" or "ror.org/" in value):
                ror = _ror_ok(value)
        for affiliation in agent.affiliations:
            if not ror and affiliation.identifier and (
                    (affiliation.identifier_scheme or "").upper() == "ROR"
                    or "ror.org/" in affiliation.identifier):
                ror = _ror_ok(affiliation.identifier)
        if orcid and ror:
            break
    return orcid, ror


def _languages(record: Record) -> tuple[list[str], str | None]:
    """(the primary language subtags seen, sorted; the failure code, or None)."""
    tags = [record.language] if record.language else []
    for items in (record.titles, record.descriptions, record.subjects):
        tags.extend(item.lang for item in items if item.lang)
    if not tags:
        return [], "no_language"
    primaries: set[str] = set()
    invalid = False
    for tag in set(tags):
        normalised = _language(tag)
        if normalised is None:
            invalid = True
        else:
            primaries.add(normalised.split("-", 1)[0])
    return sorted(primaries), "invalid_language_tag" if invalid else None


def _description(record: Record) -> str | None:
    longest = max((len(d.value.strip()) for d in record.descriptions), default=0)
    if longest == 0:
        return "no_description"
    return "short_description" if longest < MIN_DESCRIPTION_CHARS else None


def _access(record: Record, pid_type: str | None) -> str | None:
    if record.landing_page or pid_type in _RESOLVABLE:
        return None
    if any(d.access_url or d.download_url for d in record.distributions):
        return None
    return "no_access_url"


def _dates(record: Record) -> str | None:
    values = [d.value for d in record.dates]
    for distribution in record.distributions:
        values.extend(v for v in (distribution.issued, distribution.modified) if v)
    if not all(_date_ok(value) for value in values):
        return "unparseable_dates"
    return None
