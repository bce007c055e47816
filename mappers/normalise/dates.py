"""Dates: ISO 8601 / W3CDTF dates, datetimes and ranges in one canonical spelling, and years."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$", re.IGNORECASE)
# "2010-2012" is how many partners write a span of years; ISO says "2010/2012".
_YEAR_SPAN = re.compile(r"^(\d{4})\s*[-\u2013]\s*(\d{4})$")
_LONE_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def _one(text: str) -> str | None:
    """A single instant in canonical form: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[Z]."""
    if match := _DATE.match(text):
        year, month, day = match.groups()
        try:
            if day is not None:
                return date(int(year), int(month), int(day)).isoformat()
            if month is not None:
                return f"{year}-{date(int(year), int(month), 1).month:02d}"
        except ValueError:
            return None
        return year
    if match := _COMPACT.match(text):
        return _one(f"{match.group(1)}-{match.group(2)}-{match.group(3)}")
    if match := _DATETIME.match(text):
        year, month, day, hour, minute, second, zone = match.groups()
        try:
            moment = datetime(int(year), int(month), int(day), int(hour), int(minute),
                              int(second or 0), tzinfo=_zone(zone))
        except ValueError:
            return None
        if moment.tzinfo is None:
            return moment.isoformat()
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _zone(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    return timezone(-offset if text[0] == "-" else offset)


@lru_cache(maxsize=4096)
def normalise_date(text: str | None) -> str | None:
    """The canonical ISO 8601 spelling of a date, datetime or range; None when unparseable.

    Ranges are "start/end" with either end open ("" or ".."); datetimes with an offset are
    given in UTC with a "Z"; fractions of a second are dropped.
    """
    value = (text or "").strip()
    if not value:
        return None
    if match := _YEAR_SPAN.match(value):
        start, end = match.groups()
        return f"{start}/{end}" if start <= end else None
    if "/" in value:
        parts = value.split("/")
        if len(parts) != 2:
            return None
        ends = [part.strip() for part in parts]
        if all(end in ("", "..") for end in ends):
            return None
        canonical = ["" if end in ("", "..") else _one(end) for end in ends]
        if any(c is None for c in canonical):
            return None
        return f"{canonical[0]}/{canonical[1]}"
    return _one(value)


def publication_year_from(text: str | None) -> int | None:
    """The year a date (or range: its start) falls in; failing that, a lone four-digit year.

    "Spring 2010" gives 2010; "321 BCE" and "Yesterday" give None.
    """
    canonical = normalise_date(text)
    if canonical:
        start, _, end = canonical.partition("/")
        return int((start or end)[:4])
    match = _LONE_YEAR.search(text or "")
    return int(match.group(1)) if match else None
