"""A run's results as people read them: comparator ratios, the terminal table, the results file
and the figures section of docs/performance.md."""

from __future__ import annotations

import json
from pathlib import Path

from bench.machine import one_line

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
DEFAULT_N = 100_000

# figure -> (the limit figure it is compared with, whether it is compared with the baseline
# of its database). Harvest figures: limit_extract and the baseline; the oai_dc harvest has its
# own limit and no baseline (the baseline reads oai_datacite).
COMPARATORS: dict[str, tuple[str | None, bool]] = {
    "limit_parse": ("limit_fetch", False),
    "limit_extract": ("limit_fetch", False),
    "limit_map": ("limit_extract", False),
    "limit_load_pg": ("limit_extract", False),
    "limit_load_sqlite": ("limit_extract", False),
    "baseline": ("limit_extract", False),
    "baseline_flat": ("limit_extract", False),
    "harvest_first": ("limit_extract", True),
    "harvest_full_unchanged": ("limit_extract", True),
    "harvest_first_oai_dc": ("limit_extract_oai_dc", False),
    "detect_languages": ("detect_langdetect", False),
}


def _find(figures: list[dict], name: str, db: str | None) -> dict | None:
    return next((f for f in figures if f["name"] == name and f["db"] == db), None)


def add_comparators(figures: list[dict]) -> None:
    """Give each figure `limit`/`baseline` (the comparator's records/s, or None) and the ratios."""
    for figure in figures:
        limit_name, with_baseline = COMPARATORS.get(figure["name"], (None, False))
        limit = _find(figures, limit_name, None) if limit_name else None
        baseline = _find(figures, "baseline", figure["db"]) if with_baseline else None
        for key, other in (("limit", limit), ("baseline", baseline)):
            rate = other["records_per_s"] if other else None
            figure[key] = rate
            figure[f"{key}_figure"] = other["name"] if other else None
            mine = figure["records_per_s"]
            figure[f"ratio_to_{key}"] = round(mine / rate, 3) if mine and rate else None


def record_sizes(figures: list[dict]) -> dict:
    """Mean sizes seen: bytes on the wire per record (OAI header and envelope included) and the
    stored metadata payload per record, for each format."""
    sizes = {"oai_datacite_wire_bytes": None, "oai_datacite_payload_bytes": None,
             "oai_dc_payload_bytes": None}
    fetch = _find(figures, "limit_fetch", None)
    if fetch and not fetch["error"]:
        sizes["oai_datacite_wire_bytes"] = fetch["extra"].get("wire_bytes_per_record")
    for name, key in (("harvest_first", "oai_datacite_payload_bytes"),
                      ("harvest_first_oai_dc", "oai_dc_payload_bytes")):
        for figure in figures:
            if figure["name"] == name and not figure["error"]:
                sizes[key] = figure["extra"].get("mean_payload_bytes")
                break
    return sizes


def _number(value, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(value) -> str:
    return "-" if value is None else f"{value:.2f}x"


def figure_rows(document: dict) -> list[tuple[str, ...]]:
    rows = [("figure", "db", "n", "seconds", "records/s", "peak RSS MB", "vs limit",
             "vs baseline")]
    for f in document["figures"]:
        if f["error"]:
            rows.append((f["name"], f["db"] or "-", "-", "-", "error", _number(f["peak_rss_mb"], 1),
                         "-", "-"))
            continue
        limit = (f"{_ratio(f['ratio_to_limit'])} {f['limit_figure']}"
                 if f.get("ratio_to_limit") is not None else "-")
        rows.append((f["name"], f["db"] or "-", _number(f["n"]), _number(f["seconds"], 2),
                     _number(f["records_per_s"]), _number(f["peak_rss_mb"], 1), limit,
                     _ratio(f.get("ratio_to_baseline"))))
    return rows


CPU_COLUMNS = ("figure", "workers", "partner", "provider", "postgresql")
MIN_CPU_N = 100


def cpu_rows(document: dict) -> list[tuple[str, ...]]:
    """CPU time a record by process, for the os10 figures: where the cores went."""
    rows = [("figure", "db", "records/s", *(f"{name} us" for name in CPU_COLUMNS),
             "total us", "cores busy")]
    for f in document["figures"]:
        cpu = f.get("cpu_us_per_record")
        # Skipped: an incremental run with nothing new (no per-record cost), and the language
        # detection figures, whose process also loads the models and checks the answers
        # outside the timed part.
        if f["error"] or not cpu or f["group"] != "os10" or not f["records_per_s"] or \
                f["n"] < MIN_CPU_N or f["db"] is None:
            continue
        total = sum(cpu.get(name) or 0 for name in CPU_COLUMNS)
        rows.append((f["name"], f["db"], _number(f["records_per_s"]),
                     *(_number(cpu.get(name)) for name in CPU_COLUMNS), _number(total),
                     _number(total * f["records_per_s"] / 1e6, 2)))
    return rows


def target_rows(document: dict) -> list[tuple[str, ...]]:
    rows = [("target", "db", "figure", "measured", "required", "result")]
    for t in document.get("targets", []):
        result = {True: "pass", False: "FAIL", None: "n/a"}[t["passed"]]
        if t["note"]:
            result += f" ({t['note']})"
        measured = t["measured"]
        shown = "-" if measured is None else (f"{measured:,}" if isinstance(measured, int)
                                               else str(measured))
        rows.append((t["target"], t["db"] or "-", t["figure"], shown, t["required"], result))
    return rows


def text_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    numeric = [i for i in range(len(rows[0])) if all(
        row[i].replace(",", "").replace(".", "").replace("-", "").replace("x", "").isdigit()
        or row[i] in ("-", "error") for row in rows[1:])]
    lines = []
    for r, row in enumerate(rows):
        cells = [cell.rjust(widths[i]) if i in numeric and r else cell.ljust(widths[i])
                 for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if r == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
              for row in rows[1:]]
    return "\n".join(lines)


def summary(document: dict) -> str:
    sizes = document.get("record_size", {})
    parts = [f"N = {document['n']:,} records (baseline: {document['baseline_n']:,}), "
             f"pages of {document['page_size']}"]
    payload, wire = sizes.get("oai_datacite_payload_bytes"), sizes.get("oai_datacite_wire_bytes")
    if payload:
        parts.append(f"mean oai_datacite record {payload:,} bytes"
                     + (f" ({wire:,} on the wire with its OAI header)" if wire else ""))
    elif wire:
        parts.append(f"mean oai_datacite record {wire:,} bytes on the wire with its OAI header")
    if sizes.get("oai_dc_payload_bytes"):
        parts.append(f"oai_dc {sizes['oai_dc_payload_bytes']:,} bytes")
    return "; ".join(parts)


def terminal_report(document: dict) -> str:
    counts = {True: 0, False: 0, None: 0}
    for t in document.get("targets", []):
        counts[t["passed"]] += 1
    failed = [f for f in document["figures"] if f["error"]]
    parts = [f"Machine: {one_line(document['machine'])}", summary(document), "",
             text_table(figure_rows(document)), "",
             text_table(cpu_rows(document)), "",
             text_table(target_rows(document)), "",
             f"Targets: {counts[True]} passed, {counts[False]} failed, {counts[None]} not "
             "evaluated."]
    parts += [f"Figure {f['name']} ({f['db'] or '-'}) failed: {f['error']}" for f in failed]
    parts += [f"Note: {note}" for note in document.get("notes", [])]
    return "\n".join(parts)


def results_name(document: dict) -> str:
    """`<date>.json` for the default N; other sizes get `<date>-n<N>.json`, so a large run does
    not overwrite the 100,000-record results it is compared with."""
    if document["n"] == DEFAULT_N:
        return f"{document['date']}.json"
    return f"{document['date']}-n{document['n']}.json"


def write_results(document: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def docs_section(document: dict) -> str:
    return "\n".join([
        BEGIN,
        f"Measured {document['date']} with `python -m bench` "
        f"(`--db {'both' if len(document['dbs']) == 2 else document['dbs'][0]}`).",
        "",
        f"Machine: {one_line(document['machine'])}.",
        "",
        summary(document) + ".",
        "",
        markdown_table(figure_rows(document)),
        "",
        "CPU time a record by process (microseconds; `figure` is the figure's own process, "
        "`workers` the mapping workers it started, the servers over the whole figure; `cores "
        "busy` is their sum times the rate):",
        "",
        markdown_table(cpu_rows(document)),
        "",
        "Targets:",
        "",
        markdown_table(target_rows(document)),
        END,
    ])


def refresh_docs(document: dict, path: Path) -> None:
    """Replace what stands between the markers in `path` with this run's figures."""
    text = path.read_text(encoding="utf-8")
    begin, end = text.find(BEGIN), text.find(END)
    if begin < 0 or end < begin:
        raise ValueError(f"{path} has no {BEGIN} ... {END} section to refresh")
    path.write_text(text[:begin] + docs_section(document) + text[end + len(END):],
                    encoding="utf-8")
