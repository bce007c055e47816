"""Metadata quality: one record's score and checks, a source's report, a harvest run's summary."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RecordQuality(BaseModel):
    """How complete and how FAIR one mapped record is (see docs/quality.md).

    `score` is the weighted completeness against DataCite's mandatory, recommended and
    optional properties; `failed_checks` are the codes of the FAIR-minded checks it fails;
    `issues` the distinct codes of the issues its mapping recorded.
    """

    score: float
    mandatory: float
    recommended: float
    optional: float
    failed_checks: list[str] = Field(default_factory=list)
    issues: list[str] = Field(default_factory=list)
    has_doi: bool = False
    has_licence: bool = False  # a licence we recognise (SPDX id or known URI)
    has_orcid: bool = False
    has_ror: bool = False
    languages: list[str] = Field(default_factory=list)  # primary subtags, sorted


class CodeCount(BaseModel):
    code: str
    count: int


class RunQuality(BaseModel):
    """The quality of the records a harvest run mapped (new and updated ones only)."""

    records: int = 0
    mean_score: float | None = None
    codes: dict[str, int] = Field(default_factory=dict)  # failed check and issue code -> records

    def top(self, n: int = 5) -> list[CodeCount]:
        ranked = sorted(self.codes.items(), key=lambda item: (-item[1], item[0]))
        return [CodeCount(code=code, count=count) for code, count in ranked[:n]]


class ScoreBucket(BaseModel):
    low: float
    high: float  # exclusive, except for the last bucket, which holds 1.0
    count: int = 0


class TopIssue(BaseModel):
    code: str
    kind: str  # "check" (a failed quality check) or "mapping" (an issue recorded by the mapper)
    count: int
    share: float  # of the source's scored records
    examples: list[str] = Field(default_factory=list)  # record identifiers at the source
    advice: str  # what to ask the partner to fix, as a sentence


class SourceQualityReport(BaseModel):
    source_id: str
    records: int  # live records with a quality score
    mapping_failures: int = 0  # live records that could not be mapped at all
    mean_score: float | None = None
    mean_mandatory: float | None = None
    mean_recommended: float | None = None
    mean_optional: float | None = None
    score_distribution: list[ScoreBucket] = Field(default_factory=list)
    share_doi: float = 0.0
    share_licence: float = 0.0
    share_orcid: float = 0.0
    share_ror: float = 0.0
    share_language: float = 0.0
    languages: dict[str, int] = Field(default_factory=dict)  # primary subtag -> records, by count
    top_issues: list[TopIssue] = Field(default_factory=list)
