"""Protocol endpoints besides OAI-PMH: `/<feed>/<prefix>/...` served by a registered handler.

A handler gets a `SimRequest` and returns a `SimReply`. The shared transport faults (reset,
slow, 503, 429, HTML instead) are applied by the server before the handler runs; protocol
faults (truncate, repeat paging) are the handler's to apply through `request.feed.faults`.
A new protocol endpoint is one module plus one line in `ROUTES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from simulator import ckan, dcat
from simulator.feed import Feed


@dataclass(frozen=True, slots=True)
class SimRequest:
    feed: Feed
    key: str  # the feed's key in the URL
    method: str
    path: str  # what follows /<key>/<prefix>/, e.g. "catalog.ttl" or "3/action/package_search"
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    base_url: str  # http://host:port/<key>/<prefix>


@dataclass(frozen=True, slots=True)
class SimReply:
    status: int
    body: bytes
    content_type: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    page: bool = False  # a list page: counts toward Faults.after_pages and may be truncated


Handler = Callable[[SimRequest], SimReply]

# URL prefix -> handler. Register new protocol endpoints here.
ROUTES: dict[str, Handler] = {
    "api": ckan.handle,
    "dcat": dcat.handle,
}
