"""JSON Lines: one record per line, in the common model's JSON, deletions as small tombstones."""

from __future__ import annotations

import json
from typing import IO, Any


class JsonLinesExporter:
    name = "jsonl"
    suffix = ".jsonl"

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def begin(self) -> None:
        pass

    def write(self, row: dict[str, Any]) -> None:
        if row["deleted"]:
            line = {"deleted": True, "source_id": row["source_id"],
                    "source_identifier": row["identifier"],
                    "datestamp": row["datestamp"].isoformat() if row["datestamp"] else None}
        else:
            line = row["record"]
        self.out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
        self.out.write("\n")

    def end(self) -> None:
        pass
