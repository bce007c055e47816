"""A full merge's clusters and units, computed in the database so memory stays flat.

A full merge joins records that share a clustering key (transitively), then groups the clusters
that share a merged id from before (a unit: one split or join decided at once). Held in Python
that cost about 1 KB a record: a million-record catalogue would need a gigabyte. Here the keys
and the record ids go into temporary tables of one connection, components are found by
propagating the smallest record id along the links until nothing changes, and the units are
read back a batch at a time, ordered as the merge writes them.

Only keys (and old merged ids) held by two records or more link anything, so the propagation
runs over the records that have a partner somewhere, usually a small share of the catalogue;
every other record is a cluster and a unit of its own. Each round moves the smallest id one
link further; a catalogue's clusters are a handful of links across, so a few rounds do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, text

from store import tables as t
from store.bulk import insert_rows

_KEYS = "os10_merge_keys"  # (key, record_id, source_id) of every live record
_NODES = "os10_merge_nodes"  # live records: record_id, cluster (smallest id of its cluster)
_UNITS = "os10_merge_units"  # live and linked records: record_id, unit (smallest id of its unit)
_EDGES = "os10_merge_edges"  # (node, record_id): a key or old merged id held by 2+ records
_TABLES = (_KEYS, _NODES, _UNITS, _EDGES)


class UnitRow(NamedTuple):
    """One record of a unit, in (unit, record_id) order."""

    record_id: int
    unit: int  # the unit's smallest record id
    cluster: int | None  # the smallest record id of its cluster; None: not a live record
    merged_id: str | None  # its merged id before this merge, if it had one
    source_id: str | None  # with merged_id: the old link's source, identifier and content
    identifier: str | None
    content_sha256: str | None


class FullClustering:
    """`with FullClustering(store.engine) as clustering:` add every live record's keys,
    `publish_keys()`, `cluster(...)`, then read `units()` and `orphans()`.

    One connection holds the temporary tables for the whole merge; it commits after every
    step, so it never holds a lock or a snapshot while the merge writes elsewhere.
    """

    def __init__(self, engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None
        self.records = 0

    def __enter__(self) -> FullClustering:
        self.conn = self.engine.connect()
        self._drop()
        key_type = "VARCHAR(1024)"
        id_type = "BIGINT"
        for ddl in (
            f"CREATE TEMPORARY TABLE {_KEYS} (key {key_type} NOT NULL, record_id {id_type} "
            "NOT NULL, source_id VARCHAR(64) NOT NULL)",
            f"CREATE TEMPORARY TABLE {_NODES} (record_id {id_type} PRIMARY KEY, "
            f"cluster {id_type} NOT NULL)",
            f"CREATE TEMPORARY TABLE {_UNITS} (record_id {id_type} PRIMARY KEY, "
            f"unit {id_type} NOT NULL)",
            f"CREATE TEMPORARY TABLE {_EDGES} (node {key_type} NOT NULL, "
            f"record_id {id_type} NOT NULL)",
        ):
            self.conn.exec_driver_sql(ddl)
        self.conn.commit()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
            self._drop()
            self.conn.commit()
        finally:
            self.conn.close()

    def _drop(self) -> None:
        for name in _TABLES:
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")

    # -- filling ---------------------------------------------------------------------------

    def add(self, records: Iterable[tuple[int, str, Iterable[str]]]) -> None:
        """Live records as (record id, source id, keys); a record without keys is a cluster of
        its own all the same."""
        nodes, keys = [], []
        for record_id, source_id, record_keys in records:
            nodes.append((record_id, record_id))
            keys += [(key, record_id, source_id) for key in set(record_keys)]
        insert_rows(self.conn, _NODES, ("record_id", "cluster"), ("BIGINT", "BIGINT"), nodes)
        insert_rows(self.conn, _KEYS, ("key", "record_id", "source_id"),
                ("VARCHAR", "BIGINT", "VARCHAR"), keys)
        self.conn.commit()
        self.records += len(nodes)

    def publish_keys(self) -> None:
        """Replace the store's key index (merge_keys, which incremental merges read) with the
        keys added, in one transaction."""
        self.conn.execute(t.merge_keys.delete())
        self.conn.exec_driver_sql(f"INSERT INTO {t.merge_keys.name} (key, record_id, source_id) "
                                  f"SELECT key, record_id, source_id FROM {_KEYS}")
        self.conn.commit()

    # -- clustering ------------------------------------------------------------------------

    def cluster(self, duplicate_prefix: str, duplicate_sources: frozenset[str]) -> int:
        """Find clusters (records joined by linking keys) and units (clusters joined by an old
        merged id). Keys starting with `duplicate_prefix` link only records of
        `duplicate_sources`, as merge.clusters.links has it. Returns the rounds of propagation
        it took."""
        conn = self.conn
        links = "key NOT LIKE :dup"
        params: dict[str, Any] = {"dup": duplicate_prefix + "%"}
        if duplicate_sources:
            links = f"({links} OR source_id IN :sources)"
            params["sources"] = sorted(duplicate_sources)
        statement = text(f"INSERT INTO {_EDGES} (node, record_id) SELECT key, record_id "
                         f"FROM {_KEYS} WHERE {links}")
        if duplicate_sources:
            statement = statement.bindparams(bindparam("sources", expanding=True))
        conn.execute(statement, params)
        _drop_lonely(conn)
        conn.exec_driver_sql(f"CREATE INDEX ix_{_EDGES}_node ON {_EDGES} (node)")
        conn.exec_driver_sql(f"CREATE INDEX ix_{_EDGES}_record ON {_EDGES} (record_id)")
        rounds = _propagate(conn, _NODES, "cluster")

        # Units: the live records and every record linked before, joined by the cluster
        # links and by the old merged ids they share.
        members = t.merge_members.name
        conn.exec_driver_sql(
            f"INSERT INTO {_UNITS} (record_id, unit) SELECT record_id, record_id FROM {_NODES} "
            f"UNION SELECT record_id, record_id FROM {members}")
        conn.exec_driver_sql(
            f"INSERT INTO {_EDGES} (node, record_id) SELECT 'merged:' || merged_id, record_id "
            f"FROM {members} WHERE merged_id IN (SELECT merged_id FROM {members} "
            "GROUP BY merged_id HAVING COUNT(*) > 1)")
        conn.exec_driver_sql(f"CREATE INDEX ix_{_UNITS}_unit ON {_UNITS} (unit, record_id)")
        rounds += _propagate(conn, _UNITS, "unit")
        conn.commit()
        return rounds

    # -- reading ---------------------------------------------------------------------------

    def units(self, batch: int = 2000) -> Iterator[list[UnitRow]]:
        """Every unit's records, in (unit, record id) order, a batch of rows at a time (a unit
        may run on into the next batch)."""
        members = t.merge_members.name
        query = text(
            f"SELECT u.record_id, u.unit, n.cluster, m.merged_id, m.source_id, m.identifier, "
            f"m.content_sha256 FROM {_UNITS} u "
            f"LEFT JOIN {_NODES} n ON n.record_id = u.record_id "
            f"LEFT JOIN {members} m ON m.record_id = u.record_id "
            "WHERE u.unit > :unit OR (u.unit = :unit AND u.record_id > :record) "
            "ORDER BY u.unit, u.record_id LIMIT :batch")
        unit, record = -1, -1
        while True:
            rows = [UnitRow(*row) for row in self.conn.execute(
                query, {"unit": unit, "record": record, "batch": batch})]
            self.conn.commit()
            if not rows:
                return
            unit, record = rows[-1].unit, rows[-1].record_id
            yield rows

    def orphans(self, batch: int = 1000) -> Iterator[list[str]]:
        """Live catalogue entries no harvested record links to any more (after the units are
        written), a batch at a time; each batch is gone from the answer once it is ended."""
        merged, members = t.merged_records.c, t.merge_members.name
        query = text(
            f"SELECT merged_id FROM {t.merged_records.name} m WHERE deleted = :no AND NOT "
            f"EXISTS (SELECT 1 FROM {members} l WHERE l.merged_id = m.merged_id) "
            "AND merged_id > :after ORDER BY merged_id LIMIT :batch"
        ).bindparams(bindparam("no", type_=merged.deleted.type))
        after = ""
        while True:
            found = list(self.conn.execute(query, {"no": False, "after": after,
                                                   "batch": batch}).scalars())
            self.conn.commit()
            if not found:
                return
            after = found[-1]
            yield found


def _drop_lonely(conn: Connection) -> None:
    """A key held by one record links nothing."""
    conn.exec_driver_sql(
        f"DELETE FROM {_EDGES} WHERE node IN (SELECT node FROM {_EDGES} GROUP BY node "
        "HAVING COUNT(*) < 2)")


def _propagate(conn: Connection, table: str, label: str) -> int:
    """Give every record in `table` that has edges the smallest `label` among the records it
    reaches, one link further per round, until a round changes nothing."""
    smallest = (f"(SELECT MIN(other.{label}) FROM {_EDGES} mine "
                f"JOIN {_EDGES} theirs ON theirs.node = mine.node "
                f"JOIN {table} other ON other.record_id = theirs.record_id "
                f"WHERE mine.record_id = {table}.record_id)")
    statement = (f"UPDATE {table} SET {label} = {smallest} WHERE record_id IN "
                 f"(SELECT record_id FROM {_EDGES}) AND {smallest} < {label}")
    rounds = 0
    while conn.exec_driver_sql(statement).rowcount:
        rounds += 1
    return rounds

