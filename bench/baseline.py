"""The baseline figures: the pipeline anyone would write first, to measure ours against.

`baseline` is the naive pipeline that does our job: plain sickle `ListRecords`, a DataCite
dict per record built from the element sickle parsed (one XPath per field, no normalisation,
no issues, no language detection), validated by a nested pydantic model of the DataCite
kernel, and one SQLAlchemy ORM `session.add` per record with the record as JSON, committed
every 1,000. It produces the same fields our first harvest stores, so the two compare.

`baseline_flat` is a lighter variant kept for reference: sickle's own metadata dict (element
text by local name) cut down to ten flat fields. It does far less than a harvester must: it
cannot pair a title with its language or a creator with its ORCID.
"""

from __future__ import annotations

from pydantic import BaseModel
from sickle import Sickle
from sqlalchemy import JSON, Integer, String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bench.measured import Measured, Stopwatch

COMMIT_EVERY = 1000
KERNEL = "http://datacite.org/schema/kernel-4"
NS = {"d": KERNEL}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


# --- the DataCite record as a naive pipeline models it -------------------------------------------

class NameIdentifier(BaseModel):
    value: str
    scheme: str | None = None
    scheme_uri: str | None = None


class Affiliation(BaseModel):
    name: str
    identifier: str | None = None
    scheme: str | None = None


class Agent(BaseModel):
    name: str
    name_type: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    contributor_type: str | None = None
    name_identifiers: list[NameIdentifier] = []
    affiliations: list[Affiliation] = []


class Title(BaseModel):
    title: str
    lang: str | None = None
    title_type: str | None = None


class Subject(BaseModel):
    subject: str
    scheme: str | None = None
    scheme_uri: str | None = None
    value_uri: str | None = None
    lang: str | None = None


class Date(BaseModel):
    date: str
    date_type: str | None = None


class Identifier(BaseModel):
    value: str
    type: str | None = None
    relation_type: str | None = None
    resource_type_general: str | None = None


class Rights(BaseModel):
    rights: str | None = None
    uri: str | None = None
    identifier: str | None = None
    identifier_scheme: str | None = None
    lang: str | None = None


class Description(BaseModel):
    description: str
    description_type: str | None = None
    lang: str | None = None


class GeoLocation(BaseModel):
    place: str | None = None
    point: dict[str, float] | None = None
    box: dict[str, float] | None = None


class Funding(BaseModel):
    funder_name: str
    funder_identifier: str | None = None
    funder_identifier_type: str | None = None
    award_number: str | None = None
    award_uri: str | None = None
    award_title: str | None = None


class DataCiteRecord(BaseModel):
    oai_identifier: str
    datestamp: str
    doi: str | None = None
    creators: list[Agent] = []
    titles: list[Title] = []
    publisher: str | None = None
    publication_year: int | None = None
    resource_type_general: str | None = None
    resource_type: str | None = None
    subjects: list[Subject] = []
    contributors: list[Agent] = []
    dates: list[Date] = []
    language: str | None = None
    alternate_identifiers: list[Identifier] = []
    related_identifiers: list[Identifier] = []
    sizes: list[str] = []
    formats: list[str] = []
    version: str | None = None
    rights_list: list[Rights] = []
    descriptions: list[Description] = []
    geo_locations: list[GeoLocation] = []
    funding_references: list[Funding] = []


class _Base(DeclarativeBase):
    pass


class BaselineRecord(_Base):
    __tablename__ = "bench_baseline_records"

    identifier: Mapped[str] = mapped_column(String(300), primary_key=True)
    datestamp: Mapped[str] = mapped_column(String(40))
    doi: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    record: Mapped[dict] = mapped_column(JSON)


# --- the naive mapping: one XPath per field ------------------------------------------------------

def _text(element, path: str) -> str | None:
    found = element.xpath(f"{path}/text()", namespaces=NS)
    return found[0].strip() if found else None


def _agent(element, kind: str) -> dict:
    return {
        "name": _text(element, f"d:{kind}Name") or "",
        "name_type": element.xpath(f"string(d:{kind}Name/@nameType)", namespaces=NS) or None,
        "given_name": _text(element, "d:givenName"),
        "family_name": _text(element, "d:familyName"),
        "contributor_type": element.get("contributorType"),
        "name_identifiers": [
            {"value": (n.text or "").strip(), "scheme": n.get("nameIdentifierScheme"),
             "scheme_uri": n.get("schemeURI")}
            for n in element.xpath("d:nameIdentifier", namespaces=NS)],
        "affiliations": [
            {"name": (a.text or "").strip(), "identifier": a.get("affiliationIdentifier"),
             "scheme": a.get("affiliationIdentifierScheme")}
            for a in element.xpath("d:affiliation", namespaces=NS)],
    }


def _coordinates(element, names: tuple[str, ...]) -> dict[str, float] | None:
    values = {name: _text(element, f"d:{name}") for name in names}
    return {k: float(v) for k, v in values.items() if v} or None


def datacite_dict(record) -> dict:
    """The DataCite dict of a sickle record, read from the <resource> sickle parsed."""
    found = record.xml.xpath(".//d:resource", namespaces=NS)
    r = found[0] if found else None
    data: dict = {"oai_identifier": record.header.identifier,
                  "datestamp": record.header.datestamp}
    if r is None:
        return data
    year = _text(r, "d:publicationYear")
    data.update(
        doi=_text(r, "d:identifier"),
        creators=[_agent(c, "creator") for c in r.xpath("d:creators/d:creator", namespaces=NS)],
        titles=[{"title": (t.text or "").strip(), "lang": t.get(XML_LANG),
                 "title_type": t.get("titleType")}
                for t in r.xpath("d:titles/d:title", namespaces=NS)],
        publisher=_text(r, "d:publisher"),
        publication_year=int(year) if year and year.isdigit() else None,
        resource_type_general=r.xpath("string(d:resourceType/@resourceTypeGeneral)",
                                      namespaces=NS) or None,
        resource_type=_text(r, "d:resourceType"),
        subjects=[{"subject": (s.text or "").strip(), "scheme": s.get("subjectScheme"),
                   "scheme_uri": s.get("schemeURI"), "value_uri": s.get("valueURI"),
                   "lang": s.get(XML_LANG)}
                  for s in r.xpath("d:subjects/d:subject", namespaces=NS)],
        contributors=[_agent(c, "contributor")
                      for c in r.xpath("d:contributors/d:contributor", namespaces=NS)],
        dates=[{"date": (d.text or "").strip(), "date_type": d.get("dateType")}
               for d in r.xpath("d:dates/d:date", namespaces=NS)],
        language=_text(r, "d:language"),
        alternate_identifiers=[
            {"value": (a.text or "").strip(), "type": a.get("alternateIdentifierType")}
            for a in r.xpath("d:alternateIdentifiers/d:alternateIdentifier", namespaces=NS)],
        related_identifiers=[
            {"value": (a.text or "").strip(), "type": a.get("relatedIdentifierType"),
             "relation_type": a.get("relationType"),
             "resource_type_general": a.get("resourceTypeGeneral")}
            for a in r.xpath("d:relatedIdentifiers/d:relatedIdentifier", namespaces=NS)],
        sizes=[s.strip() for s in r.xpath("d:sizes/d:size/text()", namespaces=NS)],
        formats=[f.strip() for f in r.xpath("d:formats/d:format/text()", namespaces=NS)],
        version=_text(r, "d:version"),
        rights_list=[{"rights": (x.text or "").strip() or None, "uri": x.get("rightsURI"),
                      "identifier": x.get("rightsIdentifier"),
                      "identifier_scheme": x.get("rightsIdentifierScheme"),
                      "lang": x.get(XML_LANG)}
                     for x in r.xpath("d:rightsList/d:rights", namespaces=NS)],
        descriptions=[{"description": " ".join(d.itertext()).strip(),
                       "description_type": d.get("descriptionType"), "lang": d.get(XML_LANG)}
                      for d in r.xpath("d:descriptions/d:description", namespaces=NS)],
        geo_locations=[
            {"place": _text(g, "d:geoLocationPlace"),
             "point": next((_coordinates(p, ("pointLongitude", "pointLatitude"))
                            for p in g.xpath("d:geoLocationPoint", namespaces=NS)), None),
             "box": next((_coordinates(b, ("westBoundLongitude", "eastBoundLongitude",
                                           "southBoundLatitude", "northBoundLatitude"))
                          for b in g.xpath("d:geoLocationBox", namespaces=NS)), None)}
            for g in r.xpath("d:geoLocations/d:geoLocation", namespaces=NS)],
        funding_references=[
            {"funder_name": _text(f, "d:funderName") or "",
             "funder_identifier": _text(f, "d:funderIdentifier"),
             "funder_identifier_type": f.xpath("string(d:funderIdentifier/"
                                               "@funderIdentifierType)", namespaces=NS) or None,
             "award_number": _text(f, "d:awardNumber"),
             "award_uri": f.xpath("string(d:awardNumber/@awardURI)", namespaces=NS) or None,
             "award_title": _text(f, "d:awardTitle")}
            for f in r.xpath("d:fundingReferences/d:fundingReference", namespaces=NS)],
    )
    return data


def _row(model: DataCiteRecord) -> BaselineRecord:
    return BaselineRecord(
        identifier=model.oai_identifier, datestamp=model.datestamp, doi=model.doi,
        title=model.titles[0].title if model.titles else None, year=model.publication_year,
        record=model.model_dump(mode="json"))


# --- the flat variant ----------------------------------------------------------------------------

class FlatRecord(BaseModel):
    """What the flat variant validates: ten flat fields, nothing like a DataCite record."""

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


class FlatBaselineRecord(_Base):
    __tablename__ = "bench_baseline_flat_records"

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
    """A sickle record as the flat model, through the dict sickle makes of its metadata
    (element text lists by local name; oai_datacite's <identifier> is the DOI)."""
    data = dict(record.metadata or {})
    year = _first(data, "publicationYear")
    return FlatRecord(
        identifier=record.header.identifier, datestamp=record.header.datestamp,
        doi=_first(data, "identifier"), title=_first(data, "title"),
        creators=data.get("creatorName", []), publisher=_first(data, "publisher"),
        year=int(year) if year and year.isdigit() else None,
        type=_first(data, "resourceType"), description=_first(data, "description"),
        licence=_first(data, "rights"))


# --- the figures -----------------------------------------------------------------------------------

def _run(spec: dict, row_of, table: type[_Base]) -> Measured:
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
                session.add(row_of(record))
                n += 1
                if n % COMMIT_EVERY == 0:
                    session.commit()
                if n >= limit:
                    break
            session.commit()
        with Session(engine) as session:
            stored = session.query(table).count()
    finally:
        engine.dispose()
    return Measured(n, clock.seconds, {"rows_stored": stored, "capped_at": limit})


def _datacite_row(record) -> BaselineRecord:
    return _row(DataCiteRecord(**datacite_dict(record)))


def _flat_row(record) -> FlatBaselineRecord:
    return FlatBaselineRecord(**flat_record(record).model_dump())


def run(spec: dict) -> Measured:
    return _run(spec, _datacite_row, BaselineRecord)


def run_flat(spec: dict) -> Measured:
    return _run(spec, _flat_row, FlatBaselineRecord)
