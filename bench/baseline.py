"""The baseline figure: the pipeline anyone would write first, to measure ours against.

Plain sickle ListRecords, a dict per record from sickle's metadata dict, a small flat pydantic
model, and one SQLAlchemy ORM `session.add` per record, committed every 1,000 records.
"""

from __future__ import annotations

from pydantic import BaseModel
from sickle import Sickle
from sqlalchemy import JSON, Integer, String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bench.measured import Measured, Stopwatch

COMMIT_EVERY = 1000


class FlatRecord(BaseModel):
    """What the naive pipeline validates: ten flat fields, nothing like our common model."""

    identifier: str
    datestamp: str
    doi: str | None = None
    title: str | None = None
    creators: list[str] = []
    publisher: str | None = None
    year: int | None = None
    type: str | None = None
    description: str | None = None
    licence: str | None = None


class _Base(DeclarativeBase):
    pass


class BaselineRecord(_Base):
    __tablename__ = "bench_baseline_records"

    identifier: Mapped[str] = mapped_column(String(300), primary_key=True)
    datestamp: Mapped[str] = mapped_column(String(40))
    doi: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(Text)
    creators: Mapped[list] = mapped_column(JSON)
    publisher: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    type: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(Text)


def _first(values: dict[str, list[str]], key: str) -> str | None:
    found = values.get(key)
    return found[0] if found else None


def flat_record(record) -> FlatRecord:
    """A sickle record as the model, through the dict sickle makes of its metadata (element
    text lists by local name; oai_datacite's <identifier> is the DOI)."""
    data = dict(record.metadata or {})
    year = _first(data, "publicationYear")
    return FlatRecord(
        identifier=record.header.identifier, datestamp=record.header.datestamp,
        doi=_first(data, "identifier"), title=_first(data, "title"),
        creators=data.get("creatorName", []), publisher=_first(data, "publisher"),
        year=int(year) if year and year.isdigit() else None,
        type=_first(data, "resourceType"), description=_first(data, "description"),
        licence=_first(data, "rights"))


def run(spec: dict) -> Measured:
    url = spec["db_url"]
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    _Base.metadata.create_all(engine)
    limit = spec["baseline_n"]
    n = 0
    try:
        with Stopwatch() as clock, Session(engine) as session:
            records = Sickle(spec["feed_url"], max_retries=3, timeout=300).ListRecords(
                metadataPrefix=spec["prefix"], ignore_deleted=False)
            for record in records:
                model = flat_record(record)
                session.add(BaselineRecord(**model.model_dump()))
                n += 1
                if n % COMMIT_EVERY == 0:
                    session.commit()
                if n >= limit:
                    break
            session.commit()
        with Session(engine) as session:
            stored = session.query(BaselineRecord).count()
    finally:
        engine.dispose()
    return Measured(n, clock.seconds, {"rows_stored": stored, "capped_at": limit})
