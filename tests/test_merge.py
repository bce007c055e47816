"""The merged catalogue: clustering, the merge policy, stable ids, tombstones and incrementality."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from cli.main import main
from merge.clusters import cluster
from merge.ids import ClusterIds, assign_ids, derive_id
from merge.keys import duplicate_key, fold, identifier_key, record_keys
from merge.policy import CONTENT_FIELDS, Member, merge_members
from pipeline.harvest import harvest_source
from pipeline.mapping import content_digest
from pipeline.merge import merge_catalogue
from schemas import Record, SourceConfig
from simulator import Feed, SimulatorServer
from store import MappedRow, Store

START = datetime(2024, 1, 1, tzinfo=UTC)
LATER = START + timedelta(days=3650)
PRIORITIES = {"alpha": 10, "beta": 5}


def source(sim, key: str, prefix: str) -> SourceConfig:
    return SourceConfig(id=key, name=key.title(), protocol="oai_pmh", url=sim.url(key),
                        metadata_prefix=prefix, max_requests_per_second=1000,
                        retry_backoff_seconds=0.05, priority=PRIORITIES[key])


@pytest.fixture
def feeds() -> dict[str, Feed]:
    return {"alpha": Feed(count=60, seed=1, start=START, name="Alpha Data Repository"),
            "beta": Feed(count=60, seed=2, start=START, name="Beta Archive")}


@pytest.fixture
def partners(feeds):
    """Two partners sharing the DOIs of records 0, 10, ..., 50: alpha in DataCite, beta in DC."""
    with SimulatorServer(feeds, host="127.0.0.1", port=0) as sim:
        yield {"alpha": source(sim, "alpha", "oai_datacite"), "beta": source(sim, "beta", "oai_dc")}


def harvest_all(store: Store, partners, **options) -> None:
    for config in partners.values():
        harvest_source(store, config, progress=False, **options)


def merged_of(store: Store, source_id: str, index: int):
    return store.get_merged(store.merged_id_for(source_id, f"oai:{source_id}.sim:{index}"))


def member_record(store: Store, source_id: str, index: int) -> dict:
    identifier = f"oai:{source_id}.sim:{index}"
    return next(r["record"] for r in store.iter_records([source_id])
                if r["identifier"] == identifier)


def mapped(identifier: str, *, doi: str | None, title: str, year: int = 2020,
           creator: str = "Okafor, Ada", **fields) -> MappedRow:
    """A mapped record as the harvest would store it."""
    record = Record.model_validate({
        "identifier": {"value": doi, "type": "DOI"} if doi else None,
        "titles": [{"value": title}], "publication_year": year,
        "creators": [{"name": creator}], "publisher": {"name": "Somewhere"},
        "resource_type": {"general": "Dataset"}, **fields})
    data = record.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    return MappedRow(identifier=identifier, deleted=False, datestamp=START, record=data,
                     content_sha256=content_digest(data), doi=record.doi, title=title)


def snapshot(store: Store) -> dict[str, tuple[datetime, bool]]:
    return {row.merged_id: (row.datestamp, row.deleted) for row in store.iter_merged()}


# -- end to end over the simulator ------------------------------------------------------------

def test_records_sharing_a_doi_become_one_entry_led_by_the_higher_priority_source(db_url,
                                                                                 partners):
    store = Store.open(db_url)
    harvest_all(store, partners)
    report = merge_catalogue(store, PRIORITIES)

    assert (report.full, report.reason, report.changed_records) == (True, "first merge", 120)
    assert (report.clusters, report.created, report.tombstoned) == (114, 114, 0)
    assert store.merged_count() == 114
    for index in range(0, 60, 10):
        row = merged_of(store, "alpha", index)
        assert row.merged_id == store.merged_id_for("beta", f"oai:beta.sim:{index}")
        assert row.record["identifier"] == {"value": f"10.5555/os10-shared-{index}",
                                            "type": "DOI"}
        assert row.sources == ["alpha", "beta"]
        assert set(row.members) == {("alpha", f"oai:alpha.sim:{index}"),
                                    ("beta", f"oai:beta.sim:{index}")}
        assert row.sets[:2] == ["source:alpha", "source:beta"]
        assert row.record["publisher"]["name"] == "Alpha Data Repository"
        assert row.field_provenance["publisher"] == ["alpha"]
        assert row.field_provenance["titles"] == ["alpha"]
        alpha, beta = member_record(store, "alpha", index), member_record(store, "beta", index)
        # Every language variant of the title is kept, once.
        variants = {(t["value"], t.get("lang")) for t in row.record["titles"]}
        assert {t["value"] for t in alpha["titles"] + beta["titles"]} == {v for v, _ in variants}
        assert len(variants) == len(alpha["titles"])
        # Subjects are the union of both members', without duplicates.
        merged_subjects = [fold(s["value"]) for s in row.record["subjects"]]
        assert len(merged_subjects) == len(set(merged_subjects))
        assert set(merged_subjects) == {fold(s["value"])
                                        for s in alpha["subjects"] + beta["subjects"]}
        # Beta's Dublin Core coverage date is something alpha lacks: it is kept, and credited.
        assert row.field_provenance["dates"] == ["alpha", "beta"]
        coverage = [d for d in beta["dates"] if d.get("date_type") == "Coverage"]
        assert coverage and all(d in row.record["dates"] for d in coverage)
    unshared = merged_of(store, "beta", 7)
    assert (unshared.sources, unshared.field_provenance["titles"]) == (["beta"], ["beta"])

    # Priorities from sources.yaml decide: reversed, beta leads and the whole catalogue is redone.
    again = merge_catalogue(store, {"alpha": 1, "beta": 20})
    assert (again.full, again.reason) == (True, "source priorities or duplicate settings changed")
    assert again.updated == 6  # only the shared entries change
    row = merged_of(store, "alpha", 10)
    assert row.record["publisher"]["name"] == "Beta Archive"
    assert row.field_provenance["publisher"] == ["beta"]
    assert row.sources == ["beta", "alpha"]


def test_ids_and_datestamps_survive_a_reharvest_and_move_only_with_content(db_url, partners,
                                                                          feeds):
    store = Store.open(db_url)
    harvest_all(store, partners)
    merge_catalogue(store, PRIORITIES)
    before = snapshot(store)

    harvest_all(store, partners, full=True)  # everything again, nothing changed
    quiet = merge_catalogue(store, PRIORITIES)
    assert (quiet.full, quiet.changed_records, quiet.clusters) == (False, 0, 0)
    full = merge_catalogue(store, PRIORITIES, full=True)
    assert (full.clusters, full.unchanged, full.updated, full.created) == (114, 114, 0, 0)
    assert snapshot(store) == before

    shared_id = merged_of(store, "alpha", 20).merged_id
    feeds["beta"].update([20], at=LATER)  # a new version of beta's copy of a shared record
    harvest_source(store, partners["beta"], progress=False)
    report = merge_catalogue(store, PRIORITIES)
    assert (report.changed_records, report.clusters, report.records) == (1, 1, 2)
    assert (report.updated, report.unchanged, report.created) == (1, 0, 0)
    after = snapshot(store)
    assert after.keys() == before.keys()
    assert after[shared_id][0] > before[shared_id][0]
    assert {k: v for k, v in after.items() if k != shared_id} == {
        k: v for k, v in before.items() if k != shared_id}
    titles = [t["value"] for t in merged_of(store, "beta", 20).record["titles"]]
    assert any(t.endswith("(v2)") for t in titles)  # beta's new title joins the union


def test_incremental_merge_recomputes_only_the_touched_clusters(db_url, partners, feeds):
    store = Store.open(db_url)
    harvest_all(store, partners)
    merge_catalogue(store, PRIORITIES)
    feeds["alpha"].update([1, 2, 10], at=LATER)
    harvest_source(store, partners["alpha"], progress=False)

    report = merge_catalogue(store, PRIORITIES)
    # Three changed records, three clusters; record 10's cluster also holds beta's copy.
    assert (report.full, report.changed_records, report.clusters, report.records) == (
        False, 3, 3, 4)
    assert (report.updated, report.created, report.tombstoned) == (3, 0, 0)
    assert merge_catalogue(store, PRIORITIES).clusters == 0


def test_an_entry_whose_members_are_all_deleted_becomes_a_persistent_tombstone(db_url,
                                                                              partners, feeds):
    store = Store.open(db_url)
    harvest_all(store, partners)
    merge_catalogue(store, PRIORITIES)
    gone, half = merged_of(store, "alpha", 30).merged_id, merged_of(store, "alpha", 40).merged_id
    feeds["alpha"].delete([30, 40], at=LATER)
    feeds["beta"].delete([30], at=LATER)
    harvest_all(store, partners)
    started = datetime.now(UTC)

    report = merge_catalogue(store, PRIORITIES)
    assert (report.changed_records, report.clusters, report.tombstoned, report.updated) == (
        3, 1, 1, 1)
    tombstone = store.get_merged(gone)
    assert (tombstone.deleted, tombstone.record, tombstone.field_provenance) == (True, None, {})
    assert tombstone.datestamp >= started
    assert tombstone.sources == ["alpha", "beta"]  # what it was, so set-based harvests see it go
    assert store.merged_count(include_deleted=False) == 113
    survivor = store.get_merged(half)  # one member left: still live, now from beta alone
    assert (survivor.deleted, survivor.sources) == (False, ["beta"])

    merge_catalogue(store, PRIORITIES, full=True)
    assert store.get_merged(gone).datestamp == tombstone.datestamp  # persistent, not re-stamped
    deletions = [r.merged_id for r in store.iter_merged(since=started) if r.deleted]
    assert deletions == [gone]

    # The partner publishes it again: the same id comes back to life.
    feeds["alpha"].update([30], at=LATER + timedelta(days=1))
    harvest_source(store, partners["alpha"], progress=False)
    back = merge_catalogue(store, PRIORITIES)
    assert back.revived == 1
    assert store.get_merged(gone).deleted is False


def test_a_join_and_a_split_keep_old_ids_resolving(db_url, partners):
    store = Store.open(db_url)
    harvest_source(store, partners["alpha"], progress=False)
    merge_catalogue(store, PRIORITIES)
    first, second = merged_of(store, "alpha", 3), merged_of(store, "alpha", 4)
    original = member_record(store, "alpha", 4)
    joined = json.loads(json.dumps(original))
    joined["related_identifiers"].append({"value": "https://doi.org/10.5555/ALPHA-3",
                                          "related_identifier_type": "DOI",
                                          "relation_type": "IsIdenticalTo"})

    def store_version(record: dict) -> None:
        store.write_mapped("alpha", [MappedRow(
            identifier="oai:alpha.sim:4", deleted=False, datestamp=LATER, record=record,
            content_sha256=content_digest(record), doi="10.5555/alpha-4")])

    store_version(joined)  # record 4 now says it is identical to record 3
    join = merge_catalogue(store, PRIORITIES)
    assert (join.changed_records, join.clusters, join.records) == (1, 1, 2)
    assert (join.updated, join.redirected, join.created) == (1, 1, 0)
    # The older entry keeps its id; the other id redirects to it and is a deletion downstream.
    assert store.merge_redirects() == {second.merged_id: first.merged_id}
    resolved = store.get_merged(second.merged_id)
    assert resolved.merged_id == first.merged_id
    assert set(resolved.members) == {("alpha", "oai:alpha.sim:3"), ("alpha", "oai:alpha.sim:4")}
    assert [r.deleted for r in store.iter_merged(since=join_time(store, second.merged_id))
            if r.merged_id == second.merged_id] == [True]

    store_version(original)  # the link is withdrawn: the cluster splits again
    split = merge_catalogue(store, PRIORITIES)
    assert (split.clusters, split.updated, split.revived, split.created) == (2, 1, 1, 0)
    # The split-off record derives its id again, so the old id is a live entry once more.
    assert store.merge_redirects() == {}
    assert store.get_merged(second.merged_id).members == [("alpha", "oai:alpha.sim:4")]
    assert store.get_merged(first.merged_id).members == [("alpha", "oai:alpha.sim:3")]


def join_time(store: Store, merged_id: str) -> datetime:
    return next(r.datestamp for r in store.iter_merged() if r.merged_id == merged_id)


def test_likely_duplicates_are_reported_and_merged_only_when_both_sources_opt_in(db_url):
    store = Store.open(db_url)
    title = "Rainfall in the Sahel, 2010–2012"
    store.write_mapped("gamma", [mapped("g1", doi="10.1/g1", title=title)])
    store.write_mapped("delta", [mapped("d1", doi="10.1/d1", title=title.upper() + ".",
                                        creator="Ada Okafor")])
    store.write_mapped("delta", [mapped("d2", doi="10.1/d2", title=title, year=2021)])

    report = merge_catalogue(store, {})
    assert (report.clusters, report.candidates) == (3, 1)
    ((_, group),) = store.merge_candidates()
    assert {row.members[0] for row in group} == {("gamma", "g1"), ("delta", "d1")}
    assert merge_catalogue(store, {}, duplicate_sources=frozenset({"gamma"})).candidates == 1
    assert store.merged_count(include_deleted=False) == 3

    both = merge_catalogue(store, {}, duplicate_sources=frozenset({"gamma", "delta"}))
    assert (both.full, both.candidates, both.redirected) == (True, 0, 1)
    assert store.merged_count(include_deleted=False) == 2
    joined = store.get_merged(store.merged_id_for("delta", "d1"))
    assert set(joined.members) == {("gamma", "g1"), ("delta", "d1")}


def test_merge_and_export_commands_keep_the_catalogue_current(tmp_path, monkeypatch, capsys,
                                                             feeds):
    with SimulatorServer(feeds, host="127.0.0.1", port=0) as sim:
        sources = tmp_path / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": [
            {"id": key, "name": key.title(), "protocol": "oai_pmh", "url": sim.url(key),
             "metadata_prefix": prefix, "priority": PRIORITIES[key],
             "max_requests_per_second": 500}
            for key, prefix in (("alpha", "oai_datacite"), ("beta", "oai_dc"))]}))
        monkeypatch.setenv("OS10_SOURCES", str(sources))
        monkeypatch.setenv("OS10_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
        assert main(["harvest", "--all"]) == 0
        assert main(["merge"]) == 0
        out = capsys.readouterr().out
        assert "Full merge of 120 records, 114 clusters recomputed (114 new" in out
        assert main(["merge", "candidates"]) == 0
        assert capsys.readouterr().out.startswith(("No likely duplicates", "1 group", "2 group"))

        feeds["beta"].update([10], at=LATER)
        feeds["alpha"].append(1, at=LATER)
        assert main(["harvest", "--all"]) == 0
        export = tmp_path / "catalogue.jsonl"
        # No `os10 merge` in between: the export merges what changed first.
        assert main(["export", "--format", "jsonl", "--out", str(export)]) == 0
        assert "Wrote 115 records as jsonl" in capsys.readouterr().out
        lines = {line["id"]: line for line in map(json.loads, export.read_text().splitlines())}
        shared = next(line for line in lines.values()
                      if line["record"]["identifier"]["value"] == "10.5555/os10-shared-10")
        assert shared["sources"] == ["alpha", "beta"]
        assert shared["field_provenance"]["publisher"] == ["alpha"]
        assert any(t["value"].endswith("(v2)") for t in shared["record"]["titles"])
        appended = [line for line in lines.values()
                    if line["record"]["identifier"]["value"] == "10.5555/os10-shared-60"]
        assert [line["sources"] for line in appended] == [["alpha"]]
        assert main(["merge"]) == 0
        assert "Incremental merge: 0 changed records" in capsys.readouterr().out


# -- the pieces, without a database -----------------------------------------------------------

def test_identifier_keys_normalise_every_spelling_of_a_persistent_identifier():
    assert identifier_key("https://doi.org/10.5555/ABC") == "doi:10.5555/abc"
    assert identifier_key("doi:10.5555/abc") == identifier_key("10.5555/ABC", "DOI")
    assert identifier_key("hdl:20.500.12345/X1") == "handle:20.500.12345/x1"
    assert identifier_key("1234/abc", "Handle") == "handle:1234/abc"
    assert identifier_key("https://n2t.net/ark:/12345/x9") == "ark:/12345/x9"
    assert identifier_key("URN:NBN:de:101:1-2024") == "urn:nbn:de:101:1-2024"
    assert identifier_key("arXiv:2101.00001v3") == "arxiv:2101.00001"
    assert identifier_key("https://example.org/landing") is None
    assert identifier_key("2049-3630") is None  # an ISSN names a journal, not one resource
    assert identifier_key("ALPHA-0000010", "Local accession number") is None


def test_record_keys_include_alternate_and_identical_identifiers_and_a_duplicate_key():
    record = {"identifier": {"value": "10.1234/a", "type": "DOI"},
              "alternate_identifiers": [{"value": "hdl:20.500.1/a", "type": "Handle"}],
              "related_identifiers": [
                  {"value": "10.1234/b", "related_identifier_type": "DOI",
                   "relation_type": "IsIdenticalTo"},
                  {"value": "10.1234/c", "related_identifier_type": "DOI",
                   "relation_type": "IsPartOf"}],
              "titles": [{"value": "Sols  du Sahel"}], "publication_year": 2020,
              "creators": [{"name": "Diallo, Awa"}]}
    keys = record_keys(record)
    assert {k for k in keys if not k.startswith("dup:")} == {
        "doi:10.1234/a", "handle:20.500.1/a", "doi:10.1234/b"}
    same = {"titles": [{"value": "SOLS DU SAHEL!"}], "publication_year": 2020,
            "creators": [{"name": "Awa Diallo", "family_name": "Diallo"}]}
    assert duplicate_key(same) in keys
    assert duplicate_key({**same, "publication_year": 2021}) not in keys


def test_clusters_are_transitive_and_duplicate_keys_join_only_opted_in_sources():
    keys = {1: ("a", {"doi:x"}), 2: ("b", {"doi:x", "handle:y"}), 3: ("c", {"handle:y"}),
            4: ("a", {"dup:t"}), 5: ("b", {"dup:t"}), 6: ("c", set())}
    assert cluster(keys) == [[1, 2, 3], [4], [5], [6]]
    assert cluster(keys, frozenset({"a"})) == [[1, 2, 3], [4], [5], [6]]
    assert cluster(keys, frozenset({"a", "b"})) == [[1, 2, 3], [4, 5], [6]]


def test_the_policy_takes_single_values_by_priority_and_unions_lists_with_provenance():
    low = Member("low", "l1", 1, {
        "identifier": {"value": "10.1234/x", "type": "DOI"}, "version": "2",
        "titles": [{"value": "Rivers", "lang": "en"}, {"value": "Rios", "lang": "pt",
                                                       "title_type": "TranslatedTitle"}],
        "subjects": [{"value": "Hydrology"}, {"value": "rivers"}],
        "creators": [{"name": "Silva, Ana", "family_name": "Silva", "given_name": "Ana"}],
        "contributors": [{"name": "Lima, Rui", "contributor_type": "Other"}]})
    high = Member("high", "h1", 2, {
        "identifier": {"value": "https://doi.org/10.1234/X", "type": "DOI"},
        "publisher": {"name": "High"},
        "titles": [{"value": "rivers"}, {"value": "Rivières", "lang": "fr",
                                         "title_type": "TranslatedTitle"}],
        "subjects": [{"value": "hydrology", "scheme": "keywords"}, {"value": "Floods"}],
        "creators": [{"name": "Ana Silva", "name_identifiers": [
            {"identifier": "https://orcid.org/0000-0002-1825-0097", "scheme": "ORCID"}]}],
        "contributors": [{"name": "Rui Lima", "contributor_type": "ContactPerson"}]})
    merged = merge_members([low, high], {"high": 5, "low": 1})

    record = merged.record
    assert record["publisher"] == {"name": "High"}
    assert record["version"] == "2"  # only the lower-priority source has one: it is used
    assert merged.field_provenance["version"] == ["low"]
    assert merged.field_provenance["identifier"] == ["high"]
    assert "alternate_identifiers" not in record  # the same DOI, spelt differently
    assert [(s["value"], s.get("scheme")) for s in record["subjects"]] == [
        ("hydrology", "keywords"), ("Floods", None), ("rivers", None)]
    assert merged.field_provenance["subjects"] == ["high", "low"]
    # Three language variants; the untagged duplicate takes the language its twin declares.
    assert [(t["value"], t.get("lang")) for t in record["titles"]] == [
        ("rivers", "en"), ("Rivières", "fr"), ("Rios", "pt")]
    assert len(record["creators"]) == 1 and record["creators"][0]["name"] == "Ana Silva"
    # Dublin Core's untyped contributor is the same person as a typed one of the same name.
    assert [c["contributor_type"] for c in record["contributors"]] == ["ContactPerson"]
    assert merged.sources == ["high", "low"]
    assert merged.sets == ["source:high", "source:low"]


def test_the_policy_has_a_rule_for_every_field_of_the_model():
    assert set(CONTENT_FIELDS) | {"provenance", "issues"} == set(Record.model_fields)


def test_equal_priorities_go_to_the_most_complete_record_then_a_stable_order():
    thin = Member("a", "1", 1, {"titles": [{"value": "T"}], "publisher": {"name": "A"}})
    rich = Member("b", "2", 2, {"titles": [{"value": "T"}], "publisher": {"name": "B"},
                                "publication_year": 2020})
    assert merge_members([thin, rich], {}).record["publisher"] == {"name": "B"}
    twin = Member("c", "3", 3, {"titles": [{"value": "T"}], "publisher": {"name": "C"}})
    assert merge_members([twin, thin], {}).record["publisher"] == {"name": "A"}


def test_ids_go_to_the_oldest_claimant_and_unclaimed_ids_redirect_or_die():
    never = lambda _id: False  # noqa: E731
    # A join: the id created first survives, the other redirects to it.
    plan = assign_ids([ClusterIds([1, 2], "doi:a", {"m-old", "m-new"})],
                      {"m-old": [1], "m-new": [2]}, {"m-old": 1, "m-new": 2}, never)
    assert (plan.ids, plan.redirects, plan.tombstones) == (["m-old"], {"m-new": "m-old"}, [])
    # A split: the part with the oldest record keeps the id, the other gets a derived one.
    plan = assign_ids([ClusterIds([5], "doi:b", {"m"}), ClusterIds([3], "doi:a", {"m"})],
                      {"m": [3, 5]}, {"m": 1}, never)
    assert plan.ids == [derive_id("doi:b"), "m"]
    # Every member gone: a tombstone. A derived id that is live elsewhere is salted.
    plan = assign_ids([ClusterIds([9], "doi:c")], {"x": [4]}, {},
                      lambda i: i == derive_id("doi:c"))
    assert (plan.ids, plan.tombstones) == ([derive_id("doi:c", 1)], ["x"])


def test_a_merge_is_needed_only_when_a_record_differs_from_what_was_merged(db_url):
    """Right after a merge every record is within the watermark's grace period; the check must
    still say no until a record's content, or its being alive, differs from what was merged."""
    from pipeline.merge import merge_needed

    store = Store.open(db_url)
    store.write_mapped("alpha", [mapped("oai:a:1", doi="10.5555/one", title="One"),
                                 mapped("oai:a:2", doi=None, title="Two")])
    assert merge_needed(store)  # never merged
    merge_catalogue(store, {"alpha": 0})
    assert not merge_needed(store)
    # Rewritten with the same content (a remap): nothing to merge.
    store.write_mapped("alpha", [mapped("oai:a:1", doi="10.5555/one", title="One")])
    assert not merge_needed(store)
    store.write_mapped("alpha", [mapped("oai:a:2", doi=None, title="Two, revised")])
    assert merge_needed(store)
    merge_catalogue(store, {"alpha": 0})
    assert not merge_needed(store)
    store.write_mapped("alpha", [MappedRow(identifier="oai:a:1", deleted=True, datestamp=START,
                                           record=None, content_sha256=None)])
    assert merge_needed(store)  # a live member went away
    merge_catalogue(store, {"alpha": 0})
    assert not merge_needed(store)
    assert [row.deleted for row in store.iter_merged(include_deleted=True)].count(True) == 1


def test_an_unmappable_record_does_not_look_changed_to_every_merge(db_url):
    from pipeline.merge import merge_needed

    store = Store.open(db_url)
    store.write_mapped("gamma", [mapped("g1", doi="10.5555/g1", title="Mapped")])
    store.write_mapped("gamma", [MappedRow(identifier="g2", deleted=False, datestamp=START,
                                           record=None, content_sha256=None,
                                           mapping_error="The root element is <html>.")])
    assert merge_catalogue(store, {}).clusters == 1
    assert merge_needed(store) is False
    again = merge_catalogue(store, {})
    assert (again.changed_records, again.clusters) == (0, 0)
