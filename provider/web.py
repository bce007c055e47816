"""What route handlers see and return: one parsed HTTP request in, one complete reply out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from provider.server import Provider

TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Request:
    method: str  # GET, HEAD or POST; the server answers other methods itself
    path: str  # without the query, e.g. "/oai"
    query: Mapping[str, list[str]]  # parsed: the URL's query, or a form-encoded POST body
    headers: Mapping[str, str]  # case-insensitive names (http.client.HTTPMessage)
    base_url: str  # where this server is reached, e.g. "http://127.0.0.1:8080" (no slash)

    @property
    def url(self) -> str:
        return f"{self.base_url}{self.path}"


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    content_type: str
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def text(cls, status: int, message: str,
             headers: list[tuple[str, str]] | None = None) -> Reply:
        return cls(status, (message.rstrip("\n") + "\n").encode(), TEXT, headers or [])


Handler = Callable[["Provider", Request], Reply]


class Route(NamedTuple):
    """One path the server answers; other methods get 405 with an Allow header.

    A route that takes POST gets a form-encoded body parsed as its arguments (OAI-PMH does).
    """

    path: str
    handler: Handler
    methods: frozenset[str] = frozenset({"GET", "HEAD"})
