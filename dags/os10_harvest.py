"""Airflow wiring: one harvest DAG per enabled source in sources.yaml, and the catalogue DAG.

Parsing this file reads sources.yaml (OS10_SOURCES) and nothing else: no database, no network,
no heavy imports; every task imports what it calls when it runs. Each task is one call into
pipeline.tasks, the same code the `os10` CLI runs.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import Asset, AssetAny, Param, dag, get_current_context, task

import settings
from pipeline.registry import load_sources
from scheduling.errors import classified
from scheduling.notifiers import failure_notifiers
from scheduling.pools import pool_name

START = pendulum.datetime(2024, 1, 1, tz="UTC")
DEFAULTS = {
    "retries": 3,
    "retry_delay": pendulum.duration(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": pendulum.duration(hours=1),
    "on_failure_callback": failure_notifiers(),
}


def source_asset(source_id: str) -> Asset:
    return Asset(name=f"os10_source_{source_id}", uri=f"os10://sources/{source_id}")


def host_pool(url: str) -> str:
    """One Airflow pool per partner host caps concurrent requests across all its DAGs
    (created by `python -m scheduling.pools`)."""
    return pool_name(url)


def build_source_dag(source):
    @dag(
        dag_id=f"os10_harvest__{source.id}",
        description=f"Harvest {source.name} ({source.protocol}) into the os10 store",
        schedule=source.schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,  # one active run per source: never two harvests writing at once
        default_args=DEFAULTS,
        tags=["os10", "harvest", source.protocol],
        params={"mode": Param("incremental", enum=["incremental", "full", "window"],
                              description="window uses the run's data interval")},
    )
    def harvest_dag():
        @task(pool=host_pool(source.base_url))
        @classified
        def check_endpoint() -> dict:
            from pipeline import tasks

            return tasks.check_endpoint(source.id)

        if source.chunk_by:
            _wire_chunked(source, check_endpoint())
            return

        @task(pool=host_pool(source.base_url), outlets=[source_asset(source.id)])
        @classified
        def harvest() -> dict:
            from pipeline import tasks

            context = get_current_context()
            mode = context["params"]["mode"]
            # Backfills harvest their data interval and never move the watermark.
            if context["dag_run"].run_type == "backfill":
                mode = "window"
            start, end = context.get("data_interval_start"), context.get("data_interval_end")
            return tasks.harvest(source.id, mode=mode,
                                 window_from=start.isoformat() if start else None,
                                 window_until=end.isoformat() if end else None)

        @task
        @classified
        def write_report(result: dict) -> dict:
            from pipeline import tasks

            return tasks.write_report(source.id, result["run_id"])

        harvested = harvest()
        check_endpoint() >> harvested
        write_report(harvested)

    return harvest_dag()


def _wire_chunked(source, checked) -> None:
    """Plan chunks (one per set, or one per year for a first harvest), harvest them in
    parallel with dynamic task mapping, seal the watermark, then report."""

    @task
    @classified
    def plan_chunks() -> list[dict]:
        from pipeline import tasks

        context = get_current_context()
        now = context.get("data_interval_end") or context["dag_run"].run_after
        return tasks.plan_chunks(source.id, now.isoformat())

    @task(pool=host_pool(source.base_url), max_active_tis_per_dagrun=4)
    @classified
    def harvest_chunk(chunk: dict) -> dict:
        from pipeline import tasks

        return tasks.harvest_chunk(source.id, chunk)

    @task(outlets=[source_asset(source.id)])
    @classified
    def seal_and_report(chunks: list[dict], results: list[dict]) -> dict:
        from pipeline import tasks

        for result in results:
            tasks.write_report(source.id, result["run_id"])
        return tasks.seal(source.id, chunks)

    plan = plan_chunks()
    checked >> plan
    seal_and_report(plan, harvest_chunk.expand(chunk=plan))


def build_catalogue_dag(sources):
    assets = [source_asset(s.id) for s in sources]

    @dag(
        dag_id="os10_catalogue",
        description="Merge the harvested records and export the catalogue",
        schedule=AssetAny(*assets) if assets else None,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULTS,
        tags=["os10", "catalogue"],
    )
    def catalogue_dag():
        @task
        @classified
        def merge() -> dict:
            from pipeline import tasks

            return tasks.merge()

        @task
        @classified
        def export(merged: dict) -> dict:
            from pipeline import tasks

            formats = os.environ.get("OS10_EXPORT_FORMATS", "jsonl").split(",")
            return tasks.export([f.strip() for f in formats if f.strip()])

        export(merge())

    return catalogue_dag()


_registry = load_sources(settings.sources_path(), check_names=False)
_enabled = [s for s in _registry.sources if s.enabled]
for _source in _enabled:
    globals()[f"os10_harvest__{_source.id}"] = build_source_dag(_source)
os10_catalogue = build_catalogue_dag(_enabled)
