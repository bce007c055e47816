"""`python -m bench` (`make bench`): run every figure, print the table, write the results.

N (records in the simulated feed) is `--n`, else BENCH_N, else 100,000; the baseline reads at
most `--baseline-n`, else BENCH_BASELINE_N, else N capped at 100,000. Results go to
bench/results/<date>.json (and to `--out`); docs/performance.md is refreshed for a full run
(N >= 100,000) or when `--docs` is given.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench import report, suite, targets
from bench.databases import DEFAULT_PG_URL
from bench.processes import ROOT

RESULTS_DIR = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "performance.md"
DEFAULT_N = 100_000
BASELINE_CAP = 100_000


def _positive(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=_positive, default=None,
                        help="records in the simulated feed (default: BENCH_N, else 100,000)")
    parser.add_argument("--baseline-n", type=_positive, default=None,
                        help="records the baseline reads (default: BENCH_BASELINE_N, else N "
                        "capped at 100,000)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both",
                        help="databases to measure (default both; PostgreSQL falls back to "
                        "SQLite only when unreachable)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL),
                        help="PostgreSQL server to create the scratch databases on "
                        f"(default: BENCH_PG_URL, else {DEFAULT_PG_URL})")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help="where <date>.json goes (default bench/results)")
    parser.add_argument("--out", type=Path, default=None, help="also write the results here")
    docs = parser.add_mutually_exclusive_group()
    docs.add_argument("--docs", action="store_true", default=None,
                      help="refresh docs/performance.md even when N < 100,000")
    docs.add_argument("--no-docs", dest="docs", action="store_false",
                      help="leave docs/performance.md alone even for a full run")
    parser.add_argument("--figure-timeout", type=float, default=4 * 3600, metavar="SECONDS",
                        help="stop a figure that runs longer (default 4 hours)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    n = args.n or _positive(os.environ.get("BENCH_N", str(DEFAULT_N)))
    baseline_n = args.baseline_n or _positive(
        os.environ.get("BENCH_BASELINE_N", str(min(n, BASELINE_CAP))))
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    options = suite.Options(n=n, baseline_n=min(baseline_n, n), dbs=dbs, pg_url=args.pg_url,
                            figure_timeout_s=args.figure_timeout)
    reference = targets.committed_reference(RESULTS_DIR) if n > targets.RSS_REFERENCE_N else None
    try:
        document = suite.run_suite(options)
    except (KeyboardInterrupt, suite.Terminated) as exc:
        print("Interrupted: servers stopped, scratch databases dropped, nothing written.",
              file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    except Exception as exc:  # noqa: BLE001 - e.g. the simulator did not start
        print(f"error: the benchmark could not run: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 2
    figures = document["figures"]
    report.add_comparators(figures)
    document["record_size"] = report.record_sizes(figures)
    document["mean_record_bytes"] = document["record_size"]["oai_datacite_payload_bytes"]
    if reference is not None:
        document["rss_reference"] = str(reference[0].relative_to(ROOT))
    document["targets"] = targets.evaluate(figures, n, document["dbs"], reference)

    print(report.terminal_report(document))
    written = [report.write_results(document, args.results_dir / report.results_name(document))]
    if args.out:
        written.append(report.write_results(document, args.out))
    refresh = args.docs if args.docs is not None else n >= DEFAULT_N
    if refresh:
        report.refresh_docs(document, DOCS)
        written.append(DOCS)
    print("Wrote " + ", ".join(str(path) for path in written), file=sys.stderr)
    return 1 if any(f["error"] for f in figures) else 0


if __name__ == "__main__":
    raise SystemExit(main())
