"""Persistent identifiers: recognising DOIs, ORCIDs, RORs, handles and friends in any spelling."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote

_DOI_PREFIX = re.compile(
    r"^(?:doi:\s*|info:doi/|(?:https?://)?(?:dx\.|www\.)?doi\.org/)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")

# The URL prefix may come twice: "https://orcid.org/https://orcid.org/0009-..." is in the wild,
# even in DataCite's own 4.6 examples.
_ORCID = re.compile(
    r"^(?:orcid:\s*|(?:https?://)?(?:www\.)?orcid\.org/){0,2}"
    r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])/?$", re.IGNORECASE)

# ROR ids are "0", six Crockford base-32 characters and a two-digit ISO 7064 MOD 97-10 checksum.
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_ROR = re.compile(
    r"^(?:ror:\s*|(?:https?://)?(?:www\.)?ror\.org/)?(0[0-9a-hjkmnp-tv-z]{6}\d{2})/?$",
    re.IGNORECASE)

_HANDLE_PREFIXED = re.compile(
    r"^(?:hdl:\s*|info:hdl/|(?:https?://)?(?:hdl\.)?handle\.net/)(\d[\w.]*/\S+)$",
    re.IGNORECASE)
_HANDLE_BARE = re.compile(r"^(\d+(?:\.[\w-]+)*/\S+)$")
# Bare "prefix/suffix" strings are only taken as handles when the prefix is a modern
# "20.500.*" one; anything else is too easily a fraction, a date or a path.
_HANDLE_MODERN = re.compile(r"^(20\.500\.[\w.]+/\S+)$")

_ARK = re.compile(r"^(?:https?://[^/\s]+/)?ark:/?(\d{5,}/\S+)$", re.IGNORECASE)
_URN = re.compile(r"^urn:([a-z0-9][a-z0-9-]{0,31}):(\S+)$", re.IGNORECASE)
_ARXIV = re.compile(
    r"^(?:arxiv:\s*|(?:https?://)?(?:www\.)?arxiv\.org/(?:abs|pdf)/)"
    r"(\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)(?:\.pdf)?$",
    re.IGNORECASE)
_PMID = re.compile(
    r"^(?:pmid:\s*|(?:https?://)?pubmed\.ncbi\.nlm\.nih\.gov/)(\d{1,9})/?$", re.IGNORECASE)
_ISSN = re.compile(r"^(?:e?issn:?\s*)?(\d{4})-?(\d{3}[\dX])$", re.IGNORECASE)
_ISBN = re.compile(r"^(?:isbn(?:-1[03])?:?\s*)?([\d][\d\s-]{8,16}[\dX])$", re.IGNORECASE)
_URL = re.compile(r"^(?:https?|ftp)://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def normalise_doi(text: str | None) -> str | None:
    """`10.xxxx/suffix` in lower case, from any usual spelling; None when it is not a DOI."""
    if not text:
        return None
    value = text.strip()
    if "%" in value:
        value = unquote(value)
    value = _DOI_PREFIX.sub("", value, count=1)
    if not _DOI.match(value):
        return None
    return value.lower()


def _orcid_check_digit(digits: str) -> str:
    """ISO 7064 MOD 11-2 over the first fifteen digits."""
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


@lru_cache(maxsize=4096)
def normalise_orcid(text: str | None) -> str | None:
    """`https://orcid.org/XXXX-XXXX-XXXX-XXXX` when the checksum holds, else None."""
    if not text:
        return None
    match = _ORCID.match(text.strip())
    if not match:
        return None
    digits = "".join(match.groups()).upper()
    if _orcid_check_digit(digits[:15]) != digits[15]:
        return None
    return "https://orcid.org/" + "-".join(match.groups()).upper()


@lru_cache(maxsize=4096)
def normalise_ror(text: str | None) -> str | None:
    """`https://ror.org/0xxxxxxNN` when the checksum holds, else None."""
    if not text:
        return None
    match = _ROR.match(text.strip())
    if not match:
        return None
    ror = match.group(1).lower()
    number = 0
    for char in ror[1:7]:
        number = number * 32 + _CROCKFORD.index(char)
    if 98 - (number * 100) % 97 != int(ror[7:]):
        return None
    return f"https://ror.org/{ror}"


@lru_cache(maxsize=4096)
def normalise_handle(text: str | None) -> str | None:
    """`prefix/suffix` from `hdl:`, `info:hdl/`, handle.net URLs or the bare form.

    DOIs are handles too, but they are reported by `normalise_doi`, so `10.*` prefixes are
    refused here.
    """
    if not text:
        return None
    value = text.strip()
    match = _HANDLE_PREFIXED.match(value) or _HANDLE_BARE.match(value)
    if not match or match.group(1).startswith("10."):
        return None
    return match.group(1)


def _issn(text: str) -> str | None:
    match = _ISSN.match(text)
    if not match:
        return None
    digits = (match.group(1) + match.group(2)).upper()
    total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    if ("X" if check == 10 else str(check)) != digits[7]:
        return None
    return f"{digits[:4]}-{digits[4:]}"


def _isbn(text: str) -> str | None:
    match = _ISBN.match(text)
    if not match:
        return None
    digits = re.sub(r"[\s-]", "", match.group(1)).upper()
    if len(digits) == 10 and digits[:9].isdigit():
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        return digits if total % 11 == 0 else None
    if len(digits) == 13 and digits.isdigit() and digits[:3] in {"978", "979"}:
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits))
        return digits if total % 10 == 0 else None
    return None


def classify_identifier(text: str | None) -> tuple[str | None, str]:
    """(type, normalised value) for an identifier in any usual spelling; (None, text) if unknown.

    Types are DataCite relatedIdentifierType names where one exists (DOI, Handle, ARK, URN,
    arXiv, PMID, ISSN, ISBN, URL), plus ORCID and ROR.
    """
    value = (text or "").strip()
    if not value:
        return None, value
    if doi := normalise_doi(value):
        return "DOI", doi
    if "orcid.org/" in value.lower() and (orcid := normalise_orcid(value)):
        return "ORCID", orcid
    if "ror.org/" in value.lower() and (ror := normalise_ror(value)):
        return "ROR", ror
    if match := _HANDLE_PREFIXED.match(value) or _HANDLE_MODERN.match(value):
        return "Handle", match.group(1)
    if match := _ARK.match(value):
        return "ARK", f"ark:/{match.group(1)}"
    if match := _URN.match(value):
        return "URN", f"urn:{match.group(1).lower()}:{match.group(2)}"
    if match := _ARXIV.match(value):
        return "arXiv", f"arXiv:{match.group(1)}"
    if match := _PMID.match(value):
        return "PMID", match.group(1)
    if issn := _issn(value):
        return "ISSN", issn
    if isbn := _isbn(value):
        return "ISBN", isbn
    if orcid := normalise_orcid(value):
        return "ORCID", orcid
    if _URL.match(value):
        return "URL", value
    return None, value
