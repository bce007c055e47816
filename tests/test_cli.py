"""The `os10` command: output a steward can read, errors as sentences, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from cli.main import main
from simulator import Feed, SimulatorServer
from store.database import head_revision

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def world(tmp_path, monkeypatch):
    feeds = {"alpha": Feed(count=120, seed=1, start=datetime(2024, 1, 1, tzinfo=UTC)),
             "beta": Feed(count=80, seed=2, start=datetime(2024, 1, 1, tzinfo=UTC))}
    with SimulatorServer(feeds, host="127.0.0.1", port=0) as sim:
        sources = tmp_path / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": [
            {"id": "alpha", "name": "Alpha", "protocol": "oai_pmh", "url": sim.url("alpha"),
             "metadata_prefix": "oai_datacite", "max_requests_per_second": 500},
            {"id": "beta", "name": "Beta", "protocol": "oai_pmh", "url": sim.url("beta"),
             "metadata_prefix": "oai_dc", "max_requests_per_second": 500, "priority": 5},
        ]}))
        monkeypatch.setenv("OS10_SOURCES", str(sources))
        monkeypatch.setenv("OS10_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
        yield tmp_path


def test_sources_list_shows_the_registry(world, capsys):
    assert main(["sources", "list"]) == 0
    out = capsys.readouterr().out
    assert "alpha" in out and "oai_datacite" in out and "beta" in out and "@daily" in out


def test_harvest_all_then_status_and_export(world, capsys):
    assert main(["harvest", "--all"]) == 0
    out = capsys.readouterr().out
    assert "alpha: incremental harvest succeeded: 120 seen, 120 new" in out
    assert "beta: incremental harvest succeeded: 80 seen, 80 new" in out

    assert main(["status"]) == 0
    status = capsys.readouterr().out
    assert "succeeded" in status and "120" in status and "80" in status

    out_file = world / "out" / "catalogue.jsonl"
    assert main(["export", "--format", "jsonl", "--out", str(out_file)]) == 0
    # 200 harvested records; the 8 DOIs both partners share (index % 10 == 0) merge into one.
    assert f"Wrote 192 records as jsonl to {out_file}" in capsys.readouterr().out
    lines = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 192
    assert {s for line in lines for s in line["sources"]} == {"alpha", "beta"}
    assert sum(line["sources"] == ["beta", "alpha"] for line in lines) == 8  # by priority

    assert main(["remap", "alpha"]) == 0
    assert "Remapped 120 records: 0 changed" in capsys.readouterr().out


def test_errors_are_sentences_not_tracebacks(world, capsys):
    assert main(["harvest", "gamma"]) == 1
    err = capsys.readouterr().err
    assert "There is no source 'gamma'" in err and "Known sources: alpha, beta" in err
    assert "Traceback" not in err
    assert main(["export", "--format", "xlsx", "--out", str(world / "x")]) == 1
    assert ("There is no export format 'xlsx'. Known formats: datacite-xml, dcat-jsonld, "
            "dcat-rdfxml, dcat-ttl, jsonl, schemaorg.") in capsys.readouterr().err


def test_a_failing_source_is_reported_and_the_exit_code_says_so(world, capsys, monkeypatch):
    sources = Path(world / "sources.yaml")
    data = yaml.safe_load(sources.read_text())
    data["sources"][0]["url"] = "http://127.0.0.1:9/oai"  # nothing listens on port 9
    data["sources"][0]["max_retries"] = 0
    sources.write_text(yaml.safe_dump(data))
    assert main(["harvest", "alpha"]) == 1
    err = capsys.readouterr().err
    assert "Source 'alpha'" in err and "run `os10 harvest alpha` again" in err
    assert "Traceback" not in err


def test_the_console_script_runs_db_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    result = subprocess.run([str(Path(sys.executable).with_name("os10")), "--db", url, "db",
                             "upgrade"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"is at schema revision {head_revision()}" in result.stdout
