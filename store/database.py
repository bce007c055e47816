"""Engines and schema migrations for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from errors import StoreError
from store.failures import translate
from store.types import dump_json, load_json

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Seconds a SQLite writer waits for another one; `?timeout=S` in the URL overrides it.
SQLITE_BUSY_TIMEOUT = 30.0


class SchemaOutOfDate(StoreError):
    pass


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        timeout = float(make_url(url).query.get("timeout", SQLITE_BUSY_TIMEOUT))
        engine = create_engine(url, connect_args={"timeout": timeout},
                               json_serializer=dump_json, json_deserializer=load_json)
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_timeout=timeout))
        event.listen(engine, "handle_error", partial(translate, busy_timeout=timeout))
        return engine
    engine = create_engine(url, pool_pre_ping=True, json_serializer=dump_json,
                           json_deserializer=load_json)
    event.listen(engine, "handle_error", translate)
    return engine


def _sqlite_pragmas(dbapi_connection, _record, *, busy_timeout: float) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (status, exports) run while a harvest writes; NORMAL is durable with WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
    cursor.close()


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Bring the database to the newest schema; returns the revision it ends at."""
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return head_revision()
