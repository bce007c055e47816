"""The merged store's API as the OAI-PMH provider and the exporters use it, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command

from exporters.base import ExportItem
from pipeline.export import export_item
from pipeline.mapping import content_digest
from pipeline.merge import merge_catalogue
from schemas import Record
from store import MappedRow, MergedRow, Store
from store.database import _config
from store.merged import MergedWrite, MergeUnitWrite

START = datetime(2024, 1, 1, tzinfo=UTC)


def mapped(identifier: str, doi: str, general: str = "Dataset") -> MappedRow:
    record = Record.model_validate({
        "identifier": {"value": doi, "type": "DOI"}, "titles": [{"value": f"Title {doi}"}],
        "creators": [{"name": "Okafor, Ada"}], "publisher": {"name": "P"},
        "publication_year": 2020, "resource_type": {"general": general}})
    data = record.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    return MappedRow(identifier=identifier, deleted=False, datestamp=START, record=data,
                     content_sha256=content_digest(data), doi=doi)


def entry(merged_id: str, sha: str = "1" * 64, *, deleted: bool = False,
          sets: tuple[str, ...] = ("source:a",), members=(("a", "x"),)) -> MergedWrite:
    return MergedWrite(merged_id=merged_id, record=None if deleted else {"titles": []},
                       field_provenance={} if deleted else {"titles": ["a"]}, sources=["a"],
                       members=list(members), sets=list(sets), deleted=deleted,
                       content_sha256=sha)


def write(store: Store, *rows: MergedWrite, redirects: dict[str, str] | None = None) -> None:
    store.write_merge_unit(MergeUnitWrite(record_ids=[], links=[], merged=list(rows),
                                          redirects=redirects or {},
                                          claimed=[r.merged_id for r in rows if not r.deleted]))


@pytest.fixture
def catalogue(db_url) -> Store:
    """Seven entries over two merges (so two datestamps), one of them a tombstone."""
    store = Store.open(db_url)
    store.write_mapped("a", [mapped(f"a{i}", f"10.1234/{i}") for i in range(4)])
    store.write_mapped("b", [mapped("b0", "10.1234/0"), mapped("b9", "10.1234/9", "Software")])
    merge_catalogue(store, {"a": 2, "b": 1})
    time.sleep(0.01)
    store.write_mapped("b", [mapped(f"b{i}", f"10.1234/{i}", "Text") for i in (5, 6, 7)])
    store.write_mapped("a", [MappedRow(identifier="a3", deleted=True, datestamp=START,
                                       record=None, content_sha256=None)])
    merge_catalogue(store, {"a": 2, "b": 1})
    return store


def test_iter_merged_orders_by_datestamp_and_id_and_resumes_after_a_keyset(catalogue):
    rows = list(catalogue.iter_merged())
    assert len(rows) == 8
    positions = [(r.datestamp, r.id) for r in rows]
    assert positions == sorted(positions)
    assert len({r.datestamp for r in rows}) == 2  # two merges, and the tombstone's moment
    assert [r.merged_id for r in catalogue.iter_merged(batch=3)] == [r.merged_id for r in rows]
    for k in range(len(rows)):
        after = (rows[k].datestamp, rows[k].id)
        assert [r.id for r in catalogue.iter_merged(after=after, batch=2)] == [
            r.id for r in rows[k + 1:]]
    assert all(isinstance(r, MergedRow) for r in rows)


def test_filters_and_counts_agree(catalogue):
    rows = list(catalogue.iter_merged())
    first, last = rows[0].datestamp, rows[-1].datestamp
    cases = [
        {}, {"include_deleted": False}, {"since": last}, {"until": first},
        {"since": first, "until": first}, {"set_spec": "source:b"}, {"set_spec": "source"},
        {"set_spec": "type:Text"}, {"set_spec": "type"}, {"set_spec": "type:Sound"},
        {"since": last, "set_spec": "source:a"}, {"since": last + timedelta(seconds=1)},
    ]
    for case in cases:
        assert catalogue.merged_count(**case) == len(list(catalogue.iter_merged(**case))), case
    assert catalogue.merged_count(include_deleted=False) == 7
    assert catalogue.merged_count(set_spec="type:Text") == 3
    assert catalogue.merged_count(set_spec="source:b") == 5  # b0 (with a0), b5-7, b9
    # The tombstone of a3 is the only change besides b5-b7 in the second merge.
    changed = list(catalogue.iter_merged(since=last))
    assert sorted((r.deleted, r.sources[0]) for r in changed) == [
        (False, "b"), (False, "b"), (False, "b"), (True, "a")]
    assert catalogue.earliest_merged_datestamp() == first
    assert catalogue.merged_sets() == ["source", "source:a", "source:b", "type",
                                       "type:Dataset", "type:Software", "type:Text"]


def test_rows_carry_record_provenance_members_and_sets(catalogue):
    row = catalogue.get_merged(catalogue.merged_id_for("b", "b0"))
    assert row.merged_id.startswith("os10-") and len(row.merged_id) == 25
    assert (row.deleted, row.sources, row.sets) == (
        False, ["a", "b"], ["source:a", "source:b", "type:Dataset"])
    assert row.members == [("a", "a0"), ("b", "b0")]
    assert row.field_provenance["titles"] == ["a"]
    assert row.record["identifier"] == {"value": "10.1234/0", "type": "DOI"}
    assert catalogue.get_merged("os10-nothing-like-it") is None

    item = export_item(row)
    assert isinstance(item, ExportItem) and isinstance(item.record, Record)
    assert (item.id, item.sources, item.sets) == (row.merged_id, ("a", "b"),
                                                  ("source:a", "source:b", "type:Dataset"))
    assert item.field_provenance["titles"] == ("a",)
    tombstone = export_item(catalogue.get_merged(catalogue.merged_id_for("a", "a3")))
    assert (tombstone.deleted, tombstone.record, tombstone.sources) == (True, None, ("a",))


def test_datestamps_move_with_content_only(db_url):
    store = Store.open(db_url)
    write(store, entry("m1", "1" * 64))
    stamp = store.get_merged("m1").datestamp
    write(store, entry("m1", "1" * 64, members=(("a", "x"), ("b", "y"))))
    assert store.get_merged("m1").datestamp == stamp
    assert store.get_merged("m1").members == [("a", "x"), ("b", "y")]
    write(store, entry("m1", "2" * 64))
    assert store.get_merged("m1").datestamp > stamp
    moved = store.get_merged("m1").datestamp
    write(store, entry("m1", "2" * 64, deleted=True))
    assert store.get_merged("m1").datestamp > moved
    assert store.get_merged("m1").deleted is True


def test_redirect_chains_resolve_and_stay_one_hop_long(db_url):
    store = Store.open(db_url)
    write(store, entry("x"), entry("y"), entry("z"))
    write(store, entry("x", deleted=True), redirects={"x": "y"})
    write(store, entry("y", deleted=True), redirects={"y": "z"})
    assert store.merge_redirects() == {"x": "z", "y": "z"}
    assert store.get_merged("x").merged_id == "z"
    assert store.resolve_merged_id("y") == "z"
    write(store, entry("x", "3" * 64))  # x is a live entry again: it stops redirecting
    assert store.merge_redirects() == {"y": "z"}
    assert store.get_merged("x").merged_id == "x"


def test_sets_follow_the_entry_when_it_changes(db_url):
    store = Store.open(db_url)
    write(store, entry("m", sets=("source:a", "type:Dataset")))
    assert store.merged_count(set_spec="type:Dataset") == 1
    write(store, entry("m", "2" * 64, sets=("source:a", "source:b", "type:Text")))
    assert store.merged_count(set_spec="type:Dataset") == 0
    assert store.merged_count(set_spec="source:b") == 1
    assert store.merged_sets() == ["source", "source:a", "source:b", "type", "type:Text"]


def test_the_migration_goes_down_to_0002_and_up_again(sqlite_url):
    store = Store.open(sqlite_url)
    config = _config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    with store.engine.connect() as conn:
        tables = set(store.engine.dialect.get_table_names(conn))
    assert "merged_records" not in tables and "records" in tables
    store.upgrade()
    assert list(store.iter_merged()) == []
