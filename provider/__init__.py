"""Serves the merged catalogue to other nodes: OAI-PMH at /oai and DCAT at /catalog."""

from provider.config import ProviderConfig
from provider.server import ROUTES, Provider, ProviderServer

__all__ = ["ROUTES", "Provider", "ProviderConfig", "ProviderServer"]
