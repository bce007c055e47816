"""Source health for operators: last success and failure, counts over time, stale and drop flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from schemas import RunReport, SourceConfig
from store import Store

# How often an alias schedule expects a success; cron expressions are measured with croniter.
_ALIASES = {"@hourly": timedelta(hours=1), "@daily": timedelta(days=1),
            "@weekly": timedelta(weeks=1), "@monthly": timedelta(days=31),
            "@yearly": timedelta(days=366), "@annually": timedelta(days=366)}
DROP_SHARE = 0.2  # a fall of more than this share of live records between runs is flagged


@dataclass
class SourceHealth:
    source_id: str
    name: str | None = None
    schedule: str | None = None
    live: int = 0
    deleted: int = 0
    unmapped: int = 0
    held: int = 0  # deletions held by the deletion guard
    last_run: RunReport | None = None
    last_success: datetime | None = None
    last_failure: datetime | None = None
    last_failure_reason: str | None = None
    history: list[tuple[datetime, int]] = field(default_factory=list)  # (run end, live)
    flags: list[str] = field(default_factory=list)  # sentences for the operator


def schedule_interval(schedule: str | None) -> timedelta | None:
    if not schedule or schedule == "@once":
        return None
    if schedule in _ALIASES:
        return _ALIASES[schedule]
    try:
        from croniter import croniter
    except ImportError:  # croniter comes with Airflow; without it, cron schedules go unchecked
        return None
    iterator = croniter(schedule, datetime(2024, 1, 1, tzinfo=UTC))
    first = iterator.get_next(datetime)
    return iterator.get_next(datetime) - first


def source_health(store: Store, sources: list[SourceConfig], *,
                  now: datetime | None = None) -> list[SourceHealth]:
    now = now or datetime.now(UTC)
    counts = store.counts()
    known = {s.id: s for s in sources}
    ids = list(dict.fromkeys([*known, *sorted(store.last_runs()), *sorted(counts)]))
    result = []
    for source_id in ids:
        source = known.get(source_id)
        health = SourceHealth(source_id=source_id, name=source.name if source else None,
                              schedule=source.schedule if source else None,
                              **counts.get(source_id, {}))
        health.held = store.held_count(source_id)
        runs = store.runs(source_id, limit=50)
        health.last_run = runs[0] if runs else None
        for run in runs:
            if run.status == "succeeded" and health.last_success is None:
                health.last_success = run.finished_at
            if run.status == "failed" and health.last_failure is None:
                health.last_failure = run.finished_at or run.started_at
                health.last_failure_reason = run.error
        health.history = [(r.finished_at, r.live_after) for r in reversed(runs)
                          if r.status == "succeeded" and r.live_after is not None]
        _flag(health, now, source)
        result.append(health)
    return result


def _flag(health: SourceHealth, now: datetime, source: SourceConfig | None) -> None:
    if source is None:
        health.flags.append("Not in sources.yaml any more; its records are still stored.")
    elif not source.enabled:
        health.flags.append("Disabled in sources.yaml.")
    interval = schedule_interval(health.schedule)
    if source and source.enabled and interval:
        if health.last_success is None:
            if health.last_run is not None:
                health.flags.append("Stale: it has never been harvested successfully.")
        elif now - health.last_success > 2 * interval:
            health.flags.append(
                f"Stale: no successful harvest since {health.last_success:%Y-%m-%d %H:%MZ}, "
                f"more than twice its schedule ({health.schedule}).")
    if len(health.history) >= 2:
        (_, before), (_, after) = health.history[-2], health.history[-1]
        if before and after < before * (1 - DROP_SHARE):
            health.flags.append(
                f"Record count dropped from {before} to {after} "
                f"({(before - after) / before:.0%}) in the last run.")
    if health.held:
        health.flags.append(
            f"{health.held} deletions are waiting for approval: `os10 deletions approve "
            f"{health.source_id}` carries them out, `os10 deletions discard "
            f"{health.source_id}` keeps the records.")
    if health.last_run and health.last_run.status == "failed":
        health.flags.append(f"Last run failed: {health.last_failure_reason}")
