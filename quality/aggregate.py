"""A source's quality report, built one record at a time in bounded memory."""

from __future__ import annotations

from dataclasses import dataclass, field

from quality.advice import advice_for, kind_of
from schemas import RecordQuality, ScoreBucket, SourceQualityReport, TopIssue

BUCKETS = 5  # score buckets of 0.2: [0, 0.2), [0.2, 0.4), ..., [0.8, 1.0]
MAX_EXAMPLES = 5  # record identifiers kept per code
TOP_ISSUES = 10
DIGITS = 3


@dataclass(slots=True)
class _Code:
    count: int = 0
    examples: list[str] = field(default_factory=list)


class SourceQualityAggregate:
    """Counts over one source's records: `add` each record's quality, then `report()`.

    Memory stays bounded whatever the source's size: sums and counts, one counter per code and
    language, and at most MAX_EXAMPLES record identifiers per code (the first ones added).
    """

    def __init__(self, source_id: str, *, max_examples: int = MAX_EXAMPLES) -> None:
        self.source_id = source_id
        self.max_examples = max_examples
        self.records = 0
        self.mapping_failures = 0
        self._sums = {"score": 0.0, "mandatory": 0.0, "recommended": 0.0, "optional": 0.0}
        self._flags = {"doi": 0, "licence": 0, "orcid": 0, "ror": 0, "language": 0}
        self._buckets = [0] * BUCKETS
        self._languages: dict[str, int] = {}
        self._codes: dict[str, _Code] = {}

    def add(self, identifier: str, quality: RecordQuality) -> None:
        self.records += 1
        sums = self._sums
        sums["score"] += quality.score
        sums["mandatory"] += quality.mandatory
        sums["recommended"] += quality.recommended
        sums["optional"] += quality.optional
        self._buckets[min(int(quality.score * BUCKETS), BUCKETS - 1)] += 1
        flags = self._flags
        flags["doi"] += quality.has_doi
        flags["licence"] += quality.has_licence
        flags["orcid"] += quality.has_orcid
        flags["ror"] += quality.has_ror
        flags["language"] += bool(quality.languages)
        for language in quality.languages:
            self._languages[language] = self._languages.get(language, 0) + 1
        for code in (*quality.failed_checks, *quality.issues):
            entry = self._codes.get(code)
            if entry is None:
                entry = self._codes[code] = _Code()
            entry.count += 1
            if len(entry.examples) < self.max_examples:
                entry.examples.append(identifier)

    def add_failure(self, identifier: str) -> None:
        """A live record that could not be mapped at all (it has no quality of its own)."""
        self.mapping_failures += 1

    def report(self, top: int = TOP_ISSUES) -> SourceQualityReport:
        n = self.records

        def mean(name: str) -> float | None:
            return round(self._sums[name] / n, DIGITS) if n else None

        def share(name: str) -> float:
            return round(self._flags[name] / n, DIGITS) if n else 0.0

        ranked = sorted(self._codes.items(), key=lambda item: (-item[1].count, item[0]))
        return SourceQualityReport(
            source_id=self.source_id, records=n, mapping_failures=self.mapping_failures,
            mean_score=mean("score"), mean_mandatory=mean("mandatory"),
            mean_recommended=mean("recommended"), mean_optional=mean("optional"),
            score_distribution=[
                ScoreBucket(low=round(i / BUCKETS, 1), high=round((i + 1) / BUCKETS, 1),
                            count=count) for i, count in enumerate(self._buckets)],
            share_doi=share("doi"), share_licence=share("licence"), share_orcid=share("orcid"),
            share_ror=share("ror"), share_language=share("language"),
            languages=dict(sorted(self._languages.items(), key=lambda item: (-item[1], item[0]))),
            top_issues=[
                TopIssue(code=code, kind=kind_of(code), count=entry.count,
                         share=round(entry.count / n, DIGITS), examples=list(entry.examples),
                         advice=advice_for(code))
                for code, entry in ranked[:top]],
        )
