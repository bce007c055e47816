"""The store on SQLite and on the real PostgreSQL server: migrations, idempotent writes, state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from schemas import RunReport
from store import MappedRow, RawRow, Store
from store import tables as t
from store.database import _config, current_revision, head_revision
from store.repository import Checkpoint, raw_page_query

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def raw(identifier: str, sha: str = "a" * 64, deleted: bool = False) -> RawRow:
    return RawRow(identifier=identifier, datestamp=T0, deleted=deleted, metadata_format="oai_dc",
                  sha256=sha, payload=None if deleted else "<dc/>", sets=["collection:a"])


def mapped(identifier: str, sha: str = "b" * 64) -> MappedRow:
    return MappedRow(identifier=identifier, deleted=False, datestamp=T0,
                     record={"titles": [{"value": "Título"}]}, content_sha256=sha,
                     doi="10.1234/x", title="Título", publication_year=2024)


def test_a_new_database_is_created_at_the_newest_schema(db_url):
    store = Store.open(db_url)
    assert current_revision(store.engine) == head_revision()
    assert {"raw_records", "records", "harvest_runs", "source_state"} <= set(
        inspect(store.engine).get_table_names())


def test_large_values_are_compressed_with_lz4_on_postgresql(pg_url):
    store = Store.open(pg_url)
    with store.engine.connect() as conn:
        if "lz4" not in conn.execute(text("SELECT enumvals FROM pg_settings WHERE name = "
                                          "'default_toast_compression'")).scalar():
            pytest.skip("this PostgreSQL server was built without lz4")
        compressed = set(conn.execute(text(
            "SELECT attrelid::regclass::text, attname FROM pg_attribute "
            "WHERE attcompression = 'l' AND NOT attisdropped")).all())
    assert compressed == {("raw_records", "payload"), ("records", "record"),
                          ("records", "quality"), ("merged_records", "record"),
                          ("merged_records", "field_provenance")}


def _column_types(store: Store) -> dict[tuple[str, str], str]:
    with store.engine.connect() as conn:
        return {(table, column): kind for table, column, kind in conn.execute(text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE data_type IN ('json', 'jsonb')"))}


def test_records_are_kept_as_json_text_on_postgresql_and_survive_the_migration(pg_url):
    store = Store.open(pg_url)
    documents = {("records", "record"), ("records", "quality"), ("merged_records", "record"),
                 ("merged_records", "field_provenance")}
    types = _column_types(store)
    assert {key for key, kind in types.items() if kind == "json"} == documents
    assert types[("raw_records", "sets")] == "jsonb"  # small values stay jsonb
    store.write_page("s", [raw("r1")], [mapped("r1")], None)
    config = _config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0010")
    assert {kind for key, kind in _column_types(store).items() if key in documents} == {"jsonb"}
    store.upgrade()
    assert {kind for key, kind in _column_types(store).items() if key in documents} == {"json"}
    with store.engine.connect() as conn:
        stored = conn.execute(select(t.records.c.record, t.records.c.title)).one()
    assert stored.record == {"titles": [{"value": "Título"}]} and stored.title == "Título"


def test_the_digest_index_exists_on_sqlite_only(db_url):
    store = Store.open(db_url)
    names = {index["name"] for index in inspect(store.engine).get_indexes("raw_records")}
    assert ("ix_raw_records_digest" in names) == (store.dialect == "sqlite")


def test_writing_the_same_page_twice_keeps_one_row_per_record(db_url):
    store = Store.open(db_url)
    page = [raw("oai:x:1"), raw("oai:x:2")]
    store.write_page("alpha", page, [mapped("oai:x:1"), mapped("oai:x:2")], None)
    store.write_page("alpha", page, [mapped("oai:x:1"), mapped("oai:x:2")], None)
    assert store.raw_count("alpha") == 2
    assert store.digests("alpha", ["oai:x:1", "oai:x:9"]) == {"oai:x:1": ("a" * 64, False)}
    rows = list(store.iter_records(["alpha"]))
    assert [r["identifier"] for r in rows] == ["oai:x:1", "oai:x:2"]
    assert rows[0]["record"] == {"titles": [{"value": "Título"}]}
    assert rows[0]["datestamp"] == T0


def test_an_unchanged_mapped_record_keeps_its_updated_at(db_url):
    store = Store.open(db_url)
    store.write_page("alpha", [raw("r1")], [mapped("r1", sha="1" * 64)], None)
    first = next(store.iter_records())["updated_at"]
    store.write_mapped("alpha", [mapped("r1", sha="1" * 64)])
    assert next(store.iter_records())["updated_at"] == first
    store.write_mapped("alpha", [mapped("r1", sha="2" * 64)])
    assert next(store.iter_records())["updated_at"] > first


def test_a_deletion_becomes_a_tombstone(db_url):
    store = Store.open(db_url)
    store.write_page("alpha", [raw("r1")], [mapped("r1")], None)
    store.write_page("alpha", [raw("r1", sha="0" * 64, deleted=True)],
                     [MappedRow(identifier="r1", deleted=True, datestamp=T0, record=None,
                                content_sha256=None)], None)
    assert list(store.iter_records()) == []
    tombstones = list(store.iter_records(include_deleted=True))
    assert [(r["identifier"], r["deleted"], r["record"]) for r in tombstones] == [
        ("r1", True, None)]
    assert store.counts() == {"alpha": {"live": 0, "deleted": 1, "unmapped": 0}}


def test_the_checkpoint_is_written_with_the_page_and_cleared_on_success(db_url):
    store = Store.open(db_url)
    report = RunReport(source_id="alpha", started_at=T0)
    run_id = store.start_run(report)
    store.write_page("alpha", [raw("r1")], [mapped("r1")], Checkpoint(
        state={"set_index": 0, "token": "abc"}, run_id=run_id, mode="incremental",
        window_from=None, window_until=None, max_datestamp=T0))
    state = store.state("alpha")
    assert state.checkpoint == {"set_index": 0, "token": "abc"}
    assert state.checkpoint_run_id == run_id
    assert state.checkpoint_max_datestamp == T0
    assert state.watermark is None

    report.status = "succeeded"
    report.finished_at = datetime(2024, 5, 1, 12, 5, tzinfo=UTC)
    report.counts.seen = 1
    store.finish_run(report, watermark=T0, clear_checkpoint=True)
    state = store.state("alpha")
    assert state.checkpoint is None
    assert state.watermark == T0
    assert state.last_success_at == report.finished_at
    last = store.last_runs()["alpha"]
    assert (last.status, last.counts.seen, last.duration_s) == ("succeeded", 1, 300.0)


def test_a_failed_page_write_leaves_nothing_behind(db_url):
    store = Store.open(db_url)
    store.write_page("alpha", [raw("r1")], [mapped("r1")], None)
    bad = [raw("r2"), RawRow(identifier="r3", datestamp=T0, deleted=False,
                             metadata_format="oai_dc", sha256=None, payload="<x/>", sets=[])]
    with pytest.raises(Exception) as caught:
        store.write_page("alpha", bad, [mapped("r2")], None)
    assert "rolled back" in str(caught.value)
    with store.engine.connect() as conn:
        identifiers = conn.execute(select(t.raw_records.c.identifier)).scalars().all()
    assert identifiers == ["r1"]


def test_iterating_raw_records_pages_through_everything(db_url):
    store = Store.open(db_url)
    store.write_page("alpha", [raw(f"r{i:04}") for i in range(2500)], [], None)
    store.write_page("beta", [raw("b1")], [], None)
    batches = list(store.iter_raw(["alpha"], batch=1000))
    assert [len(b) for b in batches] == [1000, 1000, 500]
    assert sum(len(b) for b in store.iter_raw(batch=700)) == 2501


def test_raw_records_come_one_source_after_the_other_in_id_order(db_url):
    store = Store.open(db_url)
    for i in range(5):  # interleaved: alpha's and beta's ids alternate
        store.write_page("alpha", [raw(f"a{4 - i}")], [], None)
        store.write_page("beta", [raw(f"b{4 - i}")], [], None)
    store.write_page("gamma", [raw("g0")], [], None)
    batches = list(store.iter_raw(["beta", "alpha"], batch=2))
    assert [[r["identifier"] for r in b] for b in batches] == [
        ["b4", "b3"], ["b2", "b1"], ["b0"], ["a4", "a3"], ["a2", "a1"], ["a0"]]
    ids = [r["id"] for b in batches[:3] for r in b]
    assert ids == sorted(ids)


def test_sqlite_pages_a_sources_raw_records_without_sorting_the_source(tmp_path):
    """Each page of a remap comes off an index in id order: sorting what is left of the source
    for every page made a remap quadratic in the size of the source."""
    store = Store.open(f"sqlite:///{tmp_path / 'plan.db'}")
    query = raw_page_query("alpha", 1000, 1000).compile(
        store.engine, compile_kwargs={"literal_binds": True})
    with store.engine.connect() as conn:
        plan = " / ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}"))
    assert "ix_raw_records_source_order (source_id=? AND id>?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_postgresql_pages_a_sources_raw_records_off_indexes(pg_url):
    """A remap page comes off the primary key in id order and each record's mapped state is
    found through the unique index: as a plain join, PostgreSQL hashed every record of the
    source and sorted the rest of it for each page (quadratic), with stale statistics and
    with fresh ones on a small store like this one."""
    store = Store.open(pg_url)
    for start in range(0, 5000, 500):
        ids = [f"r{i}" for i in range(start, start + 500)]
        store.write_page("alpha", [raw(i) for i in ids], [mapped(i) for i in ids], None)
    store.refresh_statistics()
    query = raw_page_query("alpha", 2500, 1000, "postgresql").compile(
        store.engine, compile_kwargs={"literal_binds": True})
    with store.engine.connect() as conn:
        plan = " / ".join(conn.exec_driver_sql(f"EXPLAIN {query}").scalars())
        analysed = conn.exec_driver_sql(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL").scalars()
        assert set(analysed) >= {"raw_records", "records"}
    assert "Index Scan using pk_raw_records on raw_records" in plan, plan
    assert "Index Scan using uq_records_source_id_identifier on records" in plan, plan
    assert not any(step in plan for step in ("Sort", "Hash", "Materialize")), plan


def test_statistics_that_cannot_be_renewed_do_not_fail_the_caller(pg_url, monkeypatch, caplog):
    store = Store.open(pg_url)
    monkeypatch.setattr("store.repository.ANALYZE_LOCK_TIMEOUT_MS", 200)
    with store.engine.connect() as holder:
        holder.exec_driver_sql("BEGIN")
        holder.exec_driver_sql("LOCK TABLE records IN SHARE UPDATE EXCLUSIVE MODE")
        store.refresh_statistics()  # ANALYZE needs that lock: it waits 200 ms, then gives up
        holder.exec_driver_sql("ROLLBACK")
    assert "statistics were not renewed (canceling statement due to lock timeout)" in caplog.text
    store.write_page("alpha", [raw("r1")], [mapped("r1")], None)  # the store works on


def test_what_a_full_list_no_longer_contains_is_held_then_applied(db_url):
    store = Store.open(db_url)
    store.write_page("alpha", [raw("r1"), raw("r2"), raw("r3")],
                     [mapped("r1"), mapped("r2"), mapped("r3")], None)
    store.clear_seen("alpha")
    store.write_page("alpha", [], [], None, seen=["r1"])
    store.write_page("alpha", [], [], None, seen=["r3", "r1"])
    assert store.hold_unseen("alpha", None) == 1
    assert store.held_identifiers("alpha") == ["r2"]
    assert store.counts()["alpha"]["live"] == 3  # held, not yet carried out
    assert store.apply_held("alpha") == 1
    assert store.counts()["alpha"] == {"live": 2, "deleted": 1, "unmapped": 0}
    assert store.digests("alpha", ["r2"])["r2"][1] is True
    assert store.hold_unseen("alpha", None) == 2  # the seen list was cleared: r1, r3
    assert store.discard_held("alpha") == 2
    assert store.counts()["alpha"]["live"] == 2
