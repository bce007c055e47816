"""The machine a run measured: cores, memory, CPU model, load, and the versions that matter."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("lxml", "sqlalchemy", "psycopg", "pydantic", "sickle", "requests", "rdflib")


def _first_line_value(path: str, key: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return None


def memory_total_bytes() -> int | None:
    value = _first_line_value("/proc/meminfo", "MemTotal")  # "24683612 kB"
    return int(value.split()[0]) * 1024 if value else None


def describe(pg_version: str | None = None) -> dict:
    total = memory_total_bytes()
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    return {
        "cores": os.cpu_count(),
        "memory_total_bytes": total,
        "memory_total_gb": round(total / 2**30, 1) if total else None,
        "cpu_model": _first_line_value("/proc/cpuinfo", "model name") or platform.processor(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "sqlite": sqlite3.sqlite_version,
        "packages": packages,
    }


def one_line(machine: dict) -> str:
    """E.g. `2 cores (Intel Xeon ...), 23.5 GB, Python 3.11.7, PostgreSQL 15.2, SQLite 3.40.1`."""
    parts = [f"{machine['cores']} cores ({machine['cpu_model']})",
             f"{machine['memory_total_gb']} GB RAM", f"Python {machine['python']}"]
    if machine.get("postgresql"):
        parts.append(f"PostgreSQL {machine['postgresql'].split()[0]}")
    parts.append(f"SQLite {machine['sqlite']}")
    load = machine.get("load_average")
    if load:
        parts.append(f"load average at start {load[0]}")
    return ", ".join(parts)
