"""`python -m bench.figure NAME --spec FILE --result FILE`: one figure in this fresh process.

The suite runs every figure this way, so each starts with nothing imported or cached but what
it needs. The result file gets the count, the seconds, what the figure noticed, and this
process's peak RSS next to that of the worker processes it waited for (VmHWM and getrusage
RUSAGE_CHILDREN; the figure's peak is the larger of the two). A failure is written there too.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import json
import logging
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from functools import partial

from bench.measured import Measured
from bench.processes import high_water_mark

# name -> (module, function); imported only in the process that runs the figure, so a limit
# figure's memory holds no pipeline code.
FIGURES: dict[str, tuple[str, str]] = {
    "limit_fetch": ("bench.limits", "fetch"),
    "limit_parse": ("bench.limits", "parse"),
    "limit_extract": ("bench.limits", "extract"),
    "limit_extract_oai_dc": ("bench.limits", "extract"),
    "limit_map": ("bench.limit_map", "map_records"),
    "limit_load_pg": ("bench.limits", "load_pg"),
    "limit_load_sqlite": ("bench.limits", "load_sqlite"),
    "baseline": ("bench.baseline", "run"),
    "baseline_flat": ("bench.baseline", "run_flat"),
    "harvest_first": ("bench.os10", "harvest_first"),
    "harvest_incremental_nochange": ("bench.os10", "harvest_incremental_nochange"),
    "harvest_full_unchanged": ("bench.os10", "harvest_full_unchanged"),
    "remap": ("bench.os10", "remap"),
    "merge": ("bench.os10", "merge"),
    "provider": ("bench.os10", "provider"),
    "harvest_first_oai_dc": ("bench.os10", "harvest_first"),
    "detect_langdetect": ("bench.languages", "detect_langdetect"),
    "detect_languages": ("bench.languages", "detect_languages"),
}
EXPORT_PREFIX = "export_"  # export_<format>, for every format in the exporter registry
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


def figure_function(name: str) -> Callable[[dict], Measured]:
    if name.startswith(EXPORT_PREFIX):
        from bench.os10 import export

        return partial(export, fmt=name[len(EXPORT_PREFIX):])
    if name not in FIGURES:
        known = ", ".join(sorted(FIGURES))
        raise SystemExit(f"There is no figure {name!r}. Known: {known}, {EXPORT_PREFIX}<format>.")
    module, function = FIGURES[name]
    return getattr(importlib.import_module(module), function)


def become_subreaper() -> None:
    """Have orphaned descendants re-parented to this process. Mapping workers are children of
    multiprocessing's forkserver, which may exit before reaping them; re-parented here, they
    are reaped by `reap_workers` and their peak counts in RUSAGE_CHILDREN. Linux only."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def reap_workers(timeout_s: float = 2.0) -> None:
    """Stop multiprocessing's helper processes (they outlive a pool until interpreter exit)
    and reap every descendant that has ended, so RUSAGE_CHILDREN covers them."""
    pool = sys.modules.get("pipeline.mapping_pool")
    if pool is not None:
        pool.shutdown_workers()  # the mapping workers are kept for reuse until asked to stop
    for module_name, attribute in (("multiprocessing.forkserver", "_forkserver"),
                                   ("multiprocessing.resource_tracker", "_resource_tracker")):
        helper = getattr(sys.modules.get(module_name), attribute, None)
        stop = getattr(helper, "_stop", None)  # private, hence looked up with care
        if stop is not None:
            try:
                stop()
            except Exception:  # noqa: BLE001 - a helper that will not stop is not counted
                pass
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no children left
        if pid == 0:  # some still run
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)


def peak_rss() -> dict[str, int]:
    """Peak resident memory in bytes: this process's own high-water mark (VmHWM, as
    RUSAGE_SELF's ru_maxrss would include the suite's memory when it started us) and
    RUSAGE_CHILDREN's ru_maxrss (KiB on Linux) for the workers."""
    own = high_water_mark()
    if own is None:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"peak_rss_self_bytes": own, "peak_rss_children_bytes": workers}


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.figure", description=__doc__)
    parser.add_argument("name")
    parser.add_argument("--spec", required=True, help="JSON file: URLs, n and the work directory")
    parser.add_argument("--result", required=True, help="JSON file to write the result to")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with open(args.spec, encoding="utf-8") as handle:
        spec = json.load(handle)
    become_subreaper()
    function = figure_function(args.name)
    began = _cpu(resource.RUSAGE_SELF)
    try:
        measured = function(spec)
        result = {"ok": True, "n": measured.n, "seconds": measured.seconds,
                  "extra": measured.extra}
    except Exception as exc:  # noqa: BLE001 - the suite records the failure and goes on
        traceback.print_exc()
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()}
    result["cpu_self_s"] = round(_cpu(resource.RUSAGE_SELF) - began, 3)
    reap_workers()
    result["cpu_workers_s"] = round(_cpu(resource.RUSAGE_CHILDREN), 3)
    result.update(peak_rss())
    with open(args.result, "w", encoding="utf-8") as handle:
        json.dump(result, handle, default=str)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
