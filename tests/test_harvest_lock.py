"""One harvest per source at a time, across processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from errors import SourceBusyError
from pipeline.harvest import harvest_source
from schemas import SourceConfig
from simulator import Feed, SimulatorServer
from store import Store

START = datetime(2024, 1, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def source_for(url: str) -> SourceConfig:
    return SourceConfig(id="alpha", name="Alpha", protocol="oai_pmh", url=url,
                        metadata_prefix="oai_datacite", max_requests_per_second=1000,
                        timeout_seconds=5, max_retries=3, retry_backoff_seconds=0.05)


def os10(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", *args]


def test_a_second_harvest_of_the_same_source_is_refused_while_the_first_writes(db_url, tmp_path):
    feed = Feed(count=800, seed=2, page_size=50, start=START)
    feed.faults.slow = 10_000  # 16 pages at a second each: the second starts long before the end
    feed.faults.slow_seconds = 1.0
    with SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        sources = tmp_path / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": [{
            "id": "alpha", "name": "Alpha", "protocol": "oai_pmh", "url": server.url("alpha"),
            "metadata_prefix": "oai_datacite", "max_requests_per_second": 1000}]}))
        env = {**os.environ, "OS10_DATABASE_URL": db_url, "OS10_SOURCES": str(sources)}
        store = Store.open(db_url)
        first = subprocess.Popen(os10("harvest", "alpha"), cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while store.raw_count("alpha") < 50 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert store.raw_count("alpha") >= 50, "the first harvest is writing"
            second = subprocess.run(os10("harvest", "alpha"), cwd=ROOT, env=env,
                                    capture_output=True, text=True, timeout=60)
            assert first.poll() is None, "both ran at the same time"
            [run] = store.runs("alpha")  # the refused harvest did not even record a run
            assert second.returncode == 1
            assert (f"error: Source 'alpha': already being harvested by run {run.run_id} since "
                    f"{run.started_at:%Y-%m-%d %H:%M}") in second.stderr
            assert (f"(pid {first.pid} on host {socket.gethostname()}); this run stopped "
                    f"before writing anything. Let that run finish") in second.stderr
            assert "resume" not in second.stderr
            feed.faults.slow = 0
            out, err = first.communicate(timeout=120)
        finally:
            if first.poll() is None:
                first.kill()
        assert first.returncode == 0, err
        assert "800 new" in out
    identifiers = store.identifiers("alpha")
    assert len(identifiers) == len(set(identifiers)) == 800
    assert store.counts()["alpha"]["live"] == 800
    assert [r.status for r in store.runs("alpha")] == ["succeeded"]


def test_a_killed_holder_leaves_no_lock_behind(db_url, tmp_path):
    Store.open(db_url).close()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from store import Store
        store = Store({db_url!r})
        with store.harvest_lock("alpha", "alpha") as lock:
            lock.claim(7)
            print("locked", flush=True)
            time.sleep(120)
    """)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        store = Store(db_url)
        with pytest.raises(SourceBusyError) as caught, store.harvest_lock("alpha", "alpha"):
            pass
        assert "already being harvested by run 7 since " in str(caught.value)
        assert f"(pid {holder.pid} on host {socket.gethostname()})" in str(caught.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    with store.harvest_lock("alpha", "alpha"):  # at once: no expiry to wait out
        pass
    store.close()


def test_a_refused_harvest_writes_nothing_not_even_a_run(db_url):
    store = Store.open(db_url)
    source = source_for("http://127.0.0.1:9/never-asked")
    with store.harvest_lock("alpha", "alpha"), pytest.raises(SourceBusyError) as caught:
        harvest_source(store, source, progress=False)
    assert str(caught.value).startswith("Source 'alpha': already being harvested by another "
                                        "run since ")
    assert f"(pid {os.getpid()} on host {socket.gethostname()})" in str(caught.value)
    assert store.runs("alpha") == [] and store.raw_count("alpha") == 0


def test_chunks_of_one_source_lock_separately(db_url):
    store = Store.open(db_url)
    with store.harvest_lock("alpha@set:a", "alpha"), store.harvest_lock("alpha@set:b", "alpha"):
        with pytest.raises(SourceBusyError) as caught, store.harvest_lock("alpha@set:a", "alpha"):
            pass
    assert "already being harvested (chunk set:a) by another run" in str(caught.value)
    with store.harvest_lock("alpha@set:a", "alpha"):
        pass


def _lock_backends(admin_url: str, store_url: str) -> list[int]:
    """The lock sessions on the test's own database (other stores may be open on the server)."""
    import psycopg

    database = make_url(store_url).database
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'os10harvest %%' "
            "AND datname = %s", [database])]


def terminate(admin_url: str, pid: int) -> None:
    """End a session from outside, as a server restart or a network cut would, and wait."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            time.sleep(0.01)


def test_a_postgresql_lock_whose_session_dropped_is_taken_again_or_refused(pg_server, pg_url):
    store, other = Store.open(pg_url), Store(pg_url)
    with store.harvest_lock("alpha", "alpha") as lock:
        [backend] = _lock_backends(pg_server, pg_url)
        terminate(pg_server, backend)
        lock.verify()  # nobody took it meanwhile: taken again on a fresh session
        with pytest.raises(SourceBusyError), other.harvest_lock("alpha", "alpha"):
            pass

        [backend] = _lock_backends(pg_server, pg_url)
        terminate(pg_server, backend)
        with other.harvest_lock("alpha", "alpha"):  # another run got in while it was down
            with pytest.raises(SourceBusyError):
                lock.verify()
    store.close()
    other.close()
