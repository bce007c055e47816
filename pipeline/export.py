"""Write the catalogue in an export format, streamed to a temporary file that replaces the target."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path

from errors import ExportError
from exporters import get_exporter
from pipeline.progress import Progress
from store import Store

log = logging.getLogger("os10.export")


def export_catalogue(store: Store, fmt: str, out: Path, *, since: datetime | None = None,
                     source_ids: list[str] | None = None, progress: bool = True) -> int:
    """Export records (with tombstones when `since` is given); returns how many were written."""
    exporter_class = get_exporter(fmt)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meter = Progress(f"export {fmt}") if progress else None
    written = 0
    handle, temp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            exporter = exporter_class(stream)
            exporter.begin()
            for row in store.iter_records(source_ids, include_deleted=since is not None,
                                          since=since):
                if row["record"] is None and not row["deleted"]:
                    continue  # unmappable: reported by `os10 status`, not exported
                exporter.write(row)
                written += 1
                if meter and written % 500 == 0:
                    meter.advance(500)
            exporter.end()
        if meter:
            meter.advance(written % 500)
        os.replace(temp_name, out)
    except OSError as exc:
        raise ExportError(f"Cannot write the export to {out}: {exc.strerror}.") from exc
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    if meter:
        meter.finish()
    log.info("Exported %d records as %s to %s.", written, fmt, out)
    return written
