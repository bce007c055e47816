"""Database failures: refusals (disk full, read-only, locked) as sentences, lost connections retried.

SQLAlchemy's `handle_error` hook calls `translate` for every failing statement, commit and
connect: refusals that retrying within the run cannot fix become a StoreError a steward can act
on; everything else passes through. A transaction whose connection dropped is run again by
`attempts` (what `Store.write_page` uses).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from errors import StoreError

# SQLSTATE classes and codes (PostgreSQL appendix A).
_PG_DISK_FULL = {"53100"}  # disk_full
_PG_READ_ONLY = {"25006"}  # read_only_sql_transaction: a hot standby or a read-only database
_PG_RETRY = {"40001", "40P01"}  # serialization_failure, deadlock_detected: run it again
_PG_CONNECTION_CLASSES = ("08", "57P")  # connection exceptions, operator intervention

log = logging.getLogger("os10.store")
WRITE_ATTEMPTS = 3  # a transaction whose connection dropped is run again, this many times in all
WRITE_RETRY_PAUSE = 0.5  # seconds before the second attempt; doubles for each further one

_RESUME = ("Nothing stored before was changed; run the harvest again when this is fixed and it "
           "resumes after the last stored page.")


def translate(context: ExceptionContext, *, busy_timeout: float | None = None) -> None:
    """Raise a StoreError for a refusal a steward must fix; return for anything else.

    `busy_timeout` is how long SQLite waited for another writer before giving up.
    """
    if context.is_pre_ping or context.is_disconnect:
        return  # the pool replaces the connection; a write in flight is retried by the Store
    error = context.original_exception
    where = _where(context)
    kind = _kind(error, context.dialect.name, where)
    if kind is None:
        return
    detail = _detail(error)
    if kind == "full":
        message = (f"The store could not be written: disk full ({detail}). Free space on the "
                   f"disk holding {where}. {_RESUME}")
    elif kind == "read-only":
        message = (f"The store could not be written: {where} is read-only ({detail}). Make it "
                   f"writable (file and directory permissions, a read-only mount, or a "
                   f"PostgreSQL server or database that only allows reads). {_RESUME}")
    elif kind == "io":
        message = (f"The store could not be written: the disk refused the write ({detail}). "
                   f"Check the disk holding {where} (space, quota, file size limit, hardware). "
                   f"{_RESUME}")
    else:  # locked
        waited = f" for {busy_timeout:g} s" if busy_timeout else ""
        message = (f"The store is busy: another process kept the SQLite database {where} locked"
                   f"{waited} ({detail}). Another os10 command or a tool holding a write "
                   f"transaction open is the usual cause; let it finish (or end it), then run "
                   f"this again. {_RESUME}")
    raise StoreError(message)


def is_transient(exc: BaseException) -> bool:
    """A failure that a fresh connection and the same transaction again can get past."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", "")
    if sqlstate is None:  # psycopg: a client-side failure, e.g. the server cannot be reached
        return isinstance(exc, OperationalError)
    return sqlstate in _PG_RETRY or sqlstate.startswith(_PG_CONNECTION_CLASSES)


def attempts(what: str, *, source: str | None, tries: int = WRITE_ATTEMPTS,
             pause: float = WRITE_RETRY_PAUSE,
             before_retry: Callable[[], None] | None = None) -> Iterator[_Attempt]:
    """Attempts at one transaction; use as `for attempt in attempts(...): with attempt, begin():`.

    A transaction that lost its connection (or hit a deadlock) was rolled back by the server,
    so it is run again from the start on a fresh connection; `before_retry` runs first (the
    harvest lock checks it is still held). Any other database error, or the last lost
    connection, becomes a StoreError saying nothing of the transaction was kept.
    """
    state = _Attempts(what, source, tries, pause, before_retry)
    for number in range(1, tries + 1):
        if state.done:
            return
        yield _Attempt(state, number)


class _Attempts:
    def __init__(self, what: str, source: str | None, attempts: int, pause: float,
                 before_retry: Callable[[], None] | None) -> None:
        self.what, self.source, self.attempts = what, source, attempts
        self.pause, self.before_retry = pause, before_retry
        self.done = False


class _Attempt:
    def __init__(self, state: _Attempts, number: int) -> None:
        self._state = state
        self.number = number

    def __enter__(self) -> _Attempt:
        return self

    def __exit__(self, kind, exc, traceback) -> bool:
        state = self._state
        if exc is None:
            state.done = True
            return False
        if not isinstance(exc, SQLAlchemyError):
            return False
        detail = describe(exc)
        if not is_transient(exc):
            raise StoreError(f"{state.what} failed and was rolled back: {detail}.",
                             source=state.source) from exc
        what = state.what[0].lower() + state.what[1:]
        if self.number == state.attempts:
            raise StoreError(
                f"{_interruption(exc)} while {what} ({detail}), {state.attempts} times in a "
                f"row. It was rolled back, so nothing of it was kept; run the harvest again "
                f"when the database is back and it resumes after the last stored page.",
                source=state.source) from exc
        wait = state.pause * 2 ** (self.number - 1)
        log.warning("%s%s while %s (%s); trying again on a fresh connection in %.1fs "
                    "(%d of %d).", f"Source {state.source}: " if state.source else "",
                    _interruption(exc), what, detail, wait, self.number, state.attempts - 1)
        time.sleep(wait)
        if state.before_retry is not None:
            state.before_retry()
        return True  # swallowed: the loop runs the transaction again


def _interruption(exc: DBAPIError) -> str:
    if getattr(exc.orig, "sqlstate", None) in _PG_RETRY:
        return "The database aborted the transaction (a deadlock or serialization conflict)"
    return "The database connection was lost"


def describe(exc: BaseException) -> str:
    """The driver's own words for a database error, on one line."""
    return _detail(getattr(exc, "orig", None) or exc)


def _kind(error: BaseException, dialect: str, where: str) -> str | None:
    if dialect == "sqlite":
        name = getattr(error, "sqlite_errorname", "") or ""
        text = str(error).lower()
        if name == "SQLITE_FULL" or "database or disk is full" in text:
            return "full"
        if name.startswith("SQLITE_READONLY") or "readonly database" in text:
            return "read-only"
        if name.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text:
            return "read-only" if _read_only_path(where) else None
        if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
            return "io"
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
            return "locked"
        return None
    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate in _PG_DISK_FULL:
        return "full"
    if sqlstate in _PG_READ_ONLY:
        return "read-only"
    return None


def _read_only_path(path: str) -> bool:
    """True when the SQLite file, or the directory that must hold its journal, is read-only."""
    file = Path(path)
    for candidate in (file, file.parent):
        if candidate.exists():
            try:
                if os.statvfs(candidate).f_flag & os.ST_RDONLY:
                    return True
            except OSError:
                pass
            if not os.access(candidate, os.W_OK):
                return True
    return False


def _where(context: ExceptionContext) -> str:
    url = context.engine.url if context.engine is not None else None
    if url is None:
        return "the database"
    if url.get_backend_name() == "sqlite":
        database = url.database or ":memory:"
        if database.startswith("file:"):
            database = database[len("file:"):].split("?", 1)[0]
        return database
    return f"the PostgreSQL database {url.database} on {url.host}:{url.port or 5432}"


def _detail(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
