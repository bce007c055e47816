"""Bulk upserts of a page of rows: one statement per page on PostgreSQL, one compiled statement
over plain tuples on SQLite.

A page of 500 records written as 500 `INSERT ... ON CONFLICT` executions through SQLAlchemy
cost the harvest's main process about 50 us a record in parameter handling on each database.
PostgreSQL gets the page as one array per column, sent in binary (text arrays are escaped
character by character in Python), and merges it with `INSERT ... SELECT FROM unnest(...)
ON CONFLICT DO UPDATE`. (COPY into a temporary table was slower: the server compressed every
payload into the temporary table's TOAST before copying it on.)

Values are stored exactly as the ORM path stores them: JSON columns hold `dump_json(value)`
(Python None is the JSON `null`, as SQLAlchemy's JSON type writes it), SQLite gets
SQLAlchemy's own bind processing (its datetime text), PostgreSQL timezone-aware datetimes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Dialect, Table, literal_column, select, text
from sqlalchemy.dialects import postgresql, sqlite

from store.types import dump_json

# The conflict key of every table written in bulk.
KEY = ("source_id", "identifier")
# Builds the ON CONFLICT ... DO UPDATE assignments from the statement's `excluded` row.
SetClause = Callable[[Any], dict[str, Any]]
_ARRAYS = "__os10_arrays__"


def _adapters(target: Table, columns: Sequence[str], dialect: Dialect,
              ) -> list[tuple[int, Callable[[Any], Any]]]:
    """Per column, how a Python value becomes what the driver gets: SQLAlchemy's own bind
    processors on SQLite (its datetime text, its JSON); on PostgreSQL COPY takes JSON as text
    and datetimes as they are."""
    found = []
    for i, name in enumerate(columns):
        kind = target.c[name].type
        if dialect.name == "postgresql":
            adapt = dump_json if isinstance(kind, JSON) else None
        else:
            adapt = kind.dialect_impl(dialect).bind_processor(dialect)
        if adapt is not None:
            found.append((i, adapt))
    return found


def upsert(conn: Connection, target: Table, columns: Sequence[str],
           rows: Sequence[Sequence[Any]], set_: SetClause | None = None) -> None:
    """Insert `rows` (tuples in `columns` order) into `target`, updating rows whose
    (source_id, identifier) exists: with `set_(excluded)` (column -> expression, as
    `on_conflict_do_update` takes it) or else every column but the key.

    A key repeated in `rows` keeps its last row, as a run of single upserts would.
    """
    if not rows:
        return
    positions = [columns.index(k) for k in KEY]
    unique = {tuple(row[p] for p in positions): row for row in rows}
    if len(unique) != len(rows):
        rows = list(unique.values())
    if adapters := _adapters(target, columns, conn.dialect):
        rows = [_adapted(row, adapters) for row in rows]
    if conn.dialect.name == "postgresql":
        _unnest_upsert(conn, target, columns, rows, set_)
    else:
        _executemany_upsert(conn, target, columns, rows, set_)


def _adapted(row: Sequence[Any], adapters: list[tuple[int, Callable[[Any], Any]]]) -> list:
    values = list(row)
    for i, adapt in adapters:
        values[i] = adapt(values[i])
    return values


def _conflict_set(statement, columns: Sequence[str], set_: SetClause | None) -> dict[str, Any]:
    excluded = statement.excluded
    if set_ is not None:
        return set_(excluded)
    return {name: excluded[name] for name in columns if name not in KEY}


def _unnest_upsert(conn: Connection, target: Table, columns: Sequence[str],
                   rows: Sequence[Sequence[Any]], set_: SetClause | None) -> None:
    dialect = conn.dialect
    arrays = _unnest_arguments(target.c[name].type.compile(dialect=dialect) for name in columns)
    source = select(*(literal_column(f"u.{name}") for name in columns)).select_from(
        text(f"unnest({_ARRAYS}) AS u({', '.join(columns)})"))
    statement = postgresql.insert(target).from_select(list(columns), source)
    statement = statement.on_conflict_do_update(
        index_elements=list(KEY), set_=_conflict_set(statement, columns, set_))
    sql = str(statement.compile(dialect=dialect)).replace(_ARRAYS, arrays)
    # Through SQLAlchemy, so a failure is translated (store.failures) like any other.
    conn.exec_driver_sql(sql, _by_column(rows))


def insert_rows(conn: Connection, table: str, columns: Sequence[str], pg_types: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """A plain INSERT of `rows` (values the driver takes as they are) into `table`, e.g. a
    temporary table: one statement over column arrays on PostgreSQL (`pg_types` names each
    column's type), executemany on SQLite."""
    if not rows:
        return
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT * FROM "
                             f"unnest({_unnest_arguments(pg_types)})", _by_column(rows))
    else:
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))


def _unnest_arguments(pg_types: Iterable[str]) -> str:
    """One binary array parameter per column (psycopg escapes text arrays in Python)."""
    return ", ".join(f"%b::{kind}[]" for kind in pg_types)


def _by_column(rows: Sequence[Sequence[Any]]) -> tuple[list, ...]:
    return tuple(list(values) for values in zip(*rows, strict=True))


def _executemany_upsert(conn: Connection, target: Table, columns: Sequence[str],
                        rows: Sequence[Sequence[Any]], set_: SetClause | None) -> None:
    statement = sqlite.insert(target)
    statement = statement.on_conflict_do_update(
        index_elements=list(KEY), set_=_conflict_set(statement, columns, set_))
    compiled = statement.compile(dialect=conn.dialect, column_keys=list(columns))
    order = compiled.positiontup
    index = {name: i for i, name in enumerate(columns)}
    sql = str(compiled)
    params = [tuple(row[index[name]] for name in order) for row in rows]
    conn.exec_driver_sql(sql, params)
