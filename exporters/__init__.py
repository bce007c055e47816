"""Export formats, registered by stable name: one module per format plus one line here."""

from __future__ import annotations

from collections.abc import Sequence

from collector import old_objects_frozen
from errors import ConfigError
from exporters.base import ExportItem, ExportOptions
from exporters.datacite_xml import DataCiteXmlExporter
from exporters.dcat import DcatJsonLdExporter, DcatRdfXmlExporter, DcatTurtleExporter
from exporters.jsonl import JsonLinesExporter
from exporters.schemaorg import SchemaOrgExporter

EXPORTERS = {
    JsonLinesExporter.name: JsonLinesExporter,
    DataCiteXmlExporter.name: DataCiteXmlExporter,
    DcatTurtleExporter.name: DcatTurtleExporter,
    DcatRdfXmlExporter.name: DcatRdfXmlExporter,
    DcatJsonLdExporter.name: DcatJsonLdExporter,
    SchemaOrgExporter.name: SchemaOrgExporter,
}


def get_exporter(name: str):
    try:
        return EXPORTERS[name]
    except KeyError:
        known = ", ".join(sorted(EXPORTERS))
        raise ConfigError(f"There is no export format {name!r}. Known formats: {known}.") from None


def render_entries(name: str, options: ExportOptions, items: Sequence[ExportItem]) -> str:
    """What the `name` exporter's write() writes for these items, in order (it must have
    `render`); run by the export workers, so its arguments and result cross processes.

    The worker's own objects are kept out of the collector's full passes meanwhile: it holds
    the mappers' language profiles, which every pass walked (half of decoding the records).
    """
    render = get_exporter(name)(None, options).render
    with old_objects_frozen():
        return "".join(map(render, items))
