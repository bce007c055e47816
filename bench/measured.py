"""What one figure measured: how many records, in how many seconds, and anything it noticed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Measured:
    n: int
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


class Stopwatch:
    """`with Stopwatch() as clock: ...` then `clock.seconds`: wall time of the block only."""

    seconds: float = 0.0

    def __enter__(self) -> Stopwatch:
        self._began = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.perf_counter() - self._began
