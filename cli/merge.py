"""`os10 merge [--full]` and `os10 merge candidates`: build the merged catalogue, list likely
duplicates for a steward."""

from __future__ import annotations


def register(commands) -> None:
    merge = commands.add_parser("merge", help="merge harvested records into the catalogue")
    merge.add_argument("--full", action="store_true",
                       help="recompute every cluster, not only those touched since the last merge")
    merge.set_defaults(func=cmd_merge)
    sub = merge.add_subparsers(metavar="SUBCOMMAND")
    candidates = sub.add_parser("candidates", help="likely duplicates waiting for a steward")
    candidates.set_defaults(func=cmd_merge_candidates)


def merge_settings(args) -> tuple[dict[str, int], frozenset[str]]:
    """Source priorities and the sources that merge likely duplicates, from sources.yaml."""
    from cli.main import _registry

    registry, _ = _registry(args)
    return ({s.id: s.priority for s in registry.sources},
            frozenset(s.id for s in registry.sources if s.merge_likely_duplicates))


def cmd_merge(args) -> int:
    from cli.main import _store
    from pipeline.merge import merge_catalogue

    priorities, duplicate_sources = merge_settings(args)
    store = _store(args)
    report = merge_catalogue(store, priorities, full=args.full,
                             duplicate_sources=duplicate_sources, progress=True)
    line = report.summary()
    print(line[0].upper() + line[1:] + (f" ({report.reason})" if report.reason else ""))
    if report.candidates:
        print("See them with `os10 merge candidates`.")
    return 0


def cmd_merge_candidates(args) -> int:
    from cli.main import _print_table, _store

    store = _store(args)
    groups = store.merge_candidates()
    if not groups:
        print("No likely duplicates.")
        return 0
    print(f"{len(groups)} group(s) of merged records share title, year and first creator but "
          f"no identifier. They stay apart unless both sources set merge_likely_duplicates.\n")
    for number, (_, rows) in enumerate(groups, 1):
        table = [("ID", "SOURCES", "YEAR", "FIRST CREATOR", "TITLE")]
        for row in rows:
            record = row.record or {}
            creators = record.get("creators") or [{}]
            titles = [t for t in record.get("titles") or () if not t.get("title_type")]
            title = (titles or record.get("titles") or [{}])[0].get("value", "")
            table.append((row.merged_id, ",".join(row.sources),
                          str(record.get("publication_year", "")),
                          creators[0].get("name", ""), title[:70]))
        print(f"Group {number}:")
        _print_table(table)
        print()
    return 0
