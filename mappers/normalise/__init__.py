"""Normalisers shared by every mapper: identifiers, dates, licences, languages, resource types.

Each is a pure function from a partner's spelling to ours, returning None for "not one of
these"; the mapper that calls it decides which issue to record.
"""

from mappers.normalise.dates import normalise_date, publication_year_from
from mappers.normalise.identifiers import (
    classify_identifier,
    normalise_doi,
    normalise_handle,
    normalise_orcid,
    normalise_ror,
)
from mappers.normalise.languages import detect_language, normalise_language
from mappers.normalise.licences import access_right_label, normalise_licence
from mappers.normalise.resource_types import resource_type_general

__all__ = [
    "access_right_label",
    "classify_identifier",
    "detect_language",
    "normalise_date",
    "normalise_doi",
    "normalise_handle",
    "normalise_language",
    "normalise_licence",
    "normalise_orcid",
    "normalise_ror",
    "publication_year_from",
    "resource_type_general",
]
