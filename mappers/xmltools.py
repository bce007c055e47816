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


def LANG(element: etree._Element, namespace: str) -> str | None:  # noqa: N802 - a table constant
    value = element.get(XML_LANG)
    return (value.strip() or None) if value else None


def attr(name: str) -> Source:
    def read(element: etree._Element, namespace: str) -> str | None:
        value = element.get(name)
        return (value.strip() or None) if value else None
    read.__doc__ = f"@{name}"
    return read


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


def _items(row: Row, element: etree._Element, namespace: str,
           draft: Draft) -> list[Any]:
    if row.model is None:
        value = text_of(element)
        if value is None:
            return []
        pieces = value.split(row.split) if row.split else [value]
        return [p.strip() for p in pieces if p.strip()]
    values = {name: source(element, namespace) for name, source in row.read.items()}
    if all(values.get(name) is None for name in row.required):
        draft.issue("empty_element", f"An empty {row.path} element was skipped.",
                    field=row.field, severity="info")
        return []
    key = row.required[0]
    if row.split is None or values.get(key) is None:
        chunks = [values]
    else:
        chunks = [{**values, key: p.strip()} for p in values[key].split(row.split) if p.strip()]
    where = f"{row.field}[{draft.position(row.field)}]"
    return [item for chunk in chunks
            if (item := draft.make(row.model, where, **chunk)) is not None]


def _children_by_tag(root: etree._Element) -> dict[Any, list[etree._Element]]:
    index: dict[Any, list[etree._Element]] = {}
    for element in root:
        index.setdefault(element.tag, []).append(element)
    return index


def _at(root: etree._Element, index: dict[Any, list[etree._Element]], namespace: str,
        path: str):
    """The elements at `path` below `root`, in document order. One- and two-step paths (all a
    mapping table has) are read from an index of root's children built once per record, three
    times faster than an ElementPath search per row."""
    steps = path.split("/")
    if len(steps) == 1:
        return index.get(qualify(namespace, path), ())
    if len(steps) == 2:
        tag = qualify(namespace, steps[1])
        return (element for parent in index.get(qualify(namespace, steps[0]), ())
                for element in parent.iterchildren(tag))
    return root.iterfind(qualify(namespace, path))


def apply_rows(draft: Draft, root: etree._Element, namespace: str,
               rows: tuple[Row, ...]) -> None:
    """Fill the draft from `root` following a mapping table."""
    index = _children_by_tag(root)
    for row in rows:
        if not row.many and row.field in draft.fields:
            continue
        for element in _at(root, index, namespace, row.path):
            for item in _items(row, element, namespace, draft):
                tidied = row.tidy(draft, item, element) if row.tidy else item
                if tidied is None:
                    continue
                if row.many:
                    draft.append(row.field, tidied)
                else:
                    draft.set(row.field, tidied)
                    break
            if not row.many and row.field in draft.fields:
                break


def describe(source: Source) -> str:
    """How a source reads its value, as the mapping docs spell it."""
    if source in (TEXT, PROSE, LANG):
        return {TEXT: "text", PROSE: "text (paragraphs kept)", LANG: "@xml:lang"}[source]
    return source.__doc__ or "?"
