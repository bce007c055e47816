"""OAI-PMH datestamps: the one place that formats and parses them, always in aware UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
GRANULARITIES = (DAY, SECONDS)

# The specification allows only the two granularities with a trailing Z. Real repositories also
# send fractional seconds, numeric offsets or no zone at all; we read those (no zone means UTC)
# rather than lose the record, and always write the strict form.
_DATESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<fraction>\.\d+)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?)?"
)


def format_datestamp(dt: datetime, granularity: str) -> str:
    """`dt` (timezone-aware) in UTC at the repository's granularity."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{dt!r} has no time zone; OAI datestamps need an aware datetime")
    utc = dt.astimezone(UTC)
    if granularity == DAY:
        return utc.strftime("%Y-%m-%d")
    if granularity == SECONDS:
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    raise ValueError(f"{granularity!r} is not an OAI-PMH granularity ({' or '.join(GRANULARITIES)})")


def parse_datestamp(text: str) -> datetime:
    """An OAI datestamp at either granularity as an aware UTC datetime; ValueError on junk."""
    match = _DATESTAMP.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not an OAI-PMH datestamp")
    date, clock, fraction, zone = match.group("date", "time", "fraction", "zone")
    try:
        value = datetime.fromisoformat(f"{date}T{clock or '00:00'}{fraction or ''}")
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an OAI-PMH datestamp: {exc}") from None
    offset = timedelta(0)
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    return (value - offset).replace(tzinfo=UTC)
