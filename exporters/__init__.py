"""Export formats, registered by stable name: one module per format plus one line here."""

from __future__ import annotations

from errors import ConfigError
from exporters.jsonl import JsonLinesExporter

EXPORTERS = {
    JsonLinesExporter.name: JsonLinesExporter,
}


def get_exporter(name: str):
    try:
        return EXPORTERS[name]
    except KeyError:
        known = ", ".join(sorted(EXPORTERS))
        raise ConfigError(f"There is no export format {name!r}. Known formats: {known}.") from None
