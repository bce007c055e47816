"""What every exporter takes: catalogue entries, one at a time, written to a text stream."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, ClassVar, Protocol

import orjson

from schemas import Record


class ExportItem:
    """One entry of the catalogue as exporters see it.

    The record comes as a `Record` or as the common-model JSON the store keeps (`data`), which
    may still be JSON text, decoded when first asked for; each is made from the other only
    when an exporter asks for it. The writers read the JSON: none pays for validating a model.
    """

    __slots__ = ("id", "datestamp", "deleted", "sources", "field_provenance", "sets",
                 "_record", "_data")

    def __init__(self, id: str, datestamp: datetime, deleted: bool,  # noqa: A002 - the entry's id
                 record: Record | None = None, *,
                 data: Mapping[str, Any] | str | bytes | None = None,
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
            self._record = Record.model_validate(self.data)
        return self._record

    @property
    def data(self) -> Mapping[str, Any] | None:
        """The record as common-model JSON (None values and defaults left out)."""
        if isinstance(self._data, str | bytes):
            self._data = orjson.loads(self._data)
        elif self._data is None and self._record is not None:
            self._data = record_data(self._record)
        return self._data

    def __reduce__(self) -> tuple:
        # Across a process boundary (export workers) the record travels as JSON text: pickling
        # a nested dict of a few KB costs ten times what orjson takes to write and read it.
        payload = self._data
        if not isinstance(payload, str | bytes) and (data := self.data) is not None:
            try:
                payload = orjson.dumps(data)
            except (TypeError, orjson.JSONEncodeError):  # big integers, lone surrogates
                payload = data  # pickled as it is
        return (ExportItem, (self.id, self.datestamp, self.deleted, None),
                {"data": payload, "sources": self.sources,
                 "field_provenance": self.field_provenance, "sets": self.sets})

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._data = state["data"]
        self.sources = state["sources"]
        self.field_provenance = state["field_provenance"]
        self.sets = state["sets"]


def record_data(record: Record | Mapping[str, Any]) -> Mapping[str, Any]:
    """A record as the common-model JSON the store keeps; JSON is taken as it is.

    The writers read this JSON rather than a `Record`: validating a stored record into some
    forty pydantic objects cost more than writing it out. Absent keys are the model's
    defaults (None, empty lists); vocabulary values the model would drop are checked by the
    writers themselves.
    """
    if isinstance(record, Record):
        return record.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    return record


@dataclass(frozen=True, slots=True)
class ExportOptions:
    base_url: str = "https://catalogue.os10.example.org"  # where catalogue ids resolve
    include_emails: bool = False  # contact e-mails stay out of exports unless asked for


class Exporter(Protocol):
    """Streams: begin() once, write() per item, end() once; never holds the catalogue.

    An exporter whose write() depends on nothing but the item (and the options) says so by
    having `render(item) -> str`, returning exactly what write() writes: its entries can then
    be rendered in worker processes (see `exporters.render_entries`), on an instance made
    with `out=None`.
    """

    name: ClassVar[str]  # registry name, e.g. "datacite-xml"
    suffix: ClassVar[str]  # file suffix, e.g. ".xml"
    media_type: ClassVar[str]

    def __init__(self, out: IO[str], options: ExportOptions) -> None: ...

    def begin(self) -> None: ...

    def write(self, item: ExportItem) -> None: ...

    def end(self) -> None: ...
