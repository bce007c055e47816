"""What `os10 sources check URL` finds: the protocol, what the endpoint offers, a sample, a verdict."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from schemas.quality import SourceQualityReport

# ok: harvestable. down: nothing accepts the connection. slow: no answer within the timeout.
# unavailable: HTTP 5xx or 429 on every try. not_recognised: it answers, but no protocol we
# harvest (an HTML page, JSON that is not CKAN, XML that is not OAI-PMH). invalid: it speaks a
# protocol but breaks it (an OAI-PMH error, malformed or refused XML, a failing list).
Status = Literal["ok", "down", "slow", "unavailable", "not_recognised", "invalid"]


class Attempt(BaseModel):
    """One protocol probe: the request made and what came back."""

    protocol: str
    url: str
    # matched: it speaks the protocol. invalid: it speaks it but answered with an error or a
    # broken document. other: it answered with something else. absent: HTTP 4xx, nothing there.
    outcome: Literal["matched", "invalid", "other", "absent"]
    detail: str  # a sentence fragment: "answered Identify with an HTML page"
    status: int | None = None  # HTTP status
    received: Literal["html", "json", "xml", "rdf", "text", "empty"] | None = None


class OfferedFormat(BaseModel):
    prefix: str
    schema_url: str | None = None
    namespace: str | None = None
    mapped: bool = False  # a registered mapper reads it


class OfferedSet(BaseModel):
    spec: str
    name: str | None = None


class OaiOfferings(BaseModel):
    protocol: Literal["oai_pmh"] = "oai_pmh"
    repository_name: str | None = None
    protocol_version: str | None = None
    granularity: str | None = None
    deleted_record: str | None = None
    earliest_datestamp: datetime | None = None
    admin_emails: list[str] = Field(default_factory=list)
    metadata_formats: list[OfferedFormat] = Field(default_factory=list)
    sets: list[OfferedSet] = Field(default_factory=list)  # the first SET_LIMIT
    more_sets: bool = False  # the repository lists more sets than shown
    problems: list[str] = Field(default_factory=list)  # verbs that failed, as sentences


class CkanOfferings(BaseModel):
    protocol: Literal["ckan"] = "ckan"
    site_title: str | None = None
    site_url: str | None = None
    ckan_version: str | None = None
    extensions: list[str] = Field(default_factory=list)
    dataset_count: int | None = None
    organizations: list[str] = Field(default_factory=list)  # the first ORGANIZATION_LIMIT
    more_organizations: bool = False
    groups: list[str] = Field(default_factory=list)
    more_groups: bool = False
    problems: list[str] = Field(default_factory=list)


class DcatOfferings(BaseModel):
    protocol: Literal["dcat"] = "dcat"
    serialisation: str | None = None  # Turtle, RDF/XML, JSON-LD, N-Triples
    catalogue_title: str | None = None
    datasets_on_first_page: int = 0
    total_items: int | None = None  # hydra:totalItems, when the catalogue says
    paging: Literal["hydra", "legacy", "none"] = "none"
    etag: str | None = None
    last_modified: str | None = None
    # supported: a conditional request got 304. ignored: validators are sent but the full page
    # comes back. not_offered: no ETag or Last-Modified.
    conditional_requests: Literal["supported", "ignored", "not_offered"] = "not_offered"
    problems: list[str] = Field(default_factory=list)


Offerings = Annotated[OaiOfferings | CkanOfferings | DcatOfferings,
                      Field(discriminator="protocol")]


class SampleRecord(BaseModel):
    """One sampled record as mapped: the fields a steward looks at first."""

    identifier: str
    title: str | None = None
    resource_type: str | None = None  # resourceTypeGeneral
    year: int | None = None
    doi: str | None = None
    licence: str | None = None  # SPDX id, else the licence URI or statement
    languages: list[str] = Field(default_factory=list)  # record language and text tags
    issues: list[str] = Field(default_factory=list)  # distinct issue codes
    score: float | None = None
    mapping_error: str | None = None


class Sample(BaseModel):
    requested: int
    metadata_format: str
    records: list[SampleRecord] = Field(default_factory=list)
    deleted: int = 0  # deletion markers met while sampling (not mapped)
    failed: list[str] = Field(default_factory=list)  # records the harvester could not read
    list_size: int | None = None  # the list's size, when the endpoint says
    problem: str | None = None  # why sampling stopped early


class Verdict(BaseModel):
    status: Status
    sentence: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class SourceCheck(BaseModel):
    url: str  # as the steward gave it
    protocol: str | None = None
    base_url: str | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    offerings: Offerings | None = None
    sample: Sample | None = None
    quality: SourceQualityReport | None = None
    sources_yaml: str | None = None  # a block ready to paste under `sources:`
    verdict: Verdict
    checked_at: datetime
    seconds: float
