"""One run of the suite: the simulated partner, the scratch databases, every figure in order.

The partner (`python -m simulator`) and the provider (`os10 serve`) run in processes of their
own, so their CPU and memory are not in the figures. Each figure runs in a fresh child process
(`python -m bench.figure`); the servers, the child processes, the PostgreSQL databases and the
temporary directory are cleaned up whatever happens.
"""

from __future__ import annotations

import atexit
import json
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import machine, processes
from bench.databases import ScratchDatabases, pg_server_version, pg_unreachable

PAGE_SIZE = 500  # records per simulator page and per provider page
FEED_KEY = "bench"
LOG_TAIL_LINES = 15


@dataclass
class Options:
    n: int
    baseline_n: int
    dbs: tuple[str, ...]  # "sqlite" and/or "postgres"
    pg_url: str
    figure_timeout_s: float = 4 * 3600
    tick_s: float = 30.0


@dataclass
class Step:
    name: str
    group: str  # "limit", "baseline" or "os10"
    db: str | None  # "sqlite", "postgres", or None when the figure uses no database
    spec: dict
    chain: str | None = None  # once a chain's first step fails, the rest are skipped
    serves: bool = False  # runs against `os10 serve` on this step's store


@dataclass
class Run:
    """What the suite has started and must clean up, and what it found."""

    work: Path
    scratch: ScratchDatabases | None = None
    notes: list[str] = field(default_factory=list)
    cleaned: bool = False
    simulator_pid: int | None = None


def say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def export_formats() -> list[str]:
    """Every registered export format, so a new one is benchmarked without touching bench/."""
    from exporters import EXPORTERS

    return list(EXPORTERS)


def plan(options: Options, feed_url: str, work: Path,
         urls: dict[str, dict[str, str]]) -> list[Step]:
    """The figures in the order they run. `urls[db]` has the URLs of the db's stores."""
    base = {"feed_url": feed_url, "n": options.n, "baseline_n": options.baseline_n,
            "work_dir": str(work), "prefix": "oai_datacite"}
    steps = [Step("limit_fetch", "limit", None, dict(base)),
             Step("limit_parse", "limit", None, dict(base)),
             Step("limit_extract", "limit", None, dict(base)),
             Step("limit_map", "limit", None, dict(base)),
             Step("limit_extract_oai_dc", "limit", None, {**base, "prefix": "oai_dc"}),
             Step("detect_langdetect", "baseline", None, dict(base)),
             Step("detect_languages", "os10", None, dict(base))]
    for db in options.dbs:
        store = {**base, "db": db, "db_url": urls[db]["store"]}
        steps += [
            Step("limit_load_pg" if db == "postgres" else "limit_load_sqlite", "limit", db,
                 {**base, "db": db, "db_url": urls[db]["scratch"]}),
            Step("baseline", "baseline", db, {**base, "db": db, "db_url": urls[db]["scratch"]}),
            Step("baseline_flat", "baseline", db,
                 {**base, "db": db, "db_url": urls[db]["scratch"]}),
            Step("harvest_first", "os10", db, store, chain=f"store-{db}"),
            *(Step(name, "os10", db, store, chain=f"store-{db}") for name in (
                "harvest_incremental_nochange", "harvest_full_unchanged", "remap", "merge",
                *(f"export_{fmt}" for fmt in export_formats()))),
            Step("provider", "os10", db, store, chain=f"store-{db}", serves=True),
            Step("harvest_first_oai_dc", "os10", db,
                 {**base, "db": db, "db_url": urls[db]["store_dc"], "prefix": "oai_dc"}),
        ]
    return steps


def store_urls(options: Options, run: Run) -> dict[str, dict[str, str]]:
    urls = {}
    for db in options.dbs:
        if db == "sqlite":
            urls[db] = {purpose: f"sqlite:///{run.work / f'{purpose}.sqlite3'}"
                        for purpose in ("store", "store_dc", "scratch")}
        else:
            urls[db] = {"store": run.scratch.create(), "store_dc": run.scratch.create("dc"),
                        "scratch": run.scratch.create("scratch")}
    return urls


def _simulator_url(line: str) -> str | None:
    # "bench: http://127.0.0.1:40123/bench/oai (100000 records, seed 1)"
    if line.startswith(f"{FEED_KEY}: http"):
        return line.split()[1]
    return None


def _provider_url(line: str) -> str | None:
    # "Serving <db>: OAI-PMH at http://127.0.0.1:40124/oai, DCAT at ... (Ctrl-C stops)."
    if line.startswith("Serving ") and "OAI-PMH at " in line:
        return line.split("OAI-PMH at ", 1)[1].split(",", 1)[0]
    return None


def _log_tail(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _label(step: Step) -> str:
    return f"{step.name} ({step.db})" if step.db else step.name


def run_step(step: Step, index: int, total: int, options: Options, run: Run) -> dict:
    label = _label(step)
    stem = run.work / f"{index:02d}-{step.name}-{step.db or 'none'}"
    spec_path, result_path, log_path = (stem.with_suffix(s) for s in (".spec", ".json", ".log"))
    figure = {"name": step.name, "group": step.group, "db": step.db, "n": None,
              "seconds": None, "records_per_s": None, "peak_rss_bytes": None,
              "peak_rss_mb": None, "peak_rss_self_bytes": None, "peak_rss_children_bytes": None,
              "extra": {}, "error": None}
    server = None
    began = time.monotonic()
    say(f"{index}/{total} {label}: started")
    try:
        spec = dict(step.spec)
        if step.serves:
            server = processes.start(
                ["-m", "cli.main", "--db", spec["db_url"], "serve", "--host", "127.0.0.1",
                 "--port", "0", "--page-size", str(PAGE_SIZE), "--repository-id", "bench"],
                log=stem.with_suffix(".server.log"), stdout_pipe=True,
                env={"OS10_DATA_DIR": str(run.work / "data")})
            spec["provider_url"] = processes.read_ready_line(server, _provider_url)
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        servers_before = _server_cpu(run, server)
        child = processes.start(["-m", "bench.figure", step.name, "--spec", str(spec_path),
                                 "--result", str(result_path)], log=log_path)
        reaped = processes.reap(
            child, timeout_s=options.figure_timeout_s, tick_s=options.tick_s,
            on_tick=lambda elapsed: say(f"{index}/{total} {label}: running, {elapsed:,.0f} s"))
        servers_after = _server_cpu(run, server)
        result = (json.loads(result_path.read_text(encoding="utf-8"))
                  if result_path.exists() else {"ok": False})
        own, workers = result.get("peak_rss_self_bytes"), result.get("peak_rss_children_bytes")
        peak = max(own, workers) if own is not None else reaped.peak_rss_bytes
        figure.update(peak_rss_bytes=peak, peak_rss_mb=round(peak / 2**20, 1),
                      peak_rss_self_bytes=own, peak_rss_children_bytes=workers)
        if own is None:
            figure["peak_rss_note"] = "from wait4: an upper bound (the process did not report)"
        if result.get("ok"):
            n, seconds = result["n"], result["seconds"]
            figure.update(n=n, seconds=round(seconds, 4), extra=result.get("extra", {}),
                          records_per_s=round(n / seconds, 1) if seconds > 0 else None)
            figure["cpu_us_per_record"] = _cpu_per_record(
                n, {"figure": result.get("cpu_self_s"), "workers": result.get("cpu_workers_s")},
                servers_before, servers_after)
        elif reaped.timed_out:
            figure["error"] = f"timed out after {options.figure_timeout_s:,.0f} s"
        else:
            figure["error"] = result.get("error") or f"exited with code {reaped.exit_code}"
        if figure["error"]:
            figure["log_tail"] = _log_tail(log_path)
    except Exception as exc:  # noqa: BLE001 - record it and go on with the next figure
        figure["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        if server is not None:
            reaped_server = processes.stop(server)
            figure["extra"]["server_peak_rss_mb"] = round(reaped_server.peak_rss_bytes / 2**20, 1)
    elapsed = time.monotonic() - began
    if figure["error"]:
        say(f"{index}/{total} {label}: FAILED after {elapsed:,.1f} s: {figure['error']}")
    else:
        say(f"{index}/{total} {label}: done in {elapsed:,.1f} s: {figure['n']:,} records, "
            f"{figure['records_per_s'] or 0:,.0f}/s, peak RSS {figure['peak_rss_mb']} MB")
    return figure


def _server_cpu(run: Run, provider) -> dict[str, float | None]:
    """CPU seconds used so far by the processes serving a figure: the simulated partner, our
    provider when the figure has one, and the PostgreSQL server (when it runs here)."""
    return {"partner": processes.cpu_seconds(run.simulator_pid) if run.simulator_pid else None,
            "provider": processes.cpu_seconds(provider.pid) if provider is not None else None,
            "postgresql": processes.postgres_cpu_seconds()}


def _cpu_per_record(n: int, own: dict[str, float | None], before: dict[str, float | None],
                    after: dict[str, float | None]) -> dict[str, float] | None:
    """Microseconds of CPU a record, by process: the figure's process (its set-up included),
    the worker processes it started, and the servers (their use over the whole step)."""
    if not n:
        return None
    seconds = dict(own)
    for name in before:
        if before[name] is not None and after[name] is not None:
            seconds[name] = after[name] - before[name]
    return {name: round(value / n * 1e6, 1) for name, value in seconds.items()
            if value is not None}


def _skipped(step: Step, reason: str) -> dict:
    return {"name": step.name, "group": step.group, "db": step.db, "n": None, "seconds": None,
            "records_per_s": None, "peak_rss_bytes": None, "peak_rss_mb": None,
            "peak_rss_self_bytes": None, "peak_rss_children_bytes": None, "extra": {},
            "error": f"skipped: {reason}"}


def cleanup(run: Run) -> None:
    """Stop what we started, drop the databases we created, remove the work directory. Safe
    to call twice (the finally block, then atexit)."""
    if run.cleaned:
        return
    run.cleaned = True
    processes.stop_all()
    if run.scratch is not None:
        left = run.scratch.drop_all()
        if left:
            say(f"could not drop the PostgreSQL databases {', '.join(left)}; drop them by hand")
    shutil.rmtree(run.work, ignore_errors=True)


class Terminated(BaseException):
    """SIGTERM: unwinds like Ctrl-C through the finally blocks, which clean up."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.exit_code = 128 + signum


def _terminated(signum, _frame) -> None:
    raise Terminated(signum)


def run_suite(options: Options) -> dict:
    """Run every figure; returns the results document (without targets)."""
    run = Run(work=Path(tempfile.mkdtemp(prefix="os10-bench-")))
    atexit.register(cleanup, run)
    previous = signal.signal(signal.SIGTERM, _terminated)
    started_at = datetime.now(UTC)
    dbs, pg_version = list(options.dbs), None
    if "postgres" in dbs:
        reason = pg_unreachable(options.pg_url)
        if reason:
            note = (f"PostgreSQL is not reachable at {options.pg_url} ({reason}): measuring "
                    "SQLite only")
            say(note)
            run.notes.append(note)
            dbs = ["sqlite"]
        else:
            pg_version = pg_server_version(options.pg_url)
            run.scratch = ScratchDatabases(options.pg_url)
    options = Options(**{**options.__dict__, "dbs": tuple(dbs)})
    document = {"date": f"{started_at:%Y-%m-%d}", "started_at": started_at.isoformat(),
                "n": options.n, "baseline_n": options.baseline_n, "page_size": PAGE_SIZE,
                "dbs": list(options.dbs), "machine": machine.describe(pg_version),
                "rss_note": "peak_rss is the larger (not the sum) of the figure process's "
                            "own peak resident memory (VmHWM) and that of the worker "
                            "processes it waited for (getrusage RUSAGE_CHILDREN ru_maxrss); "
                            "the servers run in processes of their own and are not included.",
                "figures": []}
    try:
        say(f"N={options.n:,} records, baseline N={options.baseline_n:,}, databases: "
            f"{', '.join(options.dbs)}; work directory {run.work}")
        simulator = processes.start(
            ["-m", "simulator", "--host", "127.0.0.1", "--port", "0",
             "--feed", f"{FEED_KEY}:{options.n}", "--page-size", str(PAGE_SIZE)],
            log=run.work / "simulator.log", stdout_pipe=True)
        run.simulator_pid = simulator.pid
        feed_url = processes.read_ready_line(simulator, _simulator_url)
        say(f"simulated partner at {feed_url}")
        steps = plan(options, feed_url, run.work, store_urls(options, run))
        failed_chains: set[str] = set()
        for index, step in enumerate(steps, 1):
            if step.chain in failed_chains:
                figure = _skipped(step, "the first harvest of this store failed")
            else:
                figure = run_step(step, index, len(steps), options, run)
                if figure["error"] and step.name == "harvest_first" and step.chain:
                    failed_chains.add(step.chain)
            document["figures"].append(figure)
        reaped = processes.stop(simulator)
        document["simulator"] = {"peak_rss_mb": round(reaped.peak_rss_bytes / 2**20, 1)}
    finally:
        cleanup(run)
        signal.signal(signal.SIGTERM, previous)
    document["finished_at"] = datetime.now(UTC).isoformat()
    document["notes"] = run.notes
    return document
