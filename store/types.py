"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson
from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSON as PgJson
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

Json = JSON().with_variant(JSONB(), "postgresql")

# The large documents (a record, its quality, a merged record's field provenance) are kept on
# PostgreSQL as `json`, the text as written, not parsed into `jsonb`: nothing queries inside
# them, and jsonb cost the server twice the CPU to store a record (88 against 42 us for 4.6 KB)
# and four times to hand it back as text (28 against 7 us). Revision 0011.
JsonDocument = JSON().with_variant(PgJson(), "postgresql")


class JsonText(str):
    """A value already serialised as JSON, written to a JSON column as it is.

    Mapping workers send records this way: a few KB of text crosses the process boundary for
    a fraction of what pickling the nested dicts and dumping them again in the writer costs.
    """

    __slots__ = ()

    @classmethod
    def of(cls, value) -> JsonText:
        return cls(dump_json(value))


def dump_json(value) -> str:
    """The engines' JSON serialiser: orjson (several times faster than `json` on records of a
    few KB, which every page write and every export read pays), `json` for what orjson refuses
    (integers beyond 64 bits, non-string keys). A JsonText is already JSON."""
    if type(value) is JsonText:
        return str.__str__(value)
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value)


load_json = orjson.loads

class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC in, timezone-aware UTC out; SQLite keeps naive UTC text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
