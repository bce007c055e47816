"""Progress of long operations: a live line on a terminal, and a periodic log line everywhere."""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger("os10.progress")


class Progress:
    def __init__(self, label: str, *, total: int | None = None, log_every_s: float = 10.0,
                 stream=None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self._last_log = self.started
        self._log_every = log_every_s
        self._stream = stream if stream is not None else sys.stderr
        self._live = bool(getattr(self._stream, "isatty", lambda: False)())

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, n: int, note: str = "") -> None:
        self.done += n
        line = self._line(note)
        if self._live:
            self._stream.write("\r\033[K" + line)
            self._stream.flush()
        now = time.monotonic()
        if now - self._last_log >= self._log_every:
            self._last_log = now
            log.info(line)

    def finish(self, note: str = "") -> None:
        line = self._line(note)
        if self._live:
            self._stream.write("\r\033[K")
            self._stream.flush()
        log.info(line + " (done)")

    def _line(self, note: str) -> str:
        of = f"/{self.total:,}" if self.total else ""
        extra = f" {note}" if note else ""
        return f"{self.label}: {self.done:,}{of} records, {self.rate:,.0f}/s{extra}"
