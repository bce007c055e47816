"""Bulk page writes (store/bulk.py) store exactly what SQLAlchemy's own executemany stores, on
SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from store import Store, bulk
from store import tables as t
from store.types import JsonText

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
COLUMNS = ("source_id", "identifier", "deleted", "doi", "title", "resource_type_general",
           "publication_year", "datestamp", "content_sha256", "record", "issue_count",
           "mapping_error", "quality_score", "quality", "mapped_at", "updated_at")
TRICKY_TEXT = 'quote " backslash \\ tab \t newline \n brace { } comma , 中文 العربية'


def _rows(source_id: str) -> list[tuple]:
    """Every kind of value a page holds: None in every nullable column, JSON as a dict, as
    JsonText and as None, whole seconds and microseconds, text that array syntax escapes."""
    return [
        (source_id, "live", False, "10.1234/x", TRICKY_TEXT, "Dataset", 2024, T0, "a" * 64,
         {"titles": [{"value": TRICKY_TEXT, "lang": "zh"}]}, 2, None, 0.75,
         {"score": 0.75, "issues": ["no_licence"]}, T0, T0),
        (source_id, "text", False, None, None, None, None, T0 + timedelta(microseconds=7),
         "b" * 64, JsonText('{"titles":[{"value":"as text"}]}'), 0, None, None, None,
         T0, T0),
        (source_id, "gone", True, None, None, None, None, None, None, None, 0, None, None,
         None, T0, T0),
        (source_id, "failed", False, None, None, None, None, T0, None, None, 0,
         "The root element is <html>.", None, None, T0, T0),
    ]


def _stored(store: Store, source_id: str) -> list[tuple]:
    c = t.records.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(*(c[name] for name in COLUMNS))
                            .where(c.source_id == source_id).order_by(c.identifier))
        return [tuple(row) for row in rows]


def test_bulk_upsert_stores_what_sqlalchemy_executemany_stores(db_url):
    store = Store.open(db_url)
    module = postgresql if store.dialect == "postgresql" else sqlite
    with store.engine.begin() as conn:
        conn.execute(module.insert(t.records),
                     [dict(zip(COLUMNS, row, strict=True)) for row in _rows("orm")])
        bulk.upsert(conn, t.records, COLUMNS, _rows("bulk"))
    orm, fast = _stored(store, "orm"), _stored(store, "bulk")
    assert [row[1:] for row in fast] == [row[1:] for row in orm]
    assert [row[1] for row in fast] == ["failed", "gone", "live", "text"]
    assert fast[2][4] == TRICKY_TEXT
    assert fast[2][7] == T0 and fast[3][7] == T0 + timedelta(microseconds=7)
    assert fast[3][9] == {"titles": [{"value": "as text"}]}
    assert fast[1][9] is None and fast[1][13] is None  # JSON null, read back as None


def test_a_repeated_key_keeps_its_last_row_and_a_conflict_updates_in_place(db_url):
    store = Store.open(db_url)
    first, second = _rows("s")[0], _rows("s")[0]
    second = (*second[:4], "second title", *second[5:])
    third = (*first[:4], "third title", *first[5:])
    with store.engine.begin() as conn:
        bulk.upsert(conn, t.records, COLUMNS, [first, second])
    with store.engine.begin() as conn:
        bulk.upsert(conn, t.records, COLUMNS, [third],
                    lambda excluded: {"title": excluded["title"]})
    c = t.records.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(c.id, c.title).where(c.source_id == "s")).all()
    assert len(rows) == 1 and rows[0].title == "third title"


def test_a_failed_bulk_write_is_a_store_error_and_leaves_nothing(db_url):
    store = Store.open(db_url)
    bad = (*_rows("s")[0][:2], None, *_rows("s")[0][3:])  # deleted is NOT NULL
    with pytest.raises(Exception) as caught:
        with store.engine.begin() as conn:
            bulk.upsert(conn, t.records, COLUMNS, [_rows("s")[1], bad])
    assert "deleted" in str(caught.value)
    assert _stored(store, "s") == []
