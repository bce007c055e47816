"""Subject vocabularies: the scheme a concept IRI or a classification string belongs to."""

from __future__ import annotations

import re
from typing import NamedTuple

_EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"


class Vocabulary(NamedTuple):
    """A controlled vocabulary recognised by the IRIs of its concepts."""

    namespace: str
    scheme: str
    scheme_uri: str


VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary(f"{_EU_AUTHORITY}data-theme/", "EU Data Theme", f"{_EU_AUTHORITY}data-theme"),
    Vocabulary("http://eurovoc.europa.eu/", "EuroVoc", "http://eurovoc.europa.eu/100141"),
    Vocabulary("http://inspire.ec.europa.eu/theme/", "INSPIRE themes",
               "http://inspire.ec.europa.eu/theme"),
    Vocabulary("http://www.wikidata.org/entity/", "Wikidata", "http://www.wikidata.org/entity/"),
    Vocabulary("http://id.loc.gov/authorities/subjects/", "LCSH",
               "http://id.loc.gov/authorities/subjects"),
    Vocabulary("https://www.ncbi.nlm.nih.gov/mesh/", "MeSH", "https://www.ncbi.nlm.nih.gov/mesh"),
)
# The EU data themes' English labels: partners link the concept and rarely repeat its label.
EU_DATA_THEMES = {
    "AGRI": "Agriculture, fisheries, forestry and food", "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport", "ENER": "Energy", "ENVI": "Environment",
    "GOVE": "Government and public sector", "HEAL": "Health", "INTR": "International issues",
    "JUST": "Justice, legal system and public safety", "REGI": "Regions and cities",
    "SOCI": "Population and society", "TECH": "Science and technology", "TRAN": "Transport",
    "OP_DATPRO": "Provisional data",
}

# OpenAIRE's info:eu-repo/classification/<scheme>/<code> (and the "ddc:550" shorthand).
CLASSIFICATIONS = {"ddc": "DDC", "udc": "UDC", "lcc": "LCC", "mesh": "MeSH", "acm": "ACM",
                   "msc": "MSC", "pacs": "PACS", "jel": "JEL", "nlm": "NLM"}
_DDC_CLASS = re.compile(r"^\d{1,3}(?:\.\d+)?$")
_CLASSIFICATION = re.compile(
    r"^(?:info:eu-repo/classification/([a-z]+)/|(ddc|udc):\s*)(\S(?:.*\S)?)$", re.IGNORECASE)


def vocabulary_for(iri: str | None) -> Vocabulary | None:
    """The known vocabulary whose namespace the concept IRI is in, or None."""
    return next((v for v in VOCABULARIES if iri and iri.startswith(v.namespace)), None)


def classification(text: str | None) -> tuple[str, str] | None:
    """(scheme, code) of a classification written as text: "info:eu-repo/classification/ddc/550"
    and "ddc:550" give ("DDC", "550"); None for anything else, or an unknown scheme."""
    match = _CLASSIFICATION.match((text or "").strip())
    if not match:
        return None
    scheme = CLASSIFICATIONS.get((match.group(1) or match.group(2)).lower())
    code = match.group(3)
    if scheme is None or (scheme == "DDC" and not _DDC_CLASS.match(code)):
        return None
    return scheme, code
