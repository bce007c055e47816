"""`python -m simulator`: serve simulated OAI-PMH feeds until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import UTC, datetime

from simulator.feed import DAYS, SECONDS, Feed
from simulator.server import SimulatorServer

_GRANULARITIES = {"day": DAYS, "seconds": SECONDS, DAYS: DAYS}


def parse_feed(spec: str, position: int, page_size: int) -> tuple[str, Feed]:
    """`key:count[:option=value...]`; options: seed, page_size, step, granularity (day|seconds),
    start (YYYY-MM-DD), name. The seed defaults to the feed's position on the command line."""
    key, _, rest = spec.partition(":")
    count, *options = rest.split(":") if rest else ("",)
    if not key or not count.isdigit():
        raise argparse.ArgumentTypeError(f"--feed {spec!r}: expected KEY:COUNT[:option=value...]")
    settings: dict = {"seed": position, "page_size": page_size}
    for option in options:
        name, _, value = option.partition("=")
        if name in ("seed", "page_size", "step") and value.lstrip("-").isdigit():
            settings["step_seconds" if name == "step" else name] = int(value)
        elif name == "granularity" and value in _GRANULARITIES:
            settings["granularity"] = _GRANULARITIES[value]
        elif name == "start" and value:
            settings["start"] = datetime.fromisoformat(value).replace(tzinfo=UTC)
        elif name == "name" and value:
            settings["name"] = value
        else:
            raise argparse.ArgumentTypeError(f"--feed {spec!r}: bad option {option!r}")
    return key, Feed(count=int(count), **settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--feed", action="append", required=True, metavar="KEY:COUNT[:opt=v]",
                        help="a feed, e.g. alpha:2000 or beta:1500:seed=2:granularity=day")
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args(argv)
    try:
        feeds = dict(parse_feed(spec, n, args.page_size) for n, spec in enumerate(args.feed, 1))
    except (argparse.ArgumentTypeError, ValueError) as exc:
        parser.error(str(exc))

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with SimulatorServer(feeds, host=args.host, port=args.port) as server:
        for key, feed in feeds.items():
            print(f"{key}: {server.url(key)} ({feed.count} records, seed {feed.seed})",
                  flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
