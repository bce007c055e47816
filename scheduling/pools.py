"""Create (or resize) one Airflow pool per partner host named in sources.yaml.

Harvest tasks run in the pool of their source's host (`os10_host_<host>`); a task whose pool
does not exist never starts, so run this whenever sources.yaml gains a host:
`python -m scheduling.pools [--slots N]` (uses the `airflow` command next to this Python).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import settings
from pipeline.registry import load_sources


def pool_name(url: str) -> str:
    host = urlsplit(url).hostname or "unknown"
    return "os10_host_" + re.sub(r"[^a-z0-9]+", "_", host.lower()).strip("_")


def ensure_pools(slots: int, env: dict[str, str] | None = None) -> list[str]:
    airflow = str(Path(sys.executable).with_name("airflow"))
    sources = Path(env["OS10_SOURCES"]) if env and "OS10_SOURCES" in env else (
        settings.sources_path())
    names = sorted({pool_name(s.base_url) for s in load_sources(
        sources, check_names=False).sources})
    for name in names:
        subprocess.run([airflow, "pools", "set", name, str(slots),
                        "os10: concurrent requests to one partner host"], env=env, check=True,
                       capture_output=True)
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slots", type=int, default=2, help="concurrent tasks per host")
    args = parser.parse_args()
    for name in ensure_pools(args.slots):
        print(f"pool {name}: {args.slots} slots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
