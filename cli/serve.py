"""`os10 serve`: the merged catalogue over HTTP (OAI-PMH at /oai, DCAT at /catalog)."""

from __future__ import annotations

import argparse
import sys

import settings

DEFAULT_PORT = 8090  # Airflow's webserver takes 8080 on the same machine


def register(commands) -> None:
    serve = commands.add_parser(
        "serve", help="serve the merged catalogue over OAI-PMH (/oai) and DCAT (/catalog)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    serve.add_argument("--page-size", type=_page_size, default=100,
                       help="records per OAI-PMH list response and datasets per catalogue page "
                       "(default 100)")
    serve.add_argument("--repository-id", default="os10",
                       help="the middle of OAI identifiers oai:<id>:<record> (default os10)")
    serve.add_argument("--repository-name", default="OS10 merged catalogue",
                       help="the name Identify gives (default: OS10 merged catalogue)")
    serve.add_argument("--admin-email", default="os10-admin@example.org",
                       help="the contact Identify gives")
    serve.add_argument("--public-url", default=None, metavar="URL",
                       help="where clients reach this server when a proxy sits in front, e.g. "
                       "https://catalogue.example.org")
    serve.set_defaults(func=cmd_serve)


def _page_size(text: str) -> int:
    from provider.config import MAX_PAGE_SIZE

    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"the page size must be 1 to {MAX_PAGE_SIZE}")
    return value


def cmd_serve(args) -> int:
    from provider import ProviderConfig, ProviderServer
    from store import Store

    config = ProviderConfig(repository_id=args.repository_id,
                            repository_name=args.repository_name, admin_email=args.admin_email,
                            page_size=args.page_size, catalogue_page_size=args.page_size,
                            public_url=args.public_url)
    store = Store.open(settings.database_url(args.db), migrate=False)
    server = ProviderServer(store, config, host=args.host, port=args.port).bind()
    print(f"Serving {store.safe_url}: OAI-PMH at {server.url}/oai, DCAT at {server.url}/catalog "
          "(Ctrl-C stops).", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
    finally:
        store.close()
    return 0
