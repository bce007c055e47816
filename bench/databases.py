"""Scratch databases of a run: fresh PostgreSQL databases, created and always dropped."""

from __future__ import annotations

import secrets

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PREFIX = "os10_bench_"


def pg_unreachable(admin_url: str) -> str | None:
    """None when the server answers, else why it does not."""
    try:
        import psycopg

        with psycopg.connect(admin_url, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        text = str(exc).strip()
        return text.splitlines()[0] if text else type(exc).__name__


def pg_server_version(admin_url: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, connect_timeout=3) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def driver_url(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://) as psycopg itself takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class ScratchDatabases:
    """Databases named os10_bench_<random>[_<purpose>] on one server; `drop_all` removes them."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.token = secrets.token_hex(4)
        self.created: list[str] = []

    def create(self, purpose: str = "") -> str:
        """Create a fresh database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"{PREFIX}{self.token}" + (f"_{purpose}" if purpose else "")
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        base = self.admin_url.rsplit("/", 1)[0]
        return base.replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"

    def drop_all(self) -> list[str]:
        """Drop every database created here (connections are closed by force); returns the
        names that could not be dropped."""
        import psycopg

        left = []
        for name in list(self.created):
            try:
                with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                self.created.remove(name)
            except Exception:  # noqa: BLE001 - keep dropping the others, report the rest
                left.append(name)
        return left
