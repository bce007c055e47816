"""Metadata quality: record scores and checks, a source's report, remap, harvest, CLI and web page."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests
import yaml
from sqlalchemy import null, select, update

from cli.main import main
from mappers import MapContext, get_mapper
from pipeline.harvest import harvest_source
from pipeline.mapping import map_one, payload_digest
from pipeline.quality import source_quality
from pipeline.remap import remap
from provider import ProviderServer
from quality.aggregate import SourceQualityAggregate
from quality.run import describe_run_quality, tally_run
from quality.score import CHECK_CODES, score_record
from schemas import (
    AlternateIdentifier,
    Creator,
    Date,
    Description,
    Distribution,
    Identifier,
    NameIdentifier,
    Record,
    RecordQuality,
    Rights,
    SourceConfig,
    Title,
)
from simulator import Feed, SimulatorServer
from store import RawRow, Store
from store import tables as t

HARVESTED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)

COMPLETE = b"""<?xml version="1.0" encoding="UTF-8"?>
<resource xmlns="http://datacite.org/schema/kernel-4">
  <identifier identifierType="DOI">10.5281/zenodo.123456</identifier>
  <creators><creator>
    <creatorName nameType="Personal">Mwangi, Achieng</creatorName>
    <givenName>Achieng</givenName><familyName>Mwangi</familyName>
    <nameIdentifier nameIdentifierScheme="ORCID">https://orcid.org/0000-0002-1825-0097</nameIdentifier>
    <affiliation affiliationIdentifier="https://ror.org/02mhbdp94"
                 affiliationIdentifierScheme="ROR">Universidad de los Andes</affiliation>
  </creator></creators>
  <titles><title xml:lang="en">Soil moisture observations in the Kenyan highlands</title></titles>
  <publisher>Zenodo</publisher>
  <publicationYear>2024</publicationYear>
  <resourceType resourceTypeGeneral="Dataset">Sensor time series</resourceType>
  <subjects><subject xml:lang="en">soil moisture</subject></subjects>
  <contributors><contributor contributorType="DataCurator">
    <contributorName nameType="Personal">Otieno, Brian</contributorName>
  </contributor></contributors>
  <dates><date dateType="Collected">2019-01-01/2023-12-31</date>
         <date dateType="Issued">2024-02-01</date></dates>
  <language>en</language>
  <alternateIdentifiers><alternateIdentifier alternateIdentifierType="URL"
    >https://zenodo.org/records/123456</alternateIdentifier></alternateIdentifiers>
  <relatedIdentifiers><relatedIdentifier relatedIdentifierType="DOI" relationType="IsCitedBy"
    >10.1234/paper.5</relatedIdentifier></relatedIdentifiers>
  <sizes><size>12 MB</size></sizes>
  <formats><format>text/csv</format></formats>
  <version>1.2</version>
  <rightsList><rights rightsURI="https://creativecommons.org/licenses/by/4.0/"
    >Creative Commons Attribution 4.0 International</rights></rightsList>
  <descriptions><description descriptionType="Abstract" xml:lang="en">Hourly volumetric soil
    moisture at ten depths from twelve stations in the Kenyan highlands.</description></descriptions>
  <geoLocations><geoLocation><geoLocationPlace>Nyeri, Kenya</geoLocationPlace></geoLocation>
  </geoLocations>
  <fundingReferences><fundingReference><funderName>National Research Fund</funderName>
  </fundingReference></fundingReferences>
</resource>"""

# A DOI, a one-word title and a one-line description: two of six mandatory properties.
MINIMAL = b"""<resource xmlns="http://datacite.org/schema/kernel-4">
  <identifier identifierType="DOI">10.5281/zenodo.1</identifier>
  <titles><title>Data</title></titles>
  <descriptions><description descriptionType="Abstract">Some data.</description></descriptions>
</resource>"""

SCRIPT = b"""<resource xmlns="http://datacite.org/schema/kernel-4">
  <identifier identifierType="DOI">10.5281/zenodo.666</identifier>
  <titles><title>&lt;script&gt;alert(1)&lt;/script&gt; Rainfall</title></titles>
</resource>"""


def mapped(payload: bytes, identifier: str = "oai:alpha:1") -> Record:
    context = MapContext(source_id="alpha", source_identifier=identifier,
                         metadata_format="datacite", harvested_at=HARVESTED, raw_sha256="0" * 64)
    return get_mapper("datacite")(payload, context)


def store_raw(store: Store, items: list[tuple[str, bytes]], source_id: str = "alpha") -> None:
    """Write raw DataCite payloads and their mapped rows, as a harvest page would."""
    raw, rows = [], []
    for identifier, payload in items:
        digest = payload_digest(payload, False)
        raw.append(RawRow(identifier=identifier, datestamp=HARVESTED, deleted=False,
                          metadata_format="datacite", sha256=digest, sets=[],
                          payload=payload.decode()))
        rows.append(map_one(source_id=source_id, identifier=identifier,
                            metadata_format="datacite", payload=payload, deleted=False,
                            datestamp=HARVESTED, sha256=digest, harvested_at=HARVESTED))
    store.write_page(source_id, raw, rows, None)


def stored(store: Store, identifier: str) -> dict:
    c = t.records.c
    with store.engine.connect() as conn:
        return dict(conn.execute(select(c.quality_score, c.quality, c.updated_at).where(
            c.identifier == identifier)).mappings().one())


# --- one record ----------------------------------------------------------------------------


def test_a_complete_datacite_record_scores_one_and_passes_every_check():
    quality = score_record(mapped(COMPLETE))
    assert quality == RecordQuality(
        score=1.0, mandatory=1.0, recommended=1.0, optional=1.0, failed_checks=[], issues=[],
        has_doi=True, has_licence=True, has_orcid=True, has_ror=True, languages=["en"])


def test_a_minimal_record_scores_low_and_fails_the_expected_checks():
    quality = score_record(mapped(MINIMAL))
    # 0.6 × 2/6 (identifier, titles) + 0.3 × 2/8 (descriptions weigh 2 of 8) + 0.1 × 0
    assert (quality.score, quality.mandatory, quality.recommended, quality.optional) == (
        0.275, 0.333, 0.25, 0.0)
    assert quality.failed_checks == ["no_licence", "no_creator_ids", "no_language",
                                     "short_description"]
    assert quality.issues == ["language_undetected", "missing_creators",
                              "missing_publication_year", "missing_publisher",
                              "missing_resource_type"]
    assert (quality.has_doi, quality.has_licence, quality.has_orcid, quality.has_ror) == (
        True, False, False, False)
    assert quality.languages == []


LONG = "A description long enough to say what was measured, where and when it was."


def base(**fields) -> Record:
    """A record that passes every check; `fields` replace some of its properties."""
    values = dict(
        identifier=Identifier(value="10.5555/q-1", type="DOI"),
        creators=[Creator(name="Haddad, Omar", name_identifiers=[NameIdentifier(
            identifier="https://orcid.org/0000-0002-1825-0097", scheme="ORCID")])],
        titles=[Title(value="Rainfall", lang="en")], rights=[Rights(spdx_id="CC0-1.0")],
        descriptions=[Description(value=LONG, lang="en")], language="en")
    return Record(**{**values, **fields})


@pytest.mark.parametrize(("fields", "failed"), [
    ({}, []),
    ({"identifier": None}, ["no_persistent_id", "no_access_url"]),
    ({"identifier": Identifier(value="not-a-doi", type="DOI")},
     ["malformed_persistent_id", "no_access_url"]),
    ({"identifier": Identifier(value="https://hdl.handle.net/20.500.1234/5", type="URL")}, []),
    ({"identifier": Identifier(value="ds-42", type="Local"),
      "alternate_identifiers": [AlternateIdentifier(value="ark:/12345/x9", type="ARK")]}, []),
    ({"identifier": Identifier(value="ds-42", type="Local")},
     ["no_persistent_id", "no_access_url"]),
    ({"identifier": Identifier(value="ds-42", type="Local"), "landing_page": "https://x.org/42"},
     ["no_persistent_id"]),
    ({"rights": []}, ["no_licence"]),
    ({"rights": [Rights(uri="info:eu-repo/semantics/openAccess")]}, ["no_licence"]),
    ({"rights": [Rights(statement="All rights reserved")]}, ["unrecognised_licence"]),
    ({"rights": [], "distributions": [Distribution(
        license="https://creativecommons.org/licenses/by/4.0/")]}, []),
    ({"creators": [Creator(name="Haddad, Omar")]}, ["no_creator_ids"]),
    ({"language": None, "titles": [Title(value="Rainfall")],
      "descriptions": [Description(value=LONG)]}, ["no_language"]),
    ({"language": "english!"}, ["invalid_language_tag"]),
    ({"descriptions": []}, ["no_description"]),
    ({"descriptions": [Description(value="Rain.", lang="en")]}, ["short_description"]),
    ({"dates": [Date(value="last spring", date_type="Created")]}, ["unparseable_dates"]),
])
def test_each_check_fails_only_on_the_record_that_lacks_it(fields, failed):
    assert score_record(base(**fields)).failed_checks == failed
    assert set(failed) <= set(CHECK_CODES)


def test_identifiers_and_languages_are_read_from_creators_affiliations_and_texts():
    record = base(creators=[Creator(name="Beta Observatory", name_type="Organizational",
                                    name_identifiers=[NameIdentifier(
                                        identifier="https://ror.org/02mhbdp94", scheme="ROR")])],
                  language="pt-BR", titles=[Title(value="Chuva", lang="pt"),
                                            Title(value="Lluvia", lang="es-419")])
    quality = score_record(record)
    assert (quality.has_orcid, quality.has_ror, quality.languages) == (False, True, ["en", "es",
                                                                                     "pt"])
    assert quality.failed_checks == []


# --- a source's report ---------------------------------------------------------------------


def q(score: float, *, failed=(), issues=(), doi=False, licence=False, orcid=False, ror=False,
      languages=()) -> RecordQuality:
    return RecordQuality(score=score, mandatory=score, recommended=score, optional=score,
                         failed_checks=list(failed), issues=list(issues), has_doi=doi,
                         has_licence=licence, has_orcid=orcid, has_ror=ror,
                         languages=list(languages))


def test_the_aggregate_reports_shares_languages_and_top_issues_with_examples():
    aggregate = SourceQualityAggregate("alpha")
    aggregate.add("r1", q(1.0, doi=True, licence=True, orcid=True, languages=["en"]))
    aggregate.add("r2", q(0.5, failed=["no_licence"], doi=True, languages=["en", "fr"]))
    aggregate.add("r3", q(0.25, failed=["no_licence", "no_language"],
                          issues=["invalid_language"]))
    aggregate.add("r4", q(0.85, failed=["no_licence"], licence=False, ror=True,
                          languages=["sw"]))
    aggregate.add_failure("r5")
    report = aggregate.report()

    assert (report.source_id, report.records, report.mapping_failures) == ("alpha", 4, 1)
    assert report.mean_score == 0.65  # (1.0 + 0.5 + 0.25 + 0.85) / 4
    assert [b.count for b in report.score_distribution] == [0, 1, 1, 0, 2]
    assert [(b.low, b.high) for b in report.score_distribution][-1] == (0.8, 1.0)
    assert (report.share_doi, report.share_licence, report.share_orcid, report.share_ror,
            report.share_language) == (0.5, 0.25, 0.25, 0.25, 0.75)
    assert report.languages == {"en": 2, "fr": 1, "sw": 1}
    assert [(i.code, i.kind, i.count, i.share, i.examples) for i in report.top_issues] == [
        ("no_licence", "check", 3, 0.75, ["r2", "r3", "r4"]),
        ("invalid_language", "mapping", 1, 0.25, ["r3"]),
        ("no_language", "check", 1, 0.25, ["r3"]),
    ]
    assert report.top_issues[0].advice.startswith("State a licence for every record")


def test_the_aggregate_keeps_at_most_five_examples_per_code():
    aggregate = SourceQualityAggregate("alpha")
    for n in range(1000):
        aggregate.add(f"r{n}", q(0.1, failed=["no_description"]))
    issue = aggregate.report().top_issues[0]
    assert (issue.count, issue.examples) == (1000, ["r0", "r1", "r2", "r3", "r4"])


def test_a_run_summary_tallies_scores_and_codes():
    summary = None
    for quality in (q(1.0), q(0.5, failed=["no_licence"]),
                    q(0.0, failed=["no_licence", "no_creator_ids"], issues=["missing_titles"])):
        summary = tally_run(summary, quality.model_dump())
    assert tally_run(summary, None) is summary
    assert (summary.records, summary.mean_score) == (3, 0.5)
    assert describe_run_quality(summary, top=2) == (
        "quality 0.50 over 3 records; most frequent: no_licence 2, missing_titles 1")
    assert describe_run_quality(None) == "no records scored"


# --- the store and the pipeline ------------------------------------------------------------


def test_the_source_report_streams_over_the_store(db_url):
    store = Store.open(db_url)
    store_raw(store, [("oai:alpha:1", COMPLETE), ("oai:alpha:2", MINIMAL),
                      ("oai:alpha:3", b"<not-xml")])
    store_raw(store, [("oai:beta:1", MINIMAL)], source_id="beta")

    report = source_quality(store, "alpha")
    assert (report.records, report.mapping_failures) == (2, 1)
    assert report.mean_score == 0.637  # (1.0 + 0.275) / 2, rounded
    assert report.share_doi == 1.0 and report.share_licence == 0.5
    assert report.top_issues[0].code == "language_undetected"
    assert report.top_issues[0].examples == ["oai:alpha:2"]
    overview = store.quality_overview()
    assert overview["alpha"] == {"records": 2, "mean_score": pytest.approx(0.6375),
                                 "share_doi": 1.0, "share_licence": 0.5, "share_orcid": 0.5,
                                 "share_ror": 0.5}
    assert overview["beta"]["records"] == 1
    store.close()


def test_remap_recomputes_quality_from_a_changed_payload_and_a_changed_scoring(db_url,
                                                                                monkeypatch):
    store = Store.open(db_url)
    store_raw(store, [("oai:alpha:1", MINIMAL)])
    assert stored(store, "oai:alpha:1")["quality_score"] == 0.275

    # The partner's payload changes (here: in the stored raw record): remap scores it anew.
    with store.engine.begin() as conn:
        conn.execute(update(t.raw_records).values(payload=COMPLETE.decode()))
    assert remap(store, progress=False).changed == 1
    after = stored(store, "oai:alpha:1")
    assert after["quality_score"] == 1.0 and after["quality"]["failed_checks"] == []

    # The scoring changes but the content does not: the quality is rewritten, updated_at stays.
    import pipeline.mapping

    def stricter(record):
        return score_record(record).model_copy(update={"score": 0.5})

    monkeypatch.setattr(pipeline.mapping, "score_record", stricter)
    assert remap(store, progress=False).changed == 1
    rescored = stored(store, "oai:alpha:1")
    assert (rescored["quality_score"], rescored["quality"]["score"]) == (0.5, 0.5)
    assert rescored["updated_at"] == after["updated_at"]
    assert remap(store, progress=False).changed == 0  # nothing new: nothing written
    store.close()


def test_records_stored_without_quality_are_scored_on_the_fly(sqlite_url):
    store = Store.open(sqlite_url)
    store_raw(store, [("oai:alpha:1", COMPLETE)])
    with store.engine.begin() as conn:  # as rows mapped before schema revision 0006 are
        conn.execute(update(t.records).values(quality=null(), quality_score=None))
    assert source_quality(store, "alpha").mean_score == 1.0
    store.close()


def source_for(url: str) -> SourceConfig:
    return SourceConfig(id="alpha", name="Alpha", protocol="oai_pmh", url=url,
                        metadata_prefix="oai_dc", max_requests_per_second=1000,
                        timeout_seconds=5, max_retries=3, retry_backoff_seconds=0.05)


@pytest.fixture
def sim():
    feeds = {"alpha": Feed(count=20, seed=1, page_size=10,
                           start=datetime(2024, 1, 1, tzinfo=UTC))}
    with SimulatorServer(feeds, host="127.0.0.1", port=0) as server:
        yield server


def test_the_harvest_report_carries_the_quality_of_the_records_it_mapped(db_url, sim):
    store = Store.open(db_url)
    report = harvest_source(store, source_for(sim.url("alpha")), progress=False)
    quality = report.quality
    assert (quality.records, round(quality.mean_score, 3)) == (20, 0.95)
    assert [(c.code, c.count) for c in quality.top()] == [
        ("language_undetected", 20), ("no_creator_ids", 20), ("language_detected", 11)]
    assert store.runs("alpha")[0].quality == quality

    again = harvest_source(store, source_for(sim.url("alpha")), full=True, progress=False)
    assert again.counts.unchanged == 20 and again.quality is None  # nothing was mapped
    store.close()


# --- the command and the web page ----------------------------------------------------------


def test_os10_harvest_status_and_quality_print_the_quality(sqlite_url, sim, tmp_path, capsys):
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [
        {"id": "alpha", "name": "Alpha", "protocol": "oai_pmh", "url": sim.url("alpha"),
         "metadata_prefix": "oai_dc", "max_requests_per_second": 500}]}))
    common = ["--db", sqlite_url, "--sources", str(sources)]
    assert main([*common, "harvest", "alpha"]) == 0
    assert ("  quality 0.95 over 20 records; most frequent: language_undetected 20, "
            "no_creator_ids 20, language_detected 11 (`os10 quality alpha`)"
            in capsys.readouterr().out)
    assert main([*common, "status"]) == 0
    assert "alpha: last run: quality 0.95 over 20 records" in capsys.readouterr().out

    assert main([*common, "quality", "alpha"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Quality of alpha: 20 live records scored, 0 could not be mapped."
    assert "score        0.95  (mandatory 1.00, recommended 1.00, optional 0.50)" in out
    assert "records with DOI 100%  licence 100%  ORCID 0%  ROR 0%  language 100%" in out
    assert "no_creator_ids       check         20   100%" in out
    assert ("  ask:      Add ORCID iDs for people and ROR ids for organisations among the "
            "creators, contributors or their affiliations.") in out
    assert ("  examples: oai:alpha.sim:0, oai:alpha.sim:1, oai:alpha.sim:2, oai:alpha.sim:3, "
            "oai:alpha.sim:4") in out

    assert main([*common, "quality", "alpha", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["records"], data["mean_score"], data["share_orcid"]) == (20, 0.95, 0.0)

    assert main([*common, "quality", "nosuch"]) == 1
    assert capsys.readouterr().err.strip() == (
        "Source 'nosuch' has no records in the store; the sources with records are: alpha.")


def test_the_quality_pages_are_served_and_escaped(db_url):
    store = Store.open(db_url)
    store_raw(store, [("oai:alpha:1", COMPLETE), ("oai:alpha:<b>2</b>", SCRIPT)])
    with ProviderServer(store, host="127.0.0.1", port=0) as server:
        index = requests.get(f"{server.url}/quality", timeout=10)
        assert index.status_code == 200
        assert '<a href="/quality/alpha">alpha</a></td><td>2</td>' in index.text

        page = requests.get(f"{server.url}/quality/alpha", timeout=10)
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "<h1>Metadata quality of alpha</h1>" in page.text
        assert "<script>" not in page.text and "<b>2</b>" not in page.text
        assert ("oai:alpha:&lt;b&gt;2&lt;/b&gt; &middot; <i>&lt;script&gt;alert(1)&lt;/script&gt;"
                " Rainfall</i>") in page.text
        assert "<code>no_creator_ids</code>" in page.text

        missing = requests.get(f"{server.url}/quality/nosuch", timeout=10)
        assert missing.status_code == 404
        assert "Source &#x27;nosuch&#x27; has no records in the store" in missing.text

        status = requests.get(f"{server.url}/status", timeout=10)
        assert "<a href=/quality>metadata quality</a>" in status.text
    store.close()
