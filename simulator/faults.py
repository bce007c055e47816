"""The fault switches of one simulated feed: what goes wrong, how many times, from which page on."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields

# Faults that fire a number of times; each firing uses one up.
COUNTED = ("unavailable", "rate_limited", "oai_error_422", "slow", "truncate", "expire_tokens",
           "repeat_token", "html_instead", "reset_connection")

_KINDS = {"oai_error_code": (str,), "retry_after": (int, float), "slow_seconds": (int, float)}


@dataclass
class Faults:
    """Counts say how many of the next matching requests are affected (0 = off).

    Counted faults hold back until `after_pages` clean list pages have been served since any
    switch was last set, so a test can let the first pages of a harvest through.
    """

    unavailable: int = 0  # 503 with Retry-After
    rate_limited: int = 0  # 429 with Retry-After
    retry_after: float = 1
    oai_error_422: int = 0  # an OAI-PMH error document with HTTP 422
    oai_error_code: str = "badArgument"
    slow: int = 0  # sleep before answering
    slow_seconds: float = 5.0
    truncate: int = 0  # a list response cut off in the middle of the XML
    illegal_chars_every: int = 0  # records with index % n == 0 carry illegal XML characters
    expire_tokens: int = 0  # requests carrying a resumptionToken get badResumptionToken
    repeat_token: int = 0  # list responses hand back the token the request carried
    html_instead: int = 0  # an HTML page with status 200
    reset_connection: int = 0  # close the socket without answering
    after_pages: int = 0
    _pages: int = field(default=0, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                  compare=False)

    def __setattr__(self, name: str, value) -> None:
        object.__setattr__(self, name, value)
        if name in COUNTED or name == "after_pages":
            object.__setattr__(self, "_pages", 0)  # "after_pages" counts from the latest switch

    def take(self, name: str) -> bool:
        """Use up one firing of a counted fault; False when it is off or still held back."""
        with self._lock:
            left = getattr(self, name)
            if left <= 0 or self._pages < self.after_pages:
                return False
            object.__setattr__(self, name, left - 1)  # not via __setattr__: keep the page count
            return True

    def page_served(self) -> None:
        with self._lock:
            object.__setattr__(self, "_pages", self._pages + 1)

    def configure(self, **switches) -> None:
        """Set several switches at once, by name, as the control endpoint receives them."""
        known = {f.name: f for f in fields(self) if not f.name.startswith("_")}
        unknown = sorted(set(switches) - set(known))
        if unknown:
            raise ValueError(f"unknown fault(s) {unknown}; known: {sorted(known)}")
        for name, value in switches.items():
            kinds = _KINDS.get(name, (int,))
            if isinstance(value, bool) or not isinstance(value, kinds):
                raise ValueError(f"fault {name!r} takes a {kinds[-1].__name__}, not {value!r}")
            setattr(self, name, value)

    def clear(self) -> None:
        """Switch every fault off."""
        for name in (*COUNTED, "illegal_chars_every", "after_pages"):
            setattr(self, name, 0)
