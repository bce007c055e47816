"""One harvest at a time per source (or chunk): a PostgreSQL advisory lock or a SQLite lock file.

Both locks belong to the holder's session or process, so the database or the kernel releases them
the moment the holder ends, however it ends: a run killed with SIGKILL never blocks the rerun and
there is no expiry to tune. The holder writes who it is (run, pid, host, since) where a refused
run can read it: the lock file's content, or the lock session's `application_name`.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from sqlalchemy import Connection, Engine, text

from errors import SourceBusyError, StoreError

log = logging.getLogger("os10.store.locks")
_APP_PREFIX = "os10harvest"
_APP_NAME_MAX = 63  # PostgreSQL keeps NAMEDATALEN - 1 bytes of application_name


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a harvest lock."""

    pid: int
    host: str
    since: datetime
    run_id: int | None = None

    def describe(self) -> str:
        run = f"run {self.run_id}" if self.run_id is not None else "another run"
        return (f"{run} since {self.since:%Y-%m-%d %H:%M:%SZ} "
                f"(pid {self.pid} on host {self.host})")


class HarvestLock(Protocol):
    key: str

    def claim(self, run_id: int | None) -> None:
        """Record the run that holds the lock, for anyone refused meanwhile."""

    def verify(self) -> None:
        """After the database connection dropped: still ours, else SourceBusyError."""

    def release(self) -> None: ...


def acquire(engine: Engine, key: str, source_id: str) -> HarvestLock:
    """Take the harvest lock of `key` (a source id or "<source>@<chunk>") or refuse at once."""
    holder = Holder(pid=os.getpid(), host=socket.gethostname(), since=datetime.now(UTC))
    if engine.dialect.name == "postgresql":
        return _AdvisoryLock(engine, key, source_id, holder)
    database = engine.url.database or ""
    if database.startswith("file:"):
        database = database[len("file:"):].split("?", 1)[0]
    if database in ("", ":memory:"):
        return _NoLock(key)  # a private in-memory database: nobody else can write it
    return _FileLock(Path(database), key, source_id, holder)


def _busy(key: str, source_id: str, holder: Holder | None) -> SourceBusyError:
    chunk = f" (chunk {key.split('@', 1)[1]})" if "@" in key else ""
    by = holder.describe() if holder else "another run"
    return SourceBusyError(
        f"already being harvested{chunk} by {by}; this run stopped before writing anything. "
        f"Let that run finish (`os10 status` shows it), then run the harvest again.",
        source=source_id)


class _NoLock:
    def __init__(self, key: str) -> None:
        self.key = key

    def claim(self, run_id: int | None) -> None:
        pass

    def verify(self) -> None:
        pass

    def release(self) -> None:
        pass


class _FileLock:
    """flock(2) on `<database>.locks/<key>.lock`: released by the kernel when the process ends.

    The files stay: removing a lock file while another process waits on it would let two
    processes hold "the" lock on two different files.
    """

    def __init__(self, database: Path, key: str, source_id: str, holder: Holder) -> None:
        import fcntl

        self.key = key
        self._holder = holder
        self.path = database.with_name(database.name + ".locks") / (quote(key, safe="") + ".lock")
        self._fd = _open_lock_file(self.path)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            current = _read_holder(self._fd)
            os.close(self._fd)
            raise _busy(key, source_id, current) from None
        self._write(holder)

    def claim(self, run_id: int | None) -> None:
        self._holder = Holder(self._holder.pid, self._holder.host, self._holder.since, run_id)
        self._write(self._holder)

    def verify(self) -> None:
        pass  # a kernel lock does not go away with a database connection

    def release(self) -> None:
        import fcntl

        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass  # read-only: the stale content is ignored, the kernel lock is what counts
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)

    def _write(self, holder: Holder) -> None:
        data = json.dumps({"pid": holder.pid, "host": holder.host, "run_id": holder.run_id,
                           "since": holder.since.isoformat()}).encode()
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, data, 0)
        except OSError as exc:  # a read-only store: its writes will say so in a moment
            log.debug("Cannot note the holder in %s: %s", self.path, exc)


def _open_lock_file(path: Path) -> int:
    try:
        path.parent.mkdir(exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if path.exists():
            return os.open(path, os.O_RDONLY)  # flock needs no write access
        raise StoreError(f"The store could not be written: the harvest lock {path} cannot be "
                         f"created ({exc.strerror or exc}). Make the directory of the "
                         f"database writable, then run the harvest again.") from exc


def _read_holder(fd: int) -> Holder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"null")
        return Holder(pid=int(data["pid"]), host=str(data["host"]),
                      since=datetime.fromisoformat(data["since"]),
                      run_id=data.get("run_id"))
    except (OSError, ValueError, TypeError, KeyError):
        return None  # the holder is writing it right now, or it is not ours


class _AdvisoryLock:
    """A session-level advisory lock held on a connection kept for the run.

    The server releases it when that session ends, so a killed harvest frees it at once.
    """

    def __init__(self, engine: Engine, key: str, source_id: str, holder: Holder) -> None:
        self.key = key
        self._engine = engine
        self._source_id = source_id
        self._holder = holder
        self._id = int.from_bytes(sha256(f"os10 harvest {key}".encode()).digest()[:8], "big",
                                  signed=True)
        self._conn: Connection | None = self._take()
        if self._conn is None:
            raise _busy(key, source_id, self._current_holder())

    def claim(self, run_id: int | None) -> None:
        self._holder = Holder(self._holder.pid, self._holder.host, self._holder.since, run_id)
        self._name(self._conn)

    def verify(self) -> None:
        try:
            self._conn.execute(text("SELECT 1"))
            return
        except Exception:  # noqa: BLE001 - any failure: the session and its lock are gone
            self._close()
        self._conn = self._take()
        if self._conn is None:
            raise _busy(self.key, self._source_id, self._current_holder())
        log.warning("Source %s: the database connection holding the harvest lock of %s "
                    "dropped; the lock was taken again.", self._source_id, self.key)

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": self._id})
            self._conn.execute(text("RESET application_name"))
        except Exception:  # noqa: BLE001 - a dead session has released its locks already
            pass
        self._close()

    def _take(self) -> Connection | None:
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if not conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": self._id}).scalar():
            conn.close()
            return None
        self._name(conn)
        return conn

    def _name(self, conn: Connection) -> None:
        h = self._holder
        name = (f"{_APP_PREFIX} {h.run_id if h.run_id is not None else '-'} {h.pid} "
                f"{int(h.since.timestamp())} {h.host}")
        conn.execute(text("SELECT set_config('application_name', :name, false)"),
                     {"name": name.encode("ascii", "replace").decode()[:_APP_NAME_MAX]})

    def _current_holder(self) -> Holder | None:
        query = text("""
            SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.classid::bigint = :hi AND l.objid::bigint = :lo
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """)
        unsigned = self._id & 0xFFFF_FFFF_FFFF_FFFF
        with self._engine.connect() as conn:
            name = conn.execute(query, {"hi": unsigned >> 32,
                                        "lo": unsigned & 0xFFFF_FFFF}).scalar()
        parts = (name or "").split(" ", 4)
        if len(parts) != 5 or parts[0] != _APP_PREFIX:
            return None
        try:
            return Holder(pid=int(parts[2]), host=parts[4],
                          since=datetime.fromtimestamp(int(parts[3]), UTC),
                          run_id=None if parts[1] == "-" else int(parts[1]))
        except ValueError:
            return None

    def _close(self) -> None:
        try:
            self._conn.close()
        except Exception:  # noqa: BLE001 - closing a dead connection may complain
            pass
        self._conn = None
