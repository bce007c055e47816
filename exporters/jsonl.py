"""JSON Lines: one merged catalogue entry per line, with its id, sources and field provenance.

A live entry is `{"id", "datestamp", "sources", "sets", "field_provenance", "record"}` with the
record in the common model's JSON; a deletion (in `--since` exports) is the small tombstone
`{"id", "datestamp", "deleted": true, "sources", "sets"}`.
"""

from __future__ import annotations

import json
import re
from typing import IO

from exporters.base import ExportItem, ExportOptions

# Written as \u escapes: lone surrogates (UTF-8 cannot carry them) and the characters that
# readers other than JSON's take for line breaks (NEL, LINE and PARAGRAPH SEPARATOR; Python's
# str.splitlines, JavaScript before ES2019). json.dumps writes them only inside strings, where
# the escape means the same, so every line still parses back to exactly the same value.
_UNSAFE = re.compile("[\x85\u2028\u2029\ud800-\udfff]")


def json_line(value: object) -> str:
    """`value` as JSON on one line, readable (not ASCII-escaped) and safe for any line reader."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


class JsonLinesExporter:
    name = "jsonl"
    suffix = ".jsonl"
    media_type = "application/jsonl"

    def __init__(self, out: IO[str], options: ExportOptions | None = None) -> None:
        self.out = out
        self.options = options or ExportOptions()

    def begin(self) -> None:
        pass

    def write(self, item: ExportItem) -> None:
        self.out.write(self.render(item))

    def render(self, item: ExportItem) -> str:
        """What write() writes for the item: it depends on nothing else (see Exporter)."""
        line: dict = {"id": item.id, "datestamp": item.datestamp.isoformat()}
        record = None if item.deleted else item.data
        if record is None:
            line["deleted"] = True
            line.update(sources=list(item.sources), sets=list(item.sets))
        else:
            if not self.options.include_emails and record.get("contact_points"):
                record = {**record, "contact_points": [
                    {k: v for k, v in contact.items() if k != "email"}
                    for contact in record["contact_points"]]}
            line.update(sources=list(item.sources), sets=list(item.sets),
                        field_provenance={k: list(v) for k, v in item.field_provenance.items()},
                        record=record)
        return json_line(line) + "\n"

    def end(self) -> None:
        pass
