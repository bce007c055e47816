"""Exports and OAI-PMH payloads are written from the stored JSON exactly as from the model.

The writers read the common model's JSON as the store keeps it and never validate it into a
`Record`: what validation would change, they do themselves (a controlled value outside
DataCite's list counts as none, coordinates are floats). A large export is rendered by worker
processes, and the file is the same, byte for byte, as one written in-process.
"""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_export_datacite_xml import STAMP, corpus_items

import pipeline.export
from exporters import EXPORTERS, render_entries
from exporters.base import ExportItem, ExportOptions
from pipeline.export import export_catalogue
from pipeline.harvest import harvest_source
from pipeline.merge import merge_catalogue
from provider.formats import FORMATS, Entry
from schemas import Record, SourceConfig
from simulator import Feed, SimulatorServer
from store import Store
from store.merged import MergedWrite, MergeUnitWrite

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
OPTIONS = [ExportOptions(), ExportOptions(base_url="https://other.example.org/cat/",
                                          include_emails=True)]


def off_vocabulary(data: dict) -> dict:
    """The record's JSON with values the model would drop or change: controlled values that
    are not DataCite's, a lower-case "doi" type, whole-number coordinates written as ints."""
    data = copy.deepcopy(data)
    for title in data.get("titles", [])[:1]:
        title["title_type"] = "MainTitle"
    for person in data.get("creators", []) + data.get("contributors", []):
        person["name_type"] = "Robot"
    for person in data.get("contributors", [])[:1]:
        person["contributor_type"] = "Boss"
    for date in data.get("dates", [])[:1]:
        date["date_type"] = "Someday"
    for description in data.get("descriptions", [])[:1]:
        description["description_type"] = "Summary"
    for funding in data.get("funding_references", []):
        funding["funder_identifier_type"] = "Grantmaker"
    data.setdefault("related_identifiers", []).extend([
        {"value": "10.1234/lower", "related_identifier_type": "doi", "relation_type": "Cites"},
        {"value": "https://example.org/related", "related_identifier_type": "URL",
         "relation_type": "Likes", "resource_type_general": "Thing"}])
    if data.get("resource_type"):
        data["resource_type"]["general"] = "Blob"
    data.setdefault("geo_locations", []).append(
        {"place": "Whole degrees", "point": {"latitude": 10, "longitude": 20},
         "box": {"west": 1, "east": 2, "south": 3, "north": 4},
         "polygon": [{"latitude": 0, "longitude": 0}, {"latitude": 0, "longitude": 1},
                     {"latitude": 1, "longitude": 1}, {"latitude": 0, "longitude": 0}]})
    return data


def stored_and_validated() -> list[tuple[str, dict, Record]]:
    """(id, off-vocabulary JSON, the Record validating that JSON gives) for the export corpus."""
    out = []
    for entry in corpus_items():
        raw = off_vocabulary(entry.data)
        out.append((entry.id, raw, Record.model_validate(raw)))
    return out


@pytest.mark.parametrize("options", OPTIONS, ids=["default", "emails"])
def test_every_export_writes_the_stored_json_as_the_model_would(conformance, options):
    corpus = stored_and_validated()
    assert len(corpus) > 100
    for name, exporter_class in EXPORTERS.items():
        if name == "jsonl":
            continue  # JSON Lines writes the stored JSON itself, on purpose
        exporter = exporter_class(None, options)
        for catalogue_id, raw, record in corpus:
            from_json = exporter.render(ExportItem(catalogue_id, STAMP, False, data=raw,
                                                   sources=("alpha",)))
            from_model = exporter.render(ExportItem(catalogue_id, STAMP, False, record,
                                                    sources=("alpha",)))
            assert from_json == from_model, (name, catalogue_id)


def test_every_oai_pmh_payload_is_written_from_the_stored_json_as_from_the_model(conformance):
    for prefix, fmt in FORMATS.items():
        for catalogue_id, raw, record in stored_and_validated():
            assert fmt.write(Entry(raw, catalogue_id, STAMP, "OS10")) == \
                fmt.write(Entry(record, catalogue_id, STAMP, "OS10")), (prefix, catalogue_id)


def test_an_entry_crosses_to_a_worker_as_json_text_and_renders_the_same(conformance):
    items = corpus_items()[:20]
    items.append(ExportItem("gone", STAMP, True, sources=("alpha",), sets=("source:alpha",)))
    items.append(ExportItem("as-text", STAMP, False, data='{"titles": [{"value": "T"}]}'))
    copies = pickle.loads(pickle.dumps(items))
    assert [c.data for c in copies] == [i.data for i in items]
    for name in EXPORTERS:
        assert render_entries(name, ExportOptions(), copies) == \
            render_entries(name, ExportOptions(), items)


# --- a large export, rendered by workers ---------------------------------------------------------

@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> Store:
    """A merged catalogue of a simulated partner's 300 records, one of them deleted."""
    path = tmp_path_factory.mktemp("catalogue") / "store.db"
    store = Store.open(f"sqlite:///{path}")
    with SimulatorServer({"alpha": Feed(count=300, seed=3, page_size=100)}) as server:
        source = SourceConfig(id="alpha", name="Alpha", protocol="oai_pmh",
                              url=server.url("alpha"), metadata_prefix="oai_datacite",
                              max_requests_per_second=1000)
        assert harvest_source(store, source, progress=False).status == "succeeded"
    merge_catalogue(store, {"alpha": 0}, full=True)
    gone = next(store.iter_merged())
    store.write_merge_unit(MergeUnitWrite(record_ids=[], links=[], redirects={}, claimed=[],
                                          merged=[MergedWrite(
        merged_id=gone.merged_id, record=None, field_provenance={}, sources=gone.sources,
        members=gone.members, sets=gone.sets, deleted=True, content_sha256="0" * 64)]))
    yield store
    store.close()


def test_a_large_export_rendered_by_workers_is_the_file_written_in_process(
        catalogue, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(pipeline.export, "PARALLEL_MIN_ENTRIES", 50)
    monkeypatch.setattr(pipeline.export, "BATCH", 7)  # many batches, the last one short
    parallel_runs = []
    write_in_workers = pipeline.export._write_in_workers

    def spy(*args, **kwargs):
        parallel_runs.append(args[1])
        return write_in_workers(*args, **kwargs)

    monkeypatch.setattr(pipeline.export, "_write_in_workers", spy)
    since = datetime(2000, 1, 1, tzinfo=UTC)  # tombstones too
    for fmt in EXPORTERS:
        files = {}
        for workers in ("1", "2"):
            monkeypatch.setenv("OS10_MAP_WORKERS", workers)
            out = tmp_path / f"{fmt}-{workers}"
            count = export_catalogue(catalogue, fmt, out, since=since, progress=False)
            files[workers] = (count, out.read_bytes())
        assert files["2"] == files["1"], fmt
        assert files["1"][0] == 300
    assert parallel_runs == list(EXPORTERS)  # every format took the workers' path once
