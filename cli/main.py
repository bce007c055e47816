"""`os10 [--db URL] [--sources FILE] COMMAND`: the steward's and operator's entry point."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

import settings
from errors import ConfigError, Os10Error, SourceBusyError, StoreError

log = logging.getLogger("os10")

# Commands that live in their own module: each has `register(commands)` adding its subparser.
COMMAND_MODULES: tuple[str, ...] = ("cli.serve", "cli.merge", "cli.deletions", "cli.quality")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except Os10Error as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted. What was stored so far is kept; run the same command again to "
              "resume.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="os10", description="Harvest, merge and export "
                                     "open-science metadata from OS10 partners.")
    parser.add_argument("--db", help="database URL (default: OS10_DATABASE_URL, then the "
                        "SQLite file under data/)")
    parser.add_argument("--sources", help="sources file (default: OS10_SOURCES, then "
                        "./sources.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    sources = commands.add_parser("sources", help="the source registry")
    sources_commands = sources.add_subparsers(metavar="SUBCOMMAND")
    listing = sources_commands.add_parser("list", help="list registered sources")
    listing.set_defaults(func=cmd_sources_list)
    importlib.import_module("cli.sources").register(sources_commands)  # sources check

    harvest = commands.add_parser("harvest", help="harvest sources into the store")
    harvest.add_argument("source_ids", nargs="*", metavar="SOURCE")
    harvest.add_argument("--all", action="store_true", help="every enabled source")
    harvest.add_argument("--full", action="store_true", help="the whole list, not incremental")
    harvest.add_argument("--from", dest="window_from", type=_datetime, metavar="DATE",
                         help="backfill window start (does not move the watermark)")
    harvest.add_argument("--until", dest="window_until", type=_datetime, metavar="DATE",
                         help="backfill window end")
    harvest.set_defaults(func=cmd_harvest)

    remap = commands.add_parser("remap", help="rebuild mapped records from stored raw records")
    remap.add_argument("source_ids", nargs="*", metavar="SOURCE")
    remap.set_defaults(func=cmd_remap)

    export = commands.add_parser("export", help="export the catalogue")
    export.add_argument("--format", default="jsonl", help="export format (default jsonl)")
    export.add_argument("--out", required=True, type=Path, help="file to write")
    export.add_argument("--since", type=_datetime, metavar="DATETIME",
                        help="only records changed since then, deletions included")
    export.add_argument("--source", dest="source_ids", action="append", metavar="SOURCE",
                        help="only this source (repeatable)")
    export.set_defaults(func=cmd_export)

    status = commands.add_parser("status", help="last runs per source, counts and errors")
    status.set_defaults(func=cmd_status)

    db = commands.add_parser("db", help="database administration")
    db_commands = db.add_subparsers(metavar="SUBCOMMAND")
    db_upgrade = db_commands.add_parser("upgrade", help="migrate the schema to the newest")
    db_upgrade.set_defaults(func=cmd_db_upgrade)

    demo = commands.add_parser("demo", help="run the whole pipeline against simulated partners")
    demo.add_argument("--records", type=int, default=None, help="records per simulated source")
    demo.set_defaults(func=cmd_demo)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(commands)
    return parser


def _datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; use ISO 8601 like 2024-05-01 or 2024-05-01T12:00:00Z"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _configure_logging(verbose: bool) -> None:
    # On a terminal the live progress line carries the news; logs show warnings unless -v.
    level = logging.INFO if verbose or not sys.stderr.isatty() else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _registry(args):
    from pipeline.registry import load_sources

    path = settings.sources_path(args.sources)
    return load_sources(path), path


def _store(args, *, migrate: bool = True):
    from store import Store

    return Store.open(settings.database_url(args.db), migrate=migrate)


def cmd_sources_list(args) -> int:
    registry, path = _registry(args)
    if not registry.sources:
        print(f"No sources in {path}.")
        return 0
    rows = [("ID", "PROTOCOL", "FORMAT", "SCHEDULE", "PRIO", "ENABLED", "URL")]
    for s in registry.sources:
        rows.append((s.id, s.protocol, s.metadata_prefix or "-", s.schedule or "-",
                     str(s.priority), "yes" if s.enabled else "no", s.base_url))
    _print_table(rows)
    return 0


def cmd_harvest(args) -> int:
    from pipeline.harvest import harvest_source
    from pipeline.registry import select_sources
    from quality.run import describe_run_quality

    if not args.source_ids and not args.all:
        raise ConfigError("Name the sources to harvest, or use --all.")
    if (args.window_from or args.window_until) and args.full:
        raise ConfigError("--full and --from/--until exclude each other.")
    registry, path = _registry(args)
    sources = select_sources(registry, args.source_ids, all_enabled=args.all, path=path)
    try:
        store = _store(args)
    except StoreError as exc:  # e.g. a read-only or full store: say which harvest it stopped
        exc.source = exc.source or ", ".join(source.id for source in sources)
        raise
    failures = 0
    for source in sources:
        try:
            report = harvest_source(store, source, full=args.full,
                                    window_from=args.window_from, window_until=args.window_until)
        except SourceBusyError as exc:
            failures += 1
            print(f"error: {exc}", file=sys.stderr)
            continue
        except Os10Error as exc:
            failures += 1
            print(f"error: {exc}", file=sys.stderr)
            print(f"  The records stored before the failure are kept; run `os10 harvest "
                  f"{source.id}` again to resume.", file=sys.stderr)
            continue
        c = report.counts
        if report.status == "held":
            print(f"{source.id}: {report.mode} harvest finished with deletions held: "
                  f"{report.error}")
            continue
        print(f"{source.id}: {report.mode} harvest succeeded: {c.seen} seen, {c.new} new, "
              f"{c.updated} updated, {c.unchanged} unchanged, {c.deleted} deleted, "
              f"{c.failed} failed in {report.duration_s:.1f}s")
        if report.quality:
            print(f"  {describe_run_quality(report.quality)} (`os10 quality {source.id}`)")
        for sample in report.error_samples[:5]:
            print(f"  failed record {sample.record_id}: {sample.reason}")
    return 1 if failures else 0


def cmd_remap(args) -> int:
    from pipeline.remap import remap

    store = _store(args)
    report = remap(store, args.source_ids or None)
    print(f"Remapped {report.seen} records: {report.changed} changed, {report.failed} could "
          f"not be mapped.")
    return 0


def cmd_export(args) -> int:
    from cli.merge import merge_settings
    from pipeline.export import export_catalogue

    priorities = duplicate_sources = None
    if settings.sources_path(args.sources).exists():
        priorities, duplicate_sources = merge_settings(args)
    else:  # the merge, if one is due, reuses the settings of the last one
        log.warning("No sources file at %s: merging with the last merge's priorities.",
                    settings.sources_path(args.sources))
    store = _store(args)
    written = export_catalogue(store, args.format, args.out, since=args.since,
                               source_ids=args.source_ids, priorities=priorities,
                               duplicate_sources=duplicate_sources)
    print(f"Wrote {written} records as {args.format} to {args.out.resolve()}")
    return 0


def cmd_status(args) -> int:
    from pipeline.status import source_health
    from quality.run import describe_run_quality

    store = _store(args)
    try:
        sources = _registry(args)[0].sources
    except ConfigError:
        sources = []  # status still reports what the store holds
    healths = source_health(store, sources)
    if not healths:
        print("Nothing harvested yet.")
        return 0
    rows = [("SOURCE", "LAST RUN", "STATUS", "SEEN", "NEW", "UPD", "DEL", "FAILED", "LIVE",
             "LAST SUCCESS", "LAST FAILURE")]
    notes = []
    for h in healths:
        run = h.last_run
        c = run.counts if run else None
        rows.append((h.source_id, _when(run.started_at) if run else "never",
                     run.status if run else "-", *(str(getattr(c, k)) if c else "" for k in
                                                    ("seen", "new", "updated", "deleted",
                                                     "failed")),
                     str(h.live), _when(h.last_success), _when(h.last_failure)))
        if len(h.history) > 1:
            trend = " → ".join(str(live) for _, live in h.history[-6:])
            notes.append(f"{h.source_id}: live records over the last runs: {trend}")
        notes += [f"{h.source_id}: {flag}" for flag in h.flags]
        if run and run.quality:
            notes.append(f"{h.source_id}: last run: {describe_run_quality(run.quality)}")
        if run:
            notes += [f"{h.source_id}: record {s.record_id}: {s.reason}"
                      for s in run.error_samples[:3]]
    _print_table(rows)
    if notes:
        print()
        print("\n".join(notes))
    return 0


def cmd_db_upgrade(args) -> int:
    from store import Store

    store = Store(settings.database_url(args.db))
    revision = store.upgrade()
    print(f"The database {store.safe_url} is at schema revision {revision}.")
    return 0


def cmd_demo(args) -> int:
    from cli.demo import run_demo

    if not args.verbose:  # the demo prints its own report; logs would only repeat it
        logging.getLogger().setLevel(logging.WARNING)

    return run_demo(records=args.records)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
