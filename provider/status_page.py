"""The operators' HTML status page at /status: sources, last success and failure, flags."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

import settings
from errors import ConfigError
from pipeline.registry import load_sources
from pipeline.status import SourceHealth, source_health
from provider.web import Reply, Request
from quality.run import describe_run_quality

STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse}td,th{padding:.3rem .7rem;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}.bad{color:#a00}.ok{color:#070}.flag{color:#a60}
small{color:#666}"""


def respond(provider, request: Request) -> Reply:
    try:
        sources = load_sources(settings.sources_path(), check_names=False).sources
        registry_note = ""
    except ConfigError as exc:
        sources, registry_note = [], f"<p class=flag>{escape(str(exc))}</p>"
    healths = source_health(provider.store, sources)
    now = datetime.now(UTC)
    rows = "".join(_row(h) for h in healths) or "<tr><td colspan=8>Nothing harvested yet.</td>"
    body = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta http-equiv=refresh content=60><title>os10-harvest status</title>"
        f"<style>{STYLE}</style></head><body><h1>os10-harvest status</h1>"
        f"<p><small>{now:%Y-%m-%d %H:%M:%S}Z &middot; refreshes every minute &middot; "
        "<a href=/quality>metadata quality</a></small></p>"
        f"{registry_note}<table><tr><th>Source</th><th>Schedule</th><th>Last run</th>"
        "<th>Live</th><th>Deleted</th><th>Last success</th><th>Last failure</th>"
        f"<th>Records over time</th></tr>{rows}</table></body></html>")
    return Reply(200, body.encode("utf-8"), "text/html; charset=utf-8")


def _row(h: SourceHealth) -> str:
    run = h.last_run
    status = (f"<span class={'ok' if run.status == 'succeeded' else 'bad'}>"
              f"{escape(run.status)}</span> {_when(run.started_at)}") if run else "never"
    if run and run.quality:
        status += f"<br><small>{escape(describe_run_quality(run.quality))}</small>"
    failure = _when(h.last_failure)
    if h.last_failure_reason:
        failure += f"<br><small>{escape(h.last_failure_reason)}</small>"
    trend = " → ".join(str(live) for _, live in h.history[-8:]) or "–"
    flags = "".join(f"<div class=flag>{escape(flag)}</div>" for flag in h.flags)
    name = f"<br><small>{escape(h.name)}</small>" if h.name else ""
    return (f"<tr><td><b>{escape(h.source_id)}</b>{name}{flags}</td>"
            f"<td>{escape(h.schedule or '–')}</td><td>{status}</td><td>{h.live}</td>"
            f"<td>{h.deleted}</td><td>{_when(h.last_success)}</td><td>{failure}</td>"
            f"<td>{escape(trend)}</td></tr>")


def _when(value: datetime | None) -> str:
    return escape(value.strftime("%Y-%m-%d %H:%MZ")) if value else "–"
