"""A full merge's clusters and units in the database (store/clustering.py), on SQLite and on the
real PostgreSQL server: the same catalogue as incremental merges, whatever the catalogue's size."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from test_merge import mapped

from merge.keys import DUPLICATE_PREFIX
from pipeline.merge import merge_catalogue
from store import MappedRow, Store
from store import tables as t
from store.merged import MergedWrite, MergeUnitWrite

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_clusters_follow_chains_of_keys_and_duplicates_join_only_opted_in_sources(db_url):
    store = Store.open(db_url)
    records = [
        (1, "alpha", {"doi:10.1/a"}),
        (2, "alpha", {"doi:10.1/a", "handle:11/b"}),
        (3, "beta", {"handle:11/b", "ark:/1/c"}),
        (4, "beta", {"ark:/1/c", "doi:10.1/z"}),
        (5, "alpha", {f"{DUPLICATE_PREFIX}x"}),
        (6, "beta", {f"{DUPLICATE_PREFIX}x"}),  # alpha has not opted in: 5 and 6 stay apart
        (7, "gamma", {f"{DUPLICATE_PREFIX}y"}),
        (8, "gamma", {f"{DUPLICATE_PREFIX}y", "doi:10.1/h"}),
        (9, "gamma", set()),  # no keys: a cluster of its own all the same
    ]
    with store.full_clustering() as clustering:
        clustering.add(records[:4])
        clustering.add(records[4:])
        rounds = clustering.cluster(DUPLICATE_PREFIX, frozenset({"gamma", "beta"}))
        rows = [row for batch in clustering.units(batch=3) for row in batch]
    assert clustering.records == 9
    assert rounds >= 2  # 1 and 4 are three links apart
    assert [(row.record_id, row.unit, row.cluster) for row in rows] == [
        (1, 1, 1), (2, 1, 1), (3, 1, 1), (4, 1, 1), (5, 5, 5), (6, 6, 6), (7, 7, 7), (8, 7, 7),
        (9, 9, 9)]
    assert {row.merged_id for row in rows} == {None}


def test_units_join_clusters_that_shared_an_old_entry_and_keep_deleted_members(db_url):
    store = Store.open(db_url)
    with store.engine.begin() as conn:  # before: 1 and 2 were one entry, 3 (now gone) another
        conn.execute(insert(t.merge_members), [
            {"source_id": "alpha", "identifier": "one", "record_id": 1, "merged_id": "os10-a",
             "content_sha256": "1" * 64},
            {"source_id": "beta", "identifier": "two", "record_id": 2, "merged_id": "os10-a",
             "content_sha256": "2" * 64},
            {"source_id": "beta", "identifier": "three", "record_id": 3, "merged_id": "os10-b",
             "content_sha256": "3" * 64}])
    with store.full_clustering() as clustering:
        clustering.add([(1, "alpha", {"doi:10.1/one"}), (2, "beta", {"doi:10.1/two"})])
        clustering.cluster(DUPLICATE_PREFIX, frozenset())
        rows = [row for batch in clustering.units() for row in batch]
    assert [(row.record_id, row.unit, row.cluster, row.merged_id) for row in rows] == [
        (1, 1, 1, "os10-a"), (2, 1, 2, "os10-a"), (3, 3, None, "os10-b")]
    assert (rows[1].source_id, rows[1].identifier, rows[1].content_sha256) == (
        "beta", "two", "2" * 64)


def test_the_key_index_is_replaced_only_when_published(db_url):
    store = Store.open(db_url)
    store.replace_merge_keys({1: ("alpha", ["doi:10.1/old"])})
    with store.full_clustering() as clustering:
        clustering.add([(2, "beta", ["doi:10.1/new", "handle:11/new"])])
        assert store.keys_of_records([1, 2]) == [(1, "doi:10.1/old", "alpha")]
        clustering.publish_keys()
    assert sorted(store.keys_of_records([1, 2])) == [
        (2, "doi:10.1/new", "beta"), (2, "handle:11/new", "beta")]


def _identical_to(doi: str) -> dict:
    return {"related_identifiers": [{"value": doi, "related_identifier_type": "DOI",
                                     "relation_type": "IsIdenticalTo"}]}


STEPS: list[list[tuple[str, MappedRow]]] = [
    # A chain a1 - a2 - a3 - a4 - b1 (each says it is identical to the one before), and two
    # records on their own.
    [("alpha", mapped("a1", doi="10.5555/a", title="One")),
     ("alpha", mapped("a2", doi="10.5555/b", title="Two", **_identical_to("10.5555/a"))),
     ("alpha", mapped("a3", doi="10.5555/c", title="Three", **_identical_to("10.5555/b"))),
     ("alpha", mapped("a4", doi="10.5555/d", title="Four", **_identical_to("10.5555/c"))),
     ("beta", mapped("b1", doi="10.5555/d", title="Four, again")),
     ("alpha", mapped("a5", doi="10.5555/e", title="Five")),
     ("beta", mapped("b2", doi=None, title="No identifier"))],
    # a3 withdraws its link: the chain splits in two.
    [("alpha", mapped("a3", doi="10.5555/c", title="Three"))],
    # a2 now also says it is a5: a join; b1 is deleted.
    [("alpha", mapped("a2", doi="10.5555/b", title="Two", related_identifiers=[
        {"value": "10.5555/a", "related_identifier_type": "DOI", "relation_type": "IsIdenticalTo"},
        {"value": "10.5555/e", "related_identifier_type": "DOI",
         "relation_type": "IsIdenticalTo"}])),
     ("beta", MappedRow(identifier="b1", deleted=True, datestamp=T0, record=None,
                        content_sha256=None))],
    # a4 and a3 are deleted: the a3-a4 entry becomes a tombstone.
    [("alpha", MappedRow(identifier=i, deleted=True, datestamp=T0, record=None,
                         content_sha256=None)) for i in ("a3", "a4")],
]


def _catalogue(store: Store) -> tuple[dict, dict]:
    entries = {row.merged_id: (row.deleted, sorted(row.members), row.sources)
               for row in store.iter_merged()}
    return entries, store.merge_redirects()


def test_full_merges_build_the_same_catalogue_as_incremental_ones_through_splits_and_joins(
        db_url, tmp_path):
    incremental = Store.open(db_url)
    full = Store.open(f"sqlite:///{tmp_path / 'full.db'}")
    priorities = {"alpha": 10, "beta": 5}
    seen = []
    for step in STEPS:
        for store in (incremental, full):
            for source_id, row in step:
                store.write_mapped(source_id, [row])
        merge_catalogue(incremental, priorities)
        report = merge_catalogue(full, priorities, full=True)
        assert _catalogue(full) == _catalogue(incremental)
        seen.append((report.clusters, len(_catalogue(full)[1])))
    entries, redirects = _catalogue(full)
    # At the end: a1-a2-a5 and b2 live; a3-a4's entry a tombstone; a5's old entry redirects.
    live = sorted(members for deleted, members, _ in entries.values() if not deleted)
    assert live == [[("alpha", "a1"), ("alpha", "a2"), ("alpha", "a5")], [("beta", "b2")]]
    assert any(deleted for deleted, _, _ in entries.values())
    assert seen[0] == (3, 0)  # the chain, a5, b2
    assert seen[1][0] == 4  # split: a1-a2 and a3-a4-b1
    assert redirects  # the join of a5's entry into a1's


def test_a_full_merge_ends_an_entry_no_harvested_record_links_to(db_url):
    store = Store.open(db_url)
    store.write_mapped("alpha", [mapped("a1", doi="10.5555/a", title="One")])
    merge_catalogue(store, {})
    store.write_merge_unit(MergeUnitWrite(record_ids=[], links=[], merged=[MergedWrite(
        merged_id="os10-orphan", record={"titles": [{"value": "Lost"}]}, field_provenance={},
        sources=["alpha"], members=[("alpha", "gone")], sets=[], deleted=False,
        content_sha256="0" * 64)], redirects={}, claimed=[]))
    assert store.get_merged("os10-orphan").deleted is False

    report = merge_catalogue(store, {}, full=True)
    assert (report.tombstoned, report.unchanged) == (1, 1)
    assert store.get_merged("os10-orphan").deleted is True
    assert [(row.members, row.deleted) for row in store.iter_merged()
            if row.merged_id != "os10-orphan"] == [([("alpha", "a1")], False)]
