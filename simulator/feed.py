"""The state of one simulated feed: its size, the records touched since, and what a list selects.

Nothing here grows with the feed. Record i, untouched, has datestamp start + i * step, which
rises with i; appended records come in segments sharing one datestamp; only records updated or
deleted since are kept, in a small dict. So the records of a list window are found by
arithmetic plus a walk over the touched ones: O(page size + touched + log n) per page.
"""

from __future__ import annotations

import bisect
import calendar
import heapq
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

from simulator.faults import Faults
from simulator.records import SetDef, set_filter

SECONDS = "YYYY-MM-DDThh:mm:ssZ"
DAYS = "YYYY-MM-DD"
DEFAULT_START = datetime(2024, 1, 1, tzinfo=UTC)
_ALL = SetDef("", "", 1, (0,))
_EVER = 1 << 62  # an unbounded window edge, in seconds


class Entry(NamedTuple):
    """One record as a list shows it."""

    index: int
    version: int  # 1 until the record is first updated
    datestamp: int  # seconds since the epoch, UTC
    deleted: bool


class Selection(NamedTuple):
    """What a list request asks for: a set and an inclusive datestamp window, in epoch seconds."""

    set_spec: str | None = None
    first: int | None = None
    last: int | None = None


class Page(NamedTuple):
    entries: list[Entry]
    next_position: int | None  # where the next page starts; None on the last page
    complete_size: int  # records in the whole list, as of now
    cursor: int  # records of the list before this page


class _Segment(NamedTuple):
    begin: int
    end: int
    datestamp: int


def _epoch(at: datetime | None) -> int:
    if at is None:
        return int(time.time())
    if at.tzinfo is None:
        raise ValueError(f"datetimes must be timezone-aware (UTC), got {at!r}")
    return calendar.timegm(at.utctimetuple())


class Feed:
    """A generated OAI-PMH feed: `count` records, changed at run time by update/delete/append."""

    def __init__(self, count: int, seed: int = 1, page_size: int = 100,
                 start: datetime = DEFAULT_START, step_seconds: int = 60,
                 granularity: str = SECONDS, name: str = "Simulated Repository") -> None:
        if count < 0 or page_size < 1 or step_seconds < 0:
            raise ValueError("count and step_seconds must be >= 0 and page_size >= 1")
        if granularity not in (SECONDS, DAYS):
            raise ValueError(f"granularity must be {SECONDS!r} or {DAYS!r}, not {granularity!r}")
        self.seed = seed
        self.page_size = page_size
        self.start = start
        self.step_seconds = int(step_seconds)
        self.granularity = granularity
        self.name = name
        self.api_key: str | None = None  # the CKAN endpoint then requires it in Authorization
        self.faults = Faults()
        self.requests: list[dict[str, Any]] = []
        self._start = _epoch(start)
        self._base = count  # records whose datestamp is start + i * step unless touched
        self._count = count
        self._segments: list[_Segment] = []  # appended records, in index order
        self._segment_begins: list[int] = []
        self._touched: dict[int, Entry] = {}
        self._touched_order: list[int] = []  # the keys of _touched, sorted
        self._generation = 0
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Feed(count={self._count}, seed={self.seed}, name={self.name!r})"

    @property
    def count(self) -> int:
        return self._count

    @property
    def generation(self) -> int:
        """Resumption tokens carry this; tokens of an older generation are refused."""
        return self._generation

    def update(self, indices: Iterable[int], at: datetime | None = None) -> None:
        """New versions of these records (title and version change), datestamped `at`."""
        stamp = _epoch(at)
        with self._lock:
            for old in [self.entry(i) for i in indices]:  # all checked before any changes
                self._touch(Entry(old.index, old.version + 1, stamp, False))

    def delete(self, indices: Iterable[int], at: datetime | None = None) -> None:
        """Mark these records deleted, datestamped `at`; lists keep showing their headers."""
        stamp = _epoch(at)
        with self._lock:
            for old in [self.entry(i) for i in indices]:  # all checked before any changes
                self._touch(old._replace(datestamp=stamp, deleted=True))

    def append(self, n: int, at: datetime | None = None) -> range:
        """Add `n` new records datestamped `at`; returns their indices."""
        if n < 0:
            raise ValueError("cannot append a negative number of records")
        stamp = _epoch(at)
        with self._lock:
            begin = self._count
            if n:
                self._segments.append(_Segment(begin, begin + n, stamp))
                self._segment_begins.append(begin)
                self._count += n
            return range(begin, begin + n)

    def invalidate_tokens(self) -> None:
        """Every resumption token handed out so far becomes a badResumptionToken."""
        with self._lock:
            self._generation += 1

    def log_request(self, verb: str | None, params: dict[str, str], status: int | None) -> None:
        with self._lock:
            self.requests.append({"verb": verb, "params": params, "status": status})

    def entry(self, index: int) -> Entry:
        if not 0 <= index < self._count:
            raise IndexError(f"record {index} does not exist (the feed has {self._count})")
        touched = self._touched.get(index)
        return touched or Entry(index, 1, self._natural_datestamp(index), False)

    def earliest_datestamp(self) -> int:
        with self._lock:
            stamps = [s.datestamp for s in self._segments]
            stamps += [e.datestamp for e in self._touched.values()]
            return min([self._start, *stamps])

    def page(self, selection: Selection, position: int, limit: int) -> Page:
        """The records of a list from index `position` on: at most `limit`, in index order."""
        rule = set_filter(selection.set_spec) if selection.set_spec else _ALL
        if rule is None:
            return Page([], None, 0, 0)
        first = -_EVER if selection.first is None else selection.first
        last = _EVER if selection.last is None else selection.last
        with self._lock:
            ranges = self._natural_ranges(first, last)
            found = heapq.merge(self._natural_matches(ranges, position, rule),
                                self._touched_matches(position, rule, first, last))
            entries: list[Entry] = []
            next_position = None
            for i in found:
                if len(entries) == limit:
                    next_position = i
                    break
                entries.append(self.entry(i))
            complete = self._count_below(self._count, ranges, rule, first, last)
            cursor = self._count_below(position, ranges, rule, first, last)
        return Page(entries, next_position, complete, cursor)

    def _touch(self, entry: Entry) -> None:
        if entry.index not in self._touched:
            bisect.insort(self._touched_order, entry.index)
        self._touched[entry.index] = entry

    def _natural_datestamp(self, index: int) -> int:
        if index < self._base:
            return self._start + index * self.step_seconds
        segment = self._segments[bisect.bisect_right(self._segment_begins, index) - 1]
        return segment.datestamp

    def _natural_ranges(self, first: int, last: int) -> list[tuple[int, int]]:
        """Index ranges whose untouched datestamps fall in [first, last]."""
        if self.step_seconds:
            lo = max(0, -((self._start - first) // self.step_seconds))  # ceiling division
            hi = min(self._base, (last - self._start) // self.step_seconds + 1)
        else:
            lo, hi = (0, self._base) if first <= self._start <= last else (0, 0)
        ranges = [(lo, hi)] if lo < hi else []
        ranges += [(s.begin, s.end) for s in self._segments if first <= s.datestamp <= last]
        return ranges

    def _natural_matches(self, ranges: list[tuple[int, int]], position: int,
                         rule: SetDef) -> Iterator[int]:
        for lo, hi in ranges:
            for i in _members(max(lo, position), hi, rule):
                if i not in self._touched:
                    yield i

    def _touched_matches(self, position: int, rule: SetDef, first: int,
                         last: int) -> Iterator[int]:
        for i in self._touched_order[bisect.bisect_left(self._touched_order, position):]:
            if i % rule.period in rule.residues and first <= self._touched[i].datestamp <= last:
                yield i

    def _count_below(self, end: int, ranges: list[tuple[int, int]], rule: SetDef, first: int,
                     last: int) -> int:
        """How many records with index < end the list holds."""
        n = sum(_member_count(lo, min(hi, end), rule) for lo, hi in ranges)
        for i in self._touched_order[:bisect.bisect_left(self._touched_order, end)]:
            if i % rule.period in rule.residues:
                n -= first <= self._natural_datestamp(i) <= last
                n += first <= self._touched[i].datestamp <= last
        return n


def _members(lo: int, hi: int, rule: SetDef) -> Iterator[int]:
    """Indices in [lo, hi) that belong to the set, in order."""
    if rule.period == 1:
        yield from range(lo, hi)
        return
    for block in range(lo - lo % rule.period, hi, rule.period):
        for r in rule.residues:
            if lo <= block + r < hi:
                yield block + r


def _member_count(lo: int, hi: int, rule: SetDef) -> int:
    if lo >= hi:
        return 0

    def below(n: int) -> int:
        return sum((n - r + rule.period - 1) // rule.period for r in rule.residues if n > r)

    return below(hi) - below(lo)
