"""Clustering keys of a record: its persistent identifiers, and its likely-duplicate key.

Identifier keys are "<scheme>:<normalised value>" ("doi:10.5555/x", "handle:20.500.1/abc"). Two
records sharing one describe the same resource. Only schemes that name one resource count:
DOI, Handle, ARK, URN (URN:NBN and friends), arXiv and PubMed ids. URLs, ISSNs and ISBNs do
not: a landing page moves, and a journal's or a book's number is shared by its parts.

A likely-duplicate key ("dup:<hash>") is the normalised main title, publication year and first
creator's family name; records sharing one are only reported, unless their sources opt in.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from mappers.normalise.identifiers import classify_identifier, normalise_doi, normalise_handle

DUPLICATE_PREFIX = "dup:"

# Strongest first: a cluster's id is derived from the first of these its anchor has.
STRONG_SCHEMES: tuple[str, ...] = ("doi", "handle", "ark", "urn", "arxiv", "pmid")
_RANK = {scheme: rank for rank, scheme in enumerate(STRONG_SCHEMES)}
_ARXIV_VERSION = re.compile(r"v\d+$")
_URN = re.compile(r"^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$", re.IGNORECASE)
_ARK = re.compile(r"ark:/?(\d{5,}/\S+)$", re.IGNORECASE)
# Keys are stored in an indexed column; a longer identifier is kept as its hash.
_MAX_KEY = 512
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
# The combining mark blocks: what NFKD splits off accented letters (a regex beats a per-character
# unicodedata.combining() loop over long abstracts by an order of magnitude).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def identifier_key(value: str | None, declared_type: str | None = None) -> str | None:
    """The key of an identifier when it is a persistent one, else None."""
    if not value or not value.strip():
        return None
    kind, normalised = classify_identifier(value)
    if kind is None and declared_type:
        kind, normalised = _by_declared_type(value.strip(), declared_type.strip().lower())
    if kind is None:
        return None
    scheme = kind.lower()
    if scheme not in _RANK:
        return None
    if scheme in ("doi", "handle"):
        normalised = normalised.lower()  # both resolve case-insensitively
    elif scheme == "arxiv":
        normalised = _ARXIV_VERSION.sub("", normalised.split(":", 1)[-1].lower())
    # ARKs and URNs already spell their scheme ("ark:/1234/x", "urn:nbn:de:...").
    key = normalised if scheme in ("ark", "urn") else f"{scheme}:{normalised}"
    if len(key) > _MAX_KEY:
        key = f"{scheme}:sha256:{hashlib.sha256(normalised.encode()).hexdigest()}"
    return key


def _by_declared_type(value: str, declared: str) -> tuple[str | None, str]:
    """A partner's type says what a bare value is when its spelling alone does not."""
    if declared == "doi" and (doi := normalise_doi(value)):
        return "DOI", doi
    if declared in ("handle", "hdl") and (handle := normalise_handle(value)):
        return "Handle", handle
    if declared == "ark" and (match := _ARK.search(value)):
        return "ARK", f"ark:/{match.group(1)}"
    if declared.startswith("urn") and _URN.match(value):
        nid, nss = value.split(":", 2)[1:]
        return "URN", f"urn:{nid.lower()}:{nss}"
    return None, value


def identifier_keys(record: Mapping[str, Any]) -> set[str]:
    """Every identifier key of a record (as JSON): its identifier, its alternate identifiers
    and the targets of its IsIdenticalTo relations."""
    keys: set[str] = set()
    identifier = record.get("identifier")
    if identifier:
        keys.add(identifier_key(identifier.get("value"), identifier.get("type")))
    for alternate in record.get("alternate_identifiers") or ():
        keys.add(identifier_key(alternate.get("value"), alternate.get("type")))
    for related in record.get("related_identifiers") or ():
        if related.get("relation_type") == "IsIdenticalTo":
            keys.add(identifier_key(related.get("value"),
                                    related.get("related_identifier_type")))
    keys.discard(None)
    return keys


def strongest_key(keys: Iterable[str]) -> str | None:
    """The key a cluster's id is derived from: best scheme first, then the smallest value."""
    ranked = [(_RANK.get(key.split(":", 1)[0], len(_RANK)), key) for key in keys
              if not key.startswith(DUPLICATE_PREFIX)]
    return min(ranked)[1] if ranked else None


def fold(text: str | None) -> str:
    """Lower case, accents off, punctuation and spacing reduced to single spaces."""
    if not text:
        return ""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def first_creator_family(record: Mapping[str, Any]) -> str:
    creators = record.get("creators") or ()
    if not creators:
        return ""
    creator = creators[0]
    family = creator.get("family_name")
    if not family:
        name = creator.get("name") or ""
        if creator.get("name_type") == "Organizational":
            family = name
        elif "," in name:
            family = name.split(",", 1)[0]
        else:
            family = name.split()[-1] if name.split() else ""
    return fold(family)


def duplicate_key(record: Mapping[str, Any]) -> str | None:
    """The likely-duplicate key, or None when title, year or first creator is missing."""
    titles = record.get("titles") or ()
    main = next((t for t in titles if not t.get("title_type")), titles[0] if titles else None)
    title = fold(main.get("value")) if main else ""
    year = record.get("publication_year")
    family = first_creator_family(record)
    if not (title and year and family):
        return None
    digest = hashlib.sha256(f"{title}|{year}|{family}".encode()).hexdigest()[:40]
    return DUPLICATE_PREFIX + digest


def record_keys(record: Mapping[str, Any] | None) -> set[str]:
    """All clustering keys of a record; none for a deleted or unmappable one."""
    if not record:
        return set()
    keys = identifier_keys(record)
    if dup := duplicate_key(record):
        keys.add(dup)
    return keys


def is_duplicate_key(key: str) -> bool:
    return key.startswith(DUPLICATE_PREFIX)
