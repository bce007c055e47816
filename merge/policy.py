"""The field-by-field merge of a cluster's records into one, with the source of every field.

Members are ranked by source priority (sources.yaml), then by completeness, then by
(source id, identifier). A single-valued field comes from the first ranked member that has it.
A list field is the union of every member's items in rank order, an item dropped when its
normalised key (per field, in `LIST_FIELDS`) matches an item already taken. Every language
variant of titles and descriptions is a distinct item, so all are kept. `field_provenance`
names, per field, the one source of a single value or the sources whose items were kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from merge.keys import fold, identifier_key
from schemas import Record

SINGLE_FIELDS: tuple[str, ...] = (
    "identifier", "publisher", "publication_year", "resource_type", "language", "version",
    "landing_page", "access_rights",
)
_NOT_CONTENT = ("provenance", "issues")

Keys = tuple[frozenset[str], frozenset[str]]  # (keys that make an item a duplicate, keys it adds)


@dataclass(frozen=True, slots=True)
class Member:
    """One harvested record of a cluster."""

    source_id: str
    identifier: str
    record_id: int  # records.id: the lowest is the cluster's oldest member
    record: Mapping[str, Any]


@dataclass(slots=True)
class Merged:
    record: dict[str, Any]  # the merged Record as JSON
    field_provenance: dict[str, list[str]]
    sources: list[str]  # every member's source, highest priority first
    members: list[tuple[str, str]]  # (source id, identifier) in rank order
    sets: list[str]
    ranked: list[Member] = field(default_factory=list)


def rank(members: Iterable[Member], priorities: Mapping[str, int]) -> list[Member]:
    """Highest priority first; ties to the most complete record, then a stable order."""
    return sorted(members, key=lambda m: (-priorities.get(m.source_id, 0),
                                          *(-n for n in completeness(m.record)),
                                          m.source_id, m.identifier))


def completeness(record: Mapping[str, Any]) -> tuple[int, int]:
    """(fields filled, list items) of a record, not counting provenance and issues."""
    filled = [v for k, v in record.items() if k not in _NOT_CONTENT and v not in (None, "", [])]
    return len(filled), sum(len(v) for v in filled if isinstance(v, list))


# -- dedupe keys per list field --------------------------------------------------------------

def _plain(values: Iterable[str | None]) -> Keys:
    keys = frozenset(v for v in values if v)
    return keys, keys


def _typed(kind: str | None, values: Iterable[str | None]) -> Keys:
    """Keys for items with an optional type (dateType, relationType, ...).

    An untyped item duplicates any item with the same value; a typed one only an item of its
    own type or an untyped one, so "Created 2020" and "Issued 2020" both stay.
    """
    bare = [v for v in values if v]
    if kind:
        return (frozenset([f"{kind}|{v}" for v in bare] + [f"?|{v}" for v in bare]),
                frozenset([f"{kind}|{v}" for v in bare] + [f"*|{v}" for v in bare]))
    return (frozenset(f"*|{v}" for v in bare),
            frozenset([f"?|{v}" for v in bare] + [f"*|{v}" for v in bare]))


def _url(value: str | None) -> str | None:
    if not value:
        return None
    text = value.strip().rstrip("/")
    lower = text.lower()
    if lower.startswith("http://"):
        text = "https://" + text[7:]
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def _identifier(value: str | None, kind: str | None = None) -> str | None:
    if not value:
        return None
    return identifier_key(value, kind) or (_url(value) if "://" in value else fold(value))


def _person(item: Mapping[str, Any]) -> list[str]:
    keys = []
    for name_id in item.get("name_identifiers") or ():
        if value := name_id.get("identifier"):
            keys.append("id:" + (_url(value) if "://" in value else fold(value)))
    given, family = item.get("given_name"), item.get("family_name")
    name = f"{family} {given}" if given and family else item.get("name") or ""
    if words := fold(name).split():
        keys.append("name:" + " ".join(sorted(words)))
    return keys


def _point(point: Mapping[str, Any] | None) -> str | None:
    if not point:
        return None
    return f"point:{round(point['latitude'], 3)},{round(point['longitude'], 3)}"


def _box(box: Mapping[str, Any] | None) -> str | None:
    if not box:
        return None
    return "box:" + ",".join(str(round(box[k], 3)) for k in ("west", "east", "south", "north"))


def _funding(item: Mapping[str, Any]) -> str:
    funder = _identifier(item.get("funder_identifier")) or fold(item.get("funder_name"))
    return f"{funder}|{fold(item.get('award_number'))}"


class ListField(NamedTuple):
    name: str
    keys: Callable[[Any], Keys]


# One row per list field of the model: how two items are recognised as the same.
LIST_FIELDS: tuple[ListField, ...] = (
    ListField("alternate_identifiers",
              lambda i: _plain([_identifier(i.get("value"), i.get("type"))])),
    ListField("creators", lambda i: _plain(_person(i))),
    # "Other" is what Dublin Core's untyped dc:contributor maps to: it says no more than none.
    ListField("contributors",
              lambda i: _typed(None if i.get("contributor_type") in (None, "Other")
                               else i["contributor_type"], _person(i))),
    ListField("titles", lambda i: _plain([fold(i.get("value"))])),
    ListField("subjects", lambda i: _plain([fold(i.get("value")), _url(i.get("value_uri"))])),
    ListField("dates", lambda i: _typed(i.get("date_type"), [(i.get("value") or "").strip()])),
    ListField("related_identifiers",
              lambda i: _typed(i.get("relation_type"),
                               [_identifier(i.get("value"), i.get("related_identifier_type"))])),
    ListField("sizes", lambda i: _plain([fold(i)])),
    ListField("formats", lambda i: _plain([fold(i)])),
    ListField("rights",
              lambda i: _plain([(i.get("spdx_id") or "").lower() or None, _url(i.get("uri"))]
                               if i.get("spdx_id") or i.get("uri")
                               else [fold(i.get("statement"))])),
    ListField("descriptions",
              lambda i: _typed(i.get("description_type"), [fold(i.get("value"))])),
    ListField("geo_locations", lambda i: _plain([fold(i.get("place")), _point(i.get("point")),
                                                 _box(i.get("box"))])),
    ListField("funding_references", lambda i: _plain([_funding(i)])),
    ListField("distributions",
              lambda i: _plain([_url(i.get("download_url") or i.get("access_url"))])),
    ListField("contact_points",
              lambda i: _plain([(i.get("email") or "").lower() or None, _url(i.get("url"))]
                               if i.get("email") or i.get("url") else [fold(i.get("name"))])),
    ListField("conforms_to", lambda i: _plain([_url(i)])),
)
CONTENT_FIELDS: tuple[str, ...] = SINGLE_FIELDS + tuple(spec.name for spec in LIST_FIELDS)
# Titles and descriptions in another language are other items; one without a language takes
# the language of a duplicate that has one.
_LANG_FILLED = frozenset({"titles", "descriptions"})


def _fallback(item: Any) -> frozenset[str]:
    return frozenset({"json:" + json.dumps(item, sort_keys=True, ensure_ascii=False)})


def union(spec: ListField, ranked: Sequence[Member],
          extra: Sequence[tuple[str, Any]] = ()) -> tuple[list[Any], list[str]]:
    """The deduplicated union of a list field, and the sources whose items were kept.

    `extra` are (source id, item) pairs offered after the members' own items.
    """
    seen: set[str] = set()
    kept: list[Any] = []
    holders: dict[str, int] = {}  # key -> position in kept, to fill in a missing language
    contributors: list[str] = []
    offered = [(m.source_id, item) for m in ranked for item in m.record.get(spec.name) or ()]
    for source_id, item in [*offered, *extra]:
        check, add = spec.keys(item)
        if not check:
            check = add = _fallback(item)
        duplicate = check & seen
        if duplicate:
            if spec.name in _LANG_FILLED and item.get("lang"):
                first = kept[holders[min(duplicate)]]
                if not first.get("lang"):
                    kept[holders[min(duplicate)]] = {**first, "lang": item["lang"]}
            continue
        seen |= add
        for key in add:
            holders.setdefault(key, len(kept))
        kept.append(item)
        if source_id not in contributors:
            contributors.append(source_id)
    return kept, contributors


def merge_members(members: Iterable[Member], priorities: Mapping[str, int]) -> Merged:
    """Merge a cluster's live records into one."""
    ranked = rank(members, priorities)
    if not ranked:
        raise ValueError("a cluster needs at least one live record")
    if len(ranked) == 1:
        return _alone(ranked[0])
    merged: dict[str, Any] = {}
    provenance: dict[str, list[str]] = {}
    for name in SINGLE_FIELDS:
        for member in ranked:
            value = member.record.get(name)
            if value not in (None, "", [], {}):
                merged[name] = value
                provenance[name] = [member.source_id]
                break

    # The identifiers of other members that differ from the one chosen are not lost: they
    # become alternate identifiers of the merged record.
    chosen = merged.get("identifier") or {}
    chosen_key = _identifier(chosen.get("value"), chosen.get("type"))
    others = [(m.source_id, {"value": i["value"], "type": i.get("type")})
              for m in ranked if (i := m.record.get("identifier"))
              and _identifier(i.get("value"), i.get("type")) != chosen_key]
    for spec in LIST_FIELDS:
        extra = others if spec.name == "alternate_identifiers" else ()
        items, contributors = union(spec, ranked, extra)
        if items:
            merged[spec.name] = items
            provenance[spec.name] = contributors

    lead = ranked[0].record
    if lead.get("provenance"):
        merged["provenance"] = lead["provenance"]
    return _result(_validated(merged, ranked), provenance, ranked)


def _alone(member: Member) -> Merged:
    """A record with no partner is taken as its source gave it: it was validated when it was
    mapped, its issues still hold, and every field it has comes from its source."""
    record = dict(member.record)
    provenance = {name: [member.source_id] for name in CONTENT_FIELDS
                  if record.get(name) not in (None, "", [], {})}
    return _result(record, provenance, [member])


def _result(record: dict[str, Any], provenance: dict[str, list[str]],
            ranked: Sequence[Member]) -> Merged:
    sources = list(dict.fromkeys(m.source_id for m in ranked))
    sets = [f"source:{s}" for s in sorted(sources)]
    general = (record.get("resource_type") or {}).get("general")
    if general:
        sets.append(f"type:{general}")
    return Merged(record=record, field_provenance=provenance, sources=sources,
                  members=[(m.source_id, m.identifier) for m in ranked], sets=sets,
                  ranked=list(ranked))


def _validated(merged: dict[str, Any], ranked: Sequence[Member]) -> dict[str, Any]:
    """The merged record through the model's validation, which recomputes the issues for
    missing mandatory properties; the members' other issues stay, once each."""
    issues, seen = [], set()
    for member in ranked:
        for issue in member.record.get("issues") or ():
            key = (issue.get("code"), issue.get("field"), issue.get("message"))
            if not str(issue.get("code", "")).startswith("missing_") and key not in seen:
                seen.add(key)
                issues.append(issue)
    if issues:
        merged["issues"] = issues
    return Record.model_validate(merged).model_dump(mode="json", exclude_none=True,
                                                    exclude_defaults=True)
