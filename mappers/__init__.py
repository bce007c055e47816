"""The mapper registry: metadata-format name -> pure function from a raw record to a Record.

A mapper is `mapper(payload, context, element=None) -> schemas.Record`. `element` is the
payload already parsed by the harvester; without it the mapper parses `payload` with
`safexml`. An unusable payload raises `errors.MappingError`; anything else wrong with a record
becomes a coded issue on it. Adding a format is one module plus one line below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from errors import ConfigError
from mappers.ckan import map_ckan
from mappers.context import MapContext
from mappers.datacite import map_datacite
from mappers.dcat_ap import map_dcat_ap
from mappers.oai_dc import map_oai_dc
from schemas import Record

Mapper = Callable[..., Record]
"""`mapper(payload: bytes | None, context: MapContext, element=None) -> Record`."""

# Read-only: registering a format is a code change, never a runtime mutation.
MAPPERS: Mapping[str, Mapper] = MappingProxyType({
    "oai_dc": map_oai_dc,
    "oai_datacite": map_datacite,
    "datacite": map_datacite,
    "dcat_ap": map_dcat_ap,
    "ckan": map_ckan,
})


def get_mapper(metadata_format: str) -> Mapper:
    """The mapper registered under `metadata_format`; ConfigError naming the known ones if none."""
    try:
        return MAPPERS[metadata_format]
    except KeyError:
        known = ", ".join(sorted(MAPPERS))
        raise ConfigError(f"There is no mapper for the metadata format {metadata_format!r}. "
                          f"Known formats: {known}.") from None


__all__ = ["MAPPERS", "MapContext", "Mapper", "get_mapper"]
