"""How a provider instance presents itself: repository id and name, page sizes, public URL."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from errors import ConfigError
from exporters.base import ExportOptions

# The repository id is the middle of `oai:<id>:<merged id>`; the oai-identifier scheme allows
# letters, digits, dots and hyphens there.
_REPOSITORY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,63}\Z")
_EMAIL = re.compile(r"\S+@(\S+\.)+\S+\Z")  # what OAI-PMH.xsd's emailType accepts
MAX_PAGE_SIZE = 1000  # a bigger page only makes one response slower and larger


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    repository_id: str = "os10"
    repository_name: str = "OS10 merged catalogue"
    admin_email: str = "os10-admin@example.org"
    datacentre_symbol: str = "OS10"  # oai_datacite's datacentreSymbol
    page_size: int = 100  # records per OAI-PMH list response
    catalogue_page_size: int = 100  # datasets per DCAT catalogue page (clients may ask less)
    # Where clients reach us (scheme://host[:port][/prefix]) when a proxy sits in front; links
    # and OAI baseURL use it. When None, the request's Host header is used.
    public_url: str | None = None
    export: ExportOptions = field(default_factory=ExportOptions)
    max_connections: int = 64  # concurrent requests; more are answered 503 with Retry-After
    read_ahead: bool = True  # read a list's next page while the harvester reads this one

    def __post_init__(self) -> None:
        if not _REPOSITORY_ID.match(self.repository_id):
            raise ConfigError(f"The repository id {self.repository_id!r} must be letters, "
                              "digits, '.' or '-' (it becomes oai:<id>:<record>).")
        if not _EMAIL.match(self.admin_email):
            raise ConfigError(f"The admin e-mail {self.admin_email!r} is not an e-mail address.")
        if not self.repository_name.strip():
            raise ConfigError("The repository name must not be empty.")
        for name in ("page_size", "catalogue_page_size"):
            value = getattr(self, name)
            if not 1 <= value <= MAX_PAGE_SIZE:
                raise ConfigError(f"{name} must be between 1 and {MAX_PAGE_SIZE}, not {value}.")
        if self.public_url is not None and not re.match(r"https?://[^/\s?#]+(/[^\s?#]*)?\Z",
                                                        self.public_url):
            raise ConfigError(f"The public URL {self.public_url!r} must look like "
                              "https://host[:port][/prefix], without query or fragment.")
