"""The harvester registry: protocol name (as written in sources.yaml) -> harvester class."""

from __future__ import annotations

from errors import ConfigError
from harvesters.ckan import CkanHarvester
from harvesters.dcat import DcatHarvester
from harvesters.oai_pmh import OaiPmhHarvester

HARVESTERS: dict[str, type] = {
    "oai_pmh": OaiPmhHarvester,
    "ckan": CkanHarvester,
    "dcat": DcatHarvester,
}


def get_harvester(protocol: str) -> type:
    """The harvester class for `protocol`; an unknown name fails and lists the known ones."""
    try:
        return HARVESTERS[protocol]
    except KeyError:
        known = ", ".join(sorted(HARVESTERS))
        raise ConfigError(f"There is no harvester for the protocol {protocol!r}. Known "
                          f"protocols: {known}.") from None
