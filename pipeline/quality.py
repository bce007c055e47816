"""A source's metadata quality report, streamed over its live records in the store."""

from __future__ import annotations

from quality.aggregate import TOP_ISSUES, SourceQualityAggregate
from quality.score import score_record
from schemas import Record, RecordQuality, SourceQualityReport
from store import Store


def source_quality(store: Store, source_id: str, *, top: int = TOP_ISSUES) -> SourceQualityReport:
    """The quality report of `source_id` over its live records (records=0 when it has none).

    Records mapped before quality was stored (schema revision 0006) are scored on the fly;
    `os10 remap` stores their scores.
    """
    aggregate = SourceQualityAggregate(source_id)
    for batch in store.iter_quality(source_id):
        for row in batch:
            if row["quality"] is not None:
                aggregate.add(row["identifier"], RecordQuality.model_validate(row["quality"]))
            elif row["record"] is not None:
                aggregate.add(row["identifier"], score_record(Record.model_validate(row["record"])))
            else:
                aggregate.add_failure(row["identifier"])
    return aggregate.report(top=top)


def no_records_reason(store: Store, source_id: str) -> str:
    """Why `source_id` has no quality report, as a sentence for the CLI and the web page."""
    counts = store.counts()
    if source_id in counts:
        return (f"Source {source_id!r} has no live records in the store "
                f"({counts[source_id]['deleted']} deleted); there is nothing to score.")
    known = ", ".join(sorted(counts)) or "none yet"
    return (f"Source {source_id!r} has no records in the store; the sources with records are: "
            f"{known}.")
