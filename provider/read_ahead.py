"""Reading the next page of a list while the harvester reads this one.

A harvester asks for a list's pages one after another and parses each before asking for the
next, so the server and the harvester take turns. Once a page is written, the page its
resumption token asks for is read and written on a thread of its own, and the harvester's next
request takes it as it is. A page read ahead is served only if the catalogue has not changed
since (its newest datestamp is the same); otherwise it is read again, as it would have been.
Pages nobody asks for are dropped: the oldest beyond `limit`, and any older than `max_age_s`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class ReadAhead:
    def __init__(self, *, limit: int = 8, max_age_s: float = 120.0) -> None:
        self._executor: ThreadPoolExecutor | None = None  # started with the first page
        self._pages: OrderedDict[Hashable, tuple[Future, Any, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit
        self._max_age_s = max_age_s

    def start(self, key: Hashable, read: Callable[[], Any], version: Any) -> None:
        """Read `key`'s page now; `version` is the catalogue's state it must be served in."""
        now = time.monotonic()
        with self._lock:
            if key in self._pages:
                return
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1,
                                                    thread_name_prefix="oai-read-ahead")
            future = self._executor.submit(read)
            self._pages[key] = (future, version, now)
            while self._pages:
                oldest_key, (oldest, _, started) = next(iter(self._pages.items()))
                if len(self._pages) <= self._limit and now - started <= self._max_age_s:
                    break
                del self._pages[oldest_key]
                oldest.cancel()

    def take(self, key: Hashable, version: Any) -> Future | None:
        """The page read ahead for `key` if it was read in this `version` of the catalogue."""
        with self._lock:
            found = self._pages.pop(key, None)
        if found is None:
            return None
        future, read_in, _ = found
        if read_in != version:
            future.cancel()
            return None
        return future

    def close(self) -> None:
        """Drop what was read ahead and stop the thread (a later page starts it again)."""
        with self._lock:
            self._pages.clear()
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
