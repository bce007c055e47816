"""`os10 sources check URL`: look at a partner's endpoint before registering it; stores nothing."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime

log = logging.getLogger("os10.cli.sources")


def register(sources_commands) -> None:
    """Add `check` to the `sources` subcommands (cli.main builds `sources list`)."""
    check = sources_commands.add_parser(
        "check", help="detect an endpoint's protocol, list what it offers, map a sample",
        description="Detect the protocol of an endpoint (OAI-PMH, CKAN, DCAT), list what it "
        "offers, harvest and map a few records in memory, and propose a sources.yaml entry. "
        "Nothing is stored. Exit code 0 when the endpoint can be registered, 1 otherwise.")
    check.add_argument("url", metavar="URL", help="the endpoint: OAI-PMH base URL, CKAN "
                       "portal or DCAT catalogue document")
    check.add_argument("--samples", type=_count, default=10, metavar="N",
                       help="records to harvest and map (default 10)")
    check.add_argument("--protocol", choices=("oai_pmh", "dcat", "ckan"),
                       help="check only this protocol instead of detecting it")
    check.add_argument("--timeout", type=_seconds, default=30.0, metavar="S",
                       help="seconds to wait for each response (default 30)")
    check.add_argument("--rate", type=_seconds, default=2.0, metavar="R",
                       help="requests per second at most (default 2)")
    check.add_argument("--json", action="store_true", help="print the whole result as JSON")
    check.set_defaults(func=cmd_sources_check)


def cmd_sources_check(args) -> int:
    from onboarding.check import check_source
    from onboarding.report import render
    from schemas.onboarding import SourceCheck, Verdict

    harvesters_log = logging.getLogger("os10.harvesters")
    level = harvesters_log.level
    if not args.verbose:  # the report says what happened; progress notes would only repeat it
        harvesters_log.setLevel(logging.WARNING)
    try:
        result = check_source(args.url, samples=args.samples, protocol=args.protocol,
                              timeout_seconds=args.timeout, requests_per_second=args.rate)
    except Exception as exc:  # noqa: BLE001 - a diagnostic command answers with a verdict
        # A bug of ours, not a finding about the partner: keep the traceback for -v.
        log.debug("The check of %s failed unexpectedly.", args.url, exc_info=True)
        result = SourceCheck(url=args.url, checked_at=datetime.now(UTC), seconds=0.0,
                             verdict=Verdict(status="invalid", sentence=(
                                 f"The check of {args.url} failed unexpectedly "
                                 f"({type(exc).__name__}: {exc}); run it again with -v and "
                                 "report the log.")))
    finally:
        harvesters_log.setLevel(level)
    if args.json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(render(result))
    return 0 if result.verdict.ok else 1


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of records (0 or more)")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value
