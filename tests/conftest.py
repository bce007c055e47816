"""Shared fixtures: a fresh database per test on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get("OS10_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
if os.environ.get("OS10_CONFORMANCE"):
    CONFORMANCE = Path(os.environ["OS10_CONFORMANCE"])


def _pg_reachable() -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@pytest.fixture(scope="session")
def pg_server() -> str:
    reason = _pg_reachable()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL must be reachable in CI at {PG_ADMIN_URL}: {reason}")
        pytest.skip(f"no PostgreSQL server reachable at {PG_ADMIN_URL}: {reason}")
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str):
    """A brand-new PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    name = f"os10_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'os10.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that takes this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'os10.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def conformance() -> Path:
    if not CONFORMANCE.is_dir():
        if IN_CI:
            pytest.fail(f"the conformance material must be present in CI at {CONFORMANCE}")
        pytest.skip(f"conformance material not found at {CONFORMANCE}")
    return CONFORMANCE
