"""The metadata formats the OAI-PMH provider disseminates, registered by metadataPrefix.

A format is a prefix, its schema and namespace (what ListMetadataFormats shows) and a function
from a catalogue entry to the payload, the child of `<metadata>`, as XML text written for a
document that declares the xsi prefix (every OAI-PMH response does). Payloads are written as
text straight from the stored record, never built as trees: a list response is a page of them.
A new format is one function plus one line in FORMATS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from exporters.datacite_xml import SCHEMA_VERSION, write_resource, xml_text
from provider import oai_dc
from schemas import Record

OAI_DATACITE = "http://schema.datacite.org/oai/oai-1.1/"
OAI_DATACITE_SCHEMA = "http://schema.datacite.org/oai/oai-1.1/oai.xsd"


class Entry(NamedTuple):
    """One catalogue entry to write: the record and what the catalogue knows about it."""

    record: Record | Mapping[str, Any]  # the common model's JSON as stored, or a Record
    merged_id: str
    datestamp: datetime
    datacentre_symbol: str  # oai_datacite's datacentreSymbol


class MetadataFormat(NamedTuple):
    prefix: str
    schema: str
    namespace: str
    write: Callable[[Entry], str]  # the payload as XML text, inside a document declaring xsi


_OAI_DATACITE = (f'<oai_datacite xmlns="{OAI_DATACITE}" '
                 f'xsi:schemaLocation="{OAI_DATACITE} {OAI_DATACITE_SCHEMA}">'
                 f"<schemaVersion>{SCHEMA_VERSION}</schemaVersion>")


def oai_datacite_text(entry: Entry) -> str:
    """The oai_datacite 1.1 wrapper around the entry's DataCite `<resource>`.

    The catalogue id travels as an alternateIdentifier, so a node harvesting us keeps it.
    """
    parts = [_OAI_DATACITE, f"<datacentreSymbol>{xml_text(entry.datacentre_symbol)}"
             "</datacentreSymbol><payload>"]
    write_resource(parts, entry.record, catalogue_id=entry.merged_id, datestamp=entry.datestamp,
                   declare_xsi=False)
    parts.append("</payload></oai_datacite>")
    return "".join(parts)


def _oai_dc(entry: Entry) -> str:
    return oai_dc.dc_text(entry.record, declare_xsi=False)


# Read-only: adding a format is a code change, never a runtime mutation.
FORMATS: Mapping[str, MetadataFormat] = MappingProxyType({
    "oai_dc": MetadataFormat("oai_dc", oai_dc.SCHEMA, oai_dc.OAI_DC, _oai_dc),
    "oai_datacite": MetadataFormat("oai_datacite", OAI_DATACITE_SCHEMA, OAI_DATACITE,
                                   oai_datacite_text),
})
