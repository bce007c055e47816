"""The issue's performance targets, evaluated against a run's figures: measured, required, pass.

A target whose figures are missing or failed is reported with `passed: null` and the reason.
The memory target is set at N=100,000 (300 MB); a larger run is held to 1.2 times the same
figure of the newest committed 100,000-record results file, when there is one.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bench.processes import ROOT

RSS_LIMIT_MB = 300.0
RSS_REFERENCE_N = 100_000
RSS_GROWTH = 1.2
EXPORT_MIN_RATE = 2000.0


def _find(figures: list[dict], name: str, db: str | None) -> dict | None:
    return next((f for f in figures if f["name"] == name and f["db"] == db), None)


def _target(target: str, db: str | None, figure: str, measured, required: str,
            passed: bool | None, note: str = "") -> dict:
    return {"target": target, "db": db, "figure": figure, "measured": measured,
            "required": required, "passed": passed, "note": note}


def _missing(*figures: dict | None) -> str:
    for figure in figures:
        if figure is None:
            return "not measured"
        if figure.get("error"):
            return f"{figure['name']} ({figure['db']}) failed"
    return ""


def _ratio(target: str, db: str | None, figure: dict | None, other: dict | None,
           minimum: float, required: str, name: str = "") -> dict:
    name = figure["name"] if figure else name
    why = _missing(figure, other)
    if why or not other["records_per_s"]:
        return _target(target, db, name, None, required, None, why or "no comparator rate")
    ratio = figure["records_per_s"] / other["records_per_s"]
    return _target(target, db, name, round(ratio, 2), required, ratio >= minimum)


def committed_reference(results_dir: Path) -> tuple[Path, dict] | None:
    """The newest results file with n == 100,000 that git tracks (any such file on disk if
    this is not a git checkout)."""
    try:
        listed = subprocess.run(["git", "ls-files", "--", str(results_dir)], cwd=ROOT,
                                capture_output=True, text=True, timeout=30, check=True)
        paths = [ROOT / line for line in listed.stdout.splitlines() if line.endswith(".json")]
    except (OSError, subprocess.SubprocessError):
        paths = list(results_dir.glob("*.json"))
    found = []
    for path in paths:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if document.get("n") == RSS_REFERENCE_N:
            found.append((document.get("started_at", ""), path, document))
    if not found:
        return None
    _, path, document = max(found, key=lambda item: (item[0], str(item[1])))
    return path, document


def evaluate(figures: list[dict], n: int, dbs: list[str],
             reference: tuple[Path, dict] | None = None) -> list[dict]:
    targets = []
    pg = "postgres"
    first_pg = _find(figures, "harvest_first", pg)
    targets.append(_ratio("first harvest (oai_datacite) >= 4x baseline", pg, first_pg,
                          _find(figures, "baseline", pg), 4.0, ">= 4x baseline",
                          "harvest_first"))
    targets.append(_ratio("first harvest (oai_datacite) >= 50% of limit_extract", pg, first_pg,
                          _find(figures, "limit_extract", None), 0.5, ">= 0.5x limit_extract",
                          "harvest_first"))
    for db in dbs:
        first = _find(figures, "harvest_first", db)
        full = _find(figures, "harvest_full_unchanged", db)
        targets.append(_ratio("full re-harvest of unchanged records >= 2x first harvest", db,
                              full, first, 2.0, ">= 2x harvest_first", "harvest_full_unchanged"))
        why = _missing(full)
        written = None if why else full["extra"].get("rows_written")
        targets.append(_target("full re-harvest of unchanged records writes no row", db,
                               "harvest_full_unchanged", written, "0 rows",
                               None if written is None else written == 0, why))
        nochange = _find(figures, "harvest_incremental_nochange", db)
        why = _missing(nochange)
        seconds = None if why else nochange["seconds"]
        targets.append(_target("incremental harvest with nothing changed < 2 s", db,
                               "harvest_incremental_nochange",
                               None if seconds is None else round(seconds, 3), "< 2 s",
                               None if seconds is None else seconds < 2.0, why))
        targets.append(_ratio("remap >= 1.5x first harvest", db, _find(figures, "remap", db),
                              first, 1.5, ">= 1.5x harvest_first", "remap"))
        for figure in figures:
            if figure["db"] == db and (figure["name"].startswith("export_")
                                       or figure["name"] == "provider"):
                why = _missing(figure)
                rate = None if why else round(figure["records_per_s"])
                targets.append(_target(f"{figure['name']} >= 2,000 records/s", db,
                                       figure["name"], rate, ">= 2,000 records/s",
                                       None if rate is None else rate >= EXPORT_MIN_RATE, why))
    targets += _sqlite_vs_postgres(figures, dbs)
    targets += _memory(figures, n, reference)
    return targets


def _sqlite_vs_postgres(figures: list[dict], dbs: list[str]) -> list[dict]:
    if not {"sqlite", "postgres"} <= set(dbs):
        return [_target("SQLite within 2x of PostgreSQL", None, "os10 figures", None,
                        ">= 0.5x the PostgreSQL rate", None, "needs both databases")]
    targets = []
    for figure in figures:
        if figure["group"] != "os10" or figure["db"] != "sqlite":
            continue
        targets.append(_ratio("SQLite within 2x of PostgreSQL", "sqlite", figure,
                              _find(figures, figure["name"], "postgres"), 0.5,
                              ">= 0.5x the PostgreSQL rate"))
    return targets


def _memory(figures: list[dict], n: int, reference: tuple[Path, dict] | None) -> list[dict]:
    targets = []
    for figure in figures:
        if figure["group"] != "os10":
            continue
        measured = figure["peak_rss_mb"]
        if measured is None or figure["error"]:
            targets.append(_target("peak RSS", figure["db"], figure["name"], measured, "",
                                   None, _missing(figure) or "not measured"))
            continue
        if n <= RSS_REFERENCE_N:
            note = "" if n == RSS_REFERENCE_N else f"target set at N=100,000; run at N={n:,}"
            targets.append(_target("peak RSS <= 300 MB", figure["db"], figure["name"],
                                   measured, "<= 300 MB", measured <= RSS_LIMIT_MB, note))
            continue
        base = None
        if reference is not None:
            base = _find(reference[1].get("figures", []), figure["name"], figure["db"])
        if base is None or not base.get("peak_rss_mb"):
            targets.append(_target("peak RSS <= 1.2x the N=100,000 run", figure["db"],
                                   figure["name"], measured, "<= 1.2x the N=100,000 figure",
                                   None, "no committed N=100,000 results with this figure"))
            continue
        limit = RSS_GROWTH * base["peak_rss_mb"]
        targets.append(_target("peak RSS <= 1.2x the N=100,000 run", figure["db"],
                               figure["name"], measured, f"<= {limit:.1f} MB",
                               measured <= limit,
                               f"N=100,000: {base['peak_rss_mb']} MB in {reference[0].name}"))
    return targets
