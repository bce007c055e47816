"""Turning one raw record into a mapped row: the step harvest and remap share."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from errors import MappingError
from mappers import MapContext, get_mapper
from quality.score import score_record
from schemas import Record
from store import MappedRow
from store.types import JsonText


def payload_digest(payload: bytes | None, deleted: bool) -> str:
    return hashlib.sha256(b"" if deleted or payload is None else payload).hexdigest()


def content_digest(record_json: dict) -> str:
    """A hash of what the record says, blind to when we harvested it."""
    content = dict(record_json)
    provenance = content.get("provenance")
    if provenance:
        content["provenance"] = {k: v for k, v in provenance.items() if k != "harvested_at"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


_HARVESTED_AT = ',"harvested_at":"'


def record_digest(text: str) -> str:
    """content_digest of a record's JSON as `map_one` dumps it (model field order, no None
    values or defaults): the hash of that JSON with the provenance's harvested_at member cut
    out. The model's field order is fixed, so the hash is as stable as sorting keys, and the
    record is dumped once for both the store and the hash. The member can only be that one:
    quotes inside JSON strings are escaped, and provenance is the only model with the field
    (never its first)."""
    start = text.find(_HARVESTED_AT)
    if start >= 0:
        text = text[:start] + text[text.index('"', start + len(_HARVESTED_AT)) + 1:]
    return hashlib.sha256(text.encode()).hexdigest()


def map_one(*, source_id: str, identifier: str, metadata_format: str, payload: bytes | None,
            deleted: bool, datestamp: datetime | None, sha256: str, harvested_at: datetime,
            element=None) -> MappedRow:
    """Map a raw record; a mapping failure becomes a row with `mapping_error`, not a crash."""
    if deleted:
        return MappedRow(identifier=identifier, deleted=True, datestamp=datestamp, record=None,
                         content_sha256=None)
    context = MapContext(source_id=source_id, source_identifier=identifier,
                         metadata_format=metadata_format, harvested_at=harvested_at,
                         raw_sha256=sha256, datestamp=datestamp)
    try:
        record: Record = get_mapper(metadata_format)(payload, context, element=element)
    except MappingError as exc:
        return MappedRow(identifier=identifier, deleted=False, datestamp=datestamp, record=None,
                         content_sha256=None, mapping_error=str(exc))
    # Dumped straight to JSON (pydantic's serialiser, in Rust): what the store writes as it is.
    text = record.model_dump_json(exclude_none=True, exclude_defaults=True)
    quality = score_record(record)  # recomputed whenever a record is (re)mapped
    return MappedRow(
        identifier=identifier, deleted=False, datestamp=datestamp, record=JsonText(text),
        content_sha256=record_digest(text), doi=record.doi, title=record.main_title,
        resource_type_general=record.resource_type.general if record.resource_type else None,
        publication_year=record.publication_year, issue_count=len(record.issues),
        quality_score=quality.score, quality=quality.model_dump(),
    )
