"""Clusters: records joined, transitively, by the keys they share (union-find over keys).

Identifier keys always join. A likely-duplicate key joins two records only when both of their
sources opted in (`merge_likely_duplicates` in sources.yaml); otherwise the records stay apart
and the store reports them as merge candidates.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

from merge.keys import is_duplicate_key


class UnionFind:
    """Disjoint sets with path halving and union by size."""

    def __init__(self) -> None:
        self._parent: dict[Hashable, Hashable] = {}
        self._size: dict[Hashable, int] = {}

    def add(self, item: Hashable) -> None:
        if item not in self._parent:
            self._parent[item] = item
            self._size[item] = 1

    def find(self, item: Hashable) -> Hashable:
        self.add(item)
        parent = self._parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: Hashable, b: Hashable) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return
        if self._size[root_a] < self._size[root_b]:
            root_a, root_b = root_b, root_a
        self._parent[root_b] = root_a
        self._size[root_a] += self._size[root_b]

    def groups(self) -> list[list[Hashable]]:
        found: dict[Hashable, list[Hashable]] = {}
        for item in self._parent:
            found.setdefault(self.find(item), []).append(item)
        return list(found.values())


def links(key: str, source_id: str, duplicate_sources: frozenset[str]) -> bool:
    """Whether holding `key` joins a record of `source_id` to the key's other holders."""
    return not is_duplicate_key(key) or source_id in duplicate_sources


def cluster(keys: Mapping[int, tuple[str, Iterable[str]]],
            duplicate_sources: frozenset[str] = frozenset()) -> list[list[int]]:
    """Clusters of record ids from {record id: (source id, keys)}.

    Each cluster is sorted, and clusters are ordered by their oldest (lowest) record id, so the
    result does not depend on the order records were read in.
    """
    sets = UnionFind()  # record ids (int) and keys (str) are told apart by their type
    for record_id, (source_id, record_keys) in keys.items():
        sets.add(record_id)
        for key in record_keys:
            if links(key, source_id, duplicate_sources):
                sets.union(record_id, key)
    clusters = [sorted(item for item in group if type(item) is int) for group in sets.groups()]
    return sorted((c for c in clusters if c), key=lambda c: c[0])
