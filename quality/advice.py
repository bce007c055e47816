"""What to ask a partner to fix, per failed check code and mapping issue code (docs/quality.md)."""

from __future__ import annotations

from quality.score import CHECK_CODES

ADVICE: dict[str, str] = {
    # -- failed checks ---------------------------------------------------------------------------
    "no_persistent_id": "Give every record a persistent identifier (a DOI, Handle, ARK or URN) "
                        "as its identifier.",
    "malformed_persistent_id": "Check the identifiers declared as DOI, Handle, ARK or URN: their "
                               "values do not have that form (a DOI starts with \"10.\").",
    "no_licence": "State a licence for every record, as a licence URL or an SPDX id "
                  "(e.g. https://creativecommons.org/licenses/by/4.0/).",
    "unrecognised_licence": "Replace free-text rights statements with a licence URL or SPDX id "
                            "so that machines can tell what reuse is allowed.",
    "no_creator_ids": "Add ORCID iDs for people and ROR ids for organisations among the "
                      "creators, contributors or their affiliations.",
    "no_language": "Declare the language of the resource (dc:language or DataCite language) "
                   "and xml:lang on titles and descriptions.",
    "invalid_language_tag": "Write languages as BCP 47 / ISO 639 codes such as \"en\" or "
                            "\"pt-BR\".",
    "no_description": "Add an abstract or description to every record.",
    "short_description": "Write descriptions of at least a few sentences: say what was "
                         "measured or collected, where, when and how.",
    "no_access_url": "Give a landing page or download URL, or a DOI or Handle that resolves "
                     "to one.",
    "unparseable_dates": "Write dates in ISO 8601 (2024-05-01, or 2019/2023 for a range).",
    # -- mapping issues --------------------------------------------------------------------------
    "missing_identifier": "Every record needs an identifier (DataCite mandatory).",
    "missing_creators": "Name at least one creator per record (DataCite mandatory).",
    "missing_titles": "Give every record a title (DataCite mandatory).",
    "missing_publisher": "Name the publisher of every record (DataCite mandatory).",
    "missing_publication_year": "Give the publication year of every record (DataCite "
                                "mandatory).",
    "missing_resource_type": "Give a resource type from DataCite's resourceTypeGeneral list "
                             "(Dataset, Software, Text, ...).",
    "invalid_vocabulary": "Use DataCite's controlled values for types (contributorType, "
                          "dateType, relationType, ...); other values are dropped.",
    "unknown_resource_type": "Use a resource type we can map to DataCite's resourceTypeGeneral "
                             "(Dataset, Software, Text, ...).",
    "invalid_doi": "Check the DOIs: some values are not DOIs (a DOI starts with \"10.\").",
    "invalid_orcid": "Check the ORCID iDs: some have the wrong form or checksum.",
    "invalid_ror": "Check the ROR ids: some have the wrong form or checksum.",
    "invalid_language": "Write languages as BCP 47 / ISO 639 codes such as \"en\".",
    "language_undetected": "Tag titles and descriptions with xml:lang: their language could "
                           "not be told from the text.",
    "language_detected": "Tag titles and descriptions with xml:lang: we had to guess their "
                         "language from the text.",
    "unparseable_date": "Write dates in ISO 8601 (2024-05-01, or 2019/2023 for a range).",
    "invalid_publication_year": "Give the publication year as four digits.",
    "publication_year_derived": "Give publicationYear explicitly; we derived it from another "
                                "date.",
    "invalid_coordinates": "Check geographic coordinates: some are out of range or not numbers "
                           "(latitude -90..90, longitude -180..180).",
    "empty_element": "Remove empty elements, or fill them in (e.g. a creator without a name).",
    "invalid_element": "Some elements could not be read and were skipped; check them against "
                       "the schema.",
    "unmapped_value": "Some values could not be mapped (e.g. a relation that is not an "
                      "identifier); use identifiers and URLs where a field expects them.",
    "name_from_identifier": "Give names for agents, not only identifiers.",
    "licence_version_assumed": "Name the licence version (e.g. CC BY 4.0), not only the "
                               "licence family.",
}
_DEFAULT = "Look at the example records and the mapping issue's messages in them."
_CHECKS = frozenset(CHECK_CODES)


def advice_for(code: str) -> str:
    return ADVICE.get(code, _DEFAULT)


def kind_of(code: str) -> str:
    """"check" for a failed quality check, "mapping" for an issue the mapper recorded."""
    return "check" if code in _CHECKS else "mapping"
