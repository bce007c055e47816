"""Licences: SPDX ids and canonical URIs from licence URLs, names and ids; access-rights labels."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

SPDX_SCHEME_URI = "https://spdx.org/licenses/"

_CC_VARIANTS = ("by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd")
_CC_VERSIONS = ("1.0", "2.0", "2.5", "3.0", "4.0")
# Creative Commons 1.0 spelt BY-NC-ND as "by-nd-nc"; the same licence either way.
_CC_ALIASES = {"by-nd-nc": "by-nc-nd"}
# The jurisdiction ports SPDX has an id for (SPDX License List 3.2x).
_CC_PORTS = frozenset({
    "CC-BY-2.5-AU", "CC-BY-3.0-AT", "CC-BY-3.0-AU", "CC-BY-3.0-DE", "CC-BY-3.0-IGO",
    "CC-BY-3.0-NL", "CC-BY-3.0-US", "CC-BY-NC-3.0-DE", "CC-BY-NC-ND-3.0-DE",
    "CC-BY-NC-ND-3.0-IGO", "CC-BY-NC-SA-2.0-DE", "CC-BY-NC-SA-2.0-FR", "CC-BY-NC-SA-2.0-UK",
    "CC-BY-NC-SA-3.0-DE", "CC-BY-NC-SA-3.0-IGO", "CC-BY-ND-3.0-DE", "CC-BY-SA-2.0-UK",
    "CC-BY-SA-2.1-JP", "CC-BY-SA-3.0-AT", "CC-BY-SA-3.0-DE", "CC-BY-SA-3.0-IGO",
})


def _cc_uri(variant: str, version: str, port: str | None = None) -> str:
    base = f"https://creativecommons.org/licenses/{variant}/{version}/"
    return f"{base}{port.lower()}/" if port else base


def _cc_spdx(variant: str, version: str, port: str | None = None) -> str | None:
    variant = _CC_ALIASES.get(variant, variant)
    if variant not in _CC_VARIANTS:
        return None
    spdx = f"CC-{variant.upper()}-{version}" + (f"-{port.upper()}" if port else "")
    if port:
        return spdx if spdx in _CC_PORTS else None
    return spdx if version in _CC_VERSIONS else None


# Canonical URI of every SPDX licence we recognise (Creative Commons ones are built above).
_CANONICAL: dict[str, str] = {
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "PDDL-1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
    "ODC-By-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "MIT": "https://opensource.org/licenses/MIT",
    "Apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
    "GPL-2.0-only": "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html",
    "GPL-2.0-or-later": "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html",
    "GPL-3.0-only": "https://www.gnu.org/licenses/gpl-3.0.html",
    "GPL-3.0-or-later": "https://www.gnu.org/licenses/gpl-3.0.html",
    "BSD-2-Clause": "https://opensource.org/licenses/BSD-2-Clause",
    "BSD-3-Clause": "https://opensource.org/licenses/BSD-3-Clause",
    "EUPL-1.2": "https://interoperable-europe.ec.europa.eu/collection/eupl/eupl-text-eupl-12",
}
for _variant in _CC_VARIANTS:
    for _version in _CC_VERSIONS:
        _CANONICAL[_cc_spdx(_variant, _version)] = _cc_uri(_variant, _version)
for _port in _CC_PORTS:
    _parts = _port.split("-")
    _CANONICAL[_port] = _cc_uri("-".join(_parts[1:-2]).lower(), _parts[-2], _parts[-1])

# SPDX ids as partners write them (any case), including deprecated GPL spellings.
_SPDX_IDS: dict[str, str] = {spdx.lower(): spdx for spdx in _CANONICAL}
_SPDX_IDS.update({
    "gpl-2.0": "GPL-2.0-only", "gpl-2.0+": "GPL-2.0-or-later",
    "gpl-3.0": "GPL-3.0-only", "gpl-3.0+": "GPL-3.0-or-later",
    "cc-by-nd-nc-1.0": "CC-BY-NC-ND-1.0",
})


class UrlRule(NamedTuple):
    """A licence URL pattern (host and path, lower case, no scheme or "www.") and its SPDX id."""

    pattern: re.Pattern[str]
    spdx: str


def _rule(pattern: str, spdx: str) -> UrlRule:
    return UrlRule(re.compile(pattern), spdx)


_URL_RULES: tuple[UrlRule, ...] = (
    _rule(r"^creativecommons\.org/publicdomain/zero/1\.0(/.*)?$", "CC0-1.0"),
    _rule(r"^opendatacommons\.org/licenses/pddl(/.*)?$", "PDDL-1.0"),
    _rule(r"^opendatacommons\.org/licenses/by(/.*)?$", "ODC-By-1.0"),
    _rule(r"^opendatacommons\.org/licenses/odbl(/.*)?$", "ODbL-1.0"),
    _rule(r"^opensource\.org/licenses?/mit(-license)?(\.php|\.html)?$", "MIT"),
    _rule(r"^opensource\.org/licenses?/apache-?2\.0(\.php|\.html)?$", "Apache-2.0"),
    _rule(r"^apache\.org/licenses/license-2\.0(\.txt|\.html)?$", "Apache-2.0"),
    _rule(r"^opensource\.org/licenses?/bsd-2-clause(\.php|\.html)?$", "BSD-2-Clause"),
    _rule(r"^opensource\.org/licenses?/bsd-3-clause(\.php|\.html)?$", "BSD-3-Clause"),
    _rule(r"^opensource\.org/licenses?/gpl-2\.0(\.php|\.html)?$", "GPL-2.0-only"),
    _rule(r"^opensource\.org/licenses?/gpl-3\.0(\.php|\.html)?$", "GPL-3.0-only"),
    _rule(r"^gnu\.org/licenses/(old-licenses/)?gpl-2\.0(\.en)?(\.html|\.txt)?$", "GPL-2.0-only"),
    _rule(r"^gnu\.org/licenses/gpl-3\.0(\.en)?(\.html|\.txt)?$", "GPL-3.0-only"),
    _rule(r"^opensource\.org/licenses?/eupl-1\.2(\.php|\.html)?$", "EUPL-1.2"),
    _rule(r"^(joinup|interoperable-europe)\.ec\.europa\.eu/.*eupl.*1[.-]?2.*$", "EUPL-1.2"),
    _rule(r"^eupl\.eu/1\.2(/.*)?$", "EUPL-1.2"),
)


# Open Definition licence pages: CKAN's default licence register links them (license_url) and
# ckanext-dcat repeats them as dct:license. Their ids are CKAN's; cc-by and cc-by-sa name no
# version, so they are recognised without an SPDX id.
_OPEN_DEFINITION: dict[str, str | None] = {
    "cc-zero": "CC0-1.0", "odc-pddl": "PDDL-1.0", "odc-by": "ODC-By-1.0",
    "odc-odbl": "ODbL-1.0", "cc-by": None, "cc-by-sa": None,
}
# The EU Publications Office licence table (DCAT-AP's vocabulary for dct:license):
# .../authority/licence/CC_BYNCSA_4_0, CC0, ODC_BL, EUPL_1_2.
_EU_LICENCE_PATH = "/resource/authority/licence/"
_EU_CC = re.compile(r"cc_(by(?:nc)?(?:sa|nd)?)_(\d)_(\d)")
_EU_OTHER = {"cc0": "CC0-1.0", "odc_bl": "ODbL-1.0", "odc_by": "ODC-By-1.0",
             "odc_pddl": "PDDL-1.0", "eupl_1_2": "EUPL-1.2"}


def _eu_licence(code: str) -> str | None:
    """The SPDX id of an EU licence table code (any case), e.g. CC_BYNC_4_0 -> CC-BY-NC-4.0."""
    code = code.lower()
    if cc := _EU_CC.fullmatch(code):
        variant = "-".join(re.findall(r"by|nc|sa|nd", cc.group(1)))
        return _cc_spdx(variant, f"{cc.group(2)}.{cc.group(3)}")
    return _EU_OTHER.get(code)


class NameRule(NamedTuple):
    """A licence name or abbreviation as written in free text, and its SPDX id."""

    pattern: re.Pattern[str]
    spdx: str


def _name(pattern: str, spdx: str) -> NameRule:
    return NameRule(re.compile(pattern, re.IGNORECASE), spdx)


_NAME_RULES: tuple[NameRule, ...] = (
    _name(r"\bcc[\s-]?0\b|\bcc[\s-]zero\b|creative commons zero|public domain dedication \(cc0",
          "CC0-1.0"),
    _name(r"\bodbl\b|open database licen[cs]e", "ODbL-1.0"),
    _name(r"\bpddl\b|public domain dedication and licen[cs]e", "PDDL-1.0"),
    _name(r"\bodc[\s-]by\b|open data commons attribution", "ODC-By-1.0"),
    _name(r"^(the\s+)?mit(\s+licen[cs]e)?$|\bmit licen[cs]e\b|\bexpat licen[cs]e\b", "MIT"),
    _name(r"\bapache(\s+software)?(\s+licen[cs]e)?,?\s*(version\s*|v)?2(\.0)?\b", "Apache-2.0"),
    _name(r"\bgpl[\s-]?v?3(\.0)?\s*\+|gnu general public licen[cs]e,?\s*(version\s*|v)?3(\.0)?"
          r"\s*(or|and)\s*(any\s+)?later", "GPL-3.0-or-later"),
    _name(r"\bgpl[\s-]?v?3\b|gnu general public licen[cs]e,?\s*(version\s*|v)?3", "GPL-3.0-only"),
    _name(r"\bgpl[\s-]?v?2(\.0)?\s*\+|gnu general public licen[cs]e,?\s*(version\s*|v)?2(\.0)?"
          r"\s*(or|and)\s*(any\s+)?later", "GPL-2.0-or-later"),
    _name(r"\bgpl[\s-]?v?2\b|gnu general public licen[cs]e,?\s*(version\s*|v)?2", "GPL-2.0-only"),
    _name(r"\bbsd[\s-]?3\b|3-clause bsd|\bnew bsd|modified bsd|bsd 3-clause", "BSD-3-Clause"),
    _name(r"\bbsd[\s-]?2\b|2-clause bsd|simplified bsd|freebsd licen[cs]e|bsd 2-clause",
          "BSD-2-Clause"),
    _name(r"\beupl[\s-]?v?1\.2\b|european union public licen[cs]e.*1\.2", "EUPL-1.2"),
)

_CC_ABBREVIATION = re.compile(
    r"\bcc[\s_-]+(by(?:[\s_-]+(?:nc|nd|sa)){0,2})(?:[\s_-]+v?(\d\.\d))?"
    r"(?:[\s_-]+(igo|[a-z]{2})\b)?", re.IGNORECASE)
_CC_ELEMENTS = (
    ("nc", re.compile(r"non-?\s?commercial", re.IGNORECASE)),
    ("nd", re.compile(r"no-?\s?deriv", re.IGNORECASE)),
    ("sa", re.compile(r"share-?\s?alike", re.IGNORECASE)),
)
_VERSION = re.compile(r"\b(\d\.\d)\b")

ACCESS_RIGHTS: dict[str, str] = {
    "info:eu-repo/semantics/openaccess": "Open Access",
    "info:eu-repo/semantics/embargoedaccess": "Embargoed Access",
    "info:eu-repo/semantics/restrictedaccess": "Restricted Access",
    "info:eu-repo/semantics/closedaccess": "Closed Access",
    "info:eu-repo/semantics/metadataonlyaccess": "Metadata Only Access",
    "http://purl.org/coar/access_right/c_abf2": "Open Access",
    "http://purl.org/coar/access_right/c_f1cf": "Embargoed Access",
    "http://purl.org/coar/access_right/c_16ec": "Restricted Access",
    "http://purl.org/coar/access_right/c_14cb": "Metadata Only Access",
}


def access_right_label(text: str | None) -> str | None:
    """"Open Access" and friends for info:eu-repo and COAR access-right terms; else None."""
    return ACCESS_RIGHTS.get((text or "").strip().rstrip("/").lower())


def _from_cc_url(host_path: str) -> tuple[str | None, str | None] | None:
    if not host_path.startswith("creativecommons.org/licen"):
        return None
    parts = [p for p in host_path.split("/") if p]
    if len(parts) < 4 or parts[1] not in ("licenses", "licences"):
        return None
    variant, version, rest = parts[2], parts[3], parts[4:]
    if not re.fullmatch(r"\d\.\d", version):
        return None
    port = None
    if rest and not rest[0].startswith(("legalcode", "deed", "rdf")):
        port = rest[0]
    return _cc_spdx(variant, version, port), _cc_uri(variant, version, port)


def _from_url(text: str) -> tuple[str | None, str | None] | None:
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. "http://[::1": an unclosed IPv6 host is no licence URL
        return None
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.lower().rstrip("/")
    host_path = f"{host}{path}"
    if cc := _from_cc_url(host_path):
        return cc
    if host == "spdx.org" and path.startswith("/licenses/"):
        spdx = _SPDX_IDS.get(re.sub(r"\.(html|json|txt)$", "", path.removeprefix("/licenses/")))
        return (spdx, _CANONICAL[spdx]) if spdx else None
    if host == "opendefinition.org" and path.startswith("/licenses/"):
        name = path.removeprefix("/licenses/")
        if name in _OPEN_DEFINITION:
            spdx = _OPEN_DEFINITION[name]
            return (spdx, _CANONICAL[spdx]) if spdx else (
                None, f"https://opendefinition.org/licenses/{name}/")
        return None
    if host == "publications.europa.eu" and path.startswith(_EU_LICENCE_PATH):
        spdx = _eu_licence(path.removeprefix(_EU_LICENCE_PATH))
        return (spdx, _CANONICAL[spdx]) if spdx else None
    for rule in _URL_RULES:
        if rule.pattern.match(host_path):
            return rule.spdx, _CANONICAL[rule.spdx]
    if host == "creativecommons.org" and path.startswith("/publicdomain/"):
        return None, f"https://creativecommons.org{path}/"
    return None


def _from_cc_name(text: str) -> str | None:
    if match := _CC_ABBREVIATION.search(text):
        elements = set(re.split(r"[\s_-]+", match.group(1).lower())) - {"by"}
        version, port = match.group(2), match.group(3)
        if version is None and (later := _VERSION.search(text, match.end())):
            version = later.group(1)  # "Creative Commons Attribution (CC-BY) 4.0"
    elif "creative commons" in text.lower() and "attribution" in text.lower():
        elements = {code for code, pattern in _CC_ELEMENTS if pattern.search(text)}
        version_match = _VERSION.search(text)
        version, port = (version_match.group(1) if version_match else None), None
        if re.search(r"\bIGO\b", text):
            port = "igo"
    else:
        return None
    if version is None or {"nd", "sa"} <= elements:
        return None
    variant = "-".join(["by", *[e for e in ("nc", "nd", "sa") if e in elements]])
    # A port SPDX does not know (or a stray two-letter word) falls back to the unported licence.
    return (port and _cc_spdx(variant, version, port)) or _cc_spdx(variant, version)


@lru_cache(maxsize=4096)
def normalise_licence(uri_or_name: str | None) -> tuple[str | None, str | None]:
    """(SPDX id, canonical URI) for a licence URL, SPDX id or name; (None, None) if unknown.

    A recognised URL without an SPDX id (a Creative Commons port SPDX lacks, the Public Domain
    Mark) gives (None, canonical URI). Access-rights terms (info:eu-repo/semantics/openAccess)
    are not licences and give (None, None).
    """
    text = (uri_or_name or "").strip()
    if not text:
        return None, None
    if (spdx := _SPDX_IDS.get(text.lower())) is not None:
        return spdx, _CANONICAL[spdx]
    if re.match(r"^(https?://|//|(www\.)?[a-z0-9.-]+\.(org|eu|net)/)", text, re.IGNORECASE):
        found = _from_url(text if "://" in text else f"https://{text.lstrip('/')}")
        return found if found else (None, None)
    if spdx := _from_cc_name(text):
        return spdx, _CANONICAL[spdx]
    for rule in _NAME_RULES:
        if rule.pattern.search(text):
            return rule.spdx, _CANONICAL[rule.spdx]
    return None, None
