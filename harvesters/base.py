"""What every harvester yields and takes: raw records in pages, windows, and resumable checkpoints.

A harvester knows a protocol and nothing else: no database, no mapping. It yields `Page`s; each
page carries an opaque `checkpoint` that, handed back as `HarvestRequest.resume`, continues the
list right after that page. The pipeline stores the checkpoint in the same transaction as the
page's records, which is what makes a killed harvest resumable without loss or duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from schemas import SourceConfig


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as the partner sent it."""

    identifier: str  # identifier at the source (OAI identifier, dataset IRI, CKAN id)
    datestamp: datetime | None  # timezone-aware UTC
    deleted: bool
    payload: bytes | None  # the serialised metadata (XML or JSON); None for deletions
    metadata_format: str  # registry name of the mapper that reads `payload`
    sets: tuple[str, ...] = ()
    repaired: int = 0  # illegal characters replaced in this record
    element: Any = None  # the already-parsed payload (lxml element), so mappers parse once


@dataclass(frozen=True, slots=True)
class FailedRecord:
    """A record the harvester could not extract; the run counts it and carries on."""

    identifier: str | None
    url: str
    reason: str


@dataclass(slots=True)
class Page:
    records: list[RawRecord]
    url: str
    checkpoint: dict[str, Any] | None  # resume state after this page; None when the list is done
    failed: list[FailedRecord] = field(default_factory=list)
    complete_list_size: int | None = None


@dataclass(frozen=True, slots=True)
class HarvestRequest:
    window_from: datetime | None = None  # inclusive, UTC
    window_until: datetime | None = None  # inclusive, UTC
    resume: dict[str, Any] | None = None  # a checkpoint from an earlier, interrupted run
    # HTTP validators from the last complete run (ETag, Last-Modified), for protocols whose
    # harvester can ask "changed since?" and exposes new ones as `harvester.validators`.
    validators: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class EndpointInfo:
    """What an endpoint says about itself (OAI Identify, CKAN status_show, DCAT catalogue)."""

    protocol: str
    base_url: str
    name: str | None = None
    granularity: str | None = None  # "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ssZ"
    deleted_record: str | None = None  # no | transient | persistent
    earliest_datestamp: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Harvester(Protocol):
    """The contract every registered harvester meets (tests/test_harvester_contract.py)."""

    protocol: ClassVar[str]
    # True when the protocol announces deletions itself (OAI-PMH's status="deleted"); otherwise
    # a complete full harvest tombstones what the source no longer lists.
    reports_deletions: ClassVar[bool]

    def __init__(self, source: SourceConfig) -> None: ...

    def identify(self) -> EndpointInfo: ...

    def pages(self, request: HarvestRequest) -> Iterator[Page]: ...

    def close(self) -> None: ...
