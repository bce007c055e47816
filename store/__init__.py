"""Persistence only: tables, idempotent page writes, tombstones, watermarks, run reports."""

from store.database import SchemaOutOfDate, make_engine, upgrade
from store.merged import MergedRow, MergeState
from store.repository import MappedRow, RawRow, SourceState, Store

__all__ = ["MappedRow", "MergeState", "MergedRow", "RawRow", "SchemaOutOfDate", "SourceState",
           "Store", "make_engine", "upgrade"]
