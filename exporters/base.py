"""What every exporter takes: catalogue entries, one at a time, written to a text stream."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, ClassVar, Protocol

from schemas import Record


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One entry of the catalogue as exporters see it."""

    id: str  # stable catalogue id (the merged record's id)
    datestamp: datetime  # when this entry last changed in our catalogue (UTC)
    deleted: bool
    record: Record | None  # None for a deletion
    sources: tuple[str, ...] = ()  # ids of the sources that describe it
    field_provenance: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sets: tuple[str, ...] = ()  # e.g. "source:zenodo", "type:Dataset"


@dataclass(frozen=True, slots=True)
class ExportOptions:
    base_url: str = "https://catalogue.os10.example.org"  # where catalogue ids resolve
    include_emails: bool = False  # contact e-mails stay out of exports unless asked for


class Exporter(Protocol):
    """Streams: begin() once, write() per item, end() once; never holds the catalogue."""

    name: ClassVar[str]  # registry name, e.g. "datacite-xml"
    suffix: ClassVar[str]  # file suffix, e.g. ".xml"
    media_type: ClassVar[str]

    def __init__(self, out: IO[str], options: ExportOptions) -> None: ...

    def begin(self) -> None: ...

    def write(self, item: ExportItem) -> None: ...

    def end(self) -> None: ...
