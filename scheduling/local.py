"""`make airflow`: Airflow standalone on this machine, harvesting two simulated partners.

Starts the partner simulator, writes a sources.yaml for it, prepares Airflow's metadata
database and one pool per partner host, starts `airflow standalone`, waits until the UI
answers and prints its address and login. Ctrl-C stops everything.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

import settings
from scheduling.pools import ensure_pools

ROOT = settings.PROJECT_ROOT
BIN = Path(sys.executable).parent
SIM_PORT = int(os.environ.get("OS10_SIM_PORT", "8800"))
UI_PORT = int(os.environ.get("AIRFLOW__API__PORT", "8080"))
FEEDS = {"afrika-data": ("Afrika Open Data Repository", "oai_datacite", 1500),
         "latam-repo": ("Repositorio Latinoamericano de Datos", "oai_dc", 1000)}


def secret(home: Path, name: str) -> str:
    """A secret every Airflow component must share, generated once and kept under home."""
    path = home / f".{name}"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def environment(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Our airflow.cfg lives in the repo, so Airflow cannot write generated secrets into it;
    # without one shared JWT secret the scheduler's task tokens are refused by the API server.
    env.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", secret(home, "jwt_secret"))
    env.setdefault("AIRFLOW__API__SECRET_KEY", secret(home, "api_secret_key"))
    env.setdefault("OS10_DATABASE_URL", f"sqlite:///{home / 'os10.sqlite3'}")
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW_CONFIG": str(ROOT / "airflow.cfg"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "OS10_SOURCES": str(home / "sources.yaml"),
        "OS10_EXPORT_DIR": str(home / "exports"),
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",  # standalone runs `airflow ...`
        "PYTHONPATH": str(ROOT),
    })
    return env


def write_sources(home: Path) -> None:
    sources = [{"id": key, "name": name, "protocol": "oai_pmh",
                "url": f"http://127.0.0.1:{SIM_PORT}/{key}/oai", "metadata_prefix": prefix,
                "schedule": "@hourly", "priority": 10 - i, "max_requests_per_second": 20}
               for i, (key, (name, prefix, _)) in enumerate(FEEDS.items())]
    (home / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}, sort_keys=False))


def run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"`{' '.join(command)}` failed:\n{result.stderr[-2000:]}")


def wait_for_ui(deadline_s: float = 240) -> bool:
    url = f"http://localhost:{UI_PORT}/api/v2/monitor/health"
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=3) as reply:
                if reply.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(2)
    return False


def password(home: Path) -> str:
    path = home / "simple_auth_manager_passwords.json.generated"
    for _ in range(30):
        if path.exists():
            return json.loads(path.read_text()).get("admin", "?")
        time.sleep(1)
    return f"(see {path})"


def main() -> int:
    home = settings.data_dir() / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    busy = busy_ports([SIM_PORT, UI_PORT, 8793, 8794])
    if busy:
        print(f"Port(s) {', '.join(map(str, busy))} are in use: another Airflow or simulator is "
              f"running. Stop it first (or set OS10_SIM_PORT / AIRFLOW__API__PORT).")
        return 1
    # SIGTERM (from a supervisor or `timeout`) must also stop Airflow's whole process group.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    env = environment(home)
    write_sources(home)
    feeds = [f"--feed={key}:{count}" for key, (_, _, count) in FEEDS.items()]
    simulator = subprocess.Popen([str(BIN / "python"), "-m", "simulator", "--host", "127.0.0.1",
                                  "--port", str(SIM_PORT), *feeds], env=env,
                                 stdout=subprocess.DEVNULL)
    processes = [simulator]
    try:
        print("Preparing Airflow's metadata database ...", flush=True)
        run([str(BIN / "airflow"), "db", "migrate"], env)
        ensure_pools(4, env)
        log = open(home / "standalone.log", "a")  # noqa: SIM115 - lives as long as Airflow
        # Its own process group: standalone starts a scheduler, API server, workers and more,
        # and all of them must go when we stop.
        airflow = subprocess.Popen([str(BIN / "airflow"), "standalone"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(airflow)
        print("Starting Airflow standalone (scheduler, DAG processor, API server) ...",
              flush=True)
        if not wait_for_ui():
            print(f"Airflow did not answer within 4 minutes; see {home / 'standalone.log'}.")
            return 1
        print(f"\nAirflow UI: http://localhost:{UI_PORT}\nLogin: admin / {password(home)}\n"
              f"Sources: {home / 'sources.yaml'} (simulated partners on port {SIM_PORT})\n"
              f"Store: {env['OS10_DATABASE_URL']}\nLogs: {home / 'standalone.log'}\n"
              f"Unpause os10_harvest__* DAGs to start harvesting. Ctrl-C stops everything.",
              flush=True)
        airflow.wait()
        return airflow.returncode
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            _signal(process, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal(process, signal.SIGKILL)
    for process in processes:  # children of standalone outlive it unless the group goes
        _signal(process, signal.SIGKILL)


def _signal(process: subprocess.Popen, sig: int) -> None:
    try:
        if os.getpgid(process.pid) == process.pid:  # a group leader: signal its whole group
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    except ProcessLookupError:
        pass


def busy_ports(ports: list[int]) -> list[int]:
    busy = []
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


if __name__ == "__main__":
    sys.exit(main())
