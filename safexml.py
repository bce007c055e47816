"""The one way we parse untrusted XML: no DTDs, no entity expansion, no network, bounded sizes.

Partners' XML is untrusted. Every parser here is built with entity resolution and DTD loading
off, network access off and huge-tree support off (so libxml2 keeps its own depth and text-node
limits). Illegal XML 1.0 characters, which real feeds do contain, are repaired before parsing
and the caller is told how many were replaced.
"""

from __future__ import annotations

import re

from lxml import etree

from errors import UnparseableResponseError

# XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
_ILLEGAL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ILLEGAL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Character references to illegal code points, e.g. &#11; or &#x1F;
_ILLEGAL_REF = re.compile(
    rb"&#(?:x0*(?:[0-8bcBCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[1-2]|1[4-9]|2[0-9]|3[01]));"
)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


_PARSER = _parser()


def repair(data: bytes) -> tuple[bytes, int]:
    """Replace illegal XML characters (raw control bytes and references to them) with U+FFFD.

    Returns the repaired bytes and how many characters were replaced.
    """
    count = 0
    if _ILLEGAL_BYTES.search(data):
        data, n = _ILLEGAL_BYTES.subn("\ufffd".encode(), data)
        count += n
    if b"&#" in data and _ILLEGAL_REF.search(data):
        data, n = _ILLEGAL_REF.subn(b"&#xFFFD;", data)
        count += n
    return data, count


def clean_text(value: str) -> str:
    """Remove characters that XML 1.0 cannot carry from a Python string."""
    return _ILLEGAL_TEXT.sub("\ufffd", value) if _ILLEGAL_TEXT.search(value) else value


def parse(data: bytes | str, *, url: str | None = None, source: str | None = None) -> etree._Element:
    """Parse untrusted XML into an element; raise UnparseableResponseError with the reason.

    DOCTYPE declarations are refused outright: no partner needs one, and refusing them closes
    entity-expansion (billion laughs) and external-entity (XXE) attacks at the door. Without
    huge_tree, libxml2 itself refuses nesting deeper than 256 levels and text nodes over 10 MB.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    head = data[:4096].lstrip()
    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
        raise UnparseableResponseError(
            "The response declares a DTD or entities, which we refuse to process "
            "(protection against entity expansion and external entities).",
            url=url, source=source)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnparseableResponseError(
            f"The response is not well-formed XML: {exc}.", url=url, source=source) from exc
    if root is None:
        raise UnparseableResponseError("The response is empty.", url=url, source=source)
    return root
