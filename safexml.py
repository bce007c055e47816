"""The one way we parse untrusted XML: no DTDs, no entity expansion, no network, bounded sizes.

Partners' XML is untrusted. Every parser here is built with entity resolution and DTD loading
off, network access off and huge-tree support off (so libxml2 keeps its own depth and text-node
limits). Illegal XML 1.0 characters, which real feeds do contain, are repaired before parsing
and the caller is told how many were replaced.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

from lxml import etree

from errors import UnparseableResponseError

# XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
_ILLEGAL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ILLEGAL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
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
    # Deleting the control bytes (a C loop) tells whether there are any six times faster
    # than searching for them with the regex, which only runs when there are.
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        data, n = _ILLEGAL_BYTES.subn("\ufffd".encode(), data)
        count += n
    if b"&#" in data and _ILLEGAL_REF.search(data):
        data, n = _ILLEGAL_REF.subn(b"&#xFFFD;", data)
        count += n
    return data, count


# The encoding pseudo-attribute of an XML declaration, e.g. <?xml version="1.0" encoding="x"?>
_DECLARED = re.compile(rb"""\A(\xef\xbb\xbf)?(\s*<\?xml\s[^>]*?encoding\s*=\s*["'])([A-Za-z][\w.:-]*)(["'])""")
_UTF8_NAMES = {"utf-8", "utf8"}
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


class Utf8Body(NamedTuple):
    """A response body as UTF-8, how many byte sequences were replaced, and what was done."""

    data: bytes
    replaced: int = 0
    note: str | None = None


def as_utf8(data: bytes, http_charset: str | None = None) -> Utf8Body:
    """The body in UTF-8 whatever its labels claim, so text is never silently garbled.

    Bytes that are valid UTF-8 are UTF-8: a legacy label (`encoding="ISO-8859-1"` in the XML
    declaration, or the HTTP charset) on UTF-8 bytes is a mislabel, as real Latin-1 text is
    practically never valid UTF-8. Bytes that are not valid UTF-8 follow the declaration, else
    the HTTP charset; with neither (or a wrong "UTF-8" on both), each invalid sequence becomes
    U+FFFD and is counted like any other repair. UTF-16 and UTF-32 documents are left to libxml2.
    """
    if data.startswith(_WIDE_BOMS):
        return Utf8Body(data)
    match = _DECLARED.match(data[:512])
    declared = match.group(3).decode("ascii").lower() if match else None
    if _is_utf8(data):
        if declared is None or declared in _UTF8_NAMES or data.isascii():
            return Utf8Body(data)
        return Utf8Body(_declare_utf8(data, match),
                        note=f"the document declares {match.group(3).decode()} but its bytes "
                             f"are UTF-8; read as UTF-8")
    labels = [label for label in (declared, http_charset)
              if (codec := _codec(label)) is not None and codec.name != "utf-8"]
    for label in labels:
        try:
            text = data.decode(label)
        except UnicodeDecodeError:
            continue
        note = None if label == declared else (
            f"the document is not UTF-8; read as {label} as the HTTP header says")
        return Utf8Body(_declare_utf8(text.encode("utf-8"), match), note=note)
    codec = labels[0] if labels else "UTF-8"
    text = data.decode(codec, errors="replace")
    replaced = text.count("\ufffd") - data.count("\ufffd".encode())
    return Utf8Body(_declare_utf8(text.encode("utf-8"), match), replaced,
                    f"{replaced} byte sequence(s) that are not {codec} were replaced with U+FFFD")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _codec(label: str | None) -> codecs.CodecInfo | None:
    if not label:
        return None
    try:
        return codecs.lookup(label)
    except LookupError:
        return None


def _declare_utf8(data: bytes, match: re.Match[bytes] | None) -> bytes:
    """`data` with its XML declaration's encoding changed to UTF-8, when it names one."""
    if match is None:
        return data
    found = _DECLARED.match(data[:512])
    if found is None:
        return data
    return data[:found.start(3)] + b"UTF-8" + data[found.end(3):]


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
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
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
