"""Export formats, registered by stable name: one module per format plus one line here."""

from __future__ import annotations

from errors import ConfigError
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
