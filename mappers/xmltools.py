"""Reading XML payloads for the mappers: parsing, text, and the generic mapping-table helper.

A mapping table is a tuple of `Row`s. Each row says which elements below the record root fill
which Record field, and how each attribute of the item model is read from one element
(`TEXT`, `attr("titleType")`, `child("funderName")`, ...). `apply_rows` applies a table; only
fields that do not fit a row get code of their own in the format's module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

from lxml import etree

import safexml
from errors import MappingError, UnparseableResponseError
from mappers.context import Draft, MapContext

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

Source = Callable[[etree._Element, str], str | None]
"""Reads one value from an element; the second argument is the record's namespace URI."""

Tidy = Callable[[Draft, Any, etree._Element], Any]
"""Normalises a built item (recording issues on the draft); returns it, or None to drop it."""


# --- parsing ---------------------------------------------------------------------------------

def root_of(payload: bytes | None, context: MapContext, element: Any = None) -> etree._Element:
    """The payload's root element: `element` when the harvester already parsed it."""
    if element is not None:
        return element
    if payload is None or not payload.strip():
        raise MappingError("The record has no metadata payload to map.",
                           source=context.source_id, record_id=context.source_identifier)
    try:
        return safexml.parse(payload, source=context.source_id)
    except UnparseableResponseError as exc:
        raise MappingError(f"The payload cannot be mapped: {exc.message}",
                           source=context.source_id,
                           record_id=context.source_identifier) from exc


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def namespace_of(element: etree._Element) -> str:
    return etree.QName(element).namespace or ""


@lru_cache(maxsize=4096)
def qualify(namespace: str, path: str) -> str:
    """"titles/title" in namespace N as the ElementPath "{N}titles/{N}title"."""
    if not namespace:
        return path
    return "/".join(f"{{{namespace}}}{step}" for step in path.split("/"))


# --- text ------------------------------------------------------------------------------------

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _gather(element: etree._Element, parts: list[str], *, breaks: bool) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        if isinstance(child.tag, str):  # comments and processing instructions carry no text
            if breaks and local_name(child) == "br":
                parts.append("\n\n")
            else:
                _gather(child, parts, breaks=breaks)
        if child.tail:
            parts.append(child.tail)


def text_of(element: etree._Element | None) -> str | None:
    """The element's text with whitespace collapsed to single spaces; None when empty."""
    if element is None:
        return None
    if len(element):
        parts: list[str] = []
        _gather(element, parts, breaks=False)
        raw = "".join(parts)
    else:
        raw = element.text
    if not raw:
        return None
    return " ".join(raw.split()) or None


def prose_of(element: etree._Element | None) -> str | None:
    """Running text: paragraphs (blank lines, <br/>) kept apart, hard line wraps undone."""
    if element is None:
        return None
    parts: list[str] = []
    _gather(element, parts, breaks=True)
    paragraphs = (" ".join(p.split()) for p in _PARAGRAPH_BREAK.split("".join(parts)))
    return "\n\n".join(p for p in paragraphs if p) or None


# --- sources: how one model attribute is read from an element ----------------------------------

def TEXT(element: etree._Element, namespace: str) -> str | None:  # noqa: N802 - a table constant
    return text_of(element)


def PROSE(element: etree._Element, namespace: str) -> str | None:  # noqa: N802 - a table constant
    return prose_of(element)


class _Attribute:
    """Reads one attribute, stripped; None when absent or blank. `apply_rows` reads every
    attribute source of a row from one pass over the element's attributes instead."""

    def __init__(self, name: str, doc: str | None = None) -> None:
        self.name = name
        self.__doc__ = doc or f"@{name}"

    def __call__(self, element: etree._Element, namespace: str) -> str | None:
        value = element.get(self.name)
        return (value.strip() or None) if value else None


LANG: Source = _Attribute(XML_LANG, "@xml:lang")


def attr(name: str) -> Source:
    return _Attribute(name)


def child(path: str) -> Source:
    def read(element: etree._Element, namespace: str) -> str | None:
        return text_of(element.find(qualify(namespace, path)))
    read.__doc__ = path
    return read


def child_attr(path: str, name: str) -> Source:
    def read(element: etree._Element, namespace: str) -> str | None:
        found = element.find(qualify(namespace, path))
        value = found.get(name) if found is not None else None
        return (value.strip() or None) if value else None
    read.__doc__ = f"{path}/@{name}"
    return read


def const(value: str) -> Source:
    def read(element: etree._Element, namespace: str) -> str | None:
        return value
    read.__doc__ = repr(value)
    return read


# --- the table helper --------------------------------------------------------------------------

_NOTHING: Mapping[str, Source] = MappingProxyType({})


class Row(NamedTuple):
    """One regular field of a mapping table.

    Every element at `path` (below the record root, local names) becomes one item of `model`
    whose attributes are read by `read`; without a model the field takes the element's text.
    An element whose `required` attributes all read empty is skipped with an `empty_element`
    note. `split` cuts the first required attribute into several items ("a; b; c").
    `many=False` fills a single-valued field from the first usable element. `tidy` normalises
    each item and may drop it by returning None.
    """

    field: str
    path: str
    model: type | None = None
    read: Mapping[str, Source] = _NOTHING
    required: tuple[str, ...] = ("value",)
    many: bool = True
    split: str | None = None
    tidy: Tidy | None = None


class _Plan(NamedTuple):
    """A row made ready for records in one namespace: where its elements are and how each
    attribute of its items is read (the text, then one pass over the XML attributes present,
    since most that a row could read are absent, then any other sources)."""

    row: Row
    steps: tuple[str, ...]  # the path's qualified tags
    text: str | None  # the item attribute read by TEXT or PROSE
    prose: bool
    attributes: Mapping[str, tuple[str, ...]]  # XML attribute -> item attributes
    others: tuple[tuple[str, Source], ...]


def _plan(row: Row, namespace: str) -> _Plan:
    text, prose, others = None, False, []
    attributes: dict[str, tuple[str, ...]] = {}
    for name, source in row.read.items():
        if (source is TEXT or source is PROSE) and text is None:
            text, prose = name, source is PROSE
        elif isinstance(source, _Attribute):
            attributes[source.name] = (*attributes.get(source.name, ()), name)
        else:
            others.append((name, source))
    steps = tuple(qualify(namespace, step) for step in row.path.split("/"))
    return _Plan(row, steps, text, prose, attributes, tuple(others))


_PLANS: dict[tuple[int, str], tuple[tuple[Row, ...], tuple[_Plan, ...]]] = {}


def _plans(rows: tuple[Row, ...], namespace: str) -> tuple[_Plan, ...]:
    """The plans of a table for a namespace, made once."""
    key = (id(rows), namespace)
    cached = _PLANS.get(key)
    if cached is None or cached[0] is not rows:
        cached = _PLANS[key] = (rows, tuple(_plan(row, namespace) for row in rows))
    return cached[1]


def _values(plan: _Plan, element: etree._Element, namespace: str) -> dict[str, str]:
    """The item attributes that read a value from `element`."""
    values: dict[str, str] = {}
    if plan.text is not None:
        value = prose_of(element) if plan.prose else text_of(element)
        if value is not None:
            values[plan.text] = value
    if plan.attributes:
        for name, raw in element.items():
            names = plan.attributes.get(name)
            if names is not None and (value := raw.strip()):
                for each in names:
                    values[each] = value
    for name, source in plan.others:
        if (value := source(element, namespace)) is not None:
            values[name] = value
    return values


def _items(plan: _Plan, element: etree._Element, namespace: str, draft: Draft) -> list[Any]:
    row = plan.row
    if row.model is None:
        value = text_of(element)
        if value is None:
            return []
        if row.split is None:
            return [value]
        return [p.strip() for p in value.split(row.split) if p.strip()]
    values = _values(plan, element, namespace)
    if not any(name in values for name in row.required):
        draft.issue("empty_element", f"An empty {row.path} element was skipped.",
                    field=row.field, severity="info")
        return []
    key = row.required[0]
    if row.split is None or key not in values:
        item = draft.make_next(row.model, row.field, values)
        return [] if item is None else [item]
    chunks = [{**values, key: p.strip()} for p in values[key].split(row.split) if p.strip()]
    return [item for chunk in chunks
            if (item := draft.make_next(row.model, row.field, chunk)) is not None]


def _children_by_tag(root: etree._Element) -> dict[Any, list[etree._Element]]:
    index: dict[Any, list[etree._Element]] = {}
    for element in root:
        index.setdefault(element.tag, []).append(element)
    return index


def _elements(plan: _Plan, index: dict[Any, list[etree._Element]]) -> list[etree._Element]:
    """The elements at the plan's path, in document order, read from an index of the record
    root's children built once per record (three times faster than an ElementPath search per
    row)."""
    found = index.get(plan.steps[0], ())
    for tag in plan.steps[1:]:
        found = [element for parent in found for element in parent.iterchildren(tag)]
    return found


def apply_rows(draft: Draft, root: etree._Element, namespace: str,
               rows: tuple[Row, ...]) -> None:
    """Fill the draft from `root` following a mapping table."""
    index = _children_by_tag(root)
    fields = draft.fields
    for plan in _plans(rows, namespace):
        row = plan.row
        if not row.many and row.field in fields:
            continue
        for element in _elements(plan, index):
            for item in _items(plan, element, namespace, draft):
                tidied = row.tidy(draft, item, element) if row.tidy else item
                if tidied is None:
                    continue
                if row.many:
                    fields.setdefault(row.field, []).append(tidied)
                else:
                    draft.set(row.field, tidied)
                    break
            if not row.many and row.field in fields:
                break


def describe(source: Source) -> str:
    """How a source reads its value, as the mapping docs spell it."""
    if source is TEXT or source is PROSE:
        return "text" if source is TEXT else "text (paragraphs kept)"
    return source.__doc__ or "?"
