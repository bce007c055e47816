"""Where things live: the database URL, the sources file and the data directory, from env or defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent


def data_dir() -> Path:
    path = Path(os.environ.get("OS10_DATA_DIR", PROJECT_ROOT / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(explicit: str | None = None) -> str:
    """`--db`, then OS10_DATABASE_URL, then the embedded SQLite file under the data directory."""
    if explicit:
        return explicit
    if os.environ.get("OS10_DATABASE_URL"):
        return os.environ["OS10_DATABASE_URL"]
    return f"sqlite:///{data_dir() / 'os10.sqlite3'}"


def sources_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--sources`, then OS10_SOURCES, then ./sources.yaml."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("OS10_SOURCES", "sources.yaml"))


def export_dir() -> Path:
    """Where scheduled exports are written: OS10_EXPORT_DIR, else data/exports."""
    path = Path(os.environ.get("OS10_EXPORT_DIR", data_dir() / "exports"))
    path.mkdir(parents=True, exist_ok=True)
    return path
