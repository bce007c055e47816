"""A sample of an endpoint's records: harvested, mapped and scored in memory, never stored.

The registered harvester lists from the start, exactly as a first harvest would; sampling stops
after N live records and closes the list, so no further page is asked for.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from errors import MappingError, Os10Error, RetriableError
from harvesters.base import HarvestRequest, RawRecord
from mappers import MapContext, get_mapper
from quality.aggregate import SourceQualityAggregate
from quality.score import score_record
from schemas import Record, SourceConfig
from schemas.onboarding import Sample, SampleRecord
from schemas.quality import SourceQualityReport

# Pages read at most while looking for live records (a list may open with deletions only).
MAX_PAGES = 20


def take_sample(harvester, source: SourceConfig, n: int, metadata_format: str
                ) -> tuple[Sample, SourceQualityReport]:
    """Up to `n` live records of the source, mapped with `metadata_format`'s mapper, scored.

    A failure of the list after some records keeps those and says why in `Sample.problem`;
    RetriableError (no answer at all) propagates, as for every other request of a check.
    """
    sample = Sample(requested=n, metadata_format=metadata_format)
    raws: list[RawRecord] = []
    if n > 0:
        pages = harvester.pages(HarvestRequest())
        try:
            for number, page in enumerate(pages, 1):
                if sample.list_size is None:
                    sample.list_size = page.complete_list_size
                sample.failed += [f"{f.identifier or '(no identifier)'}: {f.reason}"
                                  for f in page.failed]
                for raw in page.records:
                    if raw.deleted:
                        sample.deleted += 1
                    elif len(raws) < n:
                        raws.append(raw)
                if len(raws) >= n:
                    break
                if number == MAX_PAGES:
                    sample.problem = (f"{MAX_PAGES} pages held only {len(raws)} live record(s); "
                                      "sampling stopped there")
                    break
        except RetriableError:
            if not raws:
                raise
            sample.problem = "the list stopped answering after the first records"
        except Os10Error as exc:
            if not raws:
                raise
            sample.problem = f"the list failed after {len(raws)} record(s): {exc}"
        finally:
            pages.close()
    aggregate = SourceQualityAggregate(source.id)
    harvested_at = datetime.now(UTC)
    for raw in raws:
        record, error = map_raw(source.id, raw, harvested_at)
        if record is None:
            aggregate.add_failure(raw.identifier)
            sample.records.append(SampleRecord(identifier=raw.identifier, mapping_error=error))
            continue
        quality = score_record(record)
        aggregate.add(raw.identifier, quality)
        sample.records.append(preview(raw.identifier, record, quality.score))
    return sample, aggregate.report()


def map_raw(source_id: str, raw: RawRecord, harvested_at: datetime
            ) -> tuple[Record | None, str | None]:
    """The record as the pipeline would map it, or None and why not."""
    context = MapContext(source_id=source_id, source_identifier=raw.identifier,
                         metadata_format=raw.metadata_format, harvested_at=harvested_at,
                         raw_sha256=hashlib.sha256(raw.payload or b"").hexdigest(),
                         datestamp=raw.datestamp)
    try:
        mapper = get_mapper(raw.metadata_format)
        return mapper(raw.payload, context, element=raw.element), None
    except MappingError as exc:
        return None, exc.message
    except Os10Error as exc:  # no mapper for the format: say so per record, not as a crash
        return None, str(exc)


def preview(identifier: str, record: Record, score: float | None = None) -> SampleRecord:
    licence = None
    for rights in record.rights:
        licence = rights.spdx_id or rights.uri or rights.statement
        if rights.spdx_id:
            break
    languages = [record.language] if record.language else []
    for item in (*record.titles, *record.descriptions, *record.subjects):
        if item.lang and item.lang not in languages:
            languages.append(item.lang)
    return SampleRecord(
        identifier=identifier, title=record.main_title,
        resource_type=record.resource_type.general if record.resource_type else None,
        year=record.publication_year, doi=record.doi, licence=licence, languages=languages,
        issues=sorted({issue.code for issue in record.issues}), score=score)
