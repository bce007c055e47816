"""`os10 deletions list|approve|discard SOURCE`: the steward's decision on held deletions."""

from __future__ import annotations

import settings


def register(commands) -> None:
    deletions = commands.add_parser("deletions", help="deletions held by the deletion guard")
    actions = deletions.add_subparsers(metavar="ACTION")
    for name, func, text in (
        ("list", cmd_list, "show the held deletions of a source"),
        ("approve", cmd_approve, "carry out the held deletions"),
        ("discard", cmd_discard, "forget the held deletions; the records stay live"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("source_id", metavar="SOURCE")
        action.set_defaults(func=func)


def _store(args):
    from store import Store

    return Store.open(settings.database_url(args.db))


def cmd_list(args) -> int:
    store = _store(args)
    count = store.held_count(args.source_id)
    if not count:
        print(f"No deletions are held for {args.source_id}.")
        return 0
    print(f"{count} deletions are held for {args.source_id}, for example:")
    for identifier in store.held_identifiers(args.source_id):
        print(f"  {identifier}")
    return 0


def cmd_approve(args) -> int:
    done = _store(args).apply_held(args.source_id)
    print(f"Carried out {done} deletions for {args.source_id}.")
    return 0


def cmd_discard(args) -> int:
    dropped = _store(args).discard_held(args.source_id)
    print(f"Discarded {dropped} held deletions for {args.source_id}; the records stay live.")
    return 0
