"""The metadata formats the OAI-PMH provider disseminates, registered by metadataPrefix.

A format is a prefix, its schema and namespace (what ListMetadataFormats shows) and a function
from a Record to the payload element. A new format is one function plus one line in FORMATS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple

from lxml import etree

from exporters.datacite_xml import resource_element
from provider import oai_dc
from schemas import Record

OAI_DATACITE = "http://schema.datacite.org/oai/oai-1.1/"
OAI_DATACITE_SCHEMA = "http://schema.datacite.org/oai/oai-1.1/oai.xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


class Entry(NamedTuple):
    """One catalogue entry to write: the record and what the catalogue knows about it."""

    record: Record
    merged_id: str
    datestamp: datetime
    datacentre_symbol: str  # oai_datacite's datacentreSymbol


class MetadataFormat(NamedTuple):
    prefix: str
    schema: str
    namespace: str
    render: Callable[[Entry], etree._Element]  # the payload, the child of <metadata>


def oai_datacite_element(entry: Entry) -> etree._Element:
    """The oai_datacite 1.1 wrapper around the entry's DataCite `<resource>`.

    The catalogue id travels as an alternateIdentifier, so a node harvesting us keeps it.
    """
    resource = resource_element(entry.record, catalogue_id=entry.merged_id,
                                datestamp=entry.datestamp)
    root = etree.Element(f"{{{OAI_DATACITE}}}oai_datacite", nsmap={None: OAI_DATACITE,
                                                                   "xsi": _XSI})
    root.set(f"{{{_XSI}}}schemaLocation", f"{OAI_DATACITE} {OAI_DATACITE_SCHEMA}")
    etree.SubElement(root, f"{{{OAI_DATACITE}}}schemaVersion").text = _kernel_version(resource)
    etree.SubElement(root, f"{{{OAI_DATACITE}}}datacentreSymbol").text = entry.datacentre_symbol
    etree.SubElement(root, f"{{{OAI_DATACITE}}}payload").append(resource)
    return root


def _kernel_version(resource: etree._Element) -> str:
    """"4.6" from the resource's schemaLocation (".../kernel-4.6/metadata.xsd"), else "4"."""
    location = resource.get(f"{{{_XSI}}}schemaLocation") or ""
    for part in location.split():
        if "/kernel-" in part and part.endswith(".xsd"):
            return part.split("/kernel-", 1)[1].split("/", 1)[0]
    return "4"


def _oai_dc(entry: Entry) -> etree._Element:
    return oai_dc.dc_element(entry.record)


# Read-only: adding a format is a code change, never a runtime mutation.
FORMATS: Mapping[str, MetadataFormat] = MappingProxyType({
    "oai_dc": MetadataFormat("oai_dc", oai_dc.SCHEMA, oai_dc.OAI_DC, _oai_dc),
    "oai_datacite": MetadataFormat("oai_datacite", OAI_DATACITE_SCHEMA, OAI_DATACITE,
                                   oai_datacite_element),
})
