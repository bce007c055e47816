"""Stable merged ids: who keeps an id when clusters are recomputed, and how new ids are made.

The rule, applied to the clusters recomputed together (a unit: every cluster that shares a
member with an old merged record of another, so splits and joins are decided in one place):

1. A cluster whose members were already merged keeps the oldest (first created) of their
   previous ids that no other cluster of the unit took first. Clusters claim in the order of
   their oldest member (lowest records.id), so on a split the part holding the oldest record
   keeps the id; on a join the older entry's id survives.
2. A cluster left without an id gets a derived one: "os10-" and 20 hex digits of the SHA-256 of
   its anchor's identity. The anchor is its oldest member; the identity is the anchor's
   strongest identifier key ("doi:10.5555/x"; DOI before Handle, ARK, URN, arXiv, PMID), else
   "record:<source id>:<identifier>". So a re-run derives the same id, and a resource that was
   deleted and comes back gets its old id (its tombstone comes back to life). If that id is
   live elsewhere, "#1", "#2", ... are appended to the identity until it is free.
3. A previous id nobody kept redirects to the cluster holding its oldest still-live member;
   with no live member left it becomes a tombstone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

PREFIX = "os10-"


def derive_id(identity: str, attempt: int = 0) -> str:
    text = identity if attempt == 0 else f"{identity}#{attempt}"
    return PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass(slots=True)
class ClusterIds:
    """What id assignment needs to know about one recomputed cluster."""

    record_ids: Sequence[int]  # live members, sorted: the first is the anchor
    identity: str  # the anchor's identity (see the module docstring)
    previous: set[str] = field(default_factory=set)  # ids its members were merged into


@dataclass(slots=True)
class IdPlan:
    ids: list[str]  # per cluster, in the order given
    claimed: set[str]  # previous ids kept by some cluster
    redirects: dict[str, str]  # previous id -> the id that now holds its oldest live member
    tombstones: list[str]  # previous ids with no live member left


def assign_ids(clusters: Sequence[ClusterIds], old_members: Mapping[str, Sequence[int]],
               created: Mapping[str, int], taken: Callable[[str], bool]) -> IdPlan:
    """Ids for `clusters` by the rule above.

    `old_members` maps each previous id of the unit to its old member record ids, `created`
    orders previous ids by age (merged_records.id), and `taken(id)` says whether an id is a live
    entry outside this unit.
    """
    order = sorted(range(len(clusters)), key=lambda i: clusters[i].record_ids[0])
    ids: list[str | None] = [None] * len(clusters)
    used: set[str] = set()
    for i in order:  # rule 1 first, so a derived id never takes an id someone would keep
        for previous in sorted(clusters[i].previous, key=lambda p: (created.get(p, 1 << 62), p)):
            if previous not in used:
                ids[i] = previous
                used.add(previous)
                break
    for i in order:
        if ids[i] is None:
            attempt = 0
            while True:
                candidate = derive_id(clusters[i].identity, attempt)
                if candidate not in used and (candidate in old_members or not taken(candidate)):
                    break
                attempt += 1
            ids[i] = candidate
            used.add(candidate)

    holder = {record_id: ids[i] for i, c in enumerate(clusters) for record_id in c.record_ids}
    redirects: dict[str, str] = {}
    tombstones: list[str] = []
    for previous in sorted(old_members):
        if previous in used:
            continue
        live = sorted(r for r in old_members[previous] if r in holder)
        if live:
            redirects[previous] = holder[live[0]]
        else:
            tombstones.append(previous)
    return IdPlan(ids=[i for i in ids if i is not None], claimed=used, redirects=redirects,
                  tombstones=tombstones)
