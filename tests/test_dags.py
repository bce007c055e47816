"""The Airflow DAGs: they parse without touching a database or the network, and really run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

pytest.importorskip("airflow", reason="Airflow is installed by `make test` (extra 'airflow')")

from simulator import Feed, SimulatorServer  # noqa: E402
from store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"

PARSE = """
import json, socket, sys
from airflow.dag_processing.dagbag import DagBag  # Airflow's own metadata engine is set up here
def refuse(*args, **kwargs):
    raise AssertionError("a DAG file opened a network connection at parse time")
socket.socket.connect = refuse
import sqlalchemy
def no_engine(*args, **kwargs):
    raise AssertionError("a DAG file created a database engine at parse time")
sqlalchemy.create_engine = no_engine
bag = DagBag(dag_folder=sys.argv[1])
heavy = [m for m in ("pipeline.harvest", "harvesters", "mappers", "store", "lxml", "langdetect")
         if m in sys.modules]
print(json.dumps({"dags": sorted(bag.dags), "errors": {k: str(v) for k, v in
                  bag.import_errors.items()}, "heavy": heavy,
                  "pools": {d: sorted({t.pool for t in bag.dags[d].tasks}) for d in bag.dags},
                  "schedules": {d: str(bag.dags[d].schedule) for d in bag.dags}}))
"""

RUN = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
results = {}
for dag_id in sys.argv[2:]:
    run = bag.dags[dag_id].test()
    results[dag_id] = str(run.state)
print("RESULT " + json.dumps(results))
"""


def write_sources(path: Path, sources: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"sources": sources}))
    return path


def source_entry(source_id: str, url: str, **extra) -> dict:
    return {"id": source_id, "name": source_id.title(), "protocol": "oai_pmh", "url": url,
            "metadata_prefix": "oai_datacite", "max_requests_per_second": 500,
            "retry_backoff_seconds": 0.05, **extra}


def airflow_env(tmp_path: Path, sources: Path, db_url: str) -> dict:
    home = tmp_path / "airflow"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "OS10_SOURCES": str(sources),
        "OS10_DATABASE_URL": db_url,
        "OS10_EXPORT_DIR": str(tmp_path / "exports"),
        "PYTHONPATH": str(ROOT),
    })
    return env


def test_every_dag_file_parses_without_database_network_or_heavy_imports(tmp_path):
    sources = write_sources(tmp_path / "sources.yaml", [
        source_entry("alpha", "http://alpha.example.org/oai", schedule="@hourly"),
        source_entry("beta", "http://repo.beta.example.org/oai", schedule="0 3 * * *"),
        source_entry("gamma", "http://gamma.example.org/oai", enabled=False),
    ])
    env = airflow_env(tmp_path, sources, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = subprocess.run([sys.executable, "-c", PARSE, str(DAGS)], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    parsed = json.loads(result.stdout.strip().splitlines()[-1])
    assert parsed["errors"] == {}
    assert parsed["dags"] == ["os10_catalogue", "os10_harvest__alpha", "os10_harvest__beta"]
    assert parsed["heavy"] == []
    assert parsed["pools"]["os10_harvest__beta"] == ["default_pool", "os10_host_repo_beta_"
                                                     "example_org"]
    assert "0 3 * * *" in parsed["schedules"]["os10_harvest__beta"]


def test_a_source_dag_and_then_the_catalogue_dag_run_for_real(tmp_path):
    feed = Feed(count=150, seed=5, start=datetime(2024, 1, 1, tzinfo=UTC))
    with SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as sim:
        sources = write_sources(tmp_path / "sources.yaml",
                                [source_entry("alpha", sim.url("alpha"))])
        db_url = f"sqlite:///{tmp_path / 'os10.sqlite3'}"
        env = airflow_env(tmp_path, sources, db_url)
        migrate = subprocess.run([str(Path(sys.executable).with_name("airflow")), "db",
                                  "migrate"], env=env, capture_output=True, text=True,
                                 timeout=300)
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        result = subprocess.run(
            [sys.executable, "-c", RUN, str(DAGS), "os10_harvest__alpha", "os10_catalogue"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-5000:]
        line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
        states = json.loads(line.removeprefix("RESULT "))
        assert states == {"os10_harvest__alpha": "success", "os10_catalogue": "success"}, (
            output[-5000:])
        assert "Harvest run 1 of alpha: succeeded" in output

    store = Store.open(db_url)
    assert store.counts()["alpha"]["live"] == 150
    run = store.last_runs()["alpha"]
    assert (run.status, run.counts.new) == ("succeeded", 150)
    exported = tmp_path / "exports" / "catalogue-jsonl.jsonl"
    assert len(exported.read_text(encoding="utf-8").splitlines()) == 150


def test_big_sources_split_into_parallel_chunks_by_set_and_by_year(tmp_path):
    ten_days = 10 * 86400
    feeds = {"sets": Feed(count=120, seed=6, start=datetime(2024, 1, 1, tzinfo=UTC)),
             "years": Feed(count=150, seed=7, start=datetime(2021, 1, 1, tzinfo=UTC),
                           step_seconds=ten_days)}
    with SimulatorServer(feeds, host="127.0.0.1", port=0) as sim:
        sources = write_sources(tmp_path / "sources.yaml", [
            source_entry("sets", sim.url("sets"), chunk_by="set",
                         sets=["collection:a", "collection:b", "collection:c"]),
            source_entry("years", sim.url("years"), chunk_by="year"),
        ])
        db_url = f"sqlite:///{tmp_path / 'os10.sqlite3'}"
        env = airflow_env(tmp_path, sources, db_url)
        assert subprocess.run([str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
                              env=env, capture_output=True, timeout=300).returncode == 0
        result = subprocess.run(
            [sys.executable, "-c", RUN, str(DAGS), "os10_harvest__sets", "os10_harvest__years"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-5000:]
        line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
        assert json.loads(line.removeprefix("RESULT ")) == {
            "os10_harvest__sets": "success", "os10_harvest__years": "success"}, output[-5000:]

    store = Store.open(db_url)
    assert store.counts()["sets"]["live"] == 120
    assert store.counts()["years"]["live"] == 150
    assert [r.mode for r in store.runs("sets")] == ["incremental"] * 3  # one run per set
    years = store.runs("years")
    # One backfill window per year, from the endpoint's earliest datestamp to this year.
    assert {r.mode for r in years} == {"window"}
    assert len(years) == datetime.now(UTC).year - 2021 + 1
    assert sum(r.counts.seen for r in years) == 150
    # The backfill sealed the watermark, so the next run of "years" is incremental.
    assert store.state("years").watermark is not None
    assert store.state("sets@set:collection:b").watermark is not None
