"""Turning one raw record into a mapped row: the step harvest and remap share."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import orjson

from errors import MappingError
from mappers import MapContext, get_mapper
from quality.score import score_record
from schemas import Record
from store import MappedRow


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


def record_digest(data: dict) -> str:
    """content_digest of a record as `map_one` dumps it (model field order, no None values or
    defaults), serialised by orjson: the dict's order is the model's fixed field order, so the
    hash is as stable as sorting keys, and the record is dumped once for both the store and
    the hash. The same bytes as pydantic's model_dump_json with the same exclusions."""
    provenance = data.get("provenance")
    if provenance and "harvested_at" in provenance:
        data = {**data, "provenance": {k: v for k, v in provenance.items()
                                       if k != "harvested_at"}}
    return hashlib.sha256(orjson.dumps(data)).hexdigest()


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
    data = record.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    quality = score_record(record)  # recomputed whenever a record is (re)mapped
    return MappedRow(
        identifier=identifier, deleted=False, datestamp=datestamp, record=data,
        content_sha256=record_digest(data), doi=record.doi, title=record.main_title,
        resource_type_general=record.resource_type.general if record.resource_type else None,
        publication_year=record.publication_year, issue_count=len(record.issues),
        quality_score=quality.score, quality=quality.model_dump(),
    )
