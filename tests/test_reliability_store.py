"""The store failing under a harvest: connection dropped mid-page, locked, disk full, read-only."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import event
from sqlalchemy.engine import make_url

from errors import StoreError
from pipeline.harvest import harvest_source
from schemas import SourceConfig
from simulator import Feed, SimulatorServer
from store import Store, make_engine

START = datetime(2024, 1, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def source_for(url: str) -> SourceConfig:
    return SourceConfig(id="alpha", name="Alpha", protocol="oai_pmh", url=url,
                        metadata_prefix="oai_datacite", max_requests_per_second=1000,
                        timeout_seconds=5, max_retries=3, retry_backoff_seconds=0.05)


@pytest.fixture
def feed() -> Feed:
    return Feed(count=250, seed=1, page_size=50, start=START)


@pytest.fixture
def sim(feed):
    with SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        yield server


def exactly_once(store: Store, count: int) -> None:
    identifiers = store.identifiers("alpha")
    assert len(identifiers) == len(set(identifiers)) == count
    assert store.counts()["alpha"] == {"live": count, "deleted": 0, "unmapped": 0}
    assert store.state("alpha").checkpoint is None


def consistent(store: Store) -> int:
    """Raw and mapped records match one for one, in whole pages: nothing half-written."""
    raw = store.raw_count("alpha")
    assert store.counts().get("alpha", {"live": 0})["live"] == raw
    assert raw % 50 == 0
    return raw


# -- the connection dropped mid-page (PostgreSQL) ----------------------------------------------


@contextmanager
def dropping_connections(store: Store, admin_url: str, *, from_page: int,
                         times: int) -> Iterator[dict]:
    """Terminates the server process of the harvest's connection (pg_terminate_backend, from a
    second connection) right after a page's raw records went in, inside its transaction: from
    the `from_page`-th page written on, `times` times in all (every retry counts as a page)."""
    import psycopg

    seen = {"pages": 0, "kills": 0, "checkpoint_before": None}
    admin = psycopg.connect(admin_url, autocommit=True)

    def after_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("INSERT INTO raw_records"):
            return
        seen["pages"] += 1
        if seen["pages"] < from_page or seen["kills"] >= times:
            return
        if seen["kills"] == 0:
            seen["checkpoint_before"] = store.state("alpha").checkpoint
        pid = conn.connection.dbapi_connection.info.backend_pid
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            time.sleep(0.01)
        seen["kills"] += 1

    event.listen(store.engine, "after_cursor_execute", after_execute)
    try:
        yield seen
    finally:
        event.remove(store.engine, "after_cursor_execute", after_execute)
        admin.close()


def test_a_connection_dropped_mid_page_is_retried_and_every_record_lands_once(
        pg_server, pg_url, sim, caplog):
    store = Store.open(pg_url)
    with dropping_connections(store, pg_server, from_page=3, times=1) as seen:
        report = harvest_source(store, source_for(sim.url("alpha")), progress=False)
    assert seen["kills"] == 1
    assert (report.status, report.pages, report.counts.new) == ("succeeded", 5, 250)
    assert "The database connection was lost while writing a page of 50 records" in caplog.text
    assert "trying again on a fresh connection" in caplog.text
    exactly_once(store, 250)
    assert store.raw_count("alpha") == 250


def test_a_connection_that_keeps_dropping_fails_the_run_keeping_whole_pages_and_a_rerun_resumes(
        pg_server, pg_url, feed, sim):
    store = Store.open(pg_url)
    source = source_for(sim.url("alpha"))
    with dropping_connections(store, pg_server, from_page=3, times=3) as seen, \
            pytest.raises(StoreError) as caught:
        harvest_source(store, source, progress=False)
    message = str(caught.value)
    assert message.startswith("Source 'alpha': The database connection was lost while writing "
                              "a page of 50 records")
    assert "terminating connection due to administrator command" in message
    assert "3 times in a row" in message and "nothing of it was kept" in message
    assert seen["kills"] == 3
    # The third page rolled back all three times: two whole pages, their checkpoint unchanged.
    assert consistent(store) == 100
    assert store.state("alpha").checkpoint == seen["checkpoint_before"] is not None
    run = store.last_runs()["alpha"]
    assert run.status == "failed" and "connection was lost" in run.error

    resumed = harvest_source(store, source, progress=False)
    assert (resumed.status, resumed.counts.seen, resumed.counts.new) == ("succeeded", 150, 150)
    exactly_once(store, 250)


# -- SQLite busy -------------------------------------------------------------------------------


def test_a_sqlite_store_locked_by_another_writer_fails_with_a_clear_sentence(tmp_path, sim):
    path = tmp_path / "os10.sqlite3"
    Store.open(f"sqlite:///{path}").close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another tool holding a write transaction open
    blocker.execute("CREATE TABLE scratch (x)")
    store = Store.open(f"sqlite:///{path}?timeout=0.3")
    try:
        with pytest.raises(StoreError) as caught:
            harvest_source(store, source_for(sim.url("alpha")), progress=False)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    message = str(caught.value)
    assert message.startswith(f"Source 'alpha': The store is busy: another process kept the "
                              f"SQLite database {path} locked for 0.3 s (database is locked).")
    assert store.raw_count("alpha") == 0
    assert harvest_source(store, source_for(sim.url("alpha")), progress=False).counts.new == 250
    exactly_once(store, 250)


# -- disk full ---------------------------------------------------------------------------------


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_a_sqlite_store_that_fills_up_fails_clearly_keeps_its_pages_and_resumes(tmp_path, sim):
    """SQLite's own size limit (max_page_count), reached in the middle of the third page."""
    path = tmp_path / "os10.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    pages = {"n": 0}

    def fill_up(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO raw_records"):
            pages["n"] += 1
            if pages["n"] == 3:  # no page more than the file has now: the disk is full
                size = cursor.connection.execute("PRAGMA page_count").fetchone()[0]
                cursor.connection.execute(f"PRAGMA max_page_count = {size}")

    event.listen(engine, "after_cursor_execute", fill_up)
    store = Store(f"sqlite:///{path}", engine=engine)
    store.upgrade()
    source = source_for(sim.url("alpha"))
    with pytest.raises(StoreError) as caught:
        harvest_source(store, source, progress=False)
    store.close()
    message = str(caught.value)
    assert message.startswith("Source 'alpha': The store could not be written: disk full "
                              "(database or disk is full).")
    assert "resumes after the last stored page" in message

    again = Store.open(f"sqlite:///{path}")
    assert integrity(path) == "ok"
    assert consistent(again) == 100
    assert again.state("alpha").checkpoint is not None
    resumed = harvest_source(again, source, progress=False)
    assert (resumed.status, resumed.counts.new) == ("succeeded", 150)
    exactly_once(again, 250)


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A size-limited file system at `path`; skips where mounting is not allowed (not root)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a size-limited tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "os10test", path],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", path], check=False)


def test_a_full_disk_under_sqlite_fails_the_harvest_clearly_and_it_resumes_with_space(tmp_path):
    """A real file system that runs out of space: a 3.5 MB tmpfs holding the SQLite store."""
    feed = Feed(count=500, seed=1, page_size=100, start=START)
    with tmpfs(tmp_path / "disk", "3584k") as disk, \
            SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        path = disk / "os10.sqlite3"
        env = {**os.environ, "OS10_DATABASE_URL": f"sqlite:///{path}",
               "OS10_SOURCES": str(sources_file(tmp_path, server.url("alpha")))}
        full = subprocess.run([sys.executable, "-m", "cli.main", "harvest", "alpha"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
        assert full.returncode == 1
        assert ("error: Source 'alpha': The store could not be written: disk full (database or "
                "disk is full).") in full.stderr
        assert "Traceback" not in full.stderr
        assert integrity(path) == "ok"
        store = Store.open(f"sqlite:///{path}", migrate=False)
        stored = store.raw_count("alpha")
        assert 100 <= stored < 500 and stored % 100 == 0
        assert store.counts()["alpha"]["live"] == stored
        assert store.state("alpha").checkpoint is not None
        store.close()

        subprocess.run(["mount", "-o", "remount,size=64m", disk], check=True)
        rerun = subprocess.run([sys.executable, "-m", "cli.main", "harvest", "alpha"], cwd=ROOT,
                               env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        assert f"{500 - stored} new" in rerun.stdout
        store = Store.open(f"sqlite:///{path}")
        exactly_once(store, 500)
        store.close()
        assert integrity(path) == "ok"


def sources_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [{
        "id": "alpha", "name": "Alpha", "protocol": "oai_pmh", "url": url,
        "metadata_prefix": "oai_datacite", "max_requests_per_second": 1000,
        "retry_backoff_seconds": 0.05}]}))
    return path


def _local_postgres(admin_url: str) -> tuple[int, int] | None:
    """(uid, gid) of the local PostgreSQL server's owner, when the server runs on this machine."""
    import pwd

    import psycopg

    with psycopg.connect(admin_url) as conn:
        data_directory = conn.execute("SHOW data_directory").fetchone()[0]
    if not Path(data_directory).is_dir():
        return None
    owner = Path(data_directory).stat().st_uid
    return owner, pwd.getpwuid(owner).pw_gid


def test_a_full_postgresql_tablespace_fails_the_harvest_clearly_and_it_resumes(
        pg_server, pg_url, tmp_path):
    """raw_records on a tablespace on a 1 MB tmpfs: PostgreSQL's own DiskFull (53100)."""
    import psycopg

    owner = _local_postgres(pg_server)
    if owner is None:
        pytest.skip("the PostgreSQL server does not run on this machine")
    feed = Feed(count=1000, seed=1, page_size=100, start=START)
    tablespace = f"os10_full_{uuid.uuid4().hex[:8]}"
    # Not under tmp_path: the server's own user must reach the directory.
    mount_point = Path(tempfile.mkdtemp(prefix="os10-tablespace-"))
    mount_point.chmod(0o755)
    with tmpfs(mount_point, "1m") as disk, \
            SimulatorServer({"alpha": feed}, host="127.0.0.1", port=0) as server:
        os.chown(disk, *owner)
        disk.chmod(0o700)
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(f"CREATE TABLESPACE {tablespace} LOCATION '{disk}'")
        store = Store.open(pg_url)
        try:
            with store.engine.begin() as conn:
                conn.exec_driver_sql(f"ALTER TABLE raw_records SET TABLESPACE {tablespace}")
            source = source_for(server.url("alpha"))
            with pytest.raises(StoreError) as caught:
                harvest_source(store, source, progress=False)
            message = str(caught.value)
            assert message.startswith("Source 'alpha': The store could not be written: disk "
                                      "full (could not extend file")
            assert "No space left on device" in message
            assert "Free space on the disk holding the PostgreSQL database" in message
            stored = store.raw_count("alpha")
            assert 100 <= stored < 1000 and stored % 100 == 0
            assert store.counts()["alpha"]["live"] == stored

            with store.engine.begin() as conn:  # space again
                conn.exec_driver_sql("ALTER TABLE raw_records SET TABLESPACE pg_default")
            resumed = harvest_source(store, source, progress=False)
            assert (resumed.status, resumed.counts.new) == ("succeeded", 1000 - stored)
            exactly_once(store, 1000)
        finally:
            with store.engine.begin() as conn:
                conn.exec_driver_sql("ALTER TABLE raw_records SET TABLESPACE pg_default")
            store.close()
            with psycopg.connect(pg_server, autocommit=True) as admin:
                admin.execute(f"DROP TABLESPACE IF EXISTS {tablespace}")
    mount_point.rmdir()


# -- read-only store ---------------------------------------------------------------------------


@contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """The directory read-only for real: a read-only bind mount as root (whom chmod does not
    stop), file modes otherwise."""
    if os.geteuid() == 0:
        bound = subprocess.run(["mount", "--bind", directory, directory], capture_output=True,
                               text=True)
        if bound.returncode != 0:
            pytest.skip(f"running as root and cannot bind-mount read-only: {bound.stderr}")
        try:
            subprocess.run(["mount", "-o", "remount,ro,bind", directory], check=True)
            yield
        finally:
            subprocess.run(["umount", directory], check=False)
        return
    modes = {path: path.stat().st_mode for path in (directory, *directory.iterdir())}
    for path in modes:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def test_a_read_only_sqlite_store_is_refused_clearly_and_left_as_it_was(tmp_path, sim):
    directory = tmp_path / "store"
    directory.mkdir()
    path = directory / "os10.sqlite3"
    store = Store.open(f"sqlite:///{path}")
    harvest_source(store, source_for(sim.url("alpha")), progress=False)
    store.close()
    env = {**os.environ, "OS10_DATABASE_URL": f"sqlite:///{path}",
           "OS10_SOURCES": str(sources_file(tmp_path, sim.url("alpha")))}
    before = path.read_bytes()
    with read_only(directory):
        refused = subprocess.run([sys.executable, "-m", "cli.main", "harvest", "alpha", "--full"],
                                 cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert (f"error: Source 'alpha': The store could not be written: {path} is read-only ("
            in refused.stderr)
    assert "Traceback" not in refused.stderr
    assert path.read_bytes() == before and integrity(path) == "ok"
    again = subprocess.run([sys.executable, "-m", "cli.main", "harvest", "alpha", "--full"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert "250 unchanged" in again.stdout


def test_a_read_only_postgresql_database_is_refused_clearly_and_nothing_is_written(
        pg_server, pg_url, sim):
    import psycopg

    store = Store.open(pg_url)
    source = source_for(sim.url("alpha"))
    harvest_source(store, source, progress=False)
    store.close()
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_server, autocommit=True) as admin:  # as a standby would be
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    read_only_store = Store.open(pg_url)
    with pytest.raises(StoreError) as caught:
        harvest_source(read_only_store, source, full=True, progress=False)
    read_only_store.close()
    message = str(caught.value)
    url = make_url(pg_url)
    assert message.startswith(f"Source 'alpha': The store could not be written: the PostgreSQL "
                              f"database {name} on {url.host}:{url.port or 5432} is read-only "
                              f"(cannot execute INSERT in a read-only transaction).")
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    store = Store.open(pg_url)
    assert len(store.runs("alpha")) == 1  # the refused run could not even be recorded
    again = harvest_source(store, source, full=True, progress=False)
    assert (again.status, again.counts.unchanged) == ("succeeded", 250)
    exactly_once(store, 250)
