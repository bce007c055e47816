"""The benchmark suite runs end to end (300 records, SQLite) and reports every figure; it
measures nothing here and writes neither docs/ nor bench/results/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from exporters import EXPORTERS

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {"limit_fetch", "limit_parse", "limit_extract", "limit_extract_oai_dc",
           "limit_load_sqlite", "baseline", "harvest_first", "harvest_incremental_nochange",
           "harvest_full_unchanged", "remap", "merge", "provider", "harvest_first_oai_dc",
           *(f"export_{fmt}" for fmt in EXPORTERS)}


def _mtime(path: Path) -> float | None:
    return path.stat().st_mtime if path.exists() else None


@pytest.mark.timeout(240)
def test_the_benchmark_suite_reports_every_figure_at_300_records(tmp_path):
    docs, results = ROOT / "docs" / "performance.md", ROOT / "bench" / "results"
    before = (_mtime(docs), sorted(results.glob("*")) if results.exists() else [])
    # Mapping in-process: the worker pool's start-up (a fixed few seconds) would be most of
    # the run at 300 records, and the suite's machinery is what this checks.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OS10_MAP_WORKERS": "0"}
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--n", "300", "--db", "sqlite",
         "--results-dir", str(tmp_path / "results"), "--out", str(tmp_path / "copy.json")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=230)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    document = json.loads((tmp_path / "copy.json").read_text(encoding="utf-8"))
    assert [p.name for p in (tmp_path / "results").iterdir()] == [
        f"{document['date']}-n300.json"]
    assert (document["n"], document["baseline_n"], document["dbs"]) == (300, 300, ["sqlite"])
    figures = {f["name"]: f for f in document["figures"]}
    assert set(figures) == FIGURES and len(document["figures"]) == len(FIGURES)
    for name, figure in figures.items():
        assert figure["error"] is None, (name, figure["error"])
        assert figure["db"] == (None if name.startswith("limit_") and name != "limit_load_sqlite"
                                else "sqlite")
        assert figure["records_per_s"] > 0 and figure["peak_rss_bytes"] > 0, name
        assert figure["peak_rss_mb"] == round(figure["peak_rss_bytes"] / 2**20, 1)
    for name in FIGURES - {"harvest_incremental_nochange"}:
        assert figures[name]["n"] == 300, name
    assert figures["harvest_full_unchanged"]["extra"]["rows_written"] == 0
    assert figures["harvest_first"]["ratio_to_baseline"] > 0
    assert document["machine"]["cores"] == os.cpu_count()
    assert document["record_size"]["oai_datacite_payload_bytes"] > 1000
    assert any(t["target"].startswith("incremental harvest") for t in document["targets"])
    assert (_mtime(docs), sorted(results.glob("*")) if results.exists() else []) == before
