"""Mapping in worker processes, so every core maps while the main process fetches and writes.

Harvest and remap hand a page's records to `MappingPool.submit` and collect the rows later:
the main process meanwhile fetches and parses the next page. Small batches are mapped in-process
(a worker round trip would cost more than it saves, and the harvester's parsed elements can be
reused there). Workers come from a forkserver, never a plain fork: a forked child would inherit
the parent's open database connections.
"""

from __future__ import annotations

import atexit
import gc
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from typing import Any, NamedTuple

from pipeline.mapping import map_one
from store import MappedRow
from store.types import JsonText, dump_json

# Fewer records than this in a batch are mapped in the calling process.
MIN_PARALLEL_BATCH = 48


class MapJob(NamedTuple):
    identifier: str
    metadata_format: str
    payload: bytes | None
    deleted: bool
    datestamp: datetime | None
    sha256: str


def map_workers() -> int:
    """OS10_MAP_WORKERS, else one worker per core; 0 or 1 maps in-process."""
    value = os.environ.get("OS10_MAP_WORKERS", "").strip()
    if value.isdigit():
        return int(value)
    return os.cpu_count() or 1


def map_batch(source_id: str, harvested_at: datetime, jobs: Sequence[MapJob],
              elements: Sequence[Any] | None = None) -> list[MappedRow]:
    """Map jobs in order; a record that fails to map is a row with `mapping_error`."""
    return [map_one(source_id=source_id, identifier=job.identifier,
                    metadata_format=job.metadata_format, payload=job.payload,
                    deleted=job.deleted, datestamp=job.datestamp, sha256=job.sha256,
                    harvested_at=harvested_at, element=elements[i] if elements else None)
            for i, job in enumerate(jobs)]


def _map_in_worker(source_id: str, harvested_at: datetime,
                   jobs: Sequence[MapJob]) -> list[tuple]:
    """map_batch in a worker, each row sent back as a plain tuple with the record already
    serialised to JSON, which the writer stores as it is (unpickling a record's nested dicts
    cost the main process more than mapping's share of a page). Pickling the MappedRows
    themselves cost the worker some 15 us a record more: a slots dataclass pickles field by
    field through Python code, and the JsonText subclass of str through its class."""
    return [_packed(row) for row in map_batch(source_id, harvested_at, jobs)]


_FIELDS = MappedRow.__slots__
_RECORD = _FIELDS.index("record")


def _packed(row: MappedRow) -> tuple:
    packed = [getattr(row, name) for name in _FIELDS]
    if row.record is not None:
        packed[_RECORD] = dump_json(row.record)
    return tuple(packed)


def _unpacked(packed: tuple) -> MappedRow:
    row = MappedRow(*packed)
    if row.record is not None:
        row.record = JsonText(row.record)
    return row


def _start_worker(pid: int) -> None:
    """In each worker, once: what it was forked with (the mappers, pydantic's schemas, the
    language profiles) lives as long as it does, so it is frozen out of the collector's full
    passes (60-90 us of the ~500 us a record costs); and a thread watches the parent."""
    gc.freeze()
    _watch_parent(pid)


def _watch_parent(pid: int) -> None:
    """Exit as soon as the process that started the pool is gone.

    A worker blocks on its task queue, which it holds both ends of, so a harvest killed with
    SIGKILL would otherwise leave its workers running for ever.
    """
    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # the pid was reused by another user's process
                os._exit(0)

    threading.Thread(target=watch, name="os10-parent-watch", daemon=True).start()


class MappingPool:
    """`submit` returns a callable that yields the mapped rows, in the jobs' order.

    The worker processes outlive a pool: they are kept per process and worker count and reused
    by the next harvest or remap, so a scheduler running many small harvests pays their start
    (and their language caches warming up) once, not per run.
    """

    def __init__(self, workers: int | None = None, *,
                 min_parallel_batch: int = MIN_PARALLEL_BATCH) -> None:
        self.workers = map_workers() if workers is None else workers
        self.min_parallel_batch = min_parallel_batch
        self._executor: ProcessPoolExecutor | None = None

    def submit(self, source_id: str, harvested_at: datetime, jobs: Sequence[MapJob],
               elements: Sequence[Any] | None = None) -> Callable[[], list[MappedRow]]:
        if self.workers < 2 or len(jobs) < self.min_parallel_batch:
            rows = map_batch(source_id, harvested_at, jobs, elements)
            return lambda: rows
        self._executor = executor = shared_workers(self.workers)
        size = -(-len(jobs) // self.workers)
        futures: list[Future] = [
            executor.submit(_map_in_worker, source_id, harvested_at, list(jobs[i:i + size]))
            for i in range(0, len(jobs), size)]
        return lambda: [_unpacked(packed) for future in futures
                        for packed in future.result()]

    def close(self) -> None:
        """Nothing to release: the workers stay for the next run (see `shutdown_workers`)."""
        self._executor = None

    def __enter__(self) -> MappingPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# (pid of the process that started them, worker count) -> their executor
_EXECUTORS: dict[tuple[int, int], ProcessPoolExecutor] = {}


def shared_workers(count: int) -> ProcessPoolExecutor:
    """This process's pool of `count` worker processes, started on first use and kept; other
    CPU-bound stages (rendering exports) run their batches on the same workers."""
    key = (os.getpid(), count)  # a forked child must not use its parent's workers
    executor = _EXECUTORS.get(key)
    if executor is not None and not getattr(executor, "_broken", False):
        return executor
    context = multiprocessing.get_context("forkserver")
    # Workers fork from a server that already imported the mappers and loaded the language
    # profiles, so each starts warm.
    context.set_forkserver_preload(["pipeline.mapping_warm"])
    executor = ProcessPoolExecutor(count, mp_context=context, initializer=_start_worker,
                                   initargs=(os.getpid(),))
    _EXECUTORS[key] = executor
    return executor


def shutdown_workers() -> None:
    """Stop this process's mapping workers (they also stop when it exits)."""
    for key in [k for k in _EXECUTORS if k[0] == os.getpid()]:
        _EXECUTORS.pop(key).shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_workers)
