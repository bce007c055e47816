"""What every exporter takes: catalogue entries, one at a time, written to a text stream."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, ClassVar, Protocol

from schemas import Record


class ExportItem:
    """One entry of the catalogue as exporters see it.

    The record comes as a `Record` or as the common-model JSON the store keeps (`data`); each
    is made from the other only when an exporter asks for it, so a format that writes the JSON
    (JSON Lines) never pays for validating a model, and one that reads the model never pays
    for dumping it.
    """

    __slots__ = ("id", "datestamp", "deleted", "sources", "field_provenance", "sets",
                 "_record", "_data")

    def __init__(self, id: str, datestamp: datetime, deleted: bool,  # noqa: A002 - the entry's id
                 record: Record | None = None, *, data: Mapping[str, Any] | None = None,
                 sources: tuple[str, ...] = (),
                 field_provenance: Mapping[str, tuple[str, ...]] | None = None,
                 sets: tuple[str, ...] = ()) -> None:
        self.id = id  # stable catalogue id (the merged record's id)
        self.datestamp = datestamp  # when this entry last changed in our catalogue (UTC)
        self.deleted = deleted
        self.sources = sources  # ids of the sources that describe it
        self.field_provenance = field_provenance or {}
        self.sets = sets  # e.g. "source:zenodo", "type:Dataset"
        self._record = record
        self._data = data

    @property
    def record(self) -> Record | None:
        """The entry's record; None for a deletion."""
        if self._record is None and self._data is not None:
            self._record = Record.model_validate(self._data)
        return self._record

    @property
    def data(self) -> Mapping[str, Any] | None:
        """The record as common-model JSON (None values and defaults left out)."""
        if self._data is None and self._record is not None:
            self._data = self._record.model_dump(mode="json", exclude_none=True,
                                                 exclude_defaults=True)
        return self._data


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
